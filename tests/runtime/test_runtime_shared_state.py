"""Rate limiter and circuit breaker state shared through a real Redis (RedisStore).

Each "worker" is a client with its own RedisStore and its own Redis connection, as
separate processes would have (bench/shared_limit.py runs real processes). Buckets are
slow (one token an hour) so what is checked is counts and order, never timing. Fault
tests stop, restart and freeze their own redis-server mid-run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
import redis.asyncio

from apigen.runtime import (
    AsyncAPIClient,
    CircuitBreaker,
    CircuitOpenError,
    Endpoint,
    InternalServerError,
    RateLimit,
    ResponseType,
    RetryPolicy,
    SyncAPIClient,
)
from apigen.runtime.ratelimit import RateLimiter
from apigen.runtime.redis_store import RedisStore
from rt_faultserver import FaultServer, Reply
from rt_helpers import FakeClock
from rt_redis import RedisServer

HOUR = 3600.0
_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """The server .ci/run started (APIGEN_REDIS_URL), else one of our own."""
    given = os.environ.get("APIGEN_REDIS_URL")
    if given:
        yield given
        return
    with RedisServer() as server:
        yield server.url


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server this test may stop, restart and freeze."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def key() -> str:
    return f"test:{uuid.uuid4().hex}"


def ep(path: str) -> Endpoint:
    return Endpoint("GET", path, path.strip("/"), responses={"200": ResponseType("json")})


def worker(
    server: FaultServer,
    clock: FakeClock,
    url: str,
    key: str,
    *,
    rate: RateLimit | None = None,
    breaker: CircuitBreaker | None = None,
    store_clock: FakeClock | None = None,
    **store_options: Any,
) -> SyncAPIClient:
    """One client with a store of its own (its own connection), as a separate process has."""
    store = RedisStore(redis.Redis.from_url(url), key, clock=store_clock, **store_options)
    return SyncAPIClient(
        base_url=server.url,
        package="shared",
        version="1",
        timeout=5.0,
        max_retries=1,
        retry=RetryPolicy(sleep=clock.sleep, random=lambda a, b: b),
        rate_limit=None if rate is None else replace(rate, store=store),
        circuit_breaker=None if breaker is None else replace(breaker, store=store),
    )


# -- the token bucket -------------------------------------------------------------------------


def test_bucket_is_shared_by_every_store_on_the_key(redis_url: str, key: str) -> None:
    waits: list[float] = []
    limiters = [
        RateLimiter(
            RateLimit(
                requests=1,
                per=HOUR,
                burst=3,
                sleep=waits.append,
                store=RedisStore(redis.Redis.from_url(redis_url), key),
            )
        )
        for _ in range(3)
    ]
    for n in range(7):
        limiters[n % 3].acquire()
    # Three tokens in the bucket for all of them together, then one an hour, in order.
    assert len(waits) == 4
    for n, wait in enumerate(waits, start=1):
        assert (n - 1) * HOUR < wait <= n * HOUR
    other = RateLimiter(
        RateLimit(
            requests=1,
            per=HOUR,
            burst=3,
            sleep=waits.append,
            store=RedisStore(redis.Redis.from_url(redis_url), key + ":b"),
        )
    )
    other.acquire()
    assert len(waits) == 4  # another key, another account: its own full bucket


def test_in_process_limiters_do_not_share(key: str) -> None:
    """The default store: today's behaviour, each client its own bucket."""
    waits: list[float] = []
    limiters = [
        RateLimiter(RateLimit(requests=1, per=HOUR, burst=3, sleep=waits.append)) for _ in range(3)
    ]
    for n in range(9):
        limiters[n % 3].acquire()
    assert waits == []


def test_workers_share_the_rate_through_clients(
    redis_url: str, key: str, fault_server: FaultServer
) -> None:
    fault_server.route("/ok", lambda r: Reply(json={"ok": True}))
    clocks = [FakeClock(), FakeClock()]
    a, b = (
        worker(
            fault_server,
            c,
            redis_url,
            key,
            rate=RateLimit(requests=1, per=HOUR, burst=2, sleep=c.sleep),
        )
        for c in clocks
    )
    a.request(ep("/ok"))
    a.request(ep("/ok"))
    b.request(ep("/ok"))  # the bucket A emptied is B's too
    assert clocks[0].sleeps == [] and len(clocks[1].sleeps) == 1
    assert 0 < clocks[1].sleeps[0] <= HOUR
    assert len(fault_server.requests("/ok")) == 3
    a.close()
    b.close()


