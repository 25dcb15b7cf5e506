"""The parts of one attempt that a server controls: redirects, body size and duration.

Both clients run the same attempt loop (``BaseAPIClient._exchange``); this module holds
what it needs to keep a server from making the client send credentials elsewhere, use
unbounded memory or wait without end:

- ``redirect_request``: the next hop of a redirect the user's ``http_client`` asked to
  follow; a hop that leaves the API's origin carries no credentials of any kind.
- ``BodyBudget``: the decoded-size cap and the attempt deadline, checked on every chunk.
- ``AttemptDeadlineExceeded``: a timeout (so it is retried and reported like one).
- ``SocketGuard`` / ``WATCHDOG``: how the sync client keeps its deadline while a blocking
  read waits (the async client cancels the wait instead).
"""

from __future__ import annotations

import heapq
import math
import socket
import threading
import time
from typing import Any, Callable, Iterable

import httpx

from .errors import APIResponseTooLargeError
from .options import ResponseLimits

__all__ = [
    "AttemptDeadlineExceeded",
    "BACKSTOP",
    "BodyBudget",
    "SocketGuard",
    "WATCHDOG",
    "deadline_seconds",
    "origin_of",
    "redirect_request",
    "REDIRECT_STATUSES",
]

# The sync client checks the deadline between reads; a read that never ends is stopped
# this much later (a quarter of the deadline), so that an ordinary read timeout, which
# starts later than the attempt, is still reported as the read timeout it is.
BACKSTOP = 1.25

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# The only headers a hop to another origin keeps: nothing that can carry a credential.
_CROSS_ORIGIN_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "user-agent", "content-type"}
)
_BODY_HEADERS = ("content-length", "transfer-encoding", "content-type")


class AttemptDeadlineExceeded(httpx.ReadTimeout):
    """The attempt ran past ``ResponseLimits.attempt_deadline``."""


def origin_of(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def deadline_seconds(limits: ResponseLimits, timeout: Any) -> float | None:
    """Seconds one attempt may take: the configured deadline, else the largest part of
    the effective timeout (a float, an ``httpx.Timeout`` or None for no timeout)."""
    seconds = limits.attempt_deadline
    if seconds is None:
        if isinstance(timeout, httpx.Timeout):
            parts = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool)
                     if t is not None]
            seconds = max(parts) if parts else None
        elif isinstance(timeout, (int, float)):
            seconds = float(timeout)
    if seconds is None or math.isinf(seconds) or math.isnan(seconds):
        return None
    return max(0.0, float(seconds))


class BodyBudget:
    """Counts the decoded bytes of one attempt against the cap and the deadline."""

    __slots__ = ("request", "limit", "deadline", "clock", "size", "chunks", "guard")

    def __init__(self, request: httpx.Request, limit: int | None, deadline: float | None,
                 clock: Callable[[], float]) -> None:
        self.request = request
        self.limit = limit
        self.deadline = deadline
        self.clock = clock
        self.size = 0
        self.chunks: list[bytes] = []
        self.guard: SocketGuard | None = None

    def remaining(self) -> float | None:
        """Seconds left before the deadline (raises once it has passed)."""
        if self.deadline is None:
            return None
        left = self.deadline - self.clock()
        if left <= 0.0:
            raise AttemptDeadlineExceeded("attempt deadline exceeded", request=self.request)
        return left

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.limit is not None and self.size > self.limit:
            raise APIResponseTooLargeError(
                f"{self.request.method} {self.request.url.path}: the response body is larger "
                f"than the {self.limit:,}-byte limit (ResponseLimits.max_bytes); reading stopped",
                request=self.request, limit=self.limit,
            )
        self.remaining()
        self.chunks.append(chunk)

    def finish(self, response: httpx.Response) -> None:
        """Make the body available as ``response.content``, as ``response.read()`` does."""
        response._content = b"".join(self.chunks)
        self.chunks = []


