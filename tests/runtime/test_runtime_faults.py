"""Fault injection against a real loopback server: retries, no duplicate POSTs, breaker,
limiter under concurrency, pagination and OAuth2 refresh under concurrency. Sync and async.

Backoff sleeps use a fake clock (nothing sleeps to prove a backoff); the limiter test
uses a small real rate and measures the server-side request timestamps.
"""

from __future__ import annotations

import asyncio
import math
import threading
from typing import Any

import httpx
import pydantic
import pytest

from apigen.runtime import (
    APIConnectionError,
    APITimeoutError,
    AsyncAPIClient,
    CircuitBreaker,
    CircuitOpenError,
    Endpoint,
    Hooks,
    InternalServerError,
    OAuth2ClientCredentials,
    OAuth2Scheme,
    Pagination,
    RateLimit,
    RequestOptions,
    ResponseLimits,
    ResponseType,
    RetryEvent,
    RetryPolicy,
    SyncAPIClient,
)
from rt_helpers import FakeClock
from rt_faultserver import FaultServer, Reply, Req, closed_port


def ep(method: str, path: str, **kw: Any) -> Endpoint:
    return Endpoint(
        method,
        path,
        path.strip("/"),
        responses={"200": ResponseType("json")},
        body_kind="json" if method in ("POST", "PATCH", "PUT") else None,
        **kw,
    )


def install_faults(server: FaultServer) -> None:
    server.route("/ok", lambda r: Reply(json={"ok": True}))
    server.route(
        "/flaky", lambda r: Reply(503, json={"n": r.n}) if r.n <= 2 else Reply(json={"n": r.n})
    )
    server.route("/always500", lambda r: Reply(500, json={"error": "boom"}))
    server.route(
        "/ra429",
        lambda r: Reply(429, headers={"Retry-After": "1"}) if r.n == 1 else Reply(json={"n": r.n}),
    )
    server.route(
        "/ra503",
        lambda r: Reply(503, headers={"Retry-After": "2"}) if r.n == 1 else Reply(json={"n": r.n}),
    )
    server.route("/reset", lambda r: Reply(reset=True) if r.n == 1 else Reply(json={"n": r.n}))
    server.route("/reset-always", lambda r: Reply(reset=True))
    server.route("/slow", lambda r: Reply(json={"late": True}, delay=0.4))


def policy(clock: FakeClock) -> RetryPolicy:
    return RetryPolicy(sleep=clock.sleep, async_sleep=clock.async_sleep, random=lambda a, b: b)


def sync_client(server: FaultServer, clock: FakeClock, **kw: Any) -> SyncAPIClient:
    kw.setdefault("retry", policy(clock))
    kw.setdefault("timeout", 2.0)
    kw.setdefault("circuit_breaker", None)
    return SyncAPIClient(
        base_url=kw.pop("base_url", server.url), package="faults", version="1", **kw
    )


def async_client(server: FaultServer, clock: FakeClock, **kw: Any) -> AsyncAPIClient:
    kw.setdefault("retry", policy(clock))
    kw.setdefault("timeout", 2.0)
    kw.setdefault("circuit_breaker", None)
    return AsyncAPIClient(
        base_url=kw.pop("base_url", server.url), package="faults", version="1", **kw
    )


# -- retries ----------------------------------------------------------------------------


def test_sync_retries_against_faults(fault_server: FaultServer, clock: FakeClock) -> None:
    install_faults(fault_server)
    s = fault_server
    with sync_client(s, clock) as c:
        assert c.request(ep("GET", "/flaky")) == {"n": 3}
        assert len(s.requests("/flaky")) == 3 and clock.sleeps == [0.5, 1.0]

        with pytest.raises(InternalServerError, match="after 3 attempts"):
            c.request(ep("GET", "/always500"))
        assert len(s.requests("/always500")) == 3

        # POST that the server may have acted on: exactly one request
        with pytest.raises(InternalServerError, match="after 1 attempt"):
            c.request(ep("POST", "/always500"), body={"x": 1})
        assert [r.method for r in s.requests("/always500")].count("POST") == 1

        # POST with a connection reset after the server read it: not repeated
        with pytest.raises(APIConnectionError):
            c.request(ep("POST", "/reset-always"), body={"x": 1})
        assert len(s.requests("/reset-always")) == 1

        # GET over a reset connection: retried
        assert c.request(ep("GET", "/reset")) == {"n": 2}
        assert len(s.requests("/reset")) == 2

        # POST on 429 / 503 with Retry-After: retried after the announced wait
        clock.sleeps.clear()
        assert c.request(ep("POST", "/ra429"), body={}) == {"n": 2}
        assert c.request(ep("POST", "/ra503"), body={}) == {"n": 2}
        assert clock.sleeps == [1.0, 2.0]

        # POST with an idempotency key: retried on 500, same key each time
        with pytest.raises(InternalServerError, match="after 3 attempts"):
            c.request(
                ep("POST", "/always500"), body={}, options=RequestOptions(idempotency_key="idem-1")
            )
        keyed = [r for r in s.requests("/always500") if r.headers.get("idempotency-key")]
        assert [r.headers["idempotency-key"] for r in keyed] == ["idem-1"] * 3