def test_a_cancelled_wait_gives_its_shared_token_back(redis_url: str, key: str) -> None:
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    waits: list[float] = []
    store = RedisStore(redis.Redis.from_url(redis_url), key)
    RateLimiter(RateLimit(requests=1, per=HOUR, sleep=waits.append, store=store)).acquire()
    with pytest.raises(KeyboardInterrupt):
        RateLimiter(RateLimit(requests=1, per=HOUR, sleep=interrupted, store=store)).acquire()
    RateLimiter(RateLimit(requests=1, per=HOUR, sleep=waits.append, store=store)).acquire()
    assert len(waits) == 1 and waits[0] <= HOUR  # one hour behind the first, not two


def test_a_caller_woken_late_queues_again_instead_of_crowding_later_slots(
    redis_url: str, key: str
) -> None:
    clock = FakeClock()

    def woken_late(seconds: float) -> None:  # a starved process: every wake-up 1 s late
        clock.sleeps.append(seconds)
        clock.advance(seconds + 1.0)

    def limiter(**kw: Any) -> RateLimiter:
        return RateLimiter(
            RateLimit(
                requests=1, per=HOUR, store=RedisStore(redis.Redis.from_url(redis_url), key), **kw
            )
        )

    limiter().acquire()  # the one token there is
    limiter(clock=clock, sleep=woken_late).acquire()
    # Each late wake-up gave its slot up and queued again (three tries, then it sends).
    assert len(clock.sleeps) == 3
    for n, wait in enumerate(clock.sleeps, start=1):
        assert (n - 1) * HOUR < wait <= n * HOUR


# -- the server's pauses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers,status",
    [
        ({"Retry-After": "30"}, 429),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"}, 200),
        ({"RateLimit": "limit=100, remaining=0, reset=30"}, 200),
    ],
)
def test_a_server_pause_one_worker_sees_holds_every_worker(
    redis_url: str, key: str, fault_server: FaultServer, headers: dict[str, str], status: int
) -> None:
    fault_server.route(
        "/quota", lambda r: Reply(status, json={}, headers=headers) if r.n == 1 else Reply(json={})
    )
    clocks = [FakeClock(), FakeClock()]
    a, b = (
        worker(fault_server, c, redis_url, key, rate=RateLimit(requests=None, sleep=c.sleep))
        for c in clocks
    )
    a.request(ep("/quota"))
    b.request(ep("/quota"))
    assert len(clocks[1].sleeps) == 1 and 25.0 < clocks[1].sleeps[0] <= 30.0
    a.close()
    b.close()


# -- the circuit breaker --------------------------------------------------------------------------


def test_a_breaker_one_worker_opens_is_open_for_all(
    redis_url: str, key: str, fault_server: FaultServer
) -> None:
    fault_server.route("/down", lambda r: Reply(500, json={}))
    breaker = CircuitBreaker(failure_threshold=3, recovery_time=HOUR)
    a, b, c = (worker(fault_server, FakeClock(), redis_url, key, breaker=breaker) for _ in range(3))
    for client in (a, b, a):  # consecutive failures counted across workers: 1 + 1 + 1 (+ retries)
        with pytest.raises(InternalServerError):
            client.with_options(max_retries=0).request(ep("/down"))
    sent = len(fault_server.requests("/down"))
    assert sent == 3 and a.breaker_state == "open"
    with pytest.raises(CircuitOpenError, match="shared"):
        c.request(ep("/down"))  # never failed itself: fails fast on its first call
    assert len(fault_server.requests("/down")) == sent and c.breaker_state == "open"
    for client in (a, b, c):
        client.close()


def test_a_probe_request_sent_twice_still_holds_the_probe(redis_url: str, key: str) -> None:
    """A store call is sent again on a fresh connection when the old one was reset, and
    the server may have run it already: the same probe asking again keeps its slot."""
    store = RedisStore(redis.Redis.from_url(redis_url), key, probe_lease=HOUR)
    for _ in range(2):
        store.breaker_result(False, 2)
    assert store.breaker_before(0.0, "probe-a").verdict == "probe"  # recovery 0: half-open
    assert store.breaker_before(0.0, "probe-a").verdict == "probe"  # the same request again
    assert store.breaker_before(0.0, "probe-b").verdict == "busy"


