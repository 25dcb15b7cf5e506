"""Token bucket, server quota headers and circuit breaker, with a fake clock."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from apigen.runtime import (
    AsyncAPIClient,
    CircuitBreaker,
    CircuitOpenError,
    Endpoint,
    Hooks,
    InternalServerError,
    NotFoundError,
    RateLimit,
    ResponseType,
    SyncAPIClient,
)
from apigen.runtime.breaker import Breaker
from apigen.runtime.ratelimit import RateLimiter, server_reset_delay
from rt_helpers import FakeClock, mock_ahttp, mock_http

GET = Endpoint("GET", "/x", "x", responses={"200": ResponseType("json")})


def test_token_bucket_spaces_requests_evenly(clock: FakeClock) -> None:
    lim = RateLimiter(RateLimit(requests=4, per=1.0, clock=clock, sleep=clock.sleep))
    for _ in range(5):
        lim.acquire()
    assert clock.sleeps == pytest.approx([0.25] * 4)


def test_token_bucket_burst_then_rate(clock: FakeClock) -> None:
    lim = RateLimiter(RateLimit(requests=10, per=2.0, burst=3, clock=clock, sleep=clock.sleep))
    for _ in range(5):
        lim.acquire()
    assert clock.sleeps == pytest.approx([0.2, 0.2])  # 3 free, then one every 0.2 s
    clock.advance(10)
    clock.sleeps.clear()
    for _ in range(3):
        lim.acquire()
    assert clock.sleeps == []  # bucket refilled, but never above burst


def test_reservations_give_concurrent_callers_increasing_waits(clock: FakeClock) -> None:
    lim = RateLimiter(RateLimit(requests=2, per=1.0, clock=clock))
    waits = [lim._reserve() for _ in range(4)]  # four callers arriving at the same instant
    assert waits == pytest.approx([0.0, 0.5, 1.0, 1.5])


def test_server_reset_headers() -> None:
    now = 1_700_000_000.0
    H = httpx.Headers
    assert (
        server_reset_delay(
            H({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(now + 7)}), now
        )
        == 7
    )
    assert server_reset_delay(H({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "3"}), now) == 3
    assert (
        server_reset_delay(H({"x-ratelimit-remaining": "5", "x-ratelimit-reset": "3"}), now) is None
    )
    assert server_reset_delay(H({"ratelimit-remaining": "0", "ratelimit-reset": "4"}), now) == 4
    assert server_reset_delay(H({"ratelimit": "limit=10, remaining=0, reset=9"}), now) == 9
    assert server_reset_delay(H({"ratelimit": '"default";r=0;t=11'}), now) == 11
    assert server_reset_delay(H({"ratelimit": '"default";r=4;t=11'}), now) is None
    assert server_reset_delay(H({}), now) is None


def test_client_waits_for_announced_reset_bounded(clock: FakeClock) -> None:
    answers = iter(
        [
            httpx.Response(
                200,
                json={},
                headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(clock.t + 5)},
            ),
            httpx.Response(
                200, json={}, headers={"ratelimit-remaining": "0", "ratelimit-reset": "3600"}
            ),
            httpx.Response(200, json={}),
            httpx.Response(200, json={}),
        ]
    )
    cfg = RateLimit(
        requests=None, clock=clock, wall_clock=clock, sleep=clock.sleep, max_server_wait=60
    )
    c = SyncAPIClient(
        base_url="https://a",
        package="t",
        version="1",
        rate_limit=cfg,
        http_client=mock_http(lambda r: next(answers)),
    )
    c.request(GET)
    assert clock.sleeps == []
    c.request(GET)  # waits for the announced reset
    assert clock.sleeps == [pytest.approx(5.0)]
    c.request(GET)  # reset too far away: waits only the 60 s bound
    assert clock.sleeps[-1] == pytest.approx(60.0)
    c.request(GET)
    assert len(clock.sleeps) == 2


def test_breaker_transitions(clock: FakeClock) -> None:
    changes: list[tuple[str, str]] = []
    b = Breaker(
        CircuitBreaker(failure_threshold=3, recovery_time=10, clock=clock),
        lambda o, n: changes.append((o, n)),
    )
    b.failure()
    b.failure()
    b.success()
    b.failure()
    b.failure()  # noqa: E702 - success resets the count
    assert b.state == "closed"
    b.failure()
    assert b.state == "open"
    with pytest.raises(CircuitOpenError) as info:
        b.before()
    assert info.value.retry_in == pytest.approx(10)
    clock.advance(10)
    b.before()  # the probe
    assert b.state == "half_open"
    with pytest.raises(CircuitOpenError):
        b.before()  # only one probe at a time
    b.failure()
    assert b.state == "open"
    clock.advance(10)
    b.before()
    b.success()
    assert b.state == "closed"
    b.before()
    assert changes == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


def test_breaker_probe_slot_released_when_attempt_has_no_verdict(clock: FakeClock) -> None:
    b = Breaker(CircuitBreaker(failure_threshold=1, recovery_time=1, clock=clock))
    b.failure()
    clock.advance(1)
    b.before()
    b.release()
    b.before()  # another probe may go


def test_client_breaker_counts_5xx_and_connect_errors_not_4xx(clock: FakeClock) -> None:
    outcomes: list[Any] = [404] * 6 + [500, httpx.ConnectError("x"), 502, 200]
    sent: list[int] = []

    def handler(req: httpx.Request) -> httpx.Response:
        item = outcomes.pop(0)
        sent.append(1)
        if isinstance(item, Exception):
            raise item
        return httpx.Response(item, json={})

    changes: list[tuple[str, str]] = []
    c = SyncAPIClient(
        base_url="https://a",
        package="t",
        version="1",
        max_retries=0,
        circuit_breaker=CircuitBreaker(failure_threshold=3, recovery_time=30, clock=clock),
        hooks=Hooks(on_breaker=[lambda o, n: changes.append((o, n))]),
        http_client=mock_http(handler),
    )
    for _ in range(6):
        with pytest.raises(NotFoundError):
            c.request(GET)
    assert c.breaker_state == "closed"
    for exc in (InternalServerError, Exception, InternalServerError):
        with pytest.raises(exc):
            c.request(GET)
    assert c.breaker_state == "open" and len(sent) == 9
    with pytest.raises(CircuitOpenError):
        c.request(GET)
    assert len(sent) == 9  # failed fast, nothing sent
    clock.advance(30)
    assert c.request(GET) == {}
    assert c.breaker_state == "closed" and changes[-1] == ("half_open", "closed")


def test_breaker_open_stops_retries_with_cause(clock: FakeClock) -> None:
    sent: list[int] = []

    def handler(req: httpx.Request) -> httpx.Response:
        sent.append(1)
        return httpx.Response(503)

    c = SyncAPIClient(
        base_url="https://a",
        package="t",
        version="1",
        max_retries=5,
        retry=None,
        circuit_breaker=CircuitBreaker(failure_threshold=2, clock=clock),
        http_client=mock_http(handler),
    )
    c._sleep = clock.sleep
    with pytest.raises(CircuitOpenError) as info:
        c.request(GET)
    assert len(sent) == 2 and info.value.attempts == 2


def test_async_limiter_and_breaker(clock: FakeClock) -> None:
    async def main() -> None:
        statuses = iter([500, 500, 200, 200, 200, 200])
        c = AsyncAPIClient(
            base_url="https://a",
            package="t",
            version="1",
            max_retries=0,
            rate_limit=RateLimit(requests=5, clock=clock, async_sleep=clock.async_sleep),
            circuit_breaker=CircuitBreaker(failure_threshold=2, recovery_time=5, clock=clock),
            http_client=mock_ahttp(lambda r: httpx.Response(next(statuses), json={})),
        )
        for _ in range(2):
            with pytest.raises(InternalServerError):
                await c.request(GET)
        with pytest.raises(CircuitOpenError):
            await c.request(GET)
        clock.advance(5)
        assert await c.request(GET) == {}
        assert c.breaker_state == "closed"
        await c.aclose()

    asyncio.run(main())
    assert clock.sleeps == pytest.approx([0.2])  # the fail-fast call did not wait for a token
