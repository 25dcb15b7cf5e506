"""Circuit breaker: stop hammering a server that is down, and notice when it is back.

closed -> (``failure_threshold`` consecutive failures) -> open -> (``recovery_time``
elapsed) -> half_open: exactly one probe request is let through; its success closes
the circuit, its failure opens it again. Only connect errors, timeouts and 5xx count
as failures: a 4xx means the server is up and answering.

With a shared store (``CircuitBreaker(store=...)``) the state and the failure count live
there: the ``shared_*`` steps, called by the attempt loop, read and write it once each,
and this object mirrors what they saw. When the store does not answer, the local
breaker decides that call.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable, NamedTuple

from .errors import CircuitOpenError
from .options import CircuitBreaker

__all__ = ["Breaker", "Ticket", "CLOSED", "OPEN", "HALF_OPEN"]

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"

# The outcomes an attempt reports to a shared breaker (``Breaker.shared_step``).
BEFORE, SUCCESS, FAILURE, RELEASE = range(4)


class Ticket(NamedTuple):
    """What one attempt's shared ``before`` saw: its probe's name if it is the half-open
    probe, whether a success must reset the shared count, whether the store answered."""

    probe: str | None
    dirty: bool
    shared: bool


_LOCAL = Ticket(None, True, False)


class Breaker:
    """Live breaker state for one client; lock-protected, safe for threads and tasks."""

    def __init__(
        self, config: CircuitBreaker | None, on_change: Callable[[str, str], None] | None = None
    ) -> None:
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
        self._store = config.store if config else None
        self.shared = self._store is not None
        self._pending: set[Any] = set()  # async probe releases under way

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
                    raise CircuitOpenError(
                        "circuit half-open: a probe request is in flight", retry_in=0.0
                    )
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
            if self.state == HALF_OPEN or (
                self.state == CLOSED and self.failures >= self._threshold
            ):
                self._opened_at = self._clock()
                self._probe_in_flight = False
                change = self._set(OPEN)
        self._notify(change)

    def release(self) -> None:
        """The attempt ended without a verdict (e.g. cancelled): free the probe slot."""
        if self.enabled and self._probe_in_flight:
            with self._lock:
                self._probe_in_flight = False

    # -- shared state (a store every worker reaches) ---------------------------------------

    def _seen(self, view: Any) -> Ticket:
        """Mirror the shared view; raise CircuitOpenError unless this attempt may go out."""
        verdict = view.verdict
        with self._lock:
            self.failures = view.failures
            if verdict == OPEN:  # a local fallback then waits out the same recovery time
                self._opened_at = self._clock() - max(0.0, self._recovery - view.retry_in)
            change = self._set(
                CLOSED if verdict == CLOSED else OPEN if verdict == OPEN else HALF_OPEN
            )
        self._notify(change)
        if verdict == OPEN:
            raise CircuitOpenError(
                f"circuit open after {view.failures} consecutive failures (shared); "
                f"next probe in {view.retry_in:.1f} s",
                retry_in=view.retry_in,
            )
        if verdict == "busy":
            raise CircuitOpenError(
                "circuit half-open: another worker's probe is in flight", retry_in=0.0
            )
        return Ticket(None, view.failures > 0 or verdict != CLOSED, True)

    def _decided(self, change: tuple[str, str], ok: bool) -> None:
        with self._lock:
            self.failures = 0 if ok else self.failures + 1
            if change[1] == OPEN and change[0] != OPEN:
                self._opened_at = self._clock()
            local = self._set(change[1])
        self._notify(local)

    def shared_step(self, step: int, ticket: Ticket) -> Ticket | None:
        """One attempt's report to the shared breaker (blocking); ``BEFORE`` returns the
        ticket the attempt hands back with its outcome."""
        store = self._store
        assert store is not None
        if step == BEFORE:
            probe = os.urandom(8).hex()
            view = store.breaker_before(self._recovery, probe)
            if view is None:
                self.before()
                return _LOCAL
            seen = self._seen(view)
            return seen._replace(probe=probe) if view.verdict == "probe" else seen
        if not ticket.shared:  # the store did not answer before this attempt
            self._local(step)
        elif step == RELEASE:
            if ticket.probe is not None:
                store.breaker_release(ticket.probe)
        elif step == SUCCESS and not ticket.dirty:
            pass  # closed with no failures when it went out: nothing to reset
        else:
            change = store.breaker_result(step == SUCCESS, self._threshold)
            if change is None:
                self._local(step)
            else:
                self._decided(change, step == SUCCESS)
        return None

    async def ashared_step(self, step: int, ticket: Ticket) -> Ticket | None:
        """``shared_step`` for async clients."""
        store = self._store
        assert store is not None
        if step == BEFORE:
            probe = os.urandom(8).hex()
            view = await store.abreaker_before(self._recovery, probe)
            if view is None:
                self.before()
                return _LOCAL
            seen = self._seen(view)
            return seen._replace(probe=probe) if view.verdict == "probe" else seen
        if not ticket.shared:
            self._local(step)
        elif step == RELEASE:
            if ticket.probe is not None:
                await store.abreaker_release(ticket.probe)
        elif step == SUCCESS and not ticket.dirty:
            pass
        else:
            change = await store.abreaker_result(step == SUCCESS, self._threshold)
            if change is None:
                self._local(step)
            else:
                self._decided(change, step == SUCCESS)
        return None

    def release_soon(self, ticket: Ticket | None, is_async: bool) -> None:
        """Free a shared probe slot from a path that cannot wait (cancellation, close):
        an async client's release runs as a task of its own."""
        if ticket is None or not ticket.shared:
            self.release()
        elif ticket.probe is not None and self._store is not None:
            if not is_async:
                self._store.breaker_release(ticket.probe)
                return
            import asyncio

            task = asyncio.ensure_future(self._store.abreaker_release(ticket.probe))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    def _local(self, step: int) -> None:
        if step == SUCCESS:
            self.success()
        elif step == FAILURE:
            self.failure()
        else:
            self.release()
