"""User-facing configuration objects: per-call options, retry, rate limit, breaker, hooks.

All are immutable value objects so one instance (e.g. the ``CircuitBreaker()`` default
argument of a generated client) can be shared safely; live state (token bucket,
breaker state) is kept per client in ``ratelimit`` and ``breaker``. Clocks and sleeps
are injectable so tests never wait for real.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, Sequence

import httpx

if TYPE_CHECKING:
    from .stores import SharedStateStore

__all__ = [
    "DEFAULT_TIMEOUT",
    "Omit",
    "OMIT",
    "RequestOptions",
    "RetryPolicy",
    "ResponseLimits",
    "RateLimit",
    "CircuitBreaker",
    "Hooks",
]

# 60 s overall, 5 s to connect: long enough for slow endpoints, short enough to notice
# an unreachable host quickly.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


class Omit:
    """The "not given" default of body fields and ``with_options``: ``None`` stays a value
    (an explicit JSON null, or "no timeout"), so leaving a field out needs its own marker."""

    __slots__ = ()
    _instance: Omit | None = None

    def __new__(cls) -> Omit:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "OMIT"

    def __reduce__(self) -> str:
        return "OMIT"


OMIT = Omit()

SleepFn = Callable[[float], None]
AsyncSleepFn = Callable[[float], Awaitable[None]]
ClockFn = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """Passed to ``Hooks.on_retry`` before the client sleeps for the next attempt.

    ``attempt`` is the number of the attempt that failed (1-based), ``delay`` the
    seconds about to be slept, ``reason`` a short text (status or exception name).
    """

    method: str
    url: str  # redacted
    attempt: int
    delay: float
    reason: str
    status_code: int | None = None
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """Per-call overrides. Every field None means "use the client's setting".

    ``idempotency_key`` is sent as the ``Idempotency-Key`` header and makes a POST or
    PATCH safe to retry on any retryable failure. ``strict_responses`` True raises
    ``APIResponseValidationError`` for a response that does not match its type, False
    parses it leniently (None: the client's setting).
    """

    timeout: float | httpx.Timeout | None = None
    max_retries: int | None = None
    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, Any] | None = None
    idempotency_key: str | None = None
    strict_responses: bool | None = None

    @classmethod
    def given(
        cls,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        strict_responses: bool | None = None,
        idempotency_key: str | None = None,
    ) -> RequestOptions | None:
        """The options of one generated method's call, or None when it was given none:
        most calls pass no option, and a frozen instance costs more than the call's
        header merge (bench/README.md, "Per call")."""
        if (
            timeout is None
            and max_retries is None
            and extra_headers is None
            and extra_query is None
            and strict_responses is None
            and idempotency_key is None
        ):
            return None
        return cls(
            timeout, max_retries, extra_headers, extra_query, idempotency_key, strict_responses
        )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: ``uniform(0, min(max_delay, base_delay * 2**n))``.

    ``max_retries`` None takes the client's ``max_retries`` argument. A server-requested
    wait (Retry-After, retry-after-ms) is honoured up to ``max_retry_after`` seconds;
    longer waits raise at once. ``clock`` is wall-clock time (for HTTP-date Retry-After).
    """

    max_retries: int | None = None
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
    sleep: SleepFn | None = None
    async_sleep: AsyncSleepFn | None = None
    clock: ClockFn | None = None
    random: Callable[[float, float], float] | None = None


@dataclass(frozen=True, slots=True)
class ResponseLimits:
    """What one answer of a server may cost the client, whatever the server does.

    ``max_bytes`` caps the decoded body (a gzip bomb stops there); None turns it off.
    ``attempt_deadline`` bounds one attempt in seconds, from sending through every
    redirect to the last body byte, so a server trickling bytes cannot stretch it;
    None takes the largest part of the timeout (60 s by default), ``math.inf`` turns
    it off. The sync client checks it between reads and cuts each socket read and
    write short a quarter of the deadline after it; the async one cancels a wait.
    ``clock`` is monotonic time (tests).
    """

    max_bytes: int | None = 100 * 1024 * 1024
    attempt_deadline: float | None = None
    clock: ClockFn | None = None


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Client-side token bucket: at most ``requests`` per ``per`` seconds.

    ``burst`` is the bucket size (None = 1: requests evenly spaced, never a burst).
    ``requests=None`` disables the bucket but still obeys server rate-limit headers
    (X-RateLimit-Remaining: 0 + reset, IETF RateLimit) when ``respect_server`` is set,
    waiting at most ``max_server_wait`` seconds. ``clock`` is monotonic time,
    ``wall_clock`` epoch time (for epoch reset headers). ``store`` shares the bucket and
    the server's pauses (429 Retry-After too) with every worker using the same store
    (``RedisStore``); None keeps them in this process.
    """

    requests: float | None = 10
    per: float = 1.0
    burst: int | None = None
    respect_server: bool = True
    max_server_wait: float = 60.0
    clock: ClockFn | None = None
    wall_clock: ClockFn | None = None
    sleep: SleepFn | None = None
    async_sleep: AsyncSleepFn | None = None
    store: SharedStateStore | None = None


@dataclass(frozen=True, slots=True)
class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures (connect errors, timeouts,
    5xx; never 4xx), fails fast while open, lets one probe through after
    ``recovery_time`` seconds. ``clock`` is monotonic time. ``store`` shares the state
    and failure count with every worker using the same store (``RedisStore``): one
    worker's open circuit is open for all, and one probe goes out for all of them."""

    failure_threshold: int = 5
    recovery_time: float = 30.0
    clock: ClockFn | None = None
    store: SharedStateStore | None = None


@dataclass(frozen=True, slots=True)
class Hooks:
    """Callbacks to observe traffic. Exceptions raised by a hook propagate to the caller.

    - ``on_request(request)`` before each attempt is sent (after auth is applied)
    - ``on_response(response)`` after each attempt's response arrives
    - ``on_retry(event)`` before sleeping for a retry (see ``RetryEvent``)
    - ``on_breaker(old_state, new_state)`` on circuit state changes
      ("closed", "open", "half_open")

    With ``AsyncAPIClient``, ``on_request`` and ``on_response`` may also be coroutine
    functions (they are awaited); ``on_retry`` and ``on_breaker`` are always plain calls.
    """

    on_request: Sequence[Callable[[httpx.Request], Any]] = field(default_factory=tuple)
    on_response: Sequence[Callable[[httpx.Response], Any]] = field(default_factory=tuple)
    on_retry: Sequence[Callable[[RetryEvent], Any]] = field(default_factory=tuple)
    on_breaker: Sequence[Callable[[str, str], Any]] = field(default_factory=tuple)
