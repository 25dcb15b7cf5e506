"""Rate-limit and circuit-breaker state in Redis, shared by every worker of an account.

Optional: this module imports ``redis`` (redis-py) only when a ``RedisStore`` is made,
so the package itself depends on httpx and pydantic alone. Each operation is one Lua
script, atomic on the server, and reads time with Redis's TIME so the workers' clocks
never matter. Redis going away never fails a call: the store answers None, the client
uses its local limiter and breaker, one WARNING is logged, and the next attempt after
``retry_interval`` seconds re-attaches when Redis answers again. A restarted Redis
leaves every pooled connection dead (redis-py's asyncio pool hands them out unchecked),
so the re-attach probe and a call whose connection the server closed both drop the idle
connections and go out on a fresh one.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, TypeVar

from .stores import BreakerView

__all__ = ["RedisLink", "RedisStore"]

_log = logging.getLogger(__name__.rpartition(".")[0] or __name__)
T = TypeVar("T")

# Time in seconds (float) from the server; numbers kept as %.17g strings (exact doubles).
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function num(x) return string.format('%.17g', x) end
"""

# KEYS: bucket. ARGV: rate (tokens/s, 0 = no bucket), capacity. Returns the wait in s.
_RESERVE = (
    _NOW
    + """
local rate, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'blocked')
local wait = 0
local ttl = 60
if rate > 0 then
  local tokens = tonumber(v[1]) or cap
  local ts = tonumber(v[2]) or now
  tokens = math.min(cap, tokens + math.max(0, now - ts) * rate) - 1
  if tokens < 0 then wait = -tokens / rate end
  redis.call('HSET', KEYS[1], 'tokens', num(tokens), 'ts', num(now))
  ttl = ttl + (cap - tokens) / rate
end
local blocked = tonumber(v[3]) or 0
if blocked > now then
  wait = math.max(wait, blocked - now)
  ttl = ttl + blocked - now
end
if rate > 0 then redis.call('PEXPIRE', KEYS[1], math.ceil(ttl * 1000)) end
return num(wait)
"""
)

# KEYS: bucket. ARGV: rate, capacity. A token back, never above the capacity.
_GIVE_BACK = (
    _NOW
    + """
local rate, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
if rate <= 0 then return 0 end
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
if not v[1] then return 0 end
local tokens = math.min(cap, tonumber(v[1]) + math.max(0, now - tonumber(v[2])) * rate + 1)
redis.call('HSET', KEYS[1], 'tokens', num(tokens), 'ts', num(now))
return 1
"""
)

# KEYS: bucket. ARGV: seconds. Everyone waits until now + seconds (the longest pause wins).
_PAUSE = (
    _NOW
    + """
local until_ = now + tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked')) or 0
if until_ > blocked then
  redis.call('HSET', KEYS[1], 'blocked', num(until_))
  local left = redis.call('PTTL', KEYS[1])
  local need = math.ceil((until_ - now) * 1000) + 60000
  if left < need then redis.call('PEXPIRE', KEYS[1], need) end
end
return 1
"""
)

# KEYS: breaker hash, probe lease. ARGV: recovery s, probe name, lease ms.
_BEFORE = (
    _NOW
    + """
local v = redis.call('HMGET', KEYS[1], 'state', 'failures', 'opened')
local state, failures = v[1] or 'closed', tonumber(v[2]) or 0
if state == 'closed' then return {'closed', '0', failures} end
if state == 'open' then
  local left = (tonumber(v[3]) or 0) + tonumber(ARGV[1]) - now
  if left > 0 then return {'open', num(left), failures} end
  redis.call('HSET', KEYS[1], 'state', 'half_open')
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return {'probe', '0', failures}
end
-- The holder's own name again: this request, sent twice over a reset connection.
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3])
    or redis.call('GET', KEYS[2]) == ARGV[2] then
  return {'probe', '0', failures}
end
return {'busy', '0', failures}
"""
)

