"""When to retry, and how long to wait first.

The rules protect against duplicate side effects: idempotent methods are retried on
any retryable failure, POST/PATCH only where the server cannot have acted (the
connection was refused, 429, 503 with Retry-After) or the call carries an
idempotency key.
"""

from __future__ import annotations

import random as _random
import re
import time

import httpx

from .options import RetryEvent, RetryPolicy  # RetryEvent lives with the Hooks that get it

__all__ = [
    "RetryEvent",
    "IDEMPOTENT_METHODS",
    "CLIENT_SIDE_ERRORS",
    "retry_after_seconds",
    "exception_is_retryable",
    "status_is_retryable",
    "backoff",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})

# Failures where the request never reached the server, so even POST is safe to repeat.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

# Failures caused on our side (invalid header value, unsupported scheme, undecodable
# body): repeating cannot help and they say nothing about the server's health.
CLIENT_SIDE_ERRORS = (
    httpx.LocalProtocolError,
    httpx.UnsupportedProtocol,
    httpx.DecodingError,
    httpx.TooManyRedirects,
)


# A number of seconds as servers write it: digits, maybe a fraction. Anything else
# (-5, nan, inf, 1e9, "1_0") is not an instruction the client can follow.
_SECONDS = re.compile(r"\d{1,12}(?:\.\d{1,9})?")
# Beyond a day a requested wait is not a real instruction either: fall back to backoff.
MAX_SANE_RETRY_AFTER = 86_400.0


def _sane(seconds: float) -> float | None:
    return seconds if 0.0 <= seconds <= MAX_SANE_RETRY_AFTER else None


def retry_after_seconds(headers: httpx.Headers, clock: float | None = None) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, Retry-After seconds or HTTP
    date); None when absent or not a sane wait, so the caller falls back to backoff."""
    ms = headers.get("retry-after-ms")
    if ms is not None and _SECONDS.fullmatch(ms.strip()):
        found = _sane(float(ms.strip()) / 1000.0)
        if found is not None:
            return found
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return _sane(float(value))
    if not value or not value[0].isalpha():  # an HTTP date starts with the day's name
        return None
    import email.utils  # lazily: only needed for the rare HTTP-date form

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    now = time.time() if clock is None else clock
    try:
        return _sane(max(0.0, when.timestamp() - now))
    except (OverflowError, ValueError, OSError):
        return None


def exception_is_retryable(exc: BaseException, method: str, idempotent: bool) -> bool:
    """Transport failures: never-sent ones always, others only for idempotent calls."""
    if isinstance(exc, CLIENT_SIDE_ERRORS):
        return False
    if isinstance(exc, _NOT_SENT):
        return True
    if isinstance(exc, httpx.TransportError):
        return idempotent
    return False


def status_is_retryable(
    policy: RetryPolicy, status: int, idempotent: bool, retry_after: float | None
) -> bool:
    """Retryable statuses; for non-idempotent calls only 429 and 503 + Retry-After."""
    if status not in policy.retry_statuses:
        return False
    if idempotent:
        return True
    return status == 429 or (status == 503 and retry_after is not None)


def backoff(policy: RetryPolicy, retry_index: int) -> float:
    """Full jitter: uniform(0, min(cap, base * 2**retry_index)); retry_index starts at 0."""
    ceiling = min(policy.max_delay, policy.base_delay * (2**retry_index))
    rnd = policy.random or _random.uniform
    return float(rnd(0.0, ceiling))
