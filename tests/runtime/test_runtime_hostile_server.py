"""What a hostile or broken server can do to a client (issue 16, items 10-14), on real
loopback servers, sync and async.

Every failure a response causes is an APIError; a redirect never looks like success
and never carries credentials to another origin; a body cannot grow past the cap or
outlast the attempt deadline; invalid Retry-After falls back to backoff; a paginator
never loops; the limiter gets back the slots of callers that went away; URLs in any
log line are redacted; a short-lived token is not fetched on every call. Clocks and
sleeps are injected wherever time is the subject.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import threading
import time
import typing
from typing import Any

import httpx
import pydantic
import pytest

from apigen.runtime import (
    APIConnectionError,
    APIError,
    APIKeyScheme,
    APIResponseDecodeError,
    APIResponseTooLargeError,
    APITimeoutError,
    AsyncAPIClient,
    Endpoint,
    HTTPBearerScheme,
    Hooks,
    NotFoundError,
    OAuth2ClientCredentials,
    OAuth2Scheme,
    Pagination,
    PaginationLoopError,
    RateLimit,
    RateLimitError,
    RedirectError,
    ResponseLimits,
    ResponseType,
    RetryEvent,
    RetryPolicy,
    SyncAPIClient,
)
from apigen.runtime import responses as runtime_responses
from apigen.runtime.ratelimit import RateLimiter
from rt_faultserver import FaultServer, Reply
from rt_helpers import FakeClock


class Item(pydantic.BaseModel):
    id: int


class Problem(pydantic.BaseModel):
    message: str


def policy(clock: FakeClock, **kw: Any) -> RetryPolicy:
    return RetryPolicy(
        sleep=clock.sleep, async_sleep=clock.async_sleep, random=lambda a, b: b, **kw
    )


def make(kind: str, url: str, clock: FakeClock, **kw: Any) -> Any:
    kw.setdefault("retry", policy(clock))
    kw.setdefault("timeout", 5.0)
    kw.setdefault("circuit_breaker", None)
    cls = SyncAPIClient if kind == "sync" else AsyncAPIClient
    return cls(base_url=url, package="hostile", version="1", **kw)


def call(client: Any, endpoint: Endpoint, **kw: Any) -> Any:
    """Run one request on either client to completion (closing it afterwards)."""
    if isinstance(client, SyncAPIClient):
        with client:
            return client.request(endpoint, **kw)

    async def main() -> Any:
        async with client:
            return await client.request(endpoint, **kw)

    return asyncio.run(main())


def walk(client: Any, endpoint: Endpoint, into: list[Any], **kw: Any) -> None:
    """Collect every item of a paginated walk into ``into`` (kept when it raises)."""
    if isinstance(client, SyncAPIClient):
        with client:
            into.extend(client.paginate(endpoint, item_type=Item, **kw))
        return

    async def main() -> None:
        async with client:
            async for item in client.paginate(endpoint, item_type=Item, **kw):
                into.append(item)

    asyncio.run(main())


KINDS = ["sync", "async"]

# -- 10: every failure a response can cause is an APIError ----------------------------

HOSTILE_BODIES = {
    "deep nesting": b"[" * 50_000 + b"]" * 50_000,
    "5,000-digit integer": b'{"id": ' + b"7" * 5000 + b"}",
    "invalid JSON": b'{"id": 1,',
    "invalid UTF-8": b'{"id": 1, "name": "\xff\xfe"}',
    "lone surrogate escape": b'{"id": 1, "s": "\\ud800"}',
    "NUL and garbage": b"\x00\x01\x02 not json",
}
DECLARATIONS = {
    "model": {"200": ResponseType("json", Item)},
    "untyped JSON": {"200": ResponseType("json")},
    "undeclared": {},
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_hostile_body_surfaces_as_an_api_error(
    fault_server: FaultServer, clock: FakeClock, kind: str
) -> None:
    outcomes: dict[tuple[str, str, int], type[BaseException] | None] = {}
    for name, body in HOSTILE_BODIES.items():
        for status in (200, 404):
            path = f"/{abs(hash((name, status)))}"
            fault_server.route(
                path,
                lambda r, b=body, s=status: Reply(
                    s, body=b, headers={"Content-Type": "application/json"}
                ),
            )
            for decl, responses in DECLARATIONS.items():
                ep = Endpoint(
                    "GET", path, "op", responses={**responses, "404": ResponseType("json", Problem)}
                )
                try:
                    call(make(kind, fault_server.url, clock), ep)
                    outcomes[(name, decl, status)] = None
                except APIError as exc:
                    outcomes[(name, decl, status)] = type(exc)
                    if status == 404:  # the status error keeps the bytes, whatever they are
                        assert isinstance(exc, NotFoundError) and exc.raw == body
                except (
                    BaseException
                ) as exc:  # what used to escape: JSONDecodeError, RecursionError ...
                    outcomes[(name, decl, status)] = type(exc)
    untyped = {k: v for k, v in outcomes.items() if v is not None and not issubclass(v, APIError)}
    assert untyped == {}
    # a JSON body the decoder refuses is never mistaken for a value
    for name in ("deep nesting", "5,000-digit integer", "invalid JSON", "invalid UTF-8"):
        for decl in DECLARATIONS:
            assert outcomes[(name, decl, 200)] is not None, (name, decl)


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_page_surfaces_as_an_api_error(
    fault_server: FaultServer, clock: FakeClock, kind: str
) -> None:
    fault_server.route(
        "/page",
        lambda r: Reply(
            body=b'{"items": [{"id": 1}], "next": "x"' + b"]" * 3,
            headers={"Content-Type": "application/json"},
        ),
    )
    fault_server.route(
        "/deep",
        lambda r: Reply(
            body=b"[" * 10_000 + b"]" * 10_000, headers={"Content-Type": "application/json"}
        ),
    )
    spec = Pagination("cursor", items=("items",), cursor_param="c", next_cursor=("next",))
    for path in ("/page", "/deep"):
        with pytest.raises(APIResponseDecodeError):
            walk(
                make(kind, fault_server.url, clock), Endpoint("GET", path, "p", pagination=spec), []
            )


# -- 11: redirects ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308, 304])
def test_a_redirect_that_is_not_followed_is_an_error_not_a_value(
    fault_server: FaultServer, clock: FakeClock, kind: str, status: int
) -> None:
    fault_server.route(
        "/moved",
        lambda r: Reply(status, json={"message": "moved"}, headers={"Location": "/elsewhere"}),
    )
    # "default" declares the error model: it used to come back as the return value
    ep = Endpoint(
        "GET",
        "/moved",
        "m",
        responses={"200": ResponseType("json", Item), "default": ResponseType("json", Problem)},
    )
    with pytest.raises(RedirectError) as info:
        call(make(kind, fault_server.url, clock), ep)
    assert info.value.status_code == status and info.value.location == "/elsewhere"
    assert len(fault_server.requests("/elsewhere")) == 0  # the client's own httpx never follows


def credentialed(kind: str, url: str, clock: FakeClock, http: Any) -> Any:
    schemes = {
        "hdr": APIKeyScheme("header", "X-Api-Key"),
        "qry": APIKeyScheme("query", "appid"),
        "ck": APIKeyScheme("cookie", "session"),
        "bearer": HTTPBearerScheme(),
    }
    creds = {"hdr": "HDR-SECRET", "qry": "QRY-SECRET", "ck": "CK-SECRET", "bearer": "BEARER-SECRET"}
    return make(
        kind,
        url,
        clock,
        security_schemes=schemes,
        credentials=creds,
        default_security=(("hdr", "qry", "ck", "bearer"),),
        http_client=http,
    )


SECRETS = ("HDR-SECRET", "QRY-SECRET", "CK-SECRET", "BEARER-SECRET", "EXTRA-SECRET")


@pytest.mark.parametrize("kind", KINDS)
def test_a_followed_redirect_to_another_origin_carries_no_credentials(
    clock: FakeClock, kind: str
) -> None:
    api, other = FaultServer(lifetime=30), FaultServer(lifetime=30)
    api.start()
    other.start()
    try:
        # same origin first (credentials stay), then away with the query key echoed in Location
        api.route("/start", lambda r: Reply(302, headers={"Location": "/hop"}))
        api.route(
            "/hop",
            lambda r: Reply(307, headers={"Location": other.url + "/land?appid=QRY-SECRET&keep=1"}),
        )
        other.route("/land", lambda r: Reply(303, headers={"Location": api.url + "/back"}))
        api.route("/back", lambda r: Reply(json={"id": 7}))
        http: Any = (httpx.Client if kind == "sync" else httpx.AsyncClient)(
            follow_redirects=True,
            headers={"X-Extra": "EXTRA-SECRET"},
            auth=("user", "EXTRA-SECRET"),
        )
        ep = Endpoint("GET", "/start", "s", responses={"200": ResponseType("json", Item)})
        result = call(
            credentialed(kind, api.url, clock, http), ep, options=None, headers={"X-Call": "1"}
        )
        assert result == Item(id=7)
        hop = api.requests("/hop")[0]
        assert hop.headers["x-api-key"] == "HDR-SECRET" and hop.query["appid"] == ["QRY-SECRET"]
        assert "session=CK-SECRET" in hop.headers["cookie"]
        landed = other.requests("/land")[0]
        dump = repr((landed.headers, landed.query, landed.path)).upper()
        assert not any(secret in dump for secret in SECRETS), dump
        assert landed.query == {"keep": ["1"]}
        back = api.requests("/back")[0]  # back at the API: what was stripped stays stripped
        dump = repr((back.headers, back.query)).upper()
        assert not any(secret in dump for secret in SECRETS), dump
    finally:
        api.stop()
        other.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_redirect_loops_and_bad_locations_are_typed(
    fault_server: FaultServer, clock: FakeClock, kind: str
) -> None:
    fault_server.route("/loop", lambda r: Reply(302, headers={"Location": "/loop"}))
    fault_server.route("/bad", lambda r: Reply(302, headers={"Location": "http://[::1"}))
    fault_server.route("/ftp", lambda r: Reply(302, headers={"Location": "ftp://x/y"}))
    for path, error in (
        ("/loop", RedirectError),
        ("/ftp", RedirectError),
        ("/bad", APIConnectionError),
    ):  # httpx itself refuses to parse that one
        http: Any = (httpx.Client if kind == "sync" else httpx.AsyncClient)(
            follow_redirects=True, max_redirects=3
        )
        with pytest.raises(error):
            call(make(kind, fault_server.url, clock, http_client=http), Endpoint("GET", path, "l"))
    assert len(fault_server.requests("/loop")) == 4  # the first answer and three hops
    assert fault_server.requests("/ftp")[0].n == 1 and len(fault_server.requests("/ftp")) == 1


# -- 12: size cap, attempt deadline, Retry-After, pagination loops ---------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_gzip_bomb_stops_at_the_decoded_size_cap(
    fault_server: FaultServer, clock: FakeClock, kind: str
) -> None:
    bomb = gzip.compress(b"[" + b"0," * 4_000_000 + b"0]", compresslevel=9)  # 8 MB from ~10 KB
    assert len(bomb) < 100_000
    fault_server.route(
        "/bomb",
        lambda r: Reply(
            body=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
        ),
    )
    ep = Endpoint("GET", "/bomb", "b", responses={"200": ResponseType("json")})
    with pytest.raises(APIResponseTooLargeError) as info:
        call(make(kind, fault_server.url, clock, limits=ResponseLimits(max_bytes=1_000_000)), ep)
    assert info.value.limit == 1_000_000
    # the same body under the default cap (100 MiB) is read whole
    assert len(call(make(kind, fault_server.url, clock), ep)) == 4_000_001


class TickingClock:
    """A monotonic clock that moves one second every time it is read."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 1.0
        return self.t


