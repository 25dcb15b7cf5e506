"""A loopback HTTP server for tests: static documents, trickling and endless answers.

Every request is recorded (path and Host header), so a test can show that
something was never fetched. Each handler is bounded in time: nothing a test
starts outlives it.
"""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Loopback:
    routes: dict[str, bytes | Route] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def serve(routes: dict[str, bytes | Route]) -> Iterator[Loopback]:
    """Run a server for the duration of a ``with``-less fixture (a generator)."""
    state = Loopback(dict(routes))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            state.requests.append((self.path, self.headers.get("Host", "")))
            route = state.routes.get(self.path.split("?")[0])
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif callable(route):
                route(self)
            else:
                self.send_response(200)
                self.send_header("Content-Length", str(len(route)))
                self.end_headers()
                self.wfile.write(route)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.server = server
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def trickle(byte_every: float, for_at_most: float = 20.0) -> Route:
    """Answer 200 and then one byte every ``byte_every`` seconds, for a bounded time."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        end = time.monotonic() + for_at_most
        try:
            handler.wfile.write(b"openapi: 3.0.0\n")
            handler.wfile.flush()
            while time.monotonic() < end:
                handler.wfile.write(b"#")
                handler.wfile.flush()
                time.sleep(byte_every)
        except OSError:
            pass  # the client gave up: what the test wants

    return route


def endless(
    state_key: str,
    sent: dict[str, int],
    chunk: int = 1 << 20,
    at_most: int = 256 << 20,
    declare_length: bool = False,
) -> Route:
    """Answer an endless body (``at_most`` bytes at most), counting what was sent."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if declare_length:
            handler.send_header("Content-Length", str(at_most))
        handler.end_headers()
        block = b"x: " + b"a" * (chunk - 4) + b"\n"
        sent[state_key] = 0
        try:
            while sent[state_key] < at_most:
                handler.wfile.write(block)
                sent[state_key] += len(block)
        except OSError:
            pass

    return route


def gzip_bomb(decoded_size: int) -> Route:
    """Answer a small gzip body that decodes to ``decoded_size`` bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing, built a block at a time
    block = b"a" * (1 << 20)
    parts = [packer.compress(block) for _ in range(decoded_size // len(block))]
    body = b"".join([*parts, packer.compress(b"a" * (decoded_size % len(block))), packer.flush()])

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except OSError:
            pass

    return route
