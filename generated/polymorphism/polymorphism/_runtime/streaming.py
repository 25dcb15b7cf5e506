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
from typing import Any, AsyncIterator, Callable, Generic, Iterator, TypeVar

import httpx

from .errors import APIConnectionError, APIError, APITimeoutError

__all__ = [
    "ServerSentEvent",
    "SSEDecoder",
    "Stream",
    "AsyncStream",
    "APIStreamError",
    "DEFAULT_MAX_EVENT_BYTES",
    "StreamStart",
    "read_first_events",
    "aread_first_events",
    "is_event_stream",
]

T = TypeVar("T")

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
DONE = "[DONE]"


class _End:
    """The value of the ``[DONE]`` sentinel event: the stream ends there."""


END = _End()


class APIStreamError(APIError):
    """The server sent an ``error`` event, or a stream apigen will not buffer.

    ``event`` is the offending event when there was one; ``body`` its decoded JSON
    data (or the text when it was not JSON).
    """

    def __init__(
        self,
        message: str,
        *,
        event: ServerSentEvent | None = None,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.event = event
        self.body: Any = None
        if event is not None:
            try:
                self.body = event.json()
            except ValueError:
                self.body = event.data


class ServerSentEvent:
    """One dispatched event: ``event`` defaults to "message" as in the standard.

    A plain slotted class rather than a frozen dataclass: one is made per event, and
    a frozen dataclass costs three times as much to build.
    """

    __slots__ = ("event", "data", "id", "retry")

    def __init__(
        self,
        event: str = "message",
        data: str = "",
        id: str | None = None,
        retry: int | None = None,
    ) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def json(self) -> Any:
        """The data as JSON; ``ValueError`` (``json.JSONDecodeError``) when it is not."""
        return json.loads(self.data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.event, self.data, self.id, self.retry) == (
            other.event,
            other.data,
            other.id,
            other.retry,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(event={self.event!r}, data={self.data[:80]!r}, id={self.id!r}, "
            f"retry={self.retry!r})"
        )


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
        data = self._buffer + chunk if self._buffer else chunk
        lines = data.splitlines(keepends=True)  # bytes: CR, LF and CRLF only, as the standard
        if lines and not lines[-1].endswith((b"\n", b"\r")):
            self._buffer = lines.pop()
            if len(self._buffer) > self.max_event_bytes:
                raise APIStreamError(f"an event-stream line is over {self.max_event_bytes} bytes")
        else:
            self._buffer = b""
            self._pending_cr = data.endswith(b"\r")  # maybe half of a CRLF cut by the read
        events: list[ServerSentEvent] = []
        data_lines = self._data
        for line in lines:
            line = line.rstrip(b"\r\n")
            if line.startswith(b"data: ") and not self._first_line:  # the common line
                self._add_data(line[6:].decode("utf-8", errors="replace"))
            elif not line and data_lines and not self._first_line:
                events.append(
                    ServerSentEvent(
                        self._event or "message",
                        "\n".join(data_lines),
                        self.last_event_id,
                        self.retry,
                    )
                )
                self._event, data_lines, self._size = "", [], 0
                self._data = data_lines
            else:
                event = self._line(line)
                data_lines = self._data
                if event is not None:
                    events.append(event)
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
            self._add_data(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self.retry = int(value)
        return None

    def _add_data(self, value: str) -> None:
        self._size += len(value) + 1
        if self._size > self.max_event_bytes:
            raise APIStreamError(f"an event is over {self.max_event_bytes} bytes")
        self._data.append(value)

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(
            event=self._event or "message",
            data="\n".join(self._data),
            id=self.last_event_id,
            retry=self.retry,
        )
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


class StreamStart:
    """What the attempt loop read of a stream before handing it over: the decoder, the
    first events and the rest of the body's chunks. Reading up to the first event inside
    the attempt lets a connection that fails before it be retried like any call."""

    __slots__ = ("decoder", "events", "chunks")

    def __init__(self, decoder: SSEDecoder, events: list[ServerSentEvent], chunks: Any) -> None:
        self.decoder = decoder
        self.events = events
        self.chunks = chunks


def read_first_events(response: httpx.Response, max_event_bytes: int) -> StreamStart:
    """Read a streamed response until its first event (or its end); close it on failure."""
    decoder = SSEDecoder(max_event_bytes)
    chunks = response.iter_bytes()
    try:
        for chunk in chunks:
            events = decoder.feed(chunk)
            if events:
                return StreamStart(decoder, events, chunks)
        return StreamStart(decoder, decoder.flush(), iter(()))
    except BaseException:
        response.close()
        raise


async def aread_first_events(response: httpx.Response, max_event_bytes: int) -> StreamStart:
    """``read_first_events`` for an async response."""
    decoder = SSEDecoder(max_event_bytes)
    chunks = response.aiter_bytes()
    try:
        async for chunk in chunks:
            events = decoder.feed(chunk)
            if events:
                return StreamStart(decoder, events, chunks)
        return StreamStart(decoder, decoder.flush(), _no_chunks())
    except BaseException:
        await response.aclose()
        raise


async def _no_chunks() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator


def is_event_stream(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() == "text/event-stream"


class _StreamBase(Generic[T]):
    """What the sync and async streams share: turning one event into a value or an end."""

    def __init__(
        self,
        response: httpx.Response,
        parse: Callable[[ServerSentEvent], T],
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        start: StreamStart | None = None,
    ) -> None:
        self.response = response
        self._parse = parse
        self._decoder = start.decoder if start is not None else SSEDecoder(max_event_bytes)
        self._first: list[ServerSentEvent] = start.events if start is not None else []
        self._chunks: Any = start.chunks if start is not None else None
        self._events_seen = 0

    @property
    def request_id(self) -> str | None:
        from .errors import request_id_of

        return request_id_of(self.response.headers)

    def _value(self, event: ServerSentEvent) -> T | _End:
        """The event's value, or ``END`` for ``[DONE]``."""
        self._events_seen += 1
        if event.data == DONE:
            return END
        if event.event == "error":
            raise APIStreamError(_error_message(event), event=event, request=self.response.request)
        try:
            return self._parse(event)
        except APIError:
            raise
        except (ValueError, TypeError, RecursionError) as exc:  # bad JSON is the server's fault
            raise APIStreamError(
                f"an event's data could not be read: {type(exc).__name__}",
                event=event,
                request=self.response.request,
            ) from exc

    def _broken(self, exc: Exception) -> APIError:
        where = (
            "before the first event"
            if not self._events_seen
            else (f"after {self._events_seen} event{'s' if self._events_seen != 1 else ''}")
        )
        request = self.response.request
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"the event stream timed out {where}", request=request)
        return APIConnectionError(
            f"the event stream broke {where}: {type(exc).__name__}", request=request
        )


class Stream(_StreamBase[T]):
    """A synchronous stream of typed events: ``for chunk in stream`` or ``with stream``."""

    def __iter__(self) -> Iterator[T]:
        try:
            decoder, value_of = self._decoder, self._value
            for event in self._first:
                value = value_of(event)
                if value is END:
                    return
                yield value  # type: ignore[misc]
            chunks = self._chunks if self._chunks is not None else self.response.iter_bytes()
            for chunk in chunks:
                for event in decoder.feed(chunk):
                    value = value_of(event)
                    if value is END:
                        return
                    yield value  # type: ignore[misc]
            for event in decoder.flush():
                value = value_of(event)
                if value is END:
                    return
                yield value  # type: ignore[misc]
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
            decoder, value_of = self._decoder, self._value
            for event in self._first:
                value = value_of(event)
                if value is END:
                    return
                yield value  # type: ignore[misc]
            chunks = self._chunks if self._chunks is not None else self.response.aiter_bytes()
            async for chunk in chunks:
                for event in decoder.feed(chunk):
                    value = value_of(event)
                    if value is END:
                        return
                    yield value  # type: ignore[misc]
            for event in decoder.flush():
                value = value_of(event)
                if value is END:
                    return
                yield value  # type: ignore[misc]
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