def test_sync_timeouts_and_refused_connections(fault_server: FaultServer, clock: FakeClock) -> None:
    """A server that does not answer while the client waits: each attempt ends in the read
    timeout, whatever the load (the attempt deadline, which would race the read timeout
    on a busy machine, is off here; tests/runtime/test_runtime_hostile_server.py has it)."""
    install_faults(fault_server)
    answer = threading.Event()  # the hanging server answers only after the client gave up
    fault_server.route(
        "/hang", lambda r: Reply(json={"late": True}) if answer.wait(10) else Reply()
    )
    events: list[RetryEvent] = []
    try:
        with sync_client(
            fault_server,
            clock,
            timeout=0.1,
            limits=ResponseLimits(attempt_deadline=math.inf),
            hooks=Hooks(on_retry=[events.append]),
        ) as c:
            with pytest.raises(APITimeoutError, match="after 2 attempts") as timed_out:
                c.request(ep("GET", "/hang"), options=RequestOptions(max_retries=1))
            assert type(timed_out.value.__cause__) is httpx.ReadTimeout
            assert len(fault_server.requests("/hang")) == 2
    finally:
        answer.set()
    refused = sync_client(
        fault_server,
        clock,
        base_url=f"http://127.0.0.1:{closed_port()}",
        hooks=Hooks(on_retry=[events.append]),
    )
    with pytest.raises(APIConnectionError, match="after 3 attempts") as info:
        refused.request(
            ep("POST", "/ok"), body={}
        )  # refused: nothing can have happened, so POST is retried
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert [e.reason for e in events] == ["ReadTimeout", "ConnectError", "ConnectError"]


def test_async_retries_against_faults(fault_server: FaultServer, clock: FakeClock) -> None:
    install_faults(fault_server)
    s = fault_server

    async def main() -> None:
        async with async_client(s, clock) as c:
            assert await c.request(ep("GET", "/flaky")) == {"n": 3}
            with pytest.raises(InternalServerError, match="after 3 attempts"):
                await c.request(ep("GET", "/always500"))
            with pytest.raises(InternalServerError, match="after 1 attempt"):
                await c.request(ep("POST", "/always500"), body={})
            with pytest.raises(APIConnectionError):
                await c.request(ep("POST", "/reset-always"), body={})
            assert await c.request(ep("GET", "/reset")) == {"n": 2}
            assert await c.request(ep("POST", "/ra429"), body={}) == {"n": 2}
        async with async_client(s, clock, timeout=0.1) as c:
            with pytest.raises(APITimeoutError):
                await c.request(ep("GET", "/slow"), options=RequestOptions(max_retries=1))

    asyncio.run(main())
    assert len(s.requests("/flaky")) == 3
    assert [r.method for r in s.requests("/always500")] == ["GET"] * 3 + ["POST"]
    assert len(s.requests("/reset-always")) == 1 and len(s.requests("/reset")) == 2
    assert len(s.requests("/ra429")) == 2 and len(s.requests("/slow")) == 2
    assert clock.sleeps == [0.5, 1.0, 0.5, 1.0, 0.5, 1.0, 0.5]


# -- circuit breaker --------------------------------------------------------------------


def _breaker_route(server: FaultServer) -> dict[str, bool]:
    state = {"down": True}
    server.route(
        "/svc", lambda r: Reply(500, json={}) if state["down"] else Reply(json={"up": True})
    )
    return state


