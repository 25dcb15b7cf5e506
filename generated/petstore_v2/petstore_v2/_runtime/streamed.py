"""Streamed responses: ``client.with_streaming_response.<resource>.<method>(...)``.

The call returns a context manager; entering it sends the request and hands back the
response as soon as its headers arrive, with the body still on the wire. The body is
then read in pieces (``iter_bytes``, ``iter_text``, ``iter_lines``, ``write_to_file``),
so a 2 GB download needs no more memory than one piece, or whole (``read``, ``parse``,
within ``ResponseLimits.max_bytes``). Leaving the block closes the connection. A status
error is raised on entering, as the plain method raises it; a connection that breaks
while the body streams raises ``APIConnectionError`` (``APITimeoutError``).
"""

from __future__ import annotations

import functools
import os
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Generic,
    Iterator,
    ParamSpec,
    TypeVar,
)

import httpx

from .errors import APIConnectionError, APITimeoutError, request_id_of
from .raw import _UNPARSED, RAW_MODE, APIResponse, RawSlot

__all__ = [
    "StreamedResponse",
    "AsyncStreamedResponse",
    "StreamedResponseManager",
    "AsyncStreamedResponseManager",
    "to_streamed_response",
    "async_to_streamed_response",
]

R = TypeVar("R")
P = ParamSpec("P")


def body_broken(response: httpx.Response, exc: httpx.HTTPError) -> Exception:
    request = response.request
    where = f"{request.method} {request.url.path}"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"{where}: the response body timed out while streaming", request=request
        )
    return APIConnectionError(
        f"{where}: the response body broke off while streaming ({type(exc).__name__})",
        request=request,
    )


