"""Telemetry: OpenTelemetry spans and metrics (the SDK's in-memory exporter and reader),
``client.runtime_stats()``, and that no secret reaches either."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from apigen.runtime import (
    AsyncAPIClient,
    CircuitBreaker,
    Endpoint,
    NotFoundError,
    ResponseType,
    RetryPolicy,
    SyncAPIClient,
)
from apigen.runtime.auth import APIKeyScheme
from apigen.runtime.telemetry import Telemetry
from rt_faultserver import FaultServer, Reply, Req

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

GET_ITEM = Endpoint("GET", "/items/{item_id}", "items_get", responses={"200": ResponseType("json")})
HEADER_SECRET, QUERY_SECRET = "hdr-SECRET-1234", "qry-SECRET-5678"
SCHEMES = {
    "header_key": APIKeyScheme("header", "X-Api-Key"),
    "query_key": APIKeyScheme("query", "api_key"),
}


def _no_sleep(seconds: float) -> None:
    pass


async def _no_async_sleep(seconds: float) -> None:
    pass


def _settings(server: FaultServer, telemetry: Any) -> dict[str, Any]:
    return dict(
        base_url=server.url,
        package="shop",
        version="1.2",
        security_schemes=SCHEMES,
        credentials={"header_key": HEADER_SECRET, "query_key": QUERY_SECRET},
        default_security=(("header_key", "query_key"),),
        telemetry=telemetry,
        retry=RetryPolicy(sleep=_no_sleep, async_sleep=_no_async_sleep),
        circuit_breaker=CircuitBreaker(failure_threshold=5),
    )


def _flaky(req: Req) -> Reply:
    if req.path.endswith("/404"):
        return Reply(404, json={"error": "nope"})
    if req.n == 1:
        return Reply(503, json={}, headers={"Retry-After": "0"})
    return Reply(200, json={"ok": True}, headers={"X-RateLimit-Remaining": "42"})


def _otel() -> tuple[Telemetry, InMemorySpanExporter, InMemoryMetricReader]:
    exporter = InMemorySpanExporter()
    tracers = TracerProvider()
    tracers.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    return (
        Telemetry(tracer_provider=tracers, meter_provider=MeterProvider(metric_readers=[reader])),
        exporter,
        reader,
    )


def _metrics(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


def _route(server: FaultServer) -> None:
    server.route("/items/7", _flaky)
    server.route("/items/404", _flaky)


def test_one_span_per_operation_with_attempts_retries_and_breaker(fault_server):
    _route(fault_server)
    telemetry, exporter, reader = _otel()
    with SyncAPIClient(**_settings(fault_server, telemetry)) as client:
        assert client.request(GET_ITEM, path={"item_id": 7}) == {"ok": True}
        with pytest.raises(NotFoundError):
            client.request(GET_ITEM, path={"item_id": 404})
        stats = client.runtime_stats()
    ok, missing = exporter.get_finished_spans()
    assert ok.name == missing.name == "items_get"
    assert ok.kind.name == "CLIENT"
    assert dict(ok.attributes) == {
        "http.request.method": "GET",
        "url.template": "/items/{item_id}",
        "server.address": "127.0.0.1",
        "apigen.operation_id": "items_get",
        "http.response.status_code": 200,
        "apigen.attempts": 2,
        "apigen.retry.reasons": ("503",),
        "apigen.retry.count": 1,
        "apigen.breaker.state": "closed",
    }
    assert missing.attributes["http.response.status_code"] == 404
    assert missing.attributes["error.type"] == "NotFoundError"
    assert missing.status.status_code.name == "ERROR"
    metrics = _metrics(reader)
    (duration,) = [
        p
        for p in metrics["apigen.client.request.duration"]
        if p.attributes.get("http.response.status_code") == 200
    ]
    assert duration.count == 1
    assert sum(p.value for p in metrics["apigen.client.retries"]) == 1
    assert metrics["apigen.client.retries"][0].attributes["apigen.retry.reason"] == "503"
    assert [p.value for p in metrics["apigen.client.rate_limit.remaining"]] == [42]
    assert [p.value for p in metrics["apigen.client.breaker.state"]] == [0]
    assert stats["requests"] == 2 and stats["retries"] == 1 and stats["attempts"] == 3
    assert stats["errors"] == 1 and stats["opentelemetry"] is True


def test_no_secret_in_spans_metrics_or_stats(fault_server):
    _route(fault_server)
    telemetry, exporter, reader = _otel()
    with SyncAPIClient(**_settings(fault_server, telemetry)) as client:
        client.request(GET_ITEM, path={"item_id": 7})
        with pytest.raises(NotFoundError):
            client.request(GET_ITEM, path={"item_id": 404})
        stats = client.runtime_stats()
    sent = fault_server.requests("/items/7")[0]
    assert sent.headers["x-api-key"] == HEADER_SECRET  # the secrets were really sent
    assert sent.q("api_key") == QUERY_SECRET
    exported = [span.to_json() for span in exporter.get_finished_spans()]
    exported.append(reader.get_metrics_data().to_json())
    exported.append(json.dumps(stats))
    text = "\n".join(exported)
    assert "items_get" in text and "/items/{item_id}" in text
    for secret in (HEADER_SECRET, QUERY_SECRET, "SECRET"):
        assert secret not in text
    assert "/items/7" not in text  # the template, never the URL


def test_stats_without_opentelemetry_are_the_same_counters(fault_server):
    _route(fault_server)
    with SyncAPIClient(**_settings(fault_server, Telemetry(opentelemetry=False))) as client:
        client.request(GET_ITEM, path={"item_id": 7})
        stats = client.runtime_stats()
    assert stats["opentelemetry"] is False and stats["enabled"] is True
    assert (stats["requests"], stats["attempts"], stats["retries"]) == (1, 2, 1)
    assert stats["retry_reasons"] == {"503": 1} and stats["status_codes"] == {"200": 1}
    assert stats["rate_limit_remaining"] == 42 and stats["breaker_state"] == "closed"
    assert stats["operations"]["items_get"]["requests"] == 1
    json.dumps(stats)  # plain data


def test_telemetry_off_is_free_and_stats_say_so(fault_server):
    _route(fault_server)
    with SyncAPIClient(**_settings(fault_server, None)) as client:
        assert "_send" not in vars(client)
        client.request(GET_ITEM, path={"item_id": 7})
        stats = client.runtime_stats()
    assert stats["enabled"] is False and stats["requests"] == 0


def test_async_spans_one_per_task(fault_server):
    fault_server.route("/items/7", lambda req: Reply(200, json={"ok": True}))
    telemetry, exporter, _ = _otel()

    async def main() -> dict[str, Any]:
        async with AsyncAPIClient(**_settings(fault_server, telemetry)) as client:
            await asyncio.gather(*(client.request(GET_ITEM, path={"item_id": 7}) for _ in range(5)))
            return client.runtime_stats()

    stats = asyncio.run(main())
    spans = exporter.get_finished_spans()
    assert len(spans) == 5 and {s.name for s in spans} == {"items_get"}
    assert all(s.parent is None for s in spans)  # concurrent tasks: siblings, not nested
    assert stats["requests"] == 5