def test_sync_breaker_open_half_open_closed(fault_server: FaultServer, clock: FakeClock) -> None:
    state = _breaker_route(fault_server)
    changes: list[tuple[str, str]] = []
    c = sync_client(
        fault_server,
        clock,
        max_retries=0,
        circuit_breaker=CircuitBreaker(failure_threshold=3, recovery_time=30, clock=clock),
        hooks=Hooks(on_breaker=[lambda o, n: changes.append((o, n))]),
    )
    for _ in range(3):
        with pytest.raises(InternalServerError):
            c.request(ep("GET", "/svc"))
    assert c.breaker_state == "open"
    with pytest.raises(CircuitOpenError, match="next probe in 30.0 s"):
        c.request(ep("GET", "/svc"))
    assert len(fault_server.requests("/svc")) == 3  # failed fast
    clock.advance(30)
    with pytest.raises(InternalServerError):  # probe fails: open again
        c.request(ep("GET", "/svc"))
    assert c.breaker_state == "open"
    with pytest.raises(CircuitOpenError):
        c.request(ep("GET", "/svc"))
    state["down"] = False
    clock.advance(30)
    assert c.request(ep("GET", "/svc")) == {"up": True}
    assert c.breaker_state == "closed"
    assert len(fault_server.requests("/svc")) == 5
    assert changes == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]
    c.close()


def test_breaker_lets_exactly_one_probe_through_under_concurrency(
    fault_server: FaultServer, clock: FakeClock
) -> None:
    fault_server.route(
        "/probe", lambda r: Reply(500, json={}) if r.n <= 2 else Reply(json={}, delay=0.3)
    )
    c = sync_client(
        fault_server,
        clock,
        max_retries=0,
        circuit_breaker=CircuitBreaker(failure_threshold=2, recovery_time=10, clock=clock),
    )
    for _ in range(2):
        with pytest.raises(InternalServerError):
            c.request(ep("GET", "/probe"))
    clock.advance(10)
    results: list[str] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        try:
            c.request(ep("GET", "/probe"))
            results.append("ok")
        except CircuitOpenError:
            results.append("open")

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == ["ok"] + ["open"] * 5
    assert len(fault_server.requests("/probe")) == 3 and c.breaker_state == "closed"


def test_async_breaker_transitions(fault_server: FaultServer, clock: FakeClock) -> None:
    state = _breaker_route(fault_server)
    changes: list[tuple[str, str]] = []

    async def main() -> None:
        async with async_client(
            fault_server,
            clock,
            max_retries=0,
            circuit_breaker=CircuitBreaker(failure_threshold=3, recovery_time=5, clock=clock),
            hooks=Hooks(on_breaker=[lambda o, n: changes.append((o, n))]),
        ) as c:
            results = await asyncio.gather(
                *(c.request(ep("GET", "/svc")) for _ in range(3)), return_exceptions=True
            )
            assert all(isinstance(r, InternalServerError) for r in results)
            with pytest.raises(CircuitOpenError):
                await c.request(ep("GET", "/svc"))
            clock.advance(5)
            with pytest.raises(InternalServerError):
                await c.request(ep("GET", "/svc"))
            state["down"] = False
            clock.advance(5)
            assert await c.request(ep("GET", "/svc")) == {"up": True}

    asyncio.run(main())
    assert len(fault_server.requests("/svc")) == 5
    assert changes == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


# -- rate limiter under concurrency (real time, ~2 s each) ------------------------------

RATE = 20.0
TOTAL = 40


class Schedule:
    """A frozen clock whose sleeps only record each caller's wait (threads and tasks).

    The limiter reserves a slot under its lock and sleeps outside it, so the waits it
    hands out are the schedule it imposes: with the clock frozen, the k-th reservation
    must wait exactly k / rate, whatever the load on the machine.
    """

    def __init__(self) -> None:
        self.t = 1_000.0
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def rate_limit(self) -> RateLimit:
        return RateLimit(
            requests=RATE,
            per=1.0,
            clock=self.clock,
            wall_clock=self.clock,
            sleep=self.sleep,
            async_sleep=self.async_sleep,
        )


def _assert_evenly_spaced(schedule: Schedule, server: FaultServer) -> None:
    assert len(server.requests("/limited")) == TOTAL
    # the first token is in the bucket; every later caller gets its own slot, 1/RATE apart
    assert sorted(schedule.waits) == pytest.approx([k / RATE for k in range(1, TOTAL)])