class SocketGuard:
    """Shuts the socket of one sync attempt when its deadline passes.

    A blocking read cannot be interrupted from its own thread, and a server that sends
    one byte per read timeout keeps every read alive; so the socket the attempt opened
    (seen through httpcore's ``trace`` hook as it connects) is shut down from the
    watchdog thread, and the read that was waiting ends at once.
    """

    __slots__ = ("stream", "done", "fired", "chained")

    def __init__(self, chained: Any = None) -> None:
        self.stream: Any = None
        self.done = False
        self.fired = False
        self.chained = chained

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.stream = info.get("return_value")
        if self.chained is not None:
            self.chained(event, info)

    def fire(self) -> None:
        stream = self.stream
        if self.done or stream is None:
            return
        self.fired = True
        try:
            sock = stream.get_extra_info("socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):  # already closed: nothing left to stop
            pass


class _Watchdog:
    """One daemon thread per process, woken at the earliest deadline of a sync attempt.

    The thread runs only while some attempt is in flight: it ends when the last one is
    over (a process that forks, apigen's own workers included, sees no stray thread).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, SocketGuard]] = []
        self._count = 0
        self._active = 0
        self._thread: threading.Thread | None = None

    def watch(self, guard: SocketGuard, seconds: float) -> None:
        with self._cond:
            self._count += 1
            self._active += 1
            heapq.heappush(self._heap, (time.monotonic() + seconds, self._count, guard))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="apigen-deadlines",
                                                daemon=True)
                self._thread.start()
            elif self._heap[0][2] is guard:
                self._cond.notify()

    def release(self, guard: SocketGuard) -> None:
        """The attempt is over: its socket is no longer the watchdog's to shut."""
        with self._cond:
            if guard.done:
                return
            guard.done = True
            guard.stream = None
            self._active -= 1
            if self._active == 0:
                self._heap.clear()
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._heap:
                    self._thread = None  # nothing in flight: end; the next watch starts anew
                    return
                due, _, guard = self._heap[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            guard.fire()


WATCHDOG = _Watchdog()


def _without(url: httpx.URL, names: Iterable[str]) -> httpx.URL:
    lowered = {n.lower() for n in names}
    items = url.params.multi_items()
    if not any(k.lower() in lowered for k, _ in items):
        return url
    kept: list[tuple[str, Any]] = [(k, v) for k, v in items if k.lower() not in lowered]
    return url.copy_with(params=httpx.QueryParams(kept))


def redirect_request(request: httpx.Request, response: httpx.Response, api_origin: str,
                     credential_query: Iterable[str]) -> tuple[httpx.Request, bool]:
    """The request for the next hop, and whether it may carry credentials.

    Raises ``httpx.InvalidURL`` (or ``KeyError`` without Location) for a hop that cannot
    be made; the caller reports it as the redirect it did not follow.
    """
    url = request.url.join(httpx.URL(response.headers["location"]))
    if url.scheme not in ("http", "https") or not url.host:
        raise httpx.InvalidURL(f"redirect to an unusable URL (scheme {url.scheme!r})")
    method = request.method
    status = response.status_code
    if (status in (302, 303) and method != "HEAD") or (status == 301 and method == "POST"):
        method = "GET"
    headers = httpx.Headers(request.headers)
    content = request.content if method == request.method else None
    if content is None:
        for name in _BODY_HEADERS:
            headers.pop(name, None)
    same_origin = origin_of(url) == api_origin
    if not same_origin:
        headers = httpx.Headers([(k, v) for k, v in headers.multi_items()
                                 if k.lower() in _CROSS_ORIGIN_HEADERS])
        url = _without(url, credential_query)
    headers.pop("host", None)
    next_request = httpx.Request(method, url, headers=headers, content=content,
                                 extensions=request.extensions)
    return next_request, same_origin


def monotonic(limits: ResponseLimits) -> Callable[[], float]:
    return limits.clock or time.monotonic
