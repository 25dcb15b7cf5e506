"""Telemetry: counters for ``client.stats()``, and OpenTelemetry spans and metrics.

Off unless ``Client(telemetry=True)`` (or a ``Telemetry``): a client without it pays
nothing. Enabled, every operation call is one record: its duration, final status,
attempts, the reasons of its retries and the breaker's state after it. ``stats()``
returns the totals as plain data. When ``opentelemetry-api`` is importable (it is
imported on first use, never a dependency) the same record becomes one CLIENT span
named after the operationId, and metrics: request duration, retries, breaker state and
the rate-limit headroom the server announced.

What goes out is chosen, not filtered: the URL *template* (``/repos/{owner}``), the
host, the method, status codes, counts and exception class names. No URL with its
query, no header, no body and no exception message, so no credential can leak.
"""

from __future__ import annotations

import contextvars
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import httpx

if TYPE_CHECKING:
    from .options import RetryEvent

__all__ = ["Telemetry", "TelemetryRecorder", "client_stats"]

_BREAKER_LEVEL = {"closed": 0, "half_open": 1, "open": 2}
_REMAINING = ("x-ratelimit-remaining", "ratelimit-remaining")
_IETF_REMAINING = re.compile(r"(?:^|[;,\s])r(?:emaining)?\s*=\s*(\d{1,12})")


@dataclass(frozen=True, slots=True)
class Telemetry:
    """``Client(telemetry=Telemetry(...))``: what to report to (``True`` is ``Telemetry()``).

    ``tracer_provider`` / ``meter_provider`` default to OpenTelemetry's global ones;
    ``opentelemetry=False`` keeps only the counters of ``client.stats()``."""

    tracer_provider: Any = None
    meter_provider: Any = None
    opentelemetry: bool = True


class _Call:
    """One operation call in flight: what its attempts report along the way."""

    __slots__ = ("reasons",)

    def __init__(self) -> None:
        self.reasons: list[str] = []


_CURRENT: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("apigen_call", default=None)


def _remaining(headers: httpx.Headers) -> int | None:
    """The request headroom a response announces (X-RateLimit-Remaining, IETF RateLimit)."""
    for name in _REMAINING:
        value = headers.get(name)
        if value is not None:
            value = value.strip()
            return int(value) if value.isdigit() and len(value) <= 12 else None
    combined = headers.get("ratelimit")
    if combined is not None:
        found = _IETF_REMAINING.search(combined)
        if found is not None:
            return int(found.group(1))
    return None


def _new_operation() -> dict[str, Any]:
    return {
        "requests": 0,
        "errors": 0,
        "attempts": 0,
        "retries": 0,
        "not_modified": 0,
        "duration_seconds": 0.0,
        "status_codes": {},
    }


class TelemetryRecorder:
    """The live counters and OpenTelemetry instruments of one client (and its copies)."""

    def __init__(
        self,
        config: Telemetry,
        package: str,
        version: str,
        base_url: str,
        breaker_state: Callable[[], str],
    ) -> None:
        self.config = config
        self._breaker_state = breaker_state
        self._host = httpx.URL(base_url).host  # never the userinfo or the path
        self._lock = threading.Lock()
        self._totals = _new_operation()
        self._operations: dict[str, dict[str, Any]] = {}
        self._reasons: dict[str, int] = {}
        self._transitions: dict[str, int] = {}
        self._rate_limit_remaining: int | None = None
        self._tracer: Any = None
        self._otel: Any = None
        if config.opentelemetry:
            self._start_opentelemetry(package, version)

    def __repr__(self) -> str:
        return f"TelemetryRecorder(opentelemetry={self._tracer is not None})"

    def _start_opentelemetry(self, package: str, version: str) -> None:
        try:
            from opentelemetry import context, metrics, trace
        except ImportError:  # not installed: counters only
            return
        scope = f"{package}.apigen"
        tracers = self.config.tracer_provider or trace.get_tracer_provider()
        meters = self.config.meter_provider or metrics.get_meter_provider()
        self._tracer = tracers.get_tracer(scope, version)
        meter = meters.get_meter(scope, version)
        self._otel = _Instruments(trace, context, meter)

    # -- hooks the client calls ---------------------------------------------------------

    def on_retry(self, event: RetryEvent) -> None:
        call = _CURRENT.get()
        if call is not None:
            call.reasons.append(event.reason)

    def on_response(self, response: httpx.Response) -> None:
        remaining = _remaining(response.headers)
        if remaining is not None:
            self._rate_limit_remaining = remaining
            if self._otel is not None:
                self._otel.rate_limit(remaining, self._host)

    def on_breaker(self, old: str, new: str) -> None:
        with self._lock:
            self._transitions[new] = self._transitions.get(new, 0) + 1
        if self._otel is not None:
            self._otel.breaker(new, self._host)

    # -- one call -----------------------------------------------------------------------

    def wrap(self, send: Callable[[Any], Any], is_async: bool) -> Callable[[Any], Any]:
        """``send`` (a client's ``_send``) observed: one record per call."""
        if is_async:

            async def observed_async(p: Any) -> Any:
                call, span, token, start = self._begin(p)
                try:
                    response = await send(p)
                except BaseException as exc:
                    self._end(p, call, span, token, start, None, exc)
                    raise
                self._end(p, call, span, token, start, response, None)
                return response

            return observed_async

        def observed(p: Any) -> Any:
            call, span, token, start = self._begin(p)
            try:
                response = send(p)
            except BaseException as exc:
                self._end(p, call, span, token, start, None, exc)
                raise
            self._end(p, call, span, token, start, response, None)
            return response

        return observed

    def _begin(self, p: Any) -> tuple[_Call, Any, Any, float]:
        call = _Call()
        token = _CURRENT.set(call)
        span = None
        if self._tracer is not None:
            assert self._otel is not None
            span = self._otel.start(
                self._tracer,
                p.endpoint.operation_id,
                {
                    "http.request.method": p.method,
                    "url.template": p.endpoint.path,
                    "server.address": self._host,
                    "apigen.operation_id": p.endpoint.operation_id,
                },
            )
        return call, span, token, time.perf_counter()

    def _end(
        self,
        p: Any,
        call: _Call,
        span: Any,
        token: Any,
        start: float,
        response: httpx.Response | None,
        exc: BaseException | None,
    ) -> None:
        seconds = time.perf_counter() - start
        _CURRENT.reset(token)
        status = response.status_code if response is not None else getattr(exc, "status_code", None)
        if not isinstance(status, int):
            status = None
        error = type(exc).__name__ if exc is not None else None
        operation = p.endpoint.operation_id
        breaker = self._breaker_state()
        with self._lock:
            for record in (self._totals, self._operations.setdefault(operation, _new_operation())):
                record["requests"] += 1
                record["attempts"] += p.attempts
                record["retries"] += len(call.reasons)
                record["duration_seconds"] += seconds
                if error is not None:
                    record["errors"] += 1
                if status == 304:
                    record["not_modified"] += 1
                if status is not None:
                    codes = record["status_codes"]
                    codes[str(status)] = codes.get(str(status), 0) + 1
            for reason in call.reasons:
                self._reasons[reason] = self._reasons.get(reason, 0) + 1
        if self._otel is not None:
            self._otel.finish(
                span, p, operation, self._host, status, error, seconds, call.reasons, breaker
            )

    def stats(self) -> dict[str, Any]:
        with self._lock:
            out = _copy(self._totals)
            out["retry_reasons"] = dict(self._reasons)
            out["breaker_transitions"] = dict(self._transitions)
            out["operations"] = {name: _copy(rec) for name, rec in self._operations.items()}
        out["rate_limit_remaining"] = self._rate_limit_remaining
        out["opentelemetry"] = self._tracer is not None
        return out


