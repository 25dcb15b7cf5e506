"""OAuth tokens and conditional-request entries in Redis, for every worker of a deployment.

``RedisTokenStore`` implements ``TokenStore``: a refresh token saved by one process is
found by the others and after a restart, and ``lock`` is a Redis lock (SET NX with an
expiry, released only by its holder), so one process refreshes while the others wait
and then read the new token: refresh is single-flight across processes.
``RedisCache`` implements ``CacheStore``: ETag/Last-Modified validators and bodies that
every worker revalidates. Like ``RedisStore``, both import ``redis`` only when made,
and Redis being away never fails a call: a load or get is a miss, a save or set is
skipped, a lock is the process's own, with one WARNING per outage.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Any, AsyncIterator, Callable, Iterator

from .cachestore import CachedResponse
from .redis_store import RedisLink
from .tokenstore import OAuthToken

__all__ = ["RedisCache", "RedisTokenStore"]

# KEYS: lock. ARGV: holder. Only the holder deletes it (its expiry may have passed).
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _text(raw: Any) -> str | None:
    return raw.decode() if isinstance(raw, bytes) else raw


def _token(raw: Any) -> OAuthToken | None:
    if raw is None:
        return None
    try:
        return OAuthToken.from_dict(json.loads(raw))
    except ValueError:  # not JSON: a store's content is as untrusted as a server's answer
        return None


class RedisTokenStore:
    """Tokens under ``prefix + key``, as JSON. ``lock_expiry`` bounds how long one
    refresh may hold the lock (a holder that died frees it then); a waiter polls every
    ``poll`` s and gives up waiting after ``lock_expiry`` s (then refreshes itself).
    ``client``, ``timeout`` and ``retry_interval`` as for ``RedisStore``."""

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "apigen:token:",
        lock_expiry: float = 30.0,
        poll: float = 0.05,
        timeout: float = 0.25,
        retry_interval: float = 1.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.prefix = prefix
        self.lock_expiry = lock_expiry
        self.poll = poll
        self._clock = clock or time.monotonic
        self._link = RedisLink(
            client,
            f"token store {prefix!r}",
            "tokens stay in memory and refreshes are not shared",
            timeout=timeout,
            retry_interval=retry_interval,
        )
        self._unlock = self._link.client.register_script(_UNLOCK)

    def __repr__(self) -> str:
        return f"RedisTokenStore(prefix={self.prefix!r})"

    def load(self, key: str) -> OAuthToken | None:
        return self._link.run(lambda c: c.get(self.prefix + key), _token)

    def save(self, key: str, token: OAuthToken) -> None:
        payload = json.dumps(token.to_dict(), sort_keys=True)
        self._link.run(lambda c: c.set(self.prefix + key, payload), bool)

    async def aload(self, key: str) -> OAuthToken | None:
        return await self._link.arun(lambda c: c.get(self.prefix + key), _token)

    async def asave(self, key: str, token: OAuthToken) -> None:
        payload = json.dumps(token.to_dict(), sort_keys=True)
        await self._link.arun(lambda c: c.set(self.prefix + key, payload), bool)

    def _take(self, name: str, holder: str) -> Callable[[Any], Any]:
        """SET NX; a lock already ours counts as taken (the SET sent again over a reset
        connection after the server ran it)."""
        expiry = max(1, int(self.lock_expiry * 1000))
        if self._link.is_async:

            async def take(c: Any) -> bool:
                return bool(await c.set(name, holder, nx=True, px=expiry)) or (
                    _text(await c.get(name)) == holder
                )

            return take
        return lambda c: (
            bool(c.set(name, holder, nx=True, px=expiry)) or (_text(c.get(name)) == holder)
        )

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Held by one process at a time across all that share the Redis."""
        name, holder = f"{self.prefix}{key}:lock", os.urandom(16).hex()
        give_up = self._clock() + self.lock_expiry
        held = False
        while True:
            taken = self._link.run(self._take(name, holder), bool)
            if taken is None or taken:  # None: Redis is away, the process locks hold
                held = bool(taken)
                break
            if self._clock() >= give_up:
                break
            time.sleep(self.poll)
        try:
            yield
        finally:
            if held:
                self._link.run(lambda c: self._unlock(keys=[name], args=[holder]), bool)

    @contextlib.asynccontextmanager
    async def alock(self, key: str) -> AsyncIterator[None]:
        import asyncio

        name, holder = f"{self.prefix}{key}:lock", os.urandom(16).hex()
        give_up = self._clock() + self.lock_expiry
        held = False
        while True:
            taken = await self._link.arun(self._take(name, holder), bool)
            if taken is None or taken:
                held = bool(taken)
                break
            if self._clock() >= give_up:
                break
            await asyncio.sleep(self.poll)
        try:
            yield
        finally:
            if held:
                await self._link.arun(lambda c: self._unlock(keys=[name], args=[holder]), bool)


class RedisCache:
    """Conditional-request entries under ``prefix + key`` (the runtime's keys are digests
    that already fold in the URL and credentials). Bounded per entry: one larger than
    ``max_entry_bytes`` is not kept, and each expires after ``ttl`` seconds (None: kept
    until Redis evicts it, e.g. under ``maxmemory-policy allkeys-lru``)."""

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "apigen:cache:",
        ttl: float | None = 86400.0,
        max_entry_bytes: int = 1024 * 1024,
        timeout: float = 0.25,
        retry_interval: float = 1.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.prefix = prefix
        self.ttl = ttl
        self.max_entry_bytes = max_entry_bytes
        self._link = RedisLink(
            client,
            f"cache {prefix!r}",
            "requests go out unconditional",
            timeout=timeout,
            retry_interval=retry_interval,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"RedisCache(prefix={self.prefix!r})"

    def _px(self) -> int | None:
        return None if self.ttl is None else max(1, int(self.ttl * 1000))

    @staticmethod
    def _entry(raw: Any) -> CachedResponse | None:
        return None if raw is None else CachedResponse.from_bytes(bytes(raw))

    def _set(self, key: str, entry: CachedResponse) -> Callable[[Any], Any] | None:
        data = entry.to_bytes()
        if len(data) > self.max_entry_bytes:
            return None
        return lambda c: c.set(self.prefix + key, data, px=self._px())

    def get(self, key: str) -> CachedResponse | None:
        return self._link.run(lambda c: c.get(self.prefix + key), self._entry)

    def set(self, key: str, entry: CachedResponse) -> None:
        call = self._set(key, entry)
        if call is None:
            self.delete(key)  # too large to keep: no stale smaller answer stays either
        else:
            self._link.run(call, bool)

    def delete(self, key: str) -> None:
        self._link.run(lambda c: c.delete(self.prefix + key), bool)

    async def aget(self, key: str) -> CachedResponse | None:
        return await self._link.arun(lambda c: c.get(self.prefix + key), self._entry)

    async def aset(self, key: str, entry: CachedResponse) -> None:
        call = self._set(key, entry)
        if call is None:
            await self.adelete(key)
        else:
            await self._link.arun(call, bool)

    async def adelete(self, key: str) -> None:
        await self._link.arun(lambda c: c.delete(self.prefix + key), bool)
