"""Server-sent events: an incremental decoder and the ``Stream[T]`` / ``AsyncStream[T]`` views.

A ``text/event-stream`` body arrives in TCP reads that cut lines, even CRLF pairs,
anywhere, so the decoder keeps the partial line between reads and follows the
WHATWG event-stream rules (comments, multi-line ``data:``, ``id``, ``retry``).
Every byte is the server's: an event or a line larger than ``max_event_bytes``
raises ``APIStreamError`` instead of growing memory, and a read that fails after
the first event raises ``APIConnectionError`` (the request cannot be replayed
without losing or repeating events). A stream closes its connection when the
loop ends, breaks or raises, and as a context manager.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Generic, Iterable, Iterator, TypeVar

import httpx

from .errors import APIConnectionError, APIError, APITimeoutError

__all__ = [
    "ServerSentEvent",
    "SSEDecoder",
    "Stream",
    "AsyncStream",
    "APIStreamError",
    "DEFAULT_MAX_EVENT_BYTES",
]

T = TypeVar("T")

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
DONE = "[DONE]"


class APIStreamError(APIError):
    """The server sent an ``error`` event, or a stream apigen will not buffer.

    ``event`` is the offending event when there was one; ``body`` its decoded JSON
    data (or the text when it was not JSON).
    """

    def __init__(self, message: str, *, event: ServerSentEvent | None = None,
                 request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)
        self.event = event
        self.body: Any = None
        if event is not None:
            try:
                self.body = event.json()
            except ValueError:
                self.body = event.data


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: ``event`` defaults to "message" as in the standard."""

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        """The data as JSON; ``ValueError`` (``json.JSONDecodeError``) when it is not."""
        return json.loads(self.data)


class SSEDecoder:
    """Bytes in, events out, across reads cut anywhere.

    ``feed`` returns the events completed by a chunk; ``flush`` ends the stream
    (an event not closed by a blank line is dropped, as the standard says).
    ``last_event_id`` persists across events, for a reconnect's Last-Event-ID.
    """

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self.last_event_id: str | None = None
        self.retry: int | None = None
        self._buffer = b""
        self._pending_cr = False  # the last chunk ended in CR: a LF opening the next is its pair
        self._first_line = True
        self._event = ""
        self._data: list[str] = []
        self._size = 0

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._pending_cr = False
        events: list[ServerSentEvent] = []
        data = self._buffer + chunk
        start = 0
        length = len(data)
        while start < length:
            cr = data.find(b"\r", start)
            lf = data.find(b"\n", start)
            if cr < 0 and lf < 0:
                break
            if cr < 0 or (0 <= lf < cr):
                end, after = lf, lf + 1
            elif cr == length - 1:  # CR at the end: a line, and maybe half of CRLF
                end, after = cr, cr + 1
                self._pending_cr = True
            else:
                end, after = cr, cr + 2 if data[cr + 1:cr + 2] == b"\n" else cr + 1
            event = self._line(data[start:end])
            if event is not None:
                events.append(event)
            start = after
        self._buffer = data[start:]
        if len(self._buffer) > self.max_event_bytes:
            raise APIStreamError(f"an event-stream line is over {self.max_event_bytes} bytes")
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: a trailing line without its newline still counts as a line."""
        events: list[ServerSentEvent] = []
        if self._buffer:
            event = self._line(self._buffer)
            self._buffer = b""
            if event is not None:
                events.append(event)
        self._event, self._data, self._size = "", [], 0
        return events

    def _line(self, raw: bytes) -> ServerSentEvent | None:
        line = raw.decode("utf-8", errors="replace")
        if self._first_line:
            self._first_line = False
            line = line.removeprefix("\ufeff")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: keep-alives are sent this way
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._size += len(value) + 1
            if self._size > self.max_event_bytes:
                raise APIStreamError(f"an event is over {self.max_event_bytes} bytes")
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self.retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(event=self._event or "message", data="\n".join(self._data),
                                id=self.last_event_id, retry=self.retry)
        self._event, self._data, self._size = "", [], 0
        return event


def _error_message(event: ServerSentEvent) -> str:
    try:
        body = event.json()
    except ValueError:
        return event.data[:500] or "the server sent an error event"
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(message, str):
            return message[:500]
        if isinstance(inner, str):
            return inner[:500]
    return event.data[:500]


class _StreamBase(Generic[T]):
    """What the sync and async streams share: turning one event into a value or an end."""

    def __init__(self, response: httpx.Response, parse: Callable[[ServerSentEvent], T], *,
                 max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.response = response
        self._parse = parse
        self._decoder = SSEDecoder(max_event_bytes)
        self._events_seen = 0

    @property
    def request_id(self) -> str | None:
        from .errors import request_id_of

        return request_id_of(self.response.headers)

    def _values(self, events: Iterable[ServerSentEvent]) -> Iterator[T | None]:
        """Each event's value; None marks the end (``[DONE]``)."""
        for event in events:
            self._events_seen += 1
            if event.data == DONE:
                yield None
                return
            if event.event == "error":
                raise APIStreamError(_error_message(event), event=event,
                                     request=self.response.request)
            try:
                yield self._parse(event)
            except APIError:
                raise
            except (ValueError, TypeError, RecursionError) as exc:  # bad JSON is the server's fault
                raise APIStreamError(f"an event's data could not be read: {type(exc).__name__}",
                                     event=event, request=self.response.request) from exc

    def _broken(self, exc: Exception) -> APIError:
        where = "before the first event" if not self._events_seen else (
            f"after {self._events_seen} event{'s' if self._events_seen != 1 else ''}")
        request = self.response.request
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"the event stream timed out {where}", request=request)
        return APIConnectionError(f"the event stream broke {where}: {type(exc).__name__}",
                                  request=request)


class Stream(_StreamBase[T]):
    """A synchronous stream of typed events: ``for chunk in stream`` or ``with stream``."""

    def __iter__(self) -> Iterator[T]:
        try:
            for chunk in self.response.iter_bytes():
                for value in self._values(self._decoder.feed(chunk)):
                    if value is None:
                        return
                    yield value
            for value in self._values(self._decoder.flush()):
                if value is None:
                    return
                yield value
        except httpx.HTTPError as exc:
            raise self._broken(exc) from exc
        finally:
            self.response.close()

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStream(_StreamBase[T]):
    """An asynchronous stream of typed events: ``async for`` or ``async with``."""

    async def __aiter__(self) -> AsyncIterator[T]:
        try:
            async for chunk in self.response.aiter_bytes():
                for value in self._values(self._decoder.feed(chunk)):
                    if value is None:
                        return
                    yield value
            for value in self._values(self._decoder.flush()):
                if value is None:
                    return
                yield value
        except httpx.HTTPError as exc:
            raise self._broken(exc) from exc
        finally:
            await self.response.aclose()

    async def close(self) -> None:
        await self.response.aclose()

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