def test_exactly_one_probe_goes_out_in_half_open_across_workers(
    redis_url: str, key: str, fault_server: FaultServer
) -> None:
    fault_server.route(
        "/probe",
        lambda r: (
            Reply(500, json={}) if r.n <= 2 else Reply(json={}, delay=0.4 if r.n == 3 else 0.0)
        ),
    )
    breaker = CircuitBreaker(failure_threshold=2, recovery_time=0.2)
    workers = [worker(fault_server, FakeClock(), redis_url, key, breaker=breaker) for _ in range(6)]
    for client in workers[:2]:
        with pytest.raises(InternalServerError):
            client.with_options(max_retries=0).request(ep("/probe"))
    time.sleep(0.25)  # the recovery time passes on the Redis server's clock
    results: list[str] = []
    barrier = threading.Barrier(len(workers))

    def call(client: SyncAPIClient) -> None:
        barrier.wait()
        try:
            client.with_options(max_retries=0).request(ep("/probe"))
            results.append("ok")
        except CircuitOpenError:
            results.append("open")

    threads = [threading.Thread(target=call, args=(c,)) for c in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == ["ok"] + ["open"] * 5
    assert len(fault_server.requests("/probe")) == 3  # two failures, one probe
    workers[5].request(ep("/probe"))  # the probe's success closed it for everyone
    assert workers[5].breaker_state == "closed"
    for client in workers:
        client.close()


# -- Redis away: the local limiter and breaker stand in ------------------------------------------


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and text in r.getMessage()
    ]


