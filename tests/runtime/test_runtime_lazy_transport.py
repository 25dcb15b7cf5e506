"""The client's own httpx transport is made on the first request (issue 17, first call).

``Client()`` builds no connection pool and no SSL context; a plain-http call never
builds one; an https request builds httpx's default verifying context when it goes out.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest

from apigen.runtime import (
    APIConnectionError,
    AsyncAPIClient,
    Endpoint,
    ResponseType,
    SyncAPIClient,
)
from rt_faultserver import FaultServer, Reply, closed_port

OK = Endpoint("GET", "/ok", "ok", responses={"200": ResponseType("json")})


@pytest.fixture
def contexts(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every CA bundle an SSL context loads: httpx 0.28 makes its context with
    ``ssl.create_default_context(cafile=...)``, 0.27 with ``SSLContext`` and then
    ``load_verify_locations(cafile=...)``; both go through ``load_verify_locations``."""
    made: list[dict[str, Any]] = []
    real = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        named = dict(zip(("cafile", "capath", "cadata"), args))
        named.update(kwargs)
        made.append(named)
        real(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return made


SETTINGS: dict[str, Any] = {
    "package": "lazy",
    "version": "1",
    "max_retries": 0,
    "timeout": 2.0,
    "circuit_breaker": None,
}


def _client(base_url: str) -> SyncAPIClient:
    return SyncAPIClient(base_url=base_url, **SETTINGS)


def test_client_builds_no_ssl_context_and_http_calls_never_do(
    contexts: list[dict[str, Any]], fault_server: FaultServer
) -> None:
    fault_server.route("/ok", lambda r: Reply(json={"ok": True}))
    with _client("https://api.example.com") as unused:
        assert unused.base_url.startswith("https://")
    assert contexts == []
    with _client(fault_server.url) as client:
        assert client.request(OK) == {"ok": True}
        assert client.request(OK) == {"ok": True}  # the pooled connection is reused
    assert contexts == []
    assert len(fault_server.requests("/ok")) == 2


def test_https_request_builds_the_verifying_context_once(contexts: list[dict[str, Any]]) -> None:
    client = _client(f"https://127.0.0.1:{closed_port()}")
    for _ in range(2):
        with pytest.raises(APIConnectionError):
            client.request(OK)
    client.close()
    # httpx's own default: verification against certifi's bundle, made once per client
    assert len(contexts) == 1
    assert contexts[0]["cafile"].endswith("cacert.pem")


def test_async_client_makes_its_transport_on_first_request(
    contexts: list[dict[str, Any]], fault_server: FaultServer
) -> None:
    fault_server.route("/ok", lambda r: Reply(json={"ok": True}))

    async def main() -> None:
        async with AsyncAPIClient(base_url="https://api.example.com", **SETTINGS):
            pass
        assert contexts == []
        async with AsyncAPIClient(base_url=fault_server.url, **SETTINGS) as client:
            assert await client.request(OK) == {"ok": True}
        assert contexts == []
        client = AsyncAPIClient(base_url=f"https://127.0.0.1:{closed_port()}", **SETTINGS)
        with pytest.raises(APIConnectionError):
            await client.request(OK)
        await client.close()
        assert len(contexts) == 1

    asyncio.run(main())


def test_a_closed_client_refuses_to_send(fault_server: FaultServer) -> None:
    fault_server.route("/ok", lambda r: Reply(json={"ok": True}))
    client = _client(fault_server.url)
    client.close()
    with pytest.raises(RuntimeError):
        client.request(OK)
    assert fault_server.requests("/ok") == []


def test_plain_http_connections_carry_a_context_that_trusts_nothing() -> None:
    from apigen.runtime.transport import _plain_http_context

    context = _plain_http_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0  # any TLS handshake would fail
