"""A generated client (API key, cursor-paginated list, POST) against a real loopback server.

Proves, end to end through httpx sockets, what the runtime core promises: auth
sent, pages walked lazily, GET retried on 503, a POST never duplicated after a
500 but retried after a 429 or with an idempotency key, the breaker opening and
recovering, the limiter holding its rate across threads, secrets kept out of logs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from support import import_generated

pagination = import_generated("pagination")
from pagination.models import Customer  # noqa: E402

API_KEY = "sk-test-0123456789"
CUSTOMERS = [{"id": f"cus_{i}", "email": f"c{i}@example.com"} for i in range(1, 7)]
PAGES = {None: (0, 3, "c2"), "c2": (3, 5, "c3"), "c3": (5, 6, None)}


class Server:
    """Scripted responses; records every request it sees (path, headers, time)."""

    def __init__(self) -> None:
        self.log: list[dict] = []
        self.script: dict[str, list[int]] = {}  # "POST /v1/customers" -> statuses to answer first
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                key = f"{self.command} {url.path}"
                with outer.lock:
                    outer.log.append(
                        {
                            "key": key,
                            "headers": dict(self.headers),
                            "query": parse_qs(url.query),
                            "body": body,
                            "t": time.monotonic(),
                        }
                    )
                    queued = outer.script.get(key) or []
                    status = queued.pop(0) if queued else None
                if status is not None:
                    headers = {"Retry-After": "0"} if status in (429, 503) else {}
                    return self.send(status, {"error": "scripted"}, headers)
                if self.headers.get("X-API-Key") != API_KEY:
                    return self.send(401, {"error": "no key"})
                if key == "GET /v1/customers":
                    cursor = parse_qs(url.query).get("cursor", [None])[0]
                    start, end, nxt = PAGES[cursor]
                    return self.send(200, {"items": CUSTOMERS[start:end], "next_cursor": nxt})
                if key == "POST /v1/customers":
                    return self.send(201, {"id": "cus_new", **json.loads(body)})
                if key.startswith("GET /v1/customers/"):
                    return self.send(
                        200, {"id": url.path.rsplit("/", 1)[1], "email": "x@example.com"}
                    )
                return self.send(404, {"error": "unknown"})

            do_GET = do_POST = _answer

            def send(
                self, status: int, payload: object, headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def count(self, key: str) -> int:
        return sum(1 for entry in self.log if entry["key"] == key)


@pytest.fixture
def server():
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def no_sleep_retry() -> pagination.RetryPolicy:
    return pagination.RetryPolicy(sleep=lambda seconds: None)


def make_client(server: Server, **kwargs) -> pagination.Client:  # type: ignore[no-untyped-def]
    kwargs.setdefault("retry", no_sleep_retry())
    return pagination.Client(server.url, api_key=API_KEY, **kwargs)


def test_cursor_pagination_walks_all_pages_lazily(server):
    with make_client(server) as client:
        paginator = client.customers.list(limit=3)
        assert server.count("GET /v1/customers") == 0  # nothing fetched until iterated
        first = next(iter(paginator))
        assert isinstance(first, Customer) and server.count("GET /v1/customers") == 1
        ids = [c.id for c in client.customers.list(limit=3)]
    assert ids == [c["id"] for c in CUSTOMERS]
    cursors = [e["query"].get("cursor") for e in server.log if e["key"] == "GET /v1/customers"][1:]
    assert cursors == [None, ["c2"], ["c3"]]
    assert all(e["headers"].get("X-API-Key") == API_KEY for e in server.log)


def test_get_is_retried_on_503(server):
    server.script["GET /v1/customers/cus_1"] = [503, 503]
    with make_client(server) as client:
        customer = client.customers.retrieve("cus_1")
    assert customer.id == "cus_1"
    assert server.count("GET /v1/customers/cus_1") == 3


def test_post_is_not_duplicated_after_a_500(server):
    server.script["POST /v1/customers"] = [500]
    with make_client(server) as client, pytest.raises(pagination.InternalServerError) as info:
        client.customers.create(body={"email": "a@example.com"})
    assert server.count("POST /v1/customers") == 1
    assert "1 attempt" in str(info.value)


def test_post_is_retried_after_429_and_with_idempotency_key(server):
    server.script["POST /v1/customers"] = [429]
    with make_client(server) as client:
        created = client.customers.create(body={"email": "a@example.com"})
        assert created.id == "cus_new" and server.count("POST /v1/customers") == 2
        server.script["POST /v1/customers"] = [500]
        client.customers.create(body={"email": "b@example.com"}, idempotency_key="idem-1")
    posts = [e for e in server.log if e["key"] == "POST /v1/customers"]
    assert len(posts) == 4 and posts[-1]["headers"].get("Idempotency-Key") == "idem-1"


def test_breaker_opens_fails_fast_and_recovers(server):
    now = [1000.0]
    breaker = pagination.CircuitBreaker(
        failure_threshold=2, recovery_time=30.0, clock=lambda: now[0]
    )
    server.script["GET /v1/customers/cus_2"] = [500, 500]
    states: list[tuple[str, str]] = []
    hooks = pagination.Hooks(on_breaker=[lambda old, new: states.append((old, new))])
    with make_client(server, circuit_breaker=breaker, max_retries=0, hooks=hooks) as client:
        for _ in range(2):
            with pytest.raises(pagination.InternalServerError):
                client.customers.retrieve("cus_2")
        with pytest.raises(pagination.CircuitOpenError):
            client.customers.retrieve("cus_2")
        assert server.count("GET /v1/customers/cus_2") == 2  # failed fast, never sent
        now[0] += 31
        assert client.customers.retrieve("cus_2").id == "cus_2"  # the probe succeeds
        assert client.customers.retrieve("cus_2").id == "cus_2"
    assert [s[1] for s in states] == ["open", "half_open", "closed"]


def test_rate_limit_holds_across_threads(server):
    """The generated client's limiter gives each of 32 calls from 8 threads its own slot.

    The clock is frozen and sleeps only record, so the waits handed out are the schedule
    the limiter imposes: the k-th call waits k / rate, however loaded the machine is.
    """
    rate = 40.0
    waits, lock = [], threading.Lock()

    def record(seconds):
        with lock:
            waits.append(seconds)

    limit = pagination.RateLimit(requests=rate, per=1.0, burst=1, clock=lambda: 5.0, sleep=record)
    with make_client(server, rate_limit=limit) as client:
        threads = [
            threading.Thread(target=lambda: [client.customers.retrieve("cus_3") for _ in range(4)])
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
    assert len(server.log) == 32
    assert sorted(waits) == pytest.approx([k / rate for k in range(1, 32)])


def test_secrets_never_logged(server, caplog):
    caplog.set_level(logging.DEBUG, logger="pagination")
    with make_client(server) as client:
        client.customers.retrieve("cus_4")
    assert caplog.records, "expected a DEBUG line per attempt"
    assert all(API_KEY not in r.getMessage() for r in caplog.records)