@pytest.mark.parametrize("kind", KINDS)
def test_a_trickling_server_cannot_outlast_the_attempt_deadline(
    fault_server: FaultServer, clock: FakeClock, kind: str
) -> None:
    # each byte comes well within the read timeout, so only a deadline over the whole
    # attempt can stop it; the injected clock makes every chunk read cost one second
    fault_server.route("/drip", lambda r: Reply(json={"id": 1, "pad": "x" * 40}, trickle=0.005))
    events: list[RetryEvent] = []
    limits = ResponseLimits(attempt_deadline=10.0, clock=TickingClock())
    client = make(
        kind,
        fault_server.url,
        clock,
        limits=limits,
        max_retries=1,
        hooks=Hooks(on_retry=[events.append]),
    )
    with pytest.raises(APITimeoutError, match="AttemptDeadlineExceeded") as info:
        call(client, Endpoint("GET", "/drip", "d", responses={"200": ResponseType("json", Item)}))
    assert info.value.attempts == 2 and [e.reason for e in events] == ["AttemptDeadlineExceeded"]


def test_async_deadline_also_ends_a_wait_for_headers(
    fault_server: FaultServer, clock: FakeClock
) -> None:
    fault_server.route("/late", lambda r: Reply(json={"id": 1}, delay=3.0))
    client = make(
        "async",
        fault_server.url,
        clock,
        timeout=30.0,
        max_retries=0,
        limits=ResponseLimits(attempt_deadline=0.2),
    )
    with pytest.raises(APITimeoutError, match="AttemptDeadlineExceeded"):
        call(client, Endpoint("GET", "/late", "l"))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "value",
    [
        "-5",
        "nan",
        "inf",
        "-inf",
        "1e9",
        "99999999999",
        "1_0",
        "5s",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Mon, 99 Foo 2020 99:99:99 GMT",
    ],
)
def test_an_invalid_retry_after_falls_back_to_backoff(
    fault_server: FaultServer, clock: FakeClock, kind: str, value: str
) -> None:
    fault_server.route(
        "/ra",
        lambda r: (
            Reply(429, headers={"Retry-After": value, "retry-after-ms": value})
            if r.n <= 2
            else Reply(json={"id": 1})
        ),
    )
    got = call(
        make(kind, fault_server.url, clock),
        Endpoint("GET", "/ra", "r", responses={"200": ResponseType("json", Item)}),
    )
    assert got == Item(id=1)
    assert clock.sleeps == [0.5, 1.0]  # the backoff ceilings (random = upper bound), not 0 s


