"""RedisTokenStore and RedisCache (the TokenStore and CacheStore protocols) on a real Redis.

Each "process" is a store with its own connection. Single-flight refresh across them is
the Redis lock: of several workers that find the token stale at once, one refreshes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import uuid
from typing import Iterator

import pytest
import redis
import redis.asyncio

from apigen.runtime import CachedResponse, CacheStore, OAuthToken, TokenStore
from apigen.runtime import RedisCache, RedisTokenStore
from rt_redis import RedisServer


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    given = os.environ.get("APIGEN_REDIS_URL")
    if given:
        yield given
        return
    with RedisServer() as server:
        yield server.url


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex}:"


def test_tokens_saved_by_one_process_are_found_by_another(redis_url: str, prefix: str) -> None:
    one = RedisTokenStore(redis.Redis.from_url(redis_url), prefix=prefix)
    other = RedisTokenStore(redis.Redis.from_url(redis_url), prefix=prefix)
    assert isinstance(one, TokenStore)
    assert other.load("api:oauth") is None
    token = OAuthToken("at-1", "rt-1", 1_700_000_100.0, scope="repo")
    one.save("api:oauth", token)
    assert other.load("api:oauth") == token
    assert "rt-1" not in repr(other) and "at-1" not in repr(other)
    redis.Redis.from_url(redis_url).set(prefix + "bad", b"\xff not json")
    assert other.load("bad") is None  # untrusted content: no token, no error


def test_refresh_is_single_flight_across_processes(redis_url: str, prefix: str) -> None:
    RedisTokenStore(redis.Redis.from_url(redis_url), prefix=prefix).save(
        "api:oauth", OAuthToken("stale", "rt-0")
    )
    refreshes: list[int] = []
    used: list[str] = []
    barrier = threading.Barrier(6)

    def worker(n: int) -> None:
        store = RedisTokenStore(redis.Redis.from_url(redis_url), prefix=prefix, poll=0.01)
        barrier.wait()
        with store.lock("api:oauth"):
            token = store.load("api:oauth")
            assert token is not None
            if token.access_token == "stale":  # what the runtime does under the lock
                refreshes.append(n)
                time.sleep(0.05)  # the token endpoint answering, while the others wait
                token = OAuthToken(f"fresh-{n}", "rt-1")
                store.save("api:oauth", token)
        used.append(token.access_token)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(refreshes) == 1 and used == [f"fresh-{refreshes[0]}"] * 6


def test_a_dead_holders_lock_expires(redis_url: str, prefix: str) -> None:
    redis.Redis.from_url(redis_url).set(prefix + "k:lock", "someone-who-died", px=100)
    store = RedisTokenStore(
        redis.Redis.from_url(redis_url), prefix=prefix, lock_expiry=5.0, poll=0.01
    )
    with store.lock("k"):
        held_by = redis.Redis.from_url(redis_url).get(prefix + "k:lock")
    assert held_by not in (None, b"someone-who-died")  # this store took it once it expired
    assert redis.Redis.from_url(redis_url).get(prefix + "k:lock") is None  # and let it go


def test_a_lock_request_sent_twice_still_holds_the_lock(redis_url: str, prefix: str) -> None:
    """SET NX sent again over a fresh connection after the server ran it: still ours."""
    connection = redis.Redis.from_url(redis_url)
    tokens = RedisTokenStore(connection, prefix=prefix)
    take = tokens._take(prefix + "lock", "holder-a")
    assert take(connection) and take(connection)
    assert not tokens._take(prefix + "lock", "holder-b")(connection)


def test_async_token_store_locks_across_tasks_and_stores(redis_url: str, prefix: str) -> None:
    async def main() -> list[str]:
        stores = [
            RedisTokenStore(redis.asyncio.Redis.from_url(redis_url), prefix=prefix, poll=0.01)
            for _ in range(2)
        ]
        await stores[0].asave("k", OAuthToken("stale"))
        order: list[str] = []

        async def refresh(store: RedisTokenStore, n: int) -> None:
            async with store.alock("k"):
                order.append(f"in-{n}")
                if (await store.aload("k")) == OAuthToken("stale"):
                    await asyncio.sleep(0.05)
                    await store.asave("k", OAuthToken(f"fresh-{n}"))
                order.append(f"out-{n}")

        await asyncio.gather(refresh(stores[0], 0), refresh(stores[1], 1))
        token = await stores[1].aload("k")
        assert token is not None and token.access_token.startswith("fresh-")
        return order

    order = asyncio.run(main())
    assert order in (["in-0", "out-0", "in-1", "out-1"], ["in-1", "out-1", "in-0", "out-0"])


def test_token_store_without_redis_keeps_going(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    with RedisServer() as server:
        store = RedisTokenStore(redis.Redis.from_url(server.url), prefix=prefix)
        server.stop()
        caplog.set_level(logging.WARNING)
        assert store.load("k") is None
        store.save("k", OAuthToken("at"))
        with store.lock("k"):
            pass
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1


def test_cache_entries_are_shared_bounded_and_expire(redis_url: str, prefix: str) -> None:
    one = RedisCache(redis.Redis.from_url(redis_url), prefix=prefix, ttl=60.0, max_entry_bytes=1000)
    other = RedisCache(redis.Redis.from_url(redis_url), prefix=prefix)
    assert isinstance(one, CacheStore)
    entry = CachedResponse(
        200,
        (("ETag", '"v1"'), ("Content-Type", "application/json")),
        b'{"id": 1}',
        (("Accept", "application/json"),),
    )
    one.set("d1", entry)
    assert other.get("d1") == entry and other.get("d1").etag == '"v1"'  # type: ignore[union-attr]
    assert 0 < redis.Redis.from_url(redis_url).pttl(prefix + "d1") <= 60_000
    one.set("d1", CachedResponse(200, (), b"x" * 2000))  # too large: dropped, old one too
    assert other.get("d1") is None
    redis.Redis.from_url(redis_url).set(prefix + "junk", b"no newline")
    assert other.get("junk") is None
    other.set("d2", entry)
    one.delete("d2")
    assert other.get("d2") is None


def test_async_cache(redis_url: str, prefix: str) -> None:
    async def main() -> None:
        cache = RedisCache(redis.asyncio.Redis.from_url(redis_url), prefix=prefix)
        entry = CachedResponse(200, (("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT"),), b"[]")
        await cache.aset("k", entry)
        assert await cache.aget("k") == entry
        await cache.adelete("k")
        assert await cache.aget("k") is None

    asyncio.run(main())
