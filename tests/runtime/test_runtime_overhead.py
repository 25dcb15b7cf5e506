"""Per-call overhead guard: the whole runtime (auth, retry loop, limiter, breaker, hooks)
against raw httpx + a TypeAdapter, over the same mock transport.

The project target is <= 1.1x (measured by a separate benchmark); this test uses a
looser bound so a loaded CI machine does not make it flaky, and still catches a
regression such as rebuilding TypeAdapters or formatting log lines per call.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

import httpx
import pydantic

from apigen.runtime import (
    APIKeyScheme,
    CircuitBreaker,
    Endpoint,
    Hooks,
    RateLimit,
    ResponseType,
    SyncAPIClient,
)


class Pet(pydantic.BaseModel):
    id: int
    name: str
    tag: str | None = None


BODY = json.dumps([{"id": i, "name": f"pet{i}", "tag": "x"} for i in range(20)]).encode()


def handler(req: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


def best_of(fn: Callable[[], Any], rounds: int, n: int) -> float:
    for _ in range(50):
        fn()
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - t)
    return best / n


def test_runtime_overhead_is_small() -> None:
    ta = pydantic.TypeAdapter(list[Pet])
    raw = httpx.Client(transport=httpx.MockTransport(handler))

    def raw_call() -> Any:
        r = raw.get("https://api.test/v1/pets/1", params={"limit": 10}, headers={"X-API-Key": "k"})
        r.raise_for_status()
        return ta.validate_json(r.content)

    ep = Endpoint("GET", "/pets/{id}", "get", responses={"200": ResponseType("json", list[Pet])})
    client = SyncAPIClient(
        base_url="https://api.test/v1", package="bench", version="1",
        security_schemes={"k": APIKeyScheme("header", "X-API-Key")}, credentials={"k": "k"},
        default_security=(("k",),), rate_limit=RateLimit(requests=1e9), circuit_breaker=CircuitBreaker(),
        hooks=Hooks(on_request=[lambda r: None], on_response=[lambda r: None]),
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )

    def rt_call() -> Any:
        return client.request(ep, path={"id": 1}, query={"limit": 10})

    assert rt_call() == raw_call()
    raw_t = rt_t = float("inf")
    for _ in range(5):  # interleave so both see the same machine load
        raw_t = min(raw_t, best_of(raw_call, 3, 100))
        rt_t = min(rt_t, best_of(rt_call, 3, 100))
    assert rt_t <= raw_t * 1.5, f"runtime {rt_t * 1e6:.1f} us vs raw {raw_t * 1e6:.1f} us"
