"""Client-side rate limiting shared by every thread and task using one client.

A token bucket with reservations: each caller takes a token under a short lock,
possibly driving the balance negative, and then sleeps outside the lock for exactly
its share. That keeps the rate without busy loops and works the same for threads
(time.sleep) and tasks (asyncio.sleep). Server announcements that the quota is used
up (X-RateLimit-Remaining: 0, IETF RateLimit headers) block everyone until the reset.
With a shared store (``RateLimit(store=...)``) the bucket and those pauses live there,
for every worker; whenever the store does not answer, this process's bucket stands in,
and its waiters move to the shared bucket as soon as the store answers again.
"""

from __future__ import annotations

import math
import re
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx

from .options import RateLimit
from .retry import retry_after_seconds

if TYPE_CHECKING:
    from .stores import SharedStateStore

__all__ = ["RateLimiter", "server_reset_delay"]

# A caller of a shared bucket woken this long after its slot takes a new one rather than
# send in a later caller's (a starved process would otherwise burst); at most this often.
_LATE = 0.02
_LATE_TRIES = 3
# A caller waiting for a local slot while the shared store is away asks the store again
# this often: once it answers, the caller queues there, so a queue built up while
# detached (200 tasks: 2 s at 100/s) is not sent on top of the shared rate.
_REATTACH_CHECK = 0.25

_IETF_REMAINING = re.compile(r"(?:^|[;,\s])(?:remaining|r)\s*=\s*(\d+)")
_IETF_RESET = re.compile(r"(?:^|[;,\s])(?:reset|t)\s*=\s*(\d+(?:\.\d+)?)")


def _reset_delta(value: str, now_epoch: float) -> float | None:
    try:
        reset = float(value.strip())
    except ValueError:
        return None
    # Large values are epoch seconds (GitHub), small ones a delay in seconds.
    if reset > 100_000_000:
        return reset - now_epoch
    return reset


def server_reset_delay(headers: httpx.Headers, now_epoch: float) -> float | None:
    """Seconds until the server's quota resets when it says none is left, else None."""
    # One cheap scan first: most responses carry no rate-limit headers at all.
    if b"ratelimit" not in b" ".join([k for k, _ in headers.raw]).lower():
        return None
    remaining = headers.get("x-ratelimit-remaining")
    if remaining is not None:
        if remaining.strip() != "0":
            return None
        reset = headers.get("x-ratelimit-reset")
        return None if reset is None else _reset_delta(reset, now_epoch)
    remaining = headers.get("ratelimit-remaining")
    if remaining is not None:
        if remaining.strip() != "0":
            return None
        reset = headers.get("ratelimit-reset")
        return None if reset is None else _reset_delta(reset, now_epoch)
    combined = headers.get("ratelimit")
    if combined is not None:
        m = _IETF_REMAINING.search(combined)
        if m is None or m.group(1) != "0":
            return None
        r = _IETF_RESET.search(combined)
        return None if r is None else float(r.group(1))
    return None


