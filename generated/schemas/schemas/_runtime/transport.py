"""httpx's default transport, made when the first request needs it, not with the client.

``httpx.Client()`` builds its connection pool at once: it imports httpcore and h11 and
loads certifi's CA bundle into an SSL context, together about as much CPU as importing
httpx itself. A process that builds a client and never calls (a CLI's ``--help``, a
test that swaps the transport) pays that for nothing, and a plain-http call never uses
the SSL context. So the client's own transport makes, on the first https request,
exactly the transport httpx would have made (``httpx.HTTPTransport()`` with its
defaults: verification on, certifi's bundle or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``,
HTTP/1.1, httpx's pool limits), and, on the first plain-http request, the same
transport with an SSL context that trusts no certificate at all (never used, and if a
TLS connection were ever made through it, the handshake would fail, never pass
unverified). An https call still verifies the server exactly as before; it pays for
the SSL context at its first request rather than in ``Client()``.
"""

from __future__ import annotations

import ssl
import threading

import httpx


def _plain_http_context() -> ssl.SSLContext:
    """Verification on, no trusted certificate: what plain-http connections carry."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class LazyTransport(httpx.BaseTransport):
    """``httpx.HTTPTransport()`` for https (and a plain one for http), each made when the
    first request of its scheme is sent."""

    def __init__(self) -> None:
        self._tls: httpx.HTTPTransport | None = None
        self._plain: httpx.HTTPTransport | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _make(self, tls: bool) -> httpx.HTTPTransport:
        with self._lock:
            if self._closed:
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            if tls:
                if self._tls is None:
                    self._tls = httpx.HTTPTransport()
                return self._tls
            if self._plain is None:
                self._plain = httpx.HTTPTransport(verify=_plain_http_context())
            return self._plain

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":
            inner = self._plain or self._make(False)
        else:
            inner = self._tls or self._make(True)
        return inner.handle_request(request)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            made = [t for t in (self._tls, self._plain) if t is not None]
            self._tls = self._plain = None
        for transport in made:
            transport.close()


class AsyncLazyTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncHTTPTransport()``, the same way as ``LazyTransport``.

    Making one takes no await, so no task sees it half made: no lock needed."""

    def __init__(self) -> None:
        self._tls: httpx.AsyncHTTPTransport | None = None
        self._plain: httpx.AsyncHTTPTransport | None = None
        self._closed = False

    def _make(self, tls: bool) -> httpx.AsyncHTTPTransport:
        if self._closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        if tls:
            self._tls = httpx.AsyncHTTPTransport()
            return self._tls
        self._plain = httpx.AsyncHTTPTransport(verify=_plain_http_context())
        return self._plain

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":
            inner = self._plain or self._make(False)
        else:
            inner = self._tls or self._make(True)
        return await inner.handle_async_request(request)

    async def aclose(self) -> None:
        self._closed = True
        made = [t for t in (self._tls, self._plain) if t is not None]
        self._tls = self._plain = None
        for transport in made:
            await transport.aclose()