def test_redis_down_falls_back_then_reattaches(
    own_redis: RedisServer, key: str, fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.route("/ok", lambda r: Reply(json={}))
    store_clock = FakeClock()
    clock = FakeClock()
    client = worker(
        fault_server,
        clock,
        own_redis.url,
        key,
        rate=RateLimit(requests=1, per=HOUR, burst=100, sleep=clock.sleep),
        breaker=CircuitBreaker(failure_threshold=3, recovery_time=HOUR),
        store_clock=store_clock,
        retry_interval=1.0,
    )
    probe = redis.Redis.from_url(own_redis.url)
    client.request(ep("/ok"))
    assert float(probe.hget(f"apigen:{{{key}}}:bucket", "tokens") or 0) == 99.0
    caplog.set_level(logging.WARNING)
    own_redis.stop()
    for _ in range(5):  # no call lost, none fails, one warning for the outage
        client.request(ep("/ok"))
    assert len(_warnings(caplog, "unreachable")) == 1
    own_redis.start()  # empty: no persistence
    client.request(ep("/ok"))
    assert probe.exists(f"apigen:{{{key}}}:bucket") == 0  # still local until the retry interval
    store_clock.advance(1.0)
    client.request(ep("/ok"))
    assert len(_warnings(caplog, "re-attached")) == 1
    assert float(probe.hget(f"apigen:{{{key}}}:bucket", "tokens") or 0) == 99.0
    assert len(fault_server.requests("/ok")) == 8 and clock.sleeps == []
    client.close()


def test_a_frozen_redis_times_out_into_the_local_state(
    own_redis: RedisServer, key: str, fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.route("/down", lambda r: Reply(500, json={}))
    client = worker(
        fault_server,
        FakeClock(),
        own_redis.url,
        key,
        breaker=CircuitBreaker(failure_threshold=2, recovery_time=HOUR),
        timeout=0.1,
    )
    caplog.set_level(logging.WARNING)
    own_redis.pause()  # connections open, nothing answers: only the timeout notices
    try:
        for _ in range(2):
            with pytest.raises(InternalServerError):
                client.with_options(max_retries=0).request(ep("/down"))
        with pytest.raises(CircuitOpenError):  # the local breaker counted and opened
            client.request(ep("/down"))
    finally:
        own_redis.resume()
    assert len(fault_server.requests("/down")) == 2
    assert len(_warnings(caplog, "unreachable (TimeoutError")) == 1
    client.close()


# -- a restart: every client back on Redis at its next acquire ----------------------------------

POOLED = 4  # connections each client's pool holds open when Redis restarts
CLIENTS = 3
BURST = 1000.0


class _Restartable:
    """CLIENTS limiters on one key, each with its own store, pool and re-attach clock,
    driven as sync, asyncio or sync-client-in-a-thread callers (all in one event loop)."""

    def __init__(self, url: str, key: str, flavour: str) -> None:
        self.flavour = flavour
        self.clock = FakeClock()
        use_asyncio = flavour == "asyncio"
        self.stores = [
            RedisStore(
                (redis.asyncio.Redis if use_asyncio else redis.Redis).from_url(url),
                key,
                clock=self.clock,
                retry_interval=1.0,
            )
            for _ in range(CLIENTS)
        ]
        self.limiters = [
            RateLimiter(
                RateLimit(
                    requests=1,
                    per=HOUR,
                    burst=BURST,
                    sleep=self.clock.sleep,
                    async_sleep=self.clock.async_sleep,
                    store=store,
                )
            )
            for store in self.stores
        ]
        self.pools = [store._link.client.connection_pool for store in self.stores]

    async def fill_pools(self) -> None:
        """Every pool holds POOLED open connections, as busy workers' pools do."""
        for pool in self.pools:
            if self.flavour == "asyncio":
                held = [await pool.get_connection() for _ in range(POOLED)]
                for connection in held:
                    await pool.release(connection)
            else:
                held = [pool.get_connection() for _ in range(POOLED)]
                for connection in held:
                    pool.release(connection)

    async def acquire(self, n: int, times: int) -> None:
        """``times`` acquires by client ``n`` at once (each on its own connection)."""
        limiter = self.limiters[n]
        if self.flavour == "sync":
            with ThreadPoolExecutor(times) as threads:
                list(threads.map(lambda _: limiter.acquire(), range(times)))
        else:
            await asyncio.gather(*(limiter.acquire_async() for _ in range(times)))

    async def close(self) -> None:
        for pool in self.pools:
            if self.flavour == "asyncio":
                await pool.disconnect()
            else:
                pool.disconnect()


def _tokens(url: str, key: str) -> float:
    return float(redis.Redis.from_url(url).hget(f"apigen:{{{key}}}:bucket", "tokens") or -1)


@pytest.mark.parametrize("flavour", ["sync", "asyncio", "sync-in-thread"])
def test_every_client_reattaches_on_its_next_acquire_after_a_restart(
    own_redis: RedisServer, key: str, flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A restarted Redis leaves every pooled connection dead. None of them may send a
    client back to its local limiter once Redis answers: each acquire below must take a
    token of the shared bucket (a fallback would take a local one instead)."""
    workers = _Restartable(own_redis.url, key, flavour)
    caplog.set_level(logging.WARNING)

    async def scenario() -> None:
        await workers.fill_pools()
        # A restart between two calls: nobody saw Redis go away.
        own_redis.stop()
        own_redis.start()  # empty: a new bucket of BURST tokens
        for n in range(CLIENTS):
            await workers.acquire(n, POOLED)
        assert _warnings(caplog, "unreachable") == []
        assert _tokens(own_redis.url, key) == pytest.approx(BURST - CLIENTS * POOLED, abs=0.01)

        # An outage the clients live through on their local limiters.
        await workers.fill_pools()
        own_redis.stop()
        for n in range(CLIENTS):
            await workers.acquire(n, 1)
        assert len(_warnings(caplog, "unreachable")) == CLIENTS
        assert not any(store.attached for store in workers.stores)
        own_redis.start()
        workers.clock.advance(1.0)  # the retry interval: the next acquire probes Redis
        for n in range(CLIENTS):
            await workers.acquire(n, 1)  # the probe re-attaches ...
            await workers.acquire(n, POOLED)  # ... and no stale connection detaches it again
        assert len(_warnings(caplog, "unreachable")) == CLIENTS
        assert len(_warnings(caplog, "re-attached")) == CLIENTS
        assert all(store.attached for store in workers.stores)
        taken = CLIENTS * (1 + POOLED)
        assert _tokens(own_redis.url, key) == pytest.approx(BURST - taken, abs=0.01)

    async def run() -> None:
        try:
            await scenario()
        finally:
            await workers.close()

    asyncio.run(run())


@pytest.mark.parametrize("flavour", ["sync", "asyncio"])
def test_a_caller_queued_locally_moves_to_the_shared_bucket_once_redis_answers(
    own_redis: RedisServer, key: str, flavour: str
) -> None:
    """Callers queued on the local bucket during an outage (200 tasks at 100/s: 2 s of
    slots) must not all still go out after the re-attach, on top of the shared rate."""
    store_clock, clock = FakeClock(), FakeClock()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        if not sleeps:  # Redis comes back while the caller waits for its local slot
            own_redis.start()
            store_clock.advance(1.0)
        sleeps.append(seconds)
        clock.advance(seconds)

    async def async_sleep(seconds: float) -> None:
        sleep(seconds)

    use_asyncio = flavour == "asyncio"
    store = RedisStore(
        (redis.asyncio.Redis if use_asyncio else redis.Redis).from_url(own_redis.url),
        key,
        clock=store_clock,
    )
    limiter = RateLimiter(
        RateLimit(
            requests=1, per=4.0, clock=clock, sleep=sleep, async_sleep=async_sleep, store=store
        )
    )
    own_redis.stop()

    async def acquire() -> None:
        if use_asyncio:
            await limiter.acquire_async()
        else:
            limiter.acquire()

    async def main() -> None:
        await acquire()  # Redis away: the local bucket's one token
        await acquire()  # a local slot 4 s away; after its first step Redis answers
        if use_asyncio:
            await store._link.client.connection_pool.disconnect()

    asyncio.run(main())
    assert sleeps == [0.25]  # not the whole 4 s of the local slot
    assert store.attached
    tokens = float(redis.Redis.from_url(own_redis.url).hget(f"apigen:{{{key}}}:bucket", "tokens"))
    assert tokens == pytest.approx(0.0, abs=0.01)  # its token came from the shared bucket


# -- async clients --------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", ["asyncio", "sync-in-thread"])
def test_async_workers_share_bucket_and_breaker(
    redis_url: str, key: str, fault_server: FaultServer, flavour: str
) -> None:
    fault_server.route("/ok", lambda r: Reply(json={}))
    fault_server.route("/down", lambda r: Reply(500, json={}))

    async def main() -> None:
        clocks = [FakeClock(), FakeClock()]
        clients = []
        for c in clocks:
            conn = (
                redis.asyncio.Redis.from_url(redis_url)
                if flavour == "asyncio"
                else redis.Redis.from_url(redis_url)
            )
            store = RedisStore(conn, key)
            clients.append(
                AsyncAPIClient(
                    base_url=fault_server.url,
                    package="shared",
                    version="1",
                    max_retries=0,
                    rate_limit=RateLimit(
                        requests=1, per=HOUR, burst=3, async_sleep=c.async_sleep, store=store
                    ),
                    circuit_breaker=CircuitBreaker(
                        failure_threshold=2, recovery_time=HOUR, store=store
                    ),
                )
            )
        a, b = clients
        await a.request(ep("/ok"))
        await a.request(ep("/ok"))
        await b.request(ep("/ok"))
        await b.request(ep("/ok"))  # the fourth token in a bucket of three
        assert clocks[0].sleeps == [] and len(clocks[1].sleeps) == 1
        for client in (a, b):
            with pytest.raises(InternalServerError):
                await client.request(ep("/down"))
        with pytest.raises(CircuitOpenError):
            await a.request(ep("/ok"))
        assert a.breaker_state == "open" and len(fault_server.requests("/ok")) == 4
        for client in clients:
            await client.aclose()

    asyncio.run(main())


def test_a_sync_client_refuses_an_asyncio_redis_store(key: str) -> None:
    store = RedisStore(redis.asyncio.Redis(), key)
    with pytest.raises(TypeError, match="async clients only"):
        RateLimiter(RateLimit(requests=1, store=store)).acquire()


# -- the package stays httpx + pydantic -----------------------------------------------------------


def test_the_runtime_imports_redis_only_when_a_store_is_made() -> None:
    code = (
        "import sys; import apigen.runtime, apigen.runtime.redis_store; "
        "assert 'redis' not in sys.modules, 'imported early'; "
        "from apigen.runtime.redis_store import RedisStore; import redis; "
        "RedisStore(redis.Redis(), 'k'); print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(_ROOT / "generator")},
    )
    assert out.stdout.strip() == "ok", out.stderr
