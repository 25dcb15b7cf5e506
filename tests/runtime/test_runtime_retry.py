"""Retry decisions and backoff, with a mock transport and a fake clock (no real sleeping)."""

from __future__ import annotations

import asyncio
import email.utils
from typing import Any, Callable

import httpx
import pytest

from apigen.runtime import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncAPIClient,
    BadRequestError,
    Endpoint,
    Hooks,
    InternalServerError,
    RateLimitError,
    RequestOptions,
    ResponseType,
    RetryEvent,
    RetryPolicy,
    SyncAPIClient,
)
from apigen.runtime.options import RetryPolicy as _RP
from apigen.runtime.retry import backoff, retry_after_seconds
from rt_helpers import FakeClock, mock_ahttp, mock_http

GET = Endpoint("GET", "/r", "get_r", responses={"200": ResponseType("json")})
POST = Endpoint("POST", "/r", "post_r", responses={"200": ResponseType("json")}, body_kind="json")
PATCH = Endpoint(
    "PATCH", "/r", "patch_r", responses={"200": ResponseType("json")}, body_kind="json"
)


def scripted(
    *outcomes: Any,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    """A handler answering each request with the next outcome (a Response or an exception)."""
    seen: list[httpx.Request] = []
    queue = list(outcomes)

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, int):
            return httpx.Response(item, json={"status": item})
        assert isinstance(item, httpx.Response)
        return item

    return handler, seen


def client(handler: Any, clock: FakeClock, **kw: Any) -> SyncAPIClient:
    policy = RetryPolicy(
        sleep=clock.sleep, async_sleep=clock.async_sleep, clock=clock, random=lambda a, b: b
    )
    kw.setdefault("circuit_breaker", None)
    return SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        retry=policy,
        http_client=mock_http(handler),
        **kw,
    )


