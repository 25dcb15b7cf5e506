"""Per-call work guard: after the first call of an operation, a call through the whole
runtime (auth, retry loop, limiter, breaker, hooks) builds no TypeAdapter, formats no
log record at the default level, and returns what raw httpx + a TypeAdapter returns.

Speed itself is measured side by side by bench/call_overhead.py (target <= 1.1x), never
by a timed unit test: the work counted here is what regressions of the per-call cost
were made of (an adapter rebuilt per call, log lines formatted per call).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pydantic

from apigen.runtime import (
    APIKeyScheme,
    CircuitBreaker,
    Endpoint,
    Hooks,
    RateLimit,
    ResponseType,
    SyncAPIClient,
)


class Pet(pydantic.BaseModel):
    id: int
    name: str
    tag: str | None = None


BODY = json.dumps([{"id": i, "name": f"pet{i}", "tag": "x"} for i in range(20)]).encode()


def handler(req: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


def test_a_repeated_call_builds_no_adapter_and_formats_no_log_record(monkeypatch: Any) -> None:
    ep = Endpoint("GET", "/pets/{id}", "get", responses={"200": ResponseType("json", list[Pet])})
    client = SyncAPIClient(
        base_url="https://api.test/v1",
        package="bench",
        version="1",
        security_schemes={"k": APIKeyScheme("header", "X-API-Key")},
        credentials={"k": "k"},
        default_security=(("k",),),
        rate_limit=RateLimit(requests=1e9),
        circuit_breaker=CircuitBreaker(),
        hooks=Hooks(on_request=[lambda r: None], on_response=[lambda r: None]),
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    expected = pydantic.TypeAdapter(list[Pet]).validate_json(BODY)
    assert client.request(ep, path={"id": 1}, query={"limit": 10}) == expected  # warm

    adapters: list[Any] = []
    original_init = pydantic.TypeAdapter.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        adapters.append(args[0] if args else kwargs.get("type"))
        original_init(self, *args, **kwargs)

    records: list[logging.LogRecord] = []
    original_make = logging.Logger.makeRecord

    def counting_make(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = original_make(self, *args, **kwargs)
        records.append(record)
        return record

    monkeypatch.setattr(pydantic.TypeAdapter, "__init__", counting_init)
    monkeypatch.setattr(logging.Logger, "makeRecord", counting_make)
    for _ in range(20):
        assert client.request(ep, path={"id": 1}, query={"limit": 10}) == expected
    assert adapters == []
    assert [r.getMessage() for r in records if r.levelno < logging.WARNING] == []


def test_the_counter_sees_debug_records_when_debug_is_on(monkeypatch: Any) -> None:
    """The guard above can fail: with DEBUG on, the same calls do make records."""
    ep = Endpoint("GET", "/pets/{id}", "get", responses={"200": ResponseType("json", list[Pet])})
    client = SyncAPIClient(
        base_url="https://api.test/v1",
        package="bench2",
        version="1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    logger = logging.getLogger("bench2")
    monkeypatch.setattr(logger, "level", logging.DEBUG)
    records: list[logging.LogRecord] = []
    original_make = logging.Logger.makeRecord

    def counting_make(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = original_make(self, *args, **kwargs)
        records.append(record)
        return record

    monkeypatch.setattr(logging.Logger, "makeRecord", counting_make)
    client.request(ep, path={"id": 1})
    assert any(r.levelno == logging.DEBUG and r.name.startswith("bench2") for r in records)


def _cookie_server(req: httpx.Request) -> httpx.Response:
    """Sets a session cookie on /login, echoes the Cookie header it got elsewhere."""
    headers = {"content-type": "application/json"}
    if req.url.path == "/v1/login":
        headers["set-cookie"] = "session=s1; Path=/"
    return httpx.Response(200, json={"cookie": req.headers.get("cookie")}, headers=headers)


def _count_jar_passes(monkeypatch: Any) -> list[str]:
    import http.cookiejar

    passes: list[str] = []
    real = http.cookiejar.CookieJar.extract_cookies

    def counted(jar: Any, response: Any, request: Any) -> None:
        passes.append(request.get_full_url())
        real(jar, response, request)

    monkeypatch.setattr(http.cookiejar.CookieJar, "extract_cookies", counted)
    return passes


CALL = Endpoint("GET", "/{name}", "call", responses={"200": ResponseType("json", dict)})


def test_the_cookie_jar_reads_only_responses_that_set_a_cookie(monkeypatch: Any) -> None:
    """httpx runs http.cookiejar over every response (~9 % of a call's CPU on a 24 KB JSON
    answer); the pool's cookies are the same with the jar skipped where no cookie is set."""
    passes = _count_jar_passes(monkeypatch)
    given = httpx.Client(transport=httpx.MockTransport(_cookie_server))
    jar = given.cookies.jar
    client = SyncAPIClient(
        base_url="https://api.test/v1", package="t", version="1", http_client=given
    )
    assert client.request(CALL, path={"name": "a"}) == {"cookie": None}
    assert passes == []  # no Set-Cookie: the jar is not consulted
    client.request(CALL, path={"name": "login"})
    assert passes == ["https://api.test/v1/login"]
    assert client.request(CALL, path={"name": "b"}) == {"cookie": "session=s1"}
    assert given.cookies.jar is jar and given.cookies["session"] == "s1"  # the caller's jar
    assert len(passes) == 1


def test_the_async_pool_skips_the_jar_the_same_way(monkeypatch: Any) -> None:
    import asyncio

    from apigen.runtime import AsyncAPIClient

    passes = _count_jar_passes(monkeypatch)

    async def main() -> None:
        given = httpx.AsyncClient(transport=httpx.MockTransport(_cookie_server))
        client = AsyncAPIClient(
            base_url="https://api.test/v1", package="t", version="1", http_client=given
        )
        await client.request(CALL, path={"name": "a"})
        assert passes == []
        await client.request(CALL, path={"name": "login"})
        assert await client.request(CALL, path={"name": "b"}) == {"cookie": "session=s1"}
        assert passes == ["https://api.test/v1/login"]
        await given.aclose()

    asyncio.run(main())


def test_a_cookie_store_the_caller_subclassed_is_left_alone() -> None:
    class Mine(httpx.Cookies):
        pass

    given = httpx.Client(transport=httpx.MockTransport(_cookie_server))
    mine = Mine()
    given._cookies = mine  # what a caller who customised the store has
    SyncAPIClient(base_url="https://api.test/v1", package="t", version="1", http_client=given)
    assert given.cookies is mine


def test_request_options_of_a_call_that_gives_none_are_none() -> None:
    from apigen.runtime import RequestOptions

    assert RequestOptions.given() is None
    assert RequestOptions.given(None, None, None, None, None, None) is None
    given = RequestOptions.given(timeout=3.0, idempotency_key="k", strict_responses=False)
    assert given == RequestOptions(timeout=3.0, idempotency_key="k", strict_responses=False)
    assert RequestOptions.given(max_retries=0) == RequestOptions(max_retries=0)