def test_a_valid_retry_after_is_still_honoured_and_a_long_one_still_refused(
    fault_server: FaultServer, clock: FakeClock
) -> None:
    fault_server.route(
        "/ok",
        lambda r: Reply(429, headers={"Retry-After": "3"}) if r.n == 1 else Reply(json={"id": 1}),
    )
    fault_server.route("/long", lambda r: Reply(429, headers={"Retry-After": "3600"}))
    assert call(make("sync", fault_server.url, clock), Endpoint("GET", "/ok", "o")) == {"id": 1}
    assert clock.sleeps == [3.0]
    with pytest.raises(RateLimitError, match="more than the 60 s limit"):
        call(make("sync", fault_server.url, clock), Endpoint("GET", "/long", "l"))


def page_routes(server: FaultServer) -> None:
    rows = [{"id": i} for i in range(6)]
    server.route("/offset", lambda r: Reply(json=rows[:2]))  # ignores offset
    server.route("/pageno", lambda r: Reply(json={"data": rows[:2]}))  # ignores page
    server.route(
        "/cursor", lambda r: Reply(json={"items": rows[int(r.q("c") or 0) :][:2], "next": "2"})
    )  # cursor leads back
    server.route(
        "/link",
        lambda r: Reply(
            json=rows[:2] if r.q("p") is None else rows[2:4],
            headers={"Link": f'<{server.url}/link?p=1>; rel="next"'},
        ),
    )


