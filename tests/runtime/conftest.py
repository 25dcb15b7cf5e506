"""Shared fixtures for the runtime tests: fake clock, mock clients, fault server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

_HERE = Path(__file__).resolve().parent
_GEN = _HERE.parents[1] / "generator"
for p in (str(_GEN), str(_HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import httpx  # noqa: E402

from rt_faultserver import FaultServer  # noqa: E402


class FakeClock:
    """Monotonic + wall clock and sleeps that only advance time and record the request."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer(max_requests=3000, lifetime=60.0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def mock_http(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def mock_ahttp(handler: Callable[[httpx.Request], Any]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))