class RateLimiter:
    """Live limiter state for one client (the ``RateLimit`` object is only configuration)."""

    def __init__(self, config: RateLimit | None) -> None:
        self.config = config or RateLimit(requests=None)
        cfg = self.config
        self._clock = cfg.clock or time.monotonic
        self._wall = cfg.wall_clock or time.time
        self._sleep = cfg.sleep or time.sleep
        self._async_sleep = cfg.async_sleep
        self._lock = threading.Lock()
        self._rate = (cfg.requests / cfg.per) if cfg.requests else 0.0
        self._capacity = float(cfg.burst if cfg.burst else 1)
        self._tokens = self._capacity
        self._last = self._clock()
        self._blocked_until = 0.0
        self._store = cfg.store
        self.shared = self._store is not None
        self._active = self._rate > 0.0 or self.shared
        self._pending: set[Any] = set()  # async give-backs under way (strong references)

    def __repr__(self) -> str:
        return f"RateLimiter({self.config.requests}/{self.config.per}s, burst={self._capacity:g})"

    def _reserve(self) -> float:
        """Take one token; return how long the caller must wait before sending."""
        with self._lock:
            now = self._clock()
            wait = 0.0
            if self._rate:
                self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
                self._last = now
                self._tokens -= 1.0
                if self._tokens < 0.0:
                    wait = -self._tokens / self._rate
            if self._blocked_until > now:
                wait = max(wait, self._blocked_until - now)
            elif not self._rate and not self.shared:
                self._active = False  # server block over and no bucket: back to the fast path
            return wait

    def _give_back(self) -> None:
        """Return the token of a caller that went away while waiting (cancelled, timed
        out, interrupted): it never sent, so its slot must not delay anyone after it."""
        with self._lock:
            if self._rate:
                self._tokens = min(self._capacity, self._tokens + 1.0)

    def acquire(self) -> None:
        if not self._active:
            return
        store = self._store
        if store is not None and self._shared_acquire(store):
            return
        wait = self._reserve()
        if wait <= 0.0:
            return
        if store is None:
            try:
                self._sleep(wait)
            except BaseException:
                self._give_back()
                raise
            return
        steps = math.ceil(wait / _REATTACH_CHECK)
        for step in range(steps):
            try:
                self._sleep(wait / steps)
            except BaseException:
                self._give_back()
                raise
            if step == steps - 1:
                return
            shared = store.reserve(self._rate, self._capacity)
            if shared is not None:  # the store is back: its bucket, not the local queue
                self._give_back()
                self._shared_acquire(store, shared)
                return

    def _shared_acquire(self, store: SharedStateStore, reserved: float | None = None) -> bool:
        """Hold a token of the shared bucket (``reserved``: the wait of one already taken);
        False when the store did not answer."""
        for _ in range(_LATE_TRIES):
            wait = store.reserve(self._rate, self._capacity) if reserved is None else reserved
            reserved = None
            if wait is None:
                return False
            if wait <= 0.0:
                return True
            slot = self._clock() + wait
            try:
                self._sleep(wait)
            except BaseException:
                store.give_back(self._rate, self._capacity)
                raise
            if self._clock() - slot <= _LATE:
                return True
        return True

    async def acquire_async(self) -> None:
        if not self._active:
            return
        if self._async_sleep is None:
            import asyncio  # lazily: sync-only users never import asyncio

            self._async_sleep = asyncio.sleep
        store = self._store
        if store is not None and await self._shared_acquire_async(store):
            return
        wait = self._reserve()
        if wait <= 0.0:
            return
        steps = 1 if store is None else math.ceil(wait / _REATTACH_CHECK)
        for step in range(steps):
            try:
                await self._async_sleep(wait / steps)
            except BaseException:  # CancelledError included: asyncio.wait_for, TaskGroup ...
                self._give_back()
                raise
            if store is None or step == steps - 1:
                return
            shared = await store.areserve(self._rate, self._capacity)
            if shared is not None:  # the store is back: its bucket, not the local queue
                self._give_back()
                await self._shared_acquire_async(store, shared)
                return

    async def _shared_acquire_async(
        self, store: SharedStateStore, reserved: float | None = None
    ) -> bool:
        sleep = self._async_sleep
        assert sleep is not None
        for _ in range(_LATE_TRIES):
            wait = (
                await store.areserve(self._rate, self._capacity) if reserved is None else reserved
            )
            reserved = None
            if wait is None:
                return False
            if wait <= 0.0:
                return True
            slot = self._clock() + wait
            try:
                await sleep(wait)
            except BaseException:  # not awaited here: the cancellation goes on at once
                import asyncio

                task = asyncio.ensure_future(store.agive_back(self._rate, self._capacity))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
                raise
            if self._clock() - slot <= _LATE:
                return True
        return True

    def observe(self, headers: httpx.Headers) -> float | None:
        """Block further requests until the server's announced reset; returns the delay."""
        if not self.config.respect_server:
            return None
        delay = server_reset_delay(headers, self._wall())
        if delay is None or delay <= 0.0:
            return None
        delay = min(delay, self.config.max_server_wait)
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + delay)
            self._active = True
        return delay

    def shared_pause(self, status: int, headers: httpx.Headers, observed: float | None) -> float:
        """Seconds every worker of a shared store must hold: the quota pause ``observe``
        found, or a 429's Retry-After (which pauses this call's retry alone otherwise)."""
        if not self.config.respect_server:
            return 0.0
        pause = observed or 0.0
        if status == 429:
            asked = retry_after_seconds(headers, self._wall())
            if asked is not None:
                pause = max(pause, min(asked, self.config.max_server_wait))
        return pause

    def publish_pause(self, seconds: float) -> None:
        if self._store is not None:
            self._store.pause(seconds)

    async def apublish_pause(self, seconds: float) -> None:
        if self._store is not None:
            await self._store.apause(seconds)