PAGINATIONS = {
    "/offset": (Pagination("offset", offset_param="offset", limit_param="limit"), {"limit": 2}, 2),
    "/pageno": (
        Pagination("page", items=("data",), page_param="page", limit_param="per"),
        {"per": 2},
        2,
    ),
    "/cursor": (
        Pagination("cursor", items=("items",), cursor_param="c", next_cursor=("next",)),
        {},
        4,
    ),
    "/link": (Pagination("link"), {}, 4),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", list(PAGINATIONS))
def test_a_paginator_never_loops_on_a_server_that_repeats(
    fault_server: FaultServer, clock: FakeClock, kind: str, path: str
) -> None:
    page_routes(fault_server)
    spec, query, items = PAGINATIONS[path]
    got: list[Any] = []
    with pytest.raises(PaginationLoopError):
        walk(
            make(kind, fault_server.url, clock),
            Endpoint("GET", path, "p", pagination=spec),
            got,
            query=query,
        )
    assert len(got) == items  # every distinct item once, no repeated page yielded
    assert len({item.id for item in got}) == items


# -- 13: the limiter under cancellation ------------------------------------------------------


def test_async_limiter_gives_back_the_slots_of_cancelled_callers(clock: FakeClock) -> None:
    waits: list[float] = []
    release = asyncio.Event()

    async def wait_forever(seconds: float) -> None:  # a limiter wait that only cancellation ends
        waits.append(seconds)
        await release.wait()

    limiter = RateLimiter(RateLimit(requests=5, per=1.0, clock=clock, async_sleep=wait_forever))

    async def main() -> None:
        await limiter.acquire_async()  # the one free token
        tasks = [asyncio.create_task(limiter.acquire_async()) for _ in range(49)]
        await asyncio.sleep(0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert len(waits) == 49 and waits[-1] == pytest.approx(49 * 0.2)
        waits.clear()
        fresh = asyncio.create_task(limiter.acquire_async())
        await asyncio.sleep(0)
        fresh.cancel()
        await asyncio.gather(fresh, return_exceptions=True)

    asyncio.run(main())
    assert waits == [pytest.approx(0.2)]  # one slot after the first call, not 9.8 s


def test_sync_limiter_gives_back_the_slot_of_an_interrupted_caller(clock: FakeClock) -> None:
    waits: list[float] = []

    def interrupted(seconds: float) -> None:
        waits.append(seconds)
        raise KeyboardInterrupt

    limiter = RateLimiter(RateLimit(requests=5, per=1.0, clock=clock, sleep=interrupted))
    limiter.acquire()
    for _ in range(20):
        with pytest.raises(KeyboardInterrupt):
            limiter.acquire()
    assert waits == [pytest.approx(0.2)] * 20  # every caller found the same single slot ahead


# -- 14: secrets in logs, short-lived tokens --------------------------------------------------


def test_httpx_own_log_line_never_shows_a_query_credential(
    fault_server: FaultServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.route("/weather", lambda r: Reply(json={"ok": True}))
    client = make(
        "sync",
        fault_server.url,
        clock,
        security_schemes={"k": APIKeyScheme("query", "appid")},
        credentials={"k": "APPID-SECRET"},
        default_security=(("k",),),
    )
    with caplog.at_level(logging.DEBUG):
        call(
            client, Endpoint("GET", "/weather", "w"), query={"q": "Paris", "token": "TOKEN-SECRET"}
        )
        call(
            make(
                "async",
                fault_server.url,
                clock,
                security_schemes={"k": APIKeyScheme("query", "appid")},
                credentials={"k": "APPID-SECRET"},
                default_security=(("k",),),
            ),
            Endpoint("GET", "/weather", "w"),
        )
    assert fault_server.requests("/weather")[0].query["appid"] == ["APPID-SECRET"]
    lines = [r.getMessage() for r in caplog.records]
    assert sum("HTTP Request:" in line for line in lines) == 2
    assert not any("SECRET" in line for line in lines), lines
    assert any("appid=REDACTED" in line and "q=Paris" in line for line in lines)


class TokenServer:
    def __init__(self, expires_in: Any) -> None:
        self.expires_in = expires_in
        self.fetches = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            self.fetches += 1
            return httpx.Response(
                200, json={"access_token": f"t{self.fetches}", "expires_in": self.expires_in}
            )
        return httpx.Response(200, json={"ok": True})


@pytest.mark.parametrize("expires_in", [10, 1, "20", 0.5])
def test_a_short_lived_token_is_reused_for_part_of_its_life(expires_in: Any) -> None:
    server = TokenServer(expires_in)
    client = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        security_schemes={"o": OAuth2Scheme(token_url="https://api.test/token")},
        credentials={"o": OAuth2ClientCredentials("id", "secret")},
        default_security=(("o",),),
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
    )
    fake = FakeClock()
    client._auth.oauth_sessions()[0].clock = fake
    for _ in range(5):
        client.request(Endpoint("GET", "/x", "x"))
    assert server.fetches == 1  # under the 30 s margin: not fetched again on every call
    fake.advance(float(expires_in))
    client.request(Endpoint("GET", "/x", "x"))
    assert server.fetches == 2  # but renewed before it runs out


@pytest.mark.parametrize("expires_in", ["nan", "inf", -5, "soon", None])
def test_an_unreadable_lifetime_keeps_the_token_until_rejected(expires_in: Any) -> None:
    server = TokenServer(expires_in)
    client = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        security_schemes={"o": OAuth2Scheme(token_url="https://api.test/token")},
        credentials={"o": OAuth2ClientCredentials("id", "secret")},
        default_security=(("o",),),
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
    )
    for _ in range(3):
        client.request(Endpoint("GET", "/x", "x"))
    assert server.fetches == 1


# -- issue 18: one retry decision, a bounded adapter cache --------------------------------------


def test_sync_and_async_make_the_same_decisions(fault_server: FaultServer) -> None:
    script = {
        1: Reply(503),
        2: Reply(429, headers={"Retry-After": "2"}),
        3: Reply(reset=True),
        4: Reply(500),
        5: Reply(json={"id": 1}),
    }
    traces: dict[str, list[tuple[str, float, int]]] = {}
    for kind in KINDS:
        path = f"/script-{kind}"
        fault_server.route(path, lambda r: script[r.n])
        clock = FakeClock()
        events: list[RetryEvent] = []
        client = make(
            kind, fault_server.url, clock, max_retries=4, hooks=Hooks(on_retry=[events.append])
        )
        assert call(client, Endpoint("GET", path, "s")) == {"id": 1}
        # a reset surfaces as ReadError or RemoteProtocolError, depending on timing
        traces[kind] = [
            (e.reason if e.status_code else "transport", e.delay, e.attempt) for e in events
        ]
    assert traces["sync"] == traces["async"]
    assert traces["sync"] == [
        ("503", 0.5, 1),
        ("429", 2.0, 2),
        ("transport", 2.0, 3),
        ("500", 4.0, 4),
    ]


def test_the_type_adapter_cache_is_bounded_and_keeps_what_is_used() -> None:
    cache = runtime_responses._ADAPTERS
    size = runtime_responses.ADAPTER_CACHE_SIZE
    kept = typing.Literal["kept-while-used"]
    runtime_responses.adapter(kept)
    for i in range(size * 2):
        runtime_responses.adapter(typing.Literal[f"v{i}"])
        if i % 100 == 0:
            runtime_responses.adapter(kept)  # recently used: survives
    assert len(cache) <= size
    assert kept in cache and typing.Literal["v0"] not in cache


class HeaderTrickler:
    """A raw loopback server that answers with a status line one byte at a time, each well
    within the read timeout, for at most ``lifetime`` seconds (a bounded test on failure).

    The first ``answered`` requests on the connection get a plain keep-alive answer, so
    the trickle can come on a connection the client reuses.
    """

    def __init__(self, lifetime: float = 6.0, answered: int = 0) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.lifetime = lifetime
        self.answered = answered
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        end = time.monotonic() + self.lifetime
        self.sock.settimeout(self.lifetime)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.connections += 1
        with conn:
            try:
                for _ in range(self.answered):
                    conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b'Content-Length: 9\r\n\r\n{"id": 1}'
                    )
                conn.recv(65536)
                status = b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 10_000
                for byte in status:
                    if time.monotonic() > end:
                        break
                    conn.sendall(bytes([byte]))
                    time.sleep(0.02)
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()


