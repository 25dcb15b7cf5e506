"""Circuit breaker: stop hammering a server that is down, and notice when it is back.

closed -> (``failure_threshold`` consecutive failures) -> open -> (``recovery_time``
elapsed) -> half_open: exactly one probe request is let through; its success closes
the circuit, its failure opens it again. Only connect errors, timeouts and 5xx count
as failures: a 4xx means the server is up and answering.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from .errors import CircuitOpenError
from .options import CircuitBreaker

__all__ = ["Breaker", "CLOSED", "OPEN", "HALF_OPEN"]

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


class Breaker:
    """Live breaker state for one client; lock-protected, safe for threads and tasks."""

    def __init__(self, config: CircuitBreaker | None, on_change: Callable[[str, str], None] | None = None) -> None:
        self.config = config
        self.enabled = config is not None
        self._threshold = config.failure_threshold if config else 0
        self._recovery = config.recovery_time if config else 0.0
        self._clock = (config.clock if config else None) or time.monotonic
        self._on_change = on_change
        self._lock = threading.Lock()
        self.state = CLOSED
        self.failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False

    def __repr__(self) -> str:
        return f"Breaker(state={self.state!r}, failures={self.failures})"

    def _set(self, new: str) -> tuple[str, str] | None:
        old = self.state
        if old == new:
            return None
        self.state = new
        return (old, new)

    def _notify(self, change: tuple[str, str] | None) -> None:
        if change is not None and self._on_change is not None:
            self._on_change(*change)

    def before(self) -> None:
        """Raise CircuitOpenError unless a request may be sent now."""
        if not self.enabled or self.state == CLOSED:
            return
        change = None
        with self._lock:
            if self.state == OPEN:
                remaining = self._opened_at + self._recovery - self._clock()
                if remaining > 0.0:
                    raise CircuitOpenError(
                        f"circuit open after {self.failures} consecutive failures; "
                        f"next probe in {remaining:.1f} s",
                        retry_in=remaining,
                    )
                change = self._set(HALF_OPEN)
                self._probe_in_flight = True
            elif self.state == HALF_OPEN:
                if self._probe_in_flight:
                    raise CircuitOpenError("circuit half-open: a probe request is in flight", retry_in=0.0)
                self._probe_in_flight = True
        self._notify(change)

    def success(self) -> None:
        """The server answered (any status below 500)."""
        if not self.enabled or (self.state == CLOSED and self.failures == 0):
            return
        with self._lock:
            self.failures = 0
            self._probe_in_flight = False
            change = self._set(CLOSED)
        self._notify(change)

    def failure(self) -> None:
        """A connect error, timeout or 5xx."""
        if not self.enabled:
            return
        change = None
        with self._lock:
            self.failures += 1
            if self.state == HALF_OPEN or (self.state == CLOSED and self.failures >= self._threshold):
                self._opened_at = self._clock()
                self._probe_in_flight = False
                change = self._set(OPEN)
        self._notify(change)

    def release(self) -> None:
        """The attempt ended without a verdict (e.g. cancelled): free the probe slot."""
        if self.enabled and self._probe_in_flight:
            with self._lock:
                self._probe_in_flight = False
