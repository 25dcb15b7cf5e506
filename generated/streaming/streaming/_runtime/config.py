"""``ClientConfig``: every setting of a client in one immutable value.

Generated clients build one from their keyword arguments; the runtime clients read
only this object, and ``with_options`` makes a changed copy of it (``replace``), so the
list of settings is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import httpx

from .auth import SecurityScheme
from .cachestore import CacheStore
from .options import DEFAULT_TIMEOUT, CircuitBreaker, Hooks, RateLimit, ResponseLimits, RetryPolicy
from .telemetry import Telemetry

__all__ = ["ClientConfig"]

_DEFAULT_BREAKER = CircuitBreaker()


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """The settings of one API client (see the generated ``Client`` for what each means).

    ``credentials`` maps a security scheme's name to the value given for it (None: take
    the scheme's environment variable). ``allow_insecure_http`` lets credentials go over
    plain http to a host that is not loopback, which is refused otherwise;
    ``strict_responses`` raises on a response that does not match its type. ``cache``
    turns on conditional GETs (conditional.py), ``telemetry`` counters, spans and metrics
    (telemetry.py); both are off by default and cost nothing then.
    """

    base_url: str
    package: str
    version: str
    security_schemes: Mapping[str, SecurityScheme] = field(default_factory=dict)
    credentials: Mapping[str, Any] = field(default_factory=dict, repr=False)
    default_security: tuple[tuple[str, ...], ...] = ()
    timeout: float | httpx.Timeout | None = field(default_factory=lambda: DEFAULT_TIMEOUT)
    max_retries: int = 2
    retry: RetryPolicy | None = None
    rate_limit: RateLimit | None = None
    circuit_breaker: CircuitBreaker | None = _DEFAULT_BREAKER
    headers: Mapping[str, str] | None = None
    auth: httpx.Auth | None = None
    hooks: Hooks | None = None
    allow_insecure_http: bool = False
    strict_responses: bool = False
    limits: ResponseLimits | None = None
    cache: CacheStore | None = None
    telemetry: Telemetry | bool | None = None

    def but(self, **changes: Any) -> ClientConfig:
        """A copy with ``changes`` applied (headers are merged into the current ones)."""
        headers = changes.get("headers")
        if headers is not None and self.headers:
            changes["headers"] = {**self.headers, **headers}
        return replace(self, **changes)