def test_a_sync_attempt_ends_at_its_deadline_while_headers_trickle(clock: FakeClock) -> None:
    server = HeaderTrickler()
    try:
        client = make(
            "sync",
            server.url,
            clock,
            timeout=5.0,
            max_retries=0,
            limits=ResponseLimits(attempt_deadline=0.5),
        )
        with pytest.raises(APITimeoutError, match="AttemptDeadlineExceeded"):
            call(client, Endpoint("GET", "/x", "x"))
    finally:
        server.close()


def test_the_deadline_holds_on_a_kept_alive_connection_too(clock: FakeClock) -> None:
    # the second call reuses the first one's connection (no connect to see): its
    # attempt still ends at its deadline while the status line trickles
    server = HeaderTrickler(answered=1)
    try:
        client = make(
            "sync",
            server.url,
            clock,
            timeout=5.0,
            max_retries=0,
            limits=ResponseLimits(attempt_deadline=0.5),
        )
        with client:
            assert client.request(Endpoint("GET", "/x", "x")) == {"id": 1}
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match="AttemptDeadlineExceeded"):
                client.request(Endpoint("GET", "/x", "x"))
        assert server.connections == 1
        assert time.monotonic() - started < 4.0  # well before the server's lifetime
    finally:
        server.close()


def test_a_sync_call_runs_no_thread_of_its_own(fault_server: FaultServer, clock: FakeClock) -> None:
    # a stray thread would keep apigen (and users' programs) from forking safely; the
    # deadline is kept without one, also while the call waits for the server
    before = set(threading.enumerate())
    during: list[set[threading.Thread]] = []

    def answer(r: Any) -> Reply:
        during.append(set(threading.enumerate()) - before - {threading.current_thread()})
        return Reply(json={"id": 1})

    fault_server.route("/ok", answer)
    assert call(make("sync", fault_server.url, clock), Endpoint("GET", "/ok", "o")) == {"id": 1}
    assert during == [set()]