class StreamedResponse(APIResponse[R]):
    """A response whose body is read as you go; ``parse()`` reads it whole and returns the
    typed value the plain method would."""

    __slots__ = ("_reader",)

    def __init__(
        self,
        response: httpx.Response,
        parse: Callable[[], R],
        reader: Callable[[], None],
        retries_taken: int = 0,
        sent_at: float | None = None,
    ) -> None:
        super().__init__(response, parse, retries_taken, sent_at)
        self._reader = reader

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body in pieces (decoded: gzip and the like undone), never all at once."""
        response = self.http_response
        try:
            yield from response.iter_bytes(chunk_size)
        except httpx.HTTPError as exc:
            raise body_broken(response, exc) from exc

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        response = self.http_response
        try:
            yield from response.iter_text(chunk_size)
        except httpx.HTTPError as exc:
            raise body_broken(response, exc) from exc

    def iter_lines(self) -> Iterator[str]:
        response = self.http_response
        try:
            yield from response.iter_lines()
        except httpx.HTTPError as exc:
            raise body_broken(response, exc) from exc

    def write_to_file(self, path: str | os.PathLike[str], chunk_size: int = 64 * 1024) -> int:
        """Write the body to ``path`` piece by piece; returns the number of bytes written."""
        written = 0
        with open(path, "wb") as handle:
            for chunk in self.iter_bytes(chunk_size):
                handle.write(chunk)
                written += len(chunk)
        return written

    def read(self) -> bytes:
        """The whole body (``ResponseLimits.max_bytes`` applies)."""
        self._reader()
        return self.http_response.content

    def close(self) -> None:
        self.http_response.close()


class AsyncStreamedResponse(Generic[R]):
    """The async form of ``StreamedResponse``: ``async for`` over its pieces, ``await parse()``."""

    __slots__ = ("http_response", "retries_taken", "_parse", "_reader", "_value")

    def __init__(
        self,
        response: httpx.Response,
        parse: Callable[[], Awaitable[R]],
        reader: Callable[[], Awaitable[None]],
        retries_taken: int = 0,
    ) -> None:
        self.http_response = response
        self.retries_taken = retries_taken
        self._parse = parse
        self._reader = reader
        self._value: Any = _UNPARSED

    def __repr__(self) -> str:
        return f"<AsyncStreamedResponse [{self.status_code}] {self.http_response.request.method}>"

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        return request_id_of(self.http_response.headers)

    @property
    def url(self) -> httpx.URL:
        return self.http_response.request.url

    async def parse(self) -> R:
        """The typed value the plain method returns (the body read whole, once)."""
        if self._value is _UNPARSED:
            self._value = await self._parse()
        value: R = self._value
        return value

    async def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        response = self.http_response
        try:
            async for chunk in response.aiter_bytes(chunk_size):
                yield chunk
        except httpx.HTTPError as exc:
            raise body_broken(response, exc) from exc

    async def iter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        response = self.http_response
        try:
            async for text in response.aiter_text(chunk_size):
                yield text
        except httpx.HTTPError as exc:
            raise body_broken(response, exc) from exc

    async def iter_lines(self) -> AsyncIterator[str]:
        response = self.http_response
        try:
            async for line in response.aiter_lines():
                yield line
        except httpx.HTTPError as exc:
            raise body_broken(response, exc) from exc

    async def write_to_file(self, path: str | os.PathLike[str], chunk_size: int = 64 * 1024) -> int:
        """Write the body to ``path`` piece by piece; returns the number of bytes written."""
        written = 0
        with open(path, "wb") as handle:
            async for chunk in self.iter_bytes(chunk_size):
                handle.write(chunk)
                written += len(chunk)
        return written

    async def read(self) -> bytes:
        """The whole body (``ResponseLimits.max_bytes`` applies)."""
        await self._reader()
        return self.http_response.content

    async def close(self) -> None:
        await self.http_response.aclose()


class StreamedResponseManager(Generic[R]):
    """``with client.with_streaming_response....(...) as response``: sent on entering,
    closed on leaving."""

    __slots__ = ("_call", "_response")

    def __init__(self, call: Callable[[], StreamedResponse[R]]) -> None:
        self._call = call
        self._response: StreamedResponse[R] | None = None

    def __enter__(self) -> StreamedResponse[R]:
        self._response = self._call()
        return self._response

    def __exit__(self, *exc: object) -> None:
        if self._response is not None:
            self._response.close()


class AsyncStreamedResponseManager(Generic[R]):
    """``async with client.with_streaming_response....(...) as response``."""

    __slots__ = ("_call", "_response")

    def __init__(self, call: Callable[[], Awaitable[AsyncStreamedResponse[R]]]) -> None:
        self._call = call
        self._response: AsyncStreamedResponse[R] | None = None

    async def __aenter__(self) -> AsyncStreamedResponse[R]:
        self._response = await self._call()
        return self._response

    async def __aexit__(self, *exc: object) -> None:
        if self._response is not None:
            await self._response.close()


def to_streamed_response(method: Callable[P, R]) -> Callable[P, StreamedResponseManager[R]]:
    """``method`` as a context manager over its response, the body left unread."""

    @functools.wraps(method)
    def streamed(*args: P.args, **kwargs: P.kwargs) -> StreamedResponseManager[R]:
        def call() -> StreamedResponse[R]:
            slot = RawSlot(streaming=True)
            token = RAW_MODE.set(slot)
            try:
                method(*args, **kwargs)
            finally:
                RAW_MODE.reset(token)
            response: Any = slot.response
            if not isinstance(response, StreamedResponse):  # pragma: no cover - one request each
                raise RuntimeError(f"{method.__name__} sent no request")
            return response

        return StreamedResponseManager(call)

    return streamed


def async_to_streamed_response(
    method: Callable[P, Awaitable[R]],
) -> Callable[P, AsyncStreamedResponseManager[R]]:
    """The async form of ``to_streamed_response``."""

    @functools.wraps(method)
    def streamed(*args: P.args, **kwargs: P.kwargs) -> AsyncStreamedResponseManager[R]:
        async def call() -> AsyncStreamedResponse[R]:
            slot = RawSlot(streaming=True)
            token = RAW_MODE.set(slot)
            try:
                await method(*args, **kwargs)
            finally:
                RAW_MODE.reset(token)
            response: Any = slot.response
            if not isinstance(response, AsyncStreamedResponse):  # pragma: no cover
                raise RuntimeError(f"{method.__name__} sent no request")
            return response

        return AsyncStreamedResponseManager(call)

    return streamed