def test_limiter_holds_rate_across_8_threads(fault_server: FaultServer, clock: FakeClock) -> None:
    fault_server.route("/limited", lambda r: Reply(json={}))
    schedule = Schedule()
    c = sync_client(fault_server, clock, rate_limit=schedule.rate_limit())
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(TOTAL // 8):
            c.request(ep("GET", "/limited"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    _assert_evenly_spaced(schedule, fault_server)
    c.close()


def test_limiter_holds_rate_across_8_tasks(fault_server: FaultServer, clock: FakeClock) -> None:
    fault_server.route("/limited", lambda r: Reply(json={}))
    schedule = Schedule()

    async def main() -> None:
        async with async_client(fault_server, clock, rate_limit=schedule.rate_limit()) as c:

            async def worker() -> None:
                for _ in range(TOTAL // 8):
                    await c.request(ep("GET", "/limited"))

            await asyncio.gather(*(worker() for _ in range(8)))

    asyncio.run(main())
    _assert_evenly_spaced(schedule, fault_server)


# -- pagination over the wire -----------------------------------------------------------

ITEMS = [{"id": i} for i in range(1, 11)]  # 10 items, pages of 4


class Row(pydantic.BaseModel):
    id: int


def install_pages(server: FaultServer) -> None:
    size = 4

    def stripe(r: Req) -> Reply:
        after = r.q("starting_after")
        start = 0 if after is None else int(after)
        return Reply(
            json={"data": ITEMS[start : start + size], "has_more": start + size < len(ITEMS)}
        )

    def offset(r: Req) -> Reply:
        start = int(r.q("offset", "0") or 0)
        return Reply(json={"items": ITEMS[start : start + size]})

    def page(r: Req) -> Reply:
        n = int(r.q("page", "1") or 1)
        return Reply(json=ITEMS[(n - 1) * size : n * size])

    def link(r: Req) -> Reply:
        n = int(r.q("page", "1") or 1)
        headers = (
            {"Link": f'<{server.url}/link?page={n + 1}>; rel="next"'}
            if n * size < len(ITEMS)
            else {}
        )
        return Reply(json=ITEMS[(n - 1) * size : n * size], headers=headers)

    def twilio(r: Req) -> Reply:
        n = int(r.q("Page", "0") or 0)
        nxt = f"/twilio?Page={n + 1}" if (n + 1) * size < len(ITEMS) else None
        return Reply(json={"messages": ITEMS[n * size : (n + 1) * size], "next_page_uri": nxt})

    def google(r: Req) -> Reply:
        start = int(r.q("pageToken", "0") or 0)
        body: dict[str, Any] = {"items": ITEMS[start : start + size]}
        if start + size < len(ITEMS):
            body["nextPageToken"] = str(start + size)
        return Reply(json=body)

    for name, fn in {
        "stripe": stripe,
        "offset": offset,
        "page": page,
        "link": link,
        "twilio": twilio,
        "google": google,
    }.items():
        server.route("/" + name, fn)


PAGED = {
    "stripe": (
        Pagination(
            "cursor",
            items=("data",),
            cursor_param="starting_after",
            cursor_from_last_item="id",
            has_more=("has_more",),
        ),
        3,
    ),
    "offset": (
        Pagination("offset", items=("items",), offset_param="offset", limit_param="limit"),
        3,
    ),
    "page": (Pagination("page", page_param="page"), 4),
    "link": (Pagination("link"), 3),
    "twilio": (Pagination("next_url", items=("messages",), next_url=("next_page_uri",)), 3),
    "google": (
        Pagination(
            "cursor", items=("items",), cursor_param="pageToken", next_cursor=("nextPageToken",)
        ),
        3,
    ),
}


@pytest.mark.parametrize("style", list(PAGED))
def test_pagination_over_the_wire_sync_and_async(
    fault_server: FaultServer, clock: FakeClock, style: str
) -> None:
    install_pages(fault_server)
    spec, pages = PAGED[style]
    endpoint = ep("GET", "/" + style, pagination=spec)
    query = {"limit": 4} if style == "offset" else None
    with sync_client(fault_server, clock) as c:
        assert [r.id for r in c.paginate(endpoint, item_type=Row, query=query)] == list(
            range(1, 11)
        )
    assert len(fault_server.requests("/" + style)) == pages

    async def main() -> list[int]:
        async with async_client(fault_server, clock) as ac:
            return [r.id async for r in ac.paginate(endpoint, item_type=Row, query=query)]

    assert asyncio.run(main()) == list(range(1, 11))
    assert len(fault_server.requests("/" + style)) == 2 * pages


# -- OAuth2 under concurrency -----------------------------------------------------------


def install_oauth(server: FaultServer) -> dict[str, Any]:
    state: dict[str, Any] = {"valid": None, "issued": 0}
    lock = threading.Lock()

    def token(r: Req) -> Reply:
        with lock:
            state["issued"] += 1
            n = state["issued"]
        return Reply(json={"access_token": f"tok-{n}", "expires_in": 3600}, delay=0.2)

    def secure(r: Req) -> Reply:
        auth = r.headers.get("authorization", "")
        valid = state["valid"]
        if not auth.startswith("Bearer ") or (valid is not None and auth[7:] != valid):
            return Reply(401, json={"error": "invalid_token"})
        return Reply(json={"auth": auth})

    server.route("/token", token)
    server.route("/secure", secure)
    return state


def oauth_kwargs() -> dict[str, Any]:
    return dict(
        security_schemes={"oauth": OAuth2Scheme(token_url="/token", flows=("clientCredentials",))},
        credentials={"oauth": OAuth2ClientCredentials("cid", "csecret")},
        default_security=(("oauth",),),
    )


def test_oauth_single_token_request_across_8_threads(
    fault_server: FaultServer, clock: FakeClock
) -> None:
    state = install_oauth(fault_server)
    c = sync_client(fault_server, clock, **oauth_kwargs())
    barrier = threading.Barrier(8)
    out: list[Any] = []

    def worker() -> None:
        barrier.wait()
        out.append(c.request(ep("GET", "/secure")))

    def run_all() -> None:
        out.clear()
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)

    run_all()
    assert out == [{"auth": "Bearer tok-1"}] * 8
    assert len(fault_server.requests("/token")) == 1
    state["valid"] = "tok-2"  # server revokes tok-1: all 8 get a 401, exactly one refresh happens
    run_all()
    assert out == [{"auth": "Bearer tok-2"}] * 8
    assert len(fault_server.requests("/token")) == 2
    c.close()


def test_oauth_single_token_request_across_8_tasks(
    fault_server: FaultServer, clock: FakeClock
) -> None:
    state = install_oauth(fault_server)

    async def main() -> None:
        async with async_client(fault_server, clock, **oauth_kwargs()) as c:
            out = await asyncio.gather(*(c.request(ep("GET", "/secure")) for _ in range(8)))
            assert out == [{"auth": "Bearer tok-1"}] * 8
            state["valid"] = "tok-2"
            out = await asyncio.gather(*(c.request(ep("GET", "/secure")) for _ in range(8)))
            assert out == [{"auth": "Bearer tok-2"}] * 8

    asyncio.run(main())
    assert len(fault_server.requests("/token")) == 2


def test_server_quota_headers_pause_the_client(fault_server: FaultServer, clock: FakeClock) -> None:
    """X-RateLimit-Remaining: 0 with a 0.3 s reset: the next request waits for it."""
    fault_server.route(
        "/quota",
        lambda r: (
            Reply(json={}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.3"})
            if r.n % 2
            else Reply(json={}, headers={"RateLimit": "limit=5, remaining=0, reset=0.3"})
        ),
    )

    def quota_only() -> RateLimit:  # no bucket: only what the server announces
        return RateLimit(
            requests=None,
            clock=clock,
            wall_clock=clock,
            sleep=clock.sleep,
            async_sleep=clock.async_sleep,
        )

    with sync_client(fault_server, clock, rate_limit=quota_only()) as c:
        c.request(ep("GET", "/quota"))
        assert clock.sleeps == []
        c.request(ep("GET", "/quota"))
        assert clock.sleeps == pytest.approx([0.3])

    async def main() -> None:
        async with async_client(fault_server, clock, rate_limit=quota_only()) as ac:
            await ac.request(ep("GET", "/quota"))

    asyncio.run(main())
    assert clock.sleeps == pytest.approx([0.3])  # a new client has its own limiter state
    assert len(fault_server.requests("/quota")) == 3
