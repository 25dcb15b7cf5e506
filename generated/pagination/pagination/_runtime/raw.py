"""Raw responses: ``client.with_raw_response.<resource>.<method>(...)``.

A wrapped method runs as usual, but the client hands back the response it received
(status, headers, request id, elapsed time) instead of the parsed value; ``parse()``
gives that value on demand. The switch is a context variable that the client's
``request`` reads, so generated methods need no second code path, and it holds only
for the duration of the one wrapped call (threads and tasks each have their own).
"""

from __future__ import annotations

import datetime
import functools
import time
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Generic, ParamSpec, TypeVar

import httpx

from .errors import REQUEST_ID_HEADERS

__all__ = ["APIResponse", "to_raw_response", "async_to_raw_response"]

R = TypeVar("R")
P = ParamSpec("P")

_UNPARSED: Any = object()


class APIResponse(Generic[R]):
    """The HTTP response of one call; ``parse()`` returns the typed value the method would."""

    __slots__ = ("http_response", "retries_taken", "_parse", "_value", "_measured")

    def __init__(
        self,
        response: httpx.Response,
        parse: Callable[[], R],
        retries_taken: int = 0,
        sent_at: float | None = None,
    ) -> None:
        self.http_response = response
        self.retries_taken = retries_taken
        self._parse = parse
        self._value: Any = _UNPARSED
        measured = time.perf_counter() - sent_at if sent_at is not None else 0.0
        self._measured = datetime.timedelta(seconds=max(0.0, measured))

    def __repr__(self) -> str:
        return f"<APIResponse [{self.status_code}] {self.http_response.request.method}>"

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """The server's request id (x-request-id, request-id, x-github-request-id, ...)."""
        headers = self.http_response.headers
        for name in REQUEST_ID_HEADERS:
            value: str | None = headers.get(name)
            if value is not None:
                return value
        return None

    @property
    def elapsed(self) -> datetime.timedelta:
        """Time from sending the request to the end of the response body (httpx's measure;
        for a response that never went through a transport stream, the client's own)."""
        try:
            return self.http_response.elapsed
        except RuntimeError:
            return self._measured

    @property
    def url(self) -> httpx.URL:
        return self.http_response.request.url

    @property
    def content(self) -> bytes:
        return self.http_response.content

    @property
    def text(self) -> str:
        return self.http_response.text

    def json(self) -> Any:
        return self.http_response.json()

    def parse(self) -> R:
        """The typed value (parsed once, then cached); raises as the plain method would."""
        if self._value is _UNPARSED:
            self._value = self._parse()
        value: R = self._value
        return value


class RawSlot:
    """Where ``request`` leaves the response of a call made in raw mode."""

    __slots__ = ("response", "streaming")

    def __init__(self, streaming: bool = False) -> None:
        self.response: Any = None  # an APIResponse (a StreamedResponse when streaming)
        self.streaming = streaming  # with_streaming_response: the body is left on the wire


RAW_MODE: ContextVar[RawSlot | None] = ContextVar("apigen_raw_response", default=None)


def _taken(slot: RawSlot, name: str) -> APIResponse[Any]:
    if slot.response is None:  # pragma: no cover - every generated method sends one request
        raise RuntimeError(f"{name} sent no request")
    response: APIResponse[Any] = slot.response
    return response


def to_raw_response(method: Callable[P, R]) -> Callable[P, APIResponse[R]]:
    """``method`` returning its ``APIResponse`` (a paginator: the first page's response)."""

    @functools.wraps(method)
    def raw(*args: P.args, **kwargs: P.kwargs) -> APIResponse[R]:
        slot = RawSlot()
        token = RAW_MODE.set(slot)
        try:
            result: Any = method(*args, **kwargs)
        finally:
            RAW_MODE.reset(token)
        if slot.response is None and hasattr(result, "_raw_first_page"):  # a SyncPaginator
            first: APIResponse[R] = result._raw_first_page()
            return first
        return _taken(slot, method.__name__)

    return raw


def async_to_raw_response(
    method: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[APIResponse[R]]]:
    """The async form of ``to_raw_response``."""

    @functools.wraps(method)
    async def raw(*args: P.args, **kwargs: P.kwargs) -> APIResponse[R]:
        slot = RawSlot()
        token = RAW_MODE.set(slot)
        try:
            await method(*args, **kwargs)
        finally:
            RAW_MODE.reset(token)
        return _taken(slot, method.__name__)

    return raw
