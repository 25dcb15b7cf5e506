"""A loopback HTTP server whose answers are scripted per path, for fault injection.

Runs in a daemon thread on an ephemeral 127.0.0.1 port, records every request with a
monotonic timestamp, answers at most ``max_requests`` requests and shuts itself
down after ``lifetime`` seconds even if a test forgets to stop it.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    n: int  # 1-based count of requests to this path so far
    at: float = 0.0

    def q(self, name: str, default: str | None = None) -> str | None:
        v = self.query.get(name)
        return v[0] if v else default


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False  # abort the connection with a TCP RST instead of answering
    trickle: float = 0.0  # seconds between single bytes of the body (a slow-drip server)


Route = Callable[[Req], Reply]


class FaultServer:
    def __init__(self, max_requests: int = 1000, lifetime: float = 60.0) -> None:
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.routes: dict[str, Route] = {}
        self.log: list[Req] = []
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://127.0.0.1:{port}"

    def route(self, path: str, fn: Route) -> None:
        self.routes[path] = fn

    def requests(self, path: str | None = None) -> list[Req]:
        with self._lock:
            return [r for r in self.log if path is None or r.path == path]

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            n = self._counts.get(parts.path, 0) + 1
            self._counts[parts.path] = n
            req = Req(
                handler.command,
                parts.path,
                parse_qs(parts.query),
                {k.lower(): v for k, v in handler.headers.items()},
                body,
                n,
                time.monotonic(),
            )
            self.log.append(req)
            over = len(self.log) > self.max_requests
        fn = self.routes.get(parts.path)
        if over:
            reply = Reply(503, json={"error": "fault server request budget exhausted"})
        elif fn is None:
            reply = Reply(404, json={"error": "no route"})
        else:
            reply = fn(req)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.reset:
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.connection.close()
            handler.close_connection = True
            return
        payload = reply.body
        headers = dict(reply.headers)
        if reply.json is not None:
            payload = json.dumps(reply.json).encode()
            headers.setdefault("Content-Type", "application/json")
        handler.send_response(reply.status)
        for k, v in headers.items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command != "HEAD":
            if reply.trickle:
                for i in range(len(payload)):
                    handler.wfile.write(payload[i : i + 1])
                    handler.wfile.flush()
                    time.sleep(reply.trickle)
            else:
                handler.wfile.write(payload)

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except (ConnectionError, OSError):
                    self.close_connection = True

            def _any(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, httpd.shutdown)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port