# KEYS: breaker hash, probe lease. ARGV: 1 success / 0 failure, threshold. Returns old, new.
_RESULT = (
    _NOW
    + """
local v = redis.call('HMGET', KEYS[1], 'state', 'failures')
local old = v[1] or 'closed'
if ARGV[1] == '1' then
  if old == 'closed' and (tonumber(v[2]) or 0) == 0 then return {old, old} end
  redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0)
  redis.call('DEL', KEYS[2])
  redis.call('EXPIRE', KEYS[1], 86400)
  return {old, 'closed'}
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('EXPIRE', KEYS[1], 86400)
if old == 'half_open' or (old == 'closed' and failures >= tonumber(ARGV[2])) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened', num(now))
  redis.call('DEL', KEYS[2])
  return {old, 'open'}
end
return {old, old}
"""
)

# KEYS: probe lease. ARGV: probe name. Only the holder frees it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_SCRIPTS = {
    "reserve": _RESERVE,
    "give_back": _GIVE_BACK,
    "pause": _PAUSE,
    "before": _BEFORE,
    "result": _RESULT,
    "release": _RELEASE,
}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _view(reply: Any) -> BreakerView:
    verdict, retry_in, failures = reply
    return BreakerView(_text(verdict), float(_text(retry_in)), int(failures))


def _change(reply: Any) -> tuple[str, str]:
    return _text(reply[0]), _text(reply[1])


