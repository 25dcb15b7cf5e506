"""Shared fixtures for the runtime tests: fake clock, mock clients, fault server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

_HERE = Path(__file__).resolve().parent
_GEN = _HERE.parents[1] / "generator"
for p in (str(_GEN), str(_HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from rt_faultserver import FaultServer  # noqa: E402
from rt_helpers import FakeClock  # noqa: E402


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
