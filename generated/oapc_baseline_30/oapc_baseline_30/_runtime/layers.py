"""The opt-in layers around a client's ``_send``: conditional requests and telemetry.

Each is off unless configured (``Client(cache=...)``, ``Client(telemetry=...)``), and
then wraps the client's ``_send`` for that client only; a client with neither keeps
the class's own method, so they cost nothing when not used. The cache is outermost:
telemetry sees the wire's 304, the caller the stored answer it stands for.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from .breaker import Breaker
from .conditional import ConditionalCache
from .config import ClientConfig
from .options import Hooks
from .telemetry import Telemetry, TelemetryRecorder

__all__ = ["install_layers"]


class LayeredClient(Protocol):
    """What the layers read and set on a client (``client.BaseAPIClient``): named here, so
    this module does not import the one that imports it."""

    config: ClientConfig
    base_url: str
    _http: Any
    _breaker: Breaker
    _is_async: bool
    _telemetry: TelemetryRecorder | None
    _hooks: Hooks
    _custom_auth: httpx.Auth | Any


def install_layers(client: LayeredClient, shared: LayeredClient | None) -> None:
    """Set up telemetry and the cache of ``client`` (sharing ``shared``'s telemetry
    counters when the copy keeps the same settings)."""
    config = client.config
    vars(client).pop("_send", None)  # a copy of a client starts from the class's method
    recorder: TelemetryRecorder | None = None
    if config.telemetry:
        settings = Telemetry() if config.telemetry is True else config.telemetry
        old = getattr(shared, "_telemetry", None)
        if isinstance(old, TelemetryRecorder) and old.config == settings:
            recorder = old
        else:
            recorder = TelemetryRecorder(
                settings,
                config.package,
                config.version,
                client.base_url,
                lambda: client._breaker.state,
            )
    client._telemetry = recorder
    if recorder is None and config.cache is None:
        return
    send: Any = getattr(client, "_send")  # the class's method, bound
    is_async = client._is_async
    if recorder is not None:
        hooks = client._hooks
        client._hooks = Hooks(
            on_request=hooks.on_request,
            on_response=(*hooks.on_response, recorder.on_response),
            on_retry=(*hooks.on_retry, recorder.on_retry),
            on_breaker=(*hooks.on_breaker, recorder.on_breaker),
        )
        send = recorder.wrap(send, is_async)
    if config.cache is not None:
        cache = ConditionalCache(config.cache, lambda p: _identity(client, cache, p))
        send = cache.wrap(send, is_async, lambda: client._http.headers.multi_items())
    setattr(client, "_send", send)


def _identity(client: LayeredClient, cache: ConditionalCache, p: Any) -> str:
    """Credentials the request headers do not show: an OAuth2 session's, an auth flow's."""
    parts = []
    if p.plan.oauth is not None:
        parts.append(p.plan.oauth.cache_identity)
    if client._custom_auth is not httpx.USE_CLIENT_DEFAULT or client._http.auth is not None:
        parts.append(cache.salt)
    return "|".join(parts)