def _reconnectable(exc: BaseException) -> bool:
    """The server closed or reset a pooled connection (a restart): a fresh one may answer
    at once. Not a timeout: a slow or frozen Redis must not be waited for twice."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    if isinstance(exc, (RedisTimeoutError, TimeoutError)):
        return False
    return isinstance(exc, (RedisConnectionError, ConnectionError))


def _with_timeouts(client: Any, timeout: float, connections: int) -> Any:
    """A client on the same server, database and credentials whose commands give up after
    ``timeout`` seconds and are never retried: a slow Redis must not slow the calls."""
    pool = client.connection_pool
    is_async = type(client).__module__.startswith("redis.asyncio")
    if is_async:
        from redis.asyncio.retry import Retry
    else:
        from redis.retry import Retry  # type: ignore[assignment]
    from redis.backoff import NoBackoff

    kwargs = dict(pool.connection_kwargs)
    # Connecting takes a few round trips (and, for an asyncio client, turns of a loop
    # that may be busy): it gets at least a second, a command only ``timeout``.
    kwargs.update(
        socket_timeout=timeout,
        socket_connect_timeout=max(timeout, 1.0),
        retry_on_timeout=False,
        retry=Retry(NoBackoff(), 0),
    )
    if is_async:  # a few connections: tasks take turns (RedisStore._arun), no connect storm
        from redis.asyncio import BlockingConnectionPool

        own: Any = BlockingConnectionPool(
            connection_class=pool.connection_class,
            max_connections=connections,
            timeout=timeout,
            **kwargs,
        )
    else:
        own = type(pool)(
            connection_class=pool.connection_class, max_connections=pool.max_connections, **kwargs
        )
    return type(client)(connection_pool=own)


class RedisLink:
    """One Redis connection with a short timeout, and what to do when Redis is away.

    ``run`` and ``arun`` perform one command (or script) and answer None when Redis
    does not: the first failure logs one WARNING naming ``what`` stands in, later ones
    stay quiet, one caller per ``retry_interval`` tries again, and the first answer
    after an outage logs the re-attach. Async callers take turns on at most
    ``async_connections`` connections (the wait for a turn is not Redis being slow).
    """

    def __init__(
        self,
        client: Any,
        name: str,
        what: str,
        *,
        timeout: float = 0.25,
        retry_interval: float = 1.0,
        async_connections: int = 8,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import redis  # noqa: F401  (a clear ImportError here, not at the first call)

        self.name = name
        self.what = what
        self.timeout = timeout
        self.retry_interval = retry_interval
        self.is_async = type(client).__module__.startswith("redis.asyncio")
        self.client = _with_timeouts(client, timeout, async_connections)
        self._async_connections = async_connections
        self._turns: Any = None  # asyncio.Semaphore, made on first async use
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self.down = False
        self._retry_at = 0.0

    def _may_try(self) -> bool:
        """While detached, one caller per ``retry_interval`` tries Redis; the rest go local."""
        if not self.down:
            return True
        with self._lock:
            now = self._clock()
            if now < self._retry_at:
                return False
            self._retry_at = now + self.retry_interval
            return True

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self._retry_at = self._clock() + self.retry_interval
            if self.down:
                return
            self.down = True
        _log.warning(
            "redis %s unreachable (%s: %s): %s until it is back",
            self.name,
            type(exc).__name__,
            exc,
            self.what,
        )

    def _answered(self, probing: bool) -> None:
        """Only a call that started while detached re-attaches: one that was in flight
        when Redis went away may still answer, and must not end the outage early."""
        if probing and self.down:
            with self._lock:
                was_down, self.down = self.down, False
            if was_down:
                _log.warning("redis %s reachable again: re-attached", self.name)

    def _drop_idle(self) -> None:
        """Close the idle pooled connections (sync client): after a restart all are dead."""
        try:
            self.client.connection_pool.disconnect(inuse_connections=False)
        except Exception:  # closing a dead socket may complain; it is closed either way
            pass

    async def _adrop_idle(self) -> None:
        try:
            await self.client.connection_pool.disconnect(inuse_connections=False)
        except Exception:
            pass

    def _attempt(self, call: Callable[[Any], Any], probing: bool) -> Any:
        """``call(client)`` on a sync client. A re-attach probe goes out on a fresh
        connection; any other call whose connection the server closed (a restart between
        two calls) drops the idle ones and is sent once more on a fresh connection. Every
        script is safe to run twice should the server have run it before the reset."""
        if probing:
            self._drop_idle()
        try:
            return call(self.client)
        except Exception as exc:
            if probing or not _reconnectable(exc):
                raise
        self._drop_idle()
        return call(self.client)

    async def _aattempt(self, call: Callable[[Any], Any], probing: bool) -> Any:
        """``_attempt`` for a redis.asyncio client."""
        if probing:
            await self._adrop_idle()
        try:
            return await call(self.client)
        except Exception as exc:
            if probing or not _reconnectable(exc):
                raise
        await self._adrop_idle()
        return await call(self.client)

    def run(self, call: Callable[[Any], Any], parse: Callable[[Any], T]) -> T | None:
        """``parse(call(client))``, or None when Redis does not answer."""
        if self.is_async:
            raise TypeError(
                f"redis {self.name}: a redis.asyncio client serves async clients "
                "only; pass a redis.Redis to use it from a sync client"
            )
        probing = self.down
        if not self._may_try():
            return None
        try:
            reply = self._attempt(call, probing)
        except Exception as exc:  # redis errors, OSError ...: Redis is unreachable or broken
            self._failed(exc)
            return None
        self._answered(probing)
        return parse(reply)

    async def arun(self, call: Callable[[Any], Any], parse: Callable[[Any], T]) -> T | None:
        """``run`` for async callers: awaits an asyncio client, runs a sync one in a thread."""
        import asyncio

        probing = self.down
        if not self._may_try():
            return None
        if self._turns is None:
            self._turns = asyncio.Semaphore(self._async_connections)
        async with self._turns:
            if self.down and not probing:  # Redis went away while this task waited
                return None
            try:
                # Bounded by the connection's own timeouts: a wait_for here would also
                # count a busy event loop's delays as Redis being slow.
                if self.is_async:
                    reply = await self._aattempt(call, probing)
                else:
                    reply = await asyncio.to_thread(self._attempt, call, probing)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(exc)
                return None
        self._answered(probing)
        return parse(reply)


class RedisStore:
    """Shared limiter and breaker state under ``key`` (e.g. one API account) in Redis.

    ``client`` is a ``redis.Redis`` (sync and async clients; the async one uses it in a
    worker thread) or a ``redis.asyncio.Redis`` (async clients only). Its server,
    database and credentials are used with ``timeout``-second commands: past that,
    Redis counts as unreachable, and it is tried again every ``retry_interval`` s.
    ``probe_lease`` bounds how long a half-open probe may hold its slot (should its
    worker die); None takes the breaker's recovery time. Async clients use at most
    ``async_connections`` connections. ``clock`` (monotonic) paces the re-attach
    attempts; tests inject one.
    """

    def __init__(
        self,
        client: Any,
        key: str,
        *,
        timeout: float = 0.25,
        retry_interval: float = 1.0,
        prefix: str = "apigen:",
        probe_lease: float | None = None,
        async_connections: int = 8,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.key = key
        self.probe_lease = probe_lease
        self._link = RedisLink(
            client,
            f"store {key!r}",
            "using the local rate limiter and circuit breaker",
            timeout=timeout,
            retry_interval=retry_interval,
            async_connections=async_connections,
            clock=clock,
        )
        self._scripts = {
            name: self._link.client.register_script(text) for name, text in _SCRIPTS.items()
        }
        base = f"{prefix}{{{key}}}"
        self._bucket = base + ":bucket"
        self._breaker = [base + ":breaker", base + ":probe"]

    @classmethod
    def from_url(cls, url: str, key: str, **options: Any) -> RedisStore:
        """A store on ``redis://host:port/db`` (sync client; async clients use it too)."""
        import redis

        return cls(redis.Redis.from_url(url), key, **options)

    def __repr__(self) -> str:
        return f"RedisStore(key={self.key!r}, {'attached' if self.attached else 'detached'})"

    @property
    def attached(self) -> bool:
        """False while Redis is unreachable and the local limiter and breaker stand in."""
        return not self._link.down

    def _run(
        self, name: str, keys: list[str], args: list[Any], parse: Callable[[Any], T]
    ) -> T | None:
        script = self._scripts[name]
        return self._link.run(lambda _: script(keys=keys, args=args), parse)

    async def _arun(
        self, name: str, keys: list[str], args: list[Any], parse: Callable[[Any], T]
    ) -> T | None:
        script = self._scripts[name]
        return await self._link.arun(lambda _: script(keys=keys, args=args), parse)

    # -- rate limiter ---------------------------------------------------------------------

    def reserve(self, rate: float, capacity: float) -> float | None:
        return self._run("reserve", [self._bucket], [rate, capacity], lambda r: float(_text(r)))

    async def areserve(self, rate: float, capacity: float) -> float | None:
        return await self._arun(
            "reserve", [self._bucket], [rate, capacity], lambda r: float(_text(r))
        )

    def give_back(self, rate: float, capacity: float) -> None:
        self._run("give_back", [self._bucket], [rate, capacity], bool)

    async def agive_back(self, rate: float, capacity: float) -> None:
        await self._arun("give_back", [self._bucket], [rate, capacity], bool)

    def pause(self, seconds: float) -> bool | None:
        return self._run("pause", [self._bucket], [seconds], bool)

    async def apause(self, seconds: float) -> bool | None:
        return await self._arun("pause", [self._bucket], [seconds], bool)

    # -- circuit breaker ------------------------------------------------------------------

    def _lease_ms(self, recovery: float) -> int:
        lease = self.probe_lease if self.probe_lease is not None else recovery
        return max(1, int(lease * 1000))

    def breaker_before(self, recovery: float, probe: str) -> BreakerView | None:
        return self._run(
            "before", self._breaker, [recovery, probe, self._lease_ms(recovery)], _view
        )

    async def abreaker_before(self, recovery: float, probe: str) -> BreakerView | None:
        return await self._arun(
            "before", self._breaker, [recovery, probe, self._lease_ms(recovery)], _view
        )

    def breaker_result(self, ok: bool, threshold: int) -> tuple[str, str] | None:
        return self._run("result", self._breaker, [1 if ok else 0, threshold], _change)

    async def abreaker_result(self, ok: bool, threshold: int) -> tuple[str, str] | None:
        return await self._arun("result", self._breaker, [1 if ok else 0, threshold], _change)

    def breaker_release(self, probe: str) -> None:
        self._run("release", self._breaker[1:], [probe], bool)

    async def abreaker_release(self, probe: str) -> None:
        await self._arun("release", self._breaker[1:], [probe], bool)