def test_backoff_is_full_jitter_capped() -> None:
    calls: list[tuple[float, float]] = []
    policy = _RP(random=lambda a, b: calls.append((a, b)) or b)
    assert [backoff(policy, n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert calls[0] == (0.0, 0.5)
    real = _RP()
    assert all(0.0 <= backoff(real, 3) <= 4.0 for _ in range(100))


def test_retry_after_parsing() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds(httpx.Headers({"retry-after": "3"}), now) == 3.0
    assert (
        retry_after_seconds(httpx.Headers({"retry-after-ms": "250", "retry-after": "9"}), now)
        == 0.25
    )
    date = email.utils.formatdate(now + 12, usegmt=True)
    assert retry_after_seconds(httpx.Headers({"retry-after": date}), now) == pytest.approx(12.0)
    assert retry_after_seconds(httpx.Headers({"retry-after": "garbage"}), now) is None
    assert retry_after_seconds(httpx.Headers({}), now) is None


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_get_retries_retryable_statuses_with_backoff(status: int, clock: FakeClock) -> None:
    handler, seen = scripted(status, status, 200)
    assert client(handler, clock).request(GET) == {"status": 200}
    assert len(seen) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_get_gives_up_after_max_retries_and_says_attempts(clock: FakeClock) -> None:
    handler, seen = scripted(500)
    with pytest.raises(InternalServerError) as info:
        client(handler, clock, max_retries=3).request(GET)
    assert len(seen) == 4 and info.value.attempts == 4
    assert "after 4 attempts" in str(info.value)
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_non_retryable_status_is_not_retried(clock: FakeClock) -> None:
    handler, seen = scripted(400)
    with pytest.raises(BadRequestError):
        client(handler, clock).request(GET)
    assert len(seen) == 1 and clock.sleeps == []


@pytest.mark.parametrize("ep", [POST, PATCH])
@pytest.mark.parametrize("status", [500, 502, 504, 408])
def test_post_patch_not_retried_when_server_may_have_acted(
    ep: Endpoint, status: int, clock: FakeClock
) -> None:
    handler, seen = scripted(status, 200)
    with pytest.raises(APIStatusError) as info:
        client(handler, clock).request(ep, body={"a": 1})
    assert len(seen) == 1 and info.value.status_code == status and info.value.attempts == 1


def test_post_not_retried_on_503_without_retry_after_nor_read_errors(clock: FakeClock) -> None:
    handler, seen = scripted(503, 200)
    with pytest.raises(InternalServerError) as info:
        client(handler, clock).request(POST, body={})
    assert info.value.status_code == 503
    assert len(seen) == 1
    handler, seen = scripted(httpx.ReadError("reset"), 200)
    with pytest.raises(APIConnectionError):
        client(handler, clock).request(POST, body={})
    assert len(seen) == 1
    handler, seen = scripted(httpx.ReadTimeout("slow"), 200)
    with pytest.raises(APITimeoutError):
        client(handler, clock).request(POST, body={})
    assert len(seen) == 1


def test_post_retried_where_it_cannot_have_taken_effect(clock: FakeClock) -> None:
    handler, seen = scripted(httpx.ConnectError("refused"), 200)
    assert client(handler, clock).request(POST, body={}) == {"status": 200}
    assert len(seen) == 2
    handler, seen = scripted(httpx.Response(429, headers={"retry-after": "2"}), 200)
    assert client(handler, clock).request(POST, body={}) == {"status": 200}
    handler, seen = scripted(httpx.Response(503, headers={"retry-after-ms": "1500"}), 200)
    assert client(handler, clock).request(POST, body={}) == {"status": 200}
    assert len(seen) == 2
    assert clock.sleeps == [0.5, 2.0, 1.5]


def test_post_with_idempotency_key_is_retried_with_the_same_key(clock: FakeClock) -> None:
    handler, seen = scripted(500, httpx.ReadError("reset"), 200)
    result = client(handler, clock).request(
        POST, body={"a": 1}, options=RequestOptions(idempotency_key="abc")
    )
    assert result == {"status": 200}
    assert [r.headers["idempotency-key"] for r in seen] == ["abc"] * 3
    assert all(r.content == b'{"a":1}' for r in seen)


def test_retry_after_http_date_and_cap(clock: FakeClock) -> None:
    when = email.utils.formatdate(clock.t + 5, usegmt=True)
    handler, seen = scripted(httpx.Response(429, headers={"retry-after": when}), 200)
    client(handler, clock).request(GET)
    assert clock.sleeps == [pytest.approx(5.0)]
    handler, seen = scripted(httpx.Response(429, headers={"retry-after": "3600"}), 200)
    with pytest.raises(RateLimitError) as info:
        client(handler, clock).request(GET)
    assert len(seen) == 1 and info.value.retry_after == 3600
    assert "3600 s" in str(info.value) and "60 s limit" in str(info.value)


def test_transport_errors_retried_for_get_and_wrapped(clock: FakeClock) -> None:
    handler, seen = scripted(
        httpx.ConnectTimeout("t"), httpx.ReadTimeout("t"), httpx.RemoteProtocolError("x")
    )
    with pytest.raises(APIConnectionError) as info:
        client(handler, clock).request(GET)
    assert len(seen) == 3
    assert "after 3 attempts" in str(info.value) and "RemoteProtocolError" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    handler, seen = scripted(httpx.ReadTimeout("t"))
    with pytest.raises(APITimeoutError):
        client(handler, clock).request(GET)


def test_per_call_and_policy_max_retries(clock: FakeClock) -> None:
    handler, seen = scripted(503)
    with pytest.raises(InternalServerError):
        client(handler, clock).request(GET, options=RequestOptions(max_retries=0))
    assert len(seen) == 1
    handler, seen = scripted(503)
    c = SyncAPIClient(
        base_url="https://a",
        package="t",
        version="1",
        http_client=mock_http(handler),
        retry=RetryPolicy(max_retries=4, sleep=clock.sleep),
        max_retries=1,
    )
    with pytest.raises(InternalServerError):
        c.request(GET)
    assert len(seen) == 5


def test_on_retry_hook_events(clock: FakeClock) -> None:
    events: list[RetryEvent] = []
    handler, seen = scripted(httpx.ConnectError("refused"), 502, 200)
    client(handler, clock, hooks=Hooks(on_retry=[events.append])).request(GET)
    assert [(e.attempt, e.delay, e.reason, e.status_code) for e in events] == [
        (1, 0.5, "ConnectError", None),
        (2, 1.0, "502", 502),
    ]
    assert isinstance(events[0].error, httpx.ConnectError)


def test_async_retry_behaviour(clock: FakeClock) -> None:
    async def main() -> None:
        handler, seen = scripted(503, 503, 200)
        policy = RetryPolicy(
            sleep=clock.sleep, async_sleep=clock.async_sleep, random=lambda a, b: b
        )
        async with AsyncAPIClient(
            base_url="https://a",
            package="t",
            version="1",
            retry=policy,
            http_client=mock_ahttp(handler),
        ) as c:
            assert await c.request(GET) == {"status": 200}
        assert len(seen) == 3 and clock.sleeps == [0.5, 1.0]

        handler, seen = scripted(500)
        async with AsyncAPIClient(
            base_url="https://a",
            package="t",
            version="1",
            retry=policy,
            http_client=mock_ahttp(handler),
        ) as c:
            with pytest.raises(InternalServerError) as info:
                await c.request(POST, body={})
            assert len(seen) == 1 and info.value.attempts == 1
            handler2, seen2 = scripted(httpx.ConnectError("no"))
            c2 = AsyncAPIClient(
                base_url="https://a",
                package="t",
                version="1",
                retry=policy,
                http_client=mock_ahttp(handler2),
            )
            with pytest.raises(APIConnectionError) as info2:
                await c2.request(POST, body={})
            assert len(seen2) == 3 and "after 3 attempts" in str(info2.value)
            await c2.aclose()

    asyncio.run(main())


def test_client_side_errors_are_not_retried_nor_counted_by_the_breaker(clock: FakeClock) -> None:
    from apigen.runtime import CircuitBreaker

    handler, seen = scripted(httpx.LocalProtocolError("bad header"))
    c = client(handler, clock, circuit_breaker=CircuitBreaker(failure_threshold=1, clock=clock))
    with pytest.raises(APIConnectionError, match="LocalProtocolError"):
        c.request(GET)
    assert len(seen) == 1 and c.breaker_state == "closed"