def _copy(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    out["status_codes"] = dict(record["status_codes"])
    return out


class _Instruments:
    """The OpenTelemetry side, built only once the package imported."""

    def __init__(self, trace: Any, context: Any, meter: Any) -> None:
        self._trace = trace
        self._context = context
        self.duration = meter.create_histogram(
            "apigen.client.request.duration",
            unit="s",
            description="Duration of one operation call, every attempt and wait included",
        )
        self.retries = meter.create_counter(
            "apigen.client.retries", unit="{retry}", description="Retries, by reason"
        )
        self.calls = meter.create_counter(
            "apigen.client.requests", unit="{request}", description="Operation calls"
        )
        create_gauge = getattr(meter, "create_gauge", None)
        self._breaker = (
            create_gauge(
                "apigen.client.breaker.state",
                unit="1",
                description="Circuit breaker: 0 closed, 1 half-open, 2 open",
            )
            if create_gauge
            else None
        )
        self._remaining = (
            create_gauge(
                "apigen.client.rate_limit.remaining",
                unit="{request}",
                description="Requests left in the server's quota, as last announced",
            )
            if create_gauge
            else None
        )

    def start(self, tracer: Any, name: str, attributes: dict[str, Any]) -> Any:
        span = tracer.start_span(name, kind=self._trace.SpanKind.CLIENT, attributes=attributes)
        token = self._context.attach(self._trace.set_span_in_context(span))
        return span, token

    def finish(
        self,
        started: Any,
        p: Any,
        operation: str,
        host: str | None,
        status: int | None,
        error: str | None,
        seconds: float,
        reasons: list[str],
        breaker: str,
    ) -> None:
        attributes: dict[str, Any] = {
            "apigen.operation_id": operation,
            "http.request.method": p.method,
            "server.address": host or "",
        }
        if status is not None:
            attributes["http.response.status_code"] = status
        if error is not None:
            attributes["error.type"] = error
        self.duration.record(seconds, attributes)
        self.calls.add(1, attributes)
        for reason in reasons:
            self.retries.add(1, {"apigen.operation_id": operation, "apigen.retry.reason": reason})
        if self._breaker is not None:
            self._breaker.set(_BREAKER_LEVEL.get(breaker, 0), {"server.address": host or ""})
        if started is None:
            return
        span, token = started
        try:
            if status is not None:
                span.set_attribute("http.response.status_code", status)
            span.set_attribute("apigen.attempts", p.attempts)
            span.set_attribute("apigen.retry.reasons", tuple(reasons))
            span.set_attribute("apigen.retry.count", len(reasons))
            span.set_attribute("apigen.breaker.state", breaker)
            if error is not None:
                span.set_attribute("error.type", error)
                span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, error))
        finally:
            self._context.detach(token)
            span.end()

    def breaker(self, state: str, host: str | None) -> None:
        if self._breaker is not None:
            self._breaker.set(_BREAKER_LEVEL.get(state, 0), {"server.address": host or ""})

    def rate_limit(self, remaining: int, host: str | None) -> None:
        if self._remaining is not None:
            self._remaining.set(remaining, {"server.address": host or ""})


def client_stats(
    recorder: TelemetryRecorder | None, breaker_state: str, breaker_failures: int
) -> dict[str, Any]:
    """``client.stats()``: the counters as plain data (zeros while telemetry is off)."""
    if recorder is not None:
        out = recorder.stats()
        out["enabled"] = True
    else:
        out = _new_operation()
        out.update(
            retry_reasons={},
            breaker_transitions={},
            operations={},
            rate_limit_remaining=None,
            opentelemetry=False,
            enabled=False,
        )
    out["breaker_state"] = breaker_state
    out["breaker_failures"] = breaker_failures
    return out
