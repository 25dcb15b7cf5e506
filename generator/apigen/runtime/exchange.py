"""The parts of one attempt that a server controls: redirects, body size and duration.

Both clients run the same attempt loop (``BaseAPIClient._exchange``); this module holds
what it needs to keep a server from making the client send credentials elsewhere, use
unbounded memory or wait without end:

- ``redirect_request``: the next hop of a redirect the user's ``http_client`` asked to
  follow; a hop that leaves the API's origin carries no credentials of any kind.
- ``BodyBudget``: the decoded-size cap and the attempt deadline, checked on every chunk.
- ``AttemptDeadlineExceeded``: a timeout (so it is retried and reported like one).
- ``AttemptBounds`` / ``BoundingTrace``: how the sync client keeps its deadline while a
  blocking read waits (each socket operation's timeout is cut to the attempt's end; the
  async client cancels the wait instead). No thread: a process can fork at any time.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, Iterable

import httpx

from .errors import APIResponseTooLargeError
from .options import ResponseLimits

__all__ = [
    "AttemptBounds",
    "AttemptDeadlineExceeded",
    "BACKSTOP",
    "BodyBudget",
    "BoundingTrace",
    "bound_stream",
    "current_bounds",
    "enter_bounds",
    "restore_bounds",
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
            parts = [
                t
                for t in (timeout.connect, timeout.read, timeout.write, timeout.pool)
                if t is not None
            ]
            seconds = max(parts) if parts else None
        elif isinstance(timeout, (int, float)):
            seconds = float(timeout)
    if seconds is None or math.isinf(seconds) or math.isnan(seconds):
        return None
    return max(0.0, float(seconds))


class BodyBudget:
    """Counts the decoded bytes of one attempt against the cap and the deadline."""

    __slots__ = ("request", "limit", "deadline", "clock", "size", "chunks", "bounds")

    def __init__(
        self,
        request: httpx.Request,
        limit: int | None,
        deadline: float | None,
        clock: Callable[[], float],
    ) -> None:
        self.request = request
        self.limit = limit
        self.deadline = deadline
        self.clock = clock
        self.size = 0
        self.chunks: list[bytes] = []
        self.bounds: AttemptBounds | None = None

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
                request=self.request,
                limit=self.limit,
            )
        if self.deadline is not None and self.clock() >= self.deadline:  # remaining(), inline
            raise AttemptDeadlineExceeded("attempt deadline exceeded", request=self.request)
        self.chunks.append(chunk)

    def finish(self, response: httpx.Response) -> None:
        """Make the body available as ``response.content``, as ``response.read()`` does."""
        response._content = b"".join(self.chunks)
        self.chunks = []


class AttemptBounds:
    """The hard end of one sync attempt, for the socket reads and writes it makes.

    ``end`` is ``time.monotonic()`` seconds; ``fired`` is set when an operation failed
    because the end had come (its error is then the deadline's).
    """

    __slots__ = ("end", "fired")

    def __init__(self, end: float) -> None:
        self.end = end
        self.fired = False


# The sync attempt this thread is inside (set around the blocking I/O of SEND and READ),
# read by the bounded streams below: a keep-alive connection serves later attempts too.
_CURRENT = threading.local()
_WRITE_PIECE = 64 * 1024


def current_bounds() -> AttemptBounds | None:
    bounds: AttemptBounds | None = getattr(_CURRENT, "bounds", None)
    return bounds


def enter_bounds(bounds: AttemptBounds | None) -> AttemptBounds | None:
    """Make ``bounds`` this thread's attempt; returns the one to restore afterwards."""
    previous = getattr(_CURRENT, "bounds", None)
    _CURRENT.bounds = bounds
    return previous


def restore_bounds(previous: AttemptBounds | None) -> None:
    _CURRENT.bounds = previous


def _bounded(
    operation: Callable[[Any, float | None], Any], data: Any, timeout: float | None
) -> Any:
    """Run one socket operation with its timeout cut to what the attempt has left."""
    bounds: AttemptBounds | None = getattr(_CURRENT, "bounds", None)
    if bounds is None:
        return operation(data, timeout)
    left = bounds.end - time.monotonic()
    if timeout is not None and timeout <= left:
        return operation(data, timeout)
    if left <= 0.0:
        bounds.fired = True
        raise TimeoutError("attempt deadline exceeded")
    try:
        return operation(data, left)
    except Exception:
        if time.monotonic() >= bounds.end:
            bounds.fired = True
        raise


def bound_stream(stream: Any) -> None:
    """Cut every read and write of an httpcore network stream to the deadline of the
    sync attempt using it at the time (per call: the connection outlives the attempt).

    A blocking read cannot be interrupted from its own thread, and a server that sends
    one byte per read timeout keeps every read alive; a read whose timeout is cut to
    the attempt's end does end there, with no thread to wake it.
    """
    if stream is None or getattr(stream, "_apigen_bounded", False):
        return
    read, write = stream.read, stream.write

    def bounded_read(max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = _bounded(read, max_bytes, timeout)
        return data

    def bounded_write(buffer: bytes, timeout: float | None = None) -> None:
        if len(buffer) <= _WRITE_PIECE:
            _bounded(write, buffer, timeout)
            return
        view = memoryview(buffer)  # pieces: the deadline is checked between them
        for start in range(0, len(view), _WRITE_PIECE):
            _bounded(write, view[start : start + _WRITE_PIECE], timeout)

    try:
        stream.read, stream.write = bounded_read, bounded_write
        stream._apigen_bounded = True
    except AttributeError:  # a stream that takes no attributes keeps its own timeouts
        pass


class BoundingTrace:
    """httpcore's ``trace`` extension: bounds each network stream as it is opened (or
    wrapped in TLS), then calls the ``trace`` the request already had."""

    __slots__ = ("chained",)

    def __init__(self, chained: Any = None) -> None:
        self.chained = chained

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            bound_stream(info.get("return_value"))
        if self.chained is not None:
            self.chained(event, info)


def _without(url: httpx.URL, names: Iterable[str]) -> httpx.URL:
    lowered = {n.lower() for n in names}
    items = url.params.multi_items()
    if not any(k.lower() in lowered for k, _ in items):
        return url
    kept: list[tuple[str, Any]] = [(k, v) for k, v in items if k.lower() not in lowered]
    return url.copy_with(params=httpx.QueryParams(kept))


def redirect_request(
    request: httpx.Request,
    response: httpx.Response,
    api_origin: str,
    credential_query: Iterable[str],
) -> tuple[httpx.Request, bool]:
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
        headers = httpx.Headers(
            [(k, v) for k, v in headers.multi_items() if k.lower() in _CROSS_ORIGIN_HEADERS]
        )
        url = _without(url, credential_query)
    headers.pop("host", None)
    next_request = httpx.Request(
        method, url, headers=headers, content=content, extensions=request.extensions
    )
    return next_request, same_origin


def monotonic(limits: ResponseLimits) -> Callable[[], float]:
    return limits.clock or time.monotonic
