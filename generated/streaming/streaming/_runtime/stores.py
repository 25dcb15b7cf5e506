"""Where a rate limiter's and a circuit breaker's state lives when processes share it.

The default (``store=None``) keeps both in the client's own process, as always. A
``SharedStateStore`` keeps them somewhere every worker reaches (``RedisStore`` in
``redis_store``), so one account's quota and one server's health are seen alike by
all. Every method answers None when the store cannot be reached: the caller then
uses its local limiter or breaker for that call, so a store outage never fails a call.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable

__all__ = ["BreakerView", "SharedStateStore"]


class BreakerView(NamedTuple):
    """The shared breaker as one worker sees it before sending.

    ``verdict``: "closed" (send), "probe" (send: this worker holds the one half-open
    probe), "open" (fail fast for ``retry_in`` s more) or "busy" (half-open, another
    worker's probe is in flight). ``failures`` is the shared consecutive-failure count.
    """

    verdict: str
    retry_in: float
    failures: int


@runtime_checkable
class SharedStateStore(Protocol):
    """State shared across processes; each call is one atomic step on the store."""

    def reserve(self, rate: float, capacity: float) -> float | None:
        """Take a token (and see any shared pause): seconds to wait before sending."""

    async def areserve(self, rate: float, capacity: float) -> float | None: ...

    def give_back(self, rate: float, capacity: float) -> None:
        """Return the token of a caller that never sent."""

    async def agive_back(self, rate: float, capacity: float) -> None: ...

    def pause(self, seconds: float) -> bool | None:
        """Hold every worker for ``seconds`` (the server said the quota is used up)."""

    async def apause(self, seconds: float) -> bool | None: ...

    def breaker_before(self, recovery: float, probe: str) -> BreakerView | None:
        """May a request go out now? ``probe`` names this attempt should it be the probe."""

    async def abreaker_before(self, recovery: float, probe: str) -> BreakerView | None: ...

    def breaker_result(self, ok: bool, threshold: int) -> tuple[str, str] | None:
        """Record a success or failure; returns the (old, new) shared state."""

    async def abreaker_result(self, ok: bool, threshold: int) -> tuple[str, str] | None: ...

    def breaker_release(self, probe: str) -> None:
        """Free the half-open probe slot ``probe`` holds (its attempt ended without a verdict)."""

    async def abreaker_release(self, probe: str) -> None: ...
