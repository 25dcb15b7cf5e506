"""``apigen mock SPEC``: the generated packages' MockAPI served over HTTP on loopback.

For tools and languages other than Python. The spec is read the fast way when it
can be (a local OpenAPI 3.x JSON file without external references: plain
``json.loads``; the mock reads 3.0 and 3.1 schemas alike), otherwise through
apigen's loader and normaliser (YAML, Swagger 2.0, URLs, bundled refs). Requests
are answered concurrently (one thread each); each is logged with its verdict.
"""

from __future__ import annotations

import importlib
import json
import re
import signal
import sys
import threading
import time
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from . import __version__, mockspec
from .cache import Cache, digest
from .console import say
from .mockspec import mock_spec

if TYPE_CHECKING:
    from .runtime.mock import MockAPI

RUNTIME_DIR = Path(__file__).parent / "runtime"
EXTERNAL_REF = re.compile(rb'"\$ref"\s*:\s*"(?!#)')

MAX_BODY = 32 * 1024 * 1024  # a request body larger than this is refused (413)
LOOPBACK = ("127.0.0.1", "::1", "localhost")
HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "content-encoding"})


def read_mock_spec(source: str) -> dict[str, Any]:
    """The compact description of ``source`` (a path or URL)."""
    path = Path(source)
    if not source.startswith(("http://", "https://")) and path.suffix == ".json" and path.is_file():
        raw = path.read_bytes()
        cache = Cache.default()
        key = digest("mock", __version__, Path(mockspec.__file__).read_bytes(), raw)
        hit = cache.get("mock", key)
        if isinstance(hit, dict):
            return hit
        data = json.loads(raw)
        if (
            isinstance(data, dict)
            and str(data.get("openapi", "")).startswith("3.")
            and not EXTERNAL_REF.search(raw)
        ):
            compact = mock_spec(data)
            # stored after the server is up: the first start does not wait for it
            threading.Thread(target=cache.put, args=("mock", key, compact), daemon=True).start()
            return compact
    from .loader import load
    from .normalize import normalize

    return mock_spec(normalize(load(source)))


def _mock_module() -> Any:
    """runtime/mock.py without running the runtime package's ``__init__`` (the whole client):
    a stand-in package over the same folder, so ``apigen mock`` starts quickly."""
    name = "apigen._mock_runtime"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(RUNTIME_DIR)]
        sys.modules[name] = package
    return importlib.import_module(name + ".mock")


class _Log:
    """One line per request, whole lines even when threads answer at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self.lock:
            say(text)
            sys.stdout.flush()


def make_server(mock: MockAPI, host: str, port: int, log: _Log) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "apigen-mock"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY or length < 0:
                self._write(httpx.Response(413, json={"message": "request body too large"}))
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            if len(body) < length:  # the client went away mid-body: nothing to answer
                self.close_connection = True
                return
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_HEADERS]
            url = f"http://{self.headers.get('Host') or f'{host}:{port}'}{self.path}"
            try:
                request = httpx.Request(self.command, url, headers=headers, content=body)
            except (httpx.InvalidURL, ValueError) as exc:
                self._write(httpx.Response(400, json={"message": f"bad request target: {exc}"}))
                return
            call = mock.call(request)
            response, problems = call.response, call.problems
            self._write(response)
            verdict = (
                "ok"
                if response.status_code < 400 and not problems
                else ("rejected: " + "; ".join(problems[:3]) if problems else "answered")
            )
            log(f"{self.command} {self.path} -> {response.status_code} {verdict}")

        def _write(self, response: httpx.Response) -> None:
            content = response.content
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in HOP_HEADERS:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per request is written by _serve, with its verdict

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(source: str, host: str = "127.0.0.1", port: int = 8000, seed: int = 0) -> int:
    """Serve until SIGINT or SIGTERM (both arrive here as KeyboardInterrupt)."""
    started = time.perf_counter()
    log = _Log()
    data = read_mock_spec(source)
    mock = _mock_module().MockAPI(data, seed=seed, record=False)
    server = make_server(mock, host, port, log)
    bound_host, bound_port = server.server_address[:2]
    if isinstance(bound_host, bytes):
        bound_host = bound_host.decode("ascii", "replace")
    if host not in LOOPBACK:
        say(f"apigen mock: warning: listening on {host}, not loopback", err=True)
    # Ctrl-C stops it even when started with SIGINT ignored (a shell's background job, a
    # test runner started that way: Python then installs no handler), from the ready line on
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler) if on_main else None
    try:  # a signal as soon as the ready line is out stops it as cleanly as a later one
        log(
            f"apigen mock: {len(mock.operation_names)} operations on "
            f"http://{bound_host}:{bound_port} "
            f"(ready in {time.perf_counter() - started:.2f} s; Ctrl-C stops)"
        )
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    log(f"apigen mock: stopped after {mock.count} requests")
    return 0