def test_a_sync_upload_to_a_server_that_stops_reading_ends_at_the_deadline(
    clock: FakeClock,
) -> None:
    # the server takes the connection and reads nothing: each write waits for room, up
    # to the write timeout (5 s) each, unless the attempt's end cuts it short
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        client = make(
            "sync",
            url,
            clock,
            timeout=5.0,
            max_retries=0,
            limits=ResponseLimits(attempt_deadline=0.5),
        )
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="AttemptDeadlineExceeded"):
            call(
                client, Endpoint("POST", "/upload", "u", body_kind="binary"), body=b"x" * 64_000_000
            )
        assert time.monotonic() - started < 4.0
    finally:
        listener.close()


@pytest.mark.parametrize("kind", KINDS)
def test_loading_an_operations_models_does_not_count_against_its_attempt_deadline(
    fault_server: FaultServer, clock: FakeClock, kind: str
) -> None:
    # the first call of an operation imports its models (the responses table is loaded
    # on first use); that can take long on a big client, and it is not the server's time
    fault_server.route("/ok", lambda r: Reply(json={"id": 1}))

    def responses() -> dict[str, ResponseType]:
        clock.advance(100.0)  # the import, as the attempt's clock sees it
        return {"200": ResponseType("json", Item)}

    client = make(
        kind,
        fault_server.url,
        clock,
        max_retries=0,
        limits=ResponseLimits(attempt_deadline=10.0, clock=clock),
    )
    assert call(client, Endpoint("GET", "/ok", "o", responses=responses)) == Item(id=1)
