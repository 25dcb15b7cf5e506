"""Lazy iteration over paginated list operations.

``SyncPaginator`` / ``AsyncPaginator`` fetch one page at a time, only when the
caller asks for more, following the endpoint's ``Pagination`` description: cursor
(next-cursor field or last item's id + has-more flag), offset/limit, page number,
HTTP ``Link: rel="next"`` and next-URL-in-body. Limits: ``max_items`` / ``max_pages``
at construction or ``.limit(items=, pages=)`` which returns a new paginator.
"""

from __future__ import annotations

import functools
import hashlib
import types
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Generic,
    Iterator,
    Mapping,
    ParamSpec,
    Protocol,
    TypeVar,
)

import httpx
import pydantic
import pydantic_core

from .endpoint import Endpoint, Pagination
from .options import RequestOptions
from .decoding import decode_failure, decode_json, decoded_or_text
from .errors import APIError, APIResponseValidationError, PaginationLoopError
from .raw import APIResponse
from .responses import adapter, parse_lenient, parse_success, response_type

__all__ = ["Page", "SyncPaginator", "AsyncPaginator"]

T = TypeVar("T")
P = ParamSpec("P")

_UNSET: Any = object()


class _Drift(Protocol):
    def _drifted_items(
        self,
        endpoint: Endpoint[Any],
        response: httpx.Response,
        item_type: Any,
        raw_items: list[Any],
        exc: pydantic.ValidationError,
        options: RequestOptions | None,
    ) -> list[Any]: ...


class _SyncFetcher(_Drift, Protocol):
    def _fetch_page(
        self,
        endpoint: Endpoint[Any],
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, Any] | None,
        cookies: Mapping[str, Any] | None,
        body: Any,
        options: RequestOptions | None,
        url: str | None,
    ) -> httpx.Response: ...


class _AsyncFetcher(_Drift, Protocol):
    def _fetch_page(
        self,
        endpoint: Endpoint[Any],
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, Any] | None,
        cookies: Mapping[str, Any] | None,
        body: Any,
        options: RequestOptions | None,
        url: str | None,
    ) -> Awaitable[httpx.Response]: ...


def _dig(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


class Page(Generic[T]):
    """One fetched page: ``items`` (parsed), ``raw`` (decoded JSON), ``response``; ``data`` is
    the whole body parsed with the endpoint's declared success type (computed on access)."""

    __slots__ = ("items", "raw", "response", "_endpoint", "_data")

    def __init__(
        self, items: list[T], raw: Any, response: httpx.Response, endpoint: Endpoint[Any]
    ) -> None:
        self.items = items
        self.raw = raw
        self.response = response
        self._endpoint = endpoint
        self._data: Any = _UNSET

    @property
    def data(self) -> Any:
        if self._data is _UNSET:
            rt = response_type(self._endpoint.response_types(), self.response.status_code)
            try:
                self._data = parse_success(self.response, rt)
            except APIError:
                raise
            except pydantic.ValidationError as exc:
                if rt is None:
                    raise APIResponseValidationError(
                        f"page of {self._endpoint.path}: the body does not match the declared type "
                        f"({exc.error_count()} errors)",
                        response=self.response,
                        body=decoded_or_text(self.response),
                        error=exc,
                    ) from exc
                self._data = self._lenient(rt)  # drifted: typed where it fits
            except Exception as exc:
                raise decode_failure(self.response, exc, "could not be parsed") from exc
        return self._data

    def _lenient(self, rt: Any) -> Any:
        try:
            return parse_lenient(self.response, rt)[0]
        except APIError:
            raise
        except Exception as exc:  # the root guard, as in the client's _parse
            raise decode_failure(self.response, exc, "parsed") from exc

    def __repr__(self) -> str:
        return f"<Page items={len(self.items)} status={self.response.status_code}>"

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class _Cursor:
    """The walking state shared by both paginators: what to send next, when to stop."""

    __slots__ = ("spec", "query", "url", "done", "pages", "loop", "_seen", "_pages_seen")

    def __init__(self, spec: Pagination | None, query: Mapping[str, Any] | None) -> None:
        self.spec = spec
        self.query: dict[str, Any] = dict(query) if query else {}
        self.url: str | None = None
        self.done = False
        self.pages = 0
        self.loop: str | None = None  # why the walk would never end, once detected
        self._seen: set[Any] = set()
        self._pages_seen: set[bytes] = set()

    def check_items(self, raw_items: list[Any]) -> None:
        """Refuse a page whose items equal an earlier page's (an ignored offset or page
        number, or a cursor that leads back): its items were already yielded."""
        self.pages += 1
        if not raw_items:
            return
        digest = hashlib.blake2b(pydantic_core.to_json(raw_items), digest_size=16).digest()
        if digest in self._pages_seen:
            raise PaginationLoopError(
                f"page {self.pages} repeats the items of an earlier page: the server ignores "
                f"the paging parameters, so the walk would never end",
                page=self.pages,
            )
        self._pages_seen.add(digest)

    def raise_if_looping(self) -> None:
        if self.loop is not None:
            raise PaginationLoopError(self.loop, page=self.pages + 1)

    def _int(self, name: str | None, default: int | None) -> int | None:
        if name is None:
            return default
        value = self.query.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            return default

    def advance(self, response: httpx.Response, body: Any, raw_items: list[Any]) -> None:
        """Set up the next request from this page, or mark the walk as done."""
        spec = self.spec
        if spec is None:
            self.done = True
            return
        if spec.has_more is not None and not _dig(body, spec.has_more):
            self.done = True
            return
        style = spec.style
        key: Any
        if style == "cursor":
            if spec.cursor_from_last_item:
                last = raw_items[-1] if raw_items else None
                cursor = last.get(spec.cursor_from_last_item) if isinstance(last, dict) else None
            elif spec.next_cursor is not None:
                cursor = _dig(body, spec.next_cursor)
            else:
                cursor = None
            if cursor is None or cursor == "" or spec.cursor_param is None:
                self.done = True
                return
            self.query[spec.cursor_param] = cursor
            key = ("cursor", str(cursor))
        elif style == "offset":
            limit = self._int(spec.limit_param, None)
            if (
                not raw_items
                or (limit is not None and len(raw_items) < limit)
                or spec.offset_param is None
            ):
                self.done = True
                return
            offset = (self._int(spec.offset_param, 0) or 0) + len(raw_items)
            self.query[spec.offset_param] = offset
            key = ("offset", offset)
        elif style == "page":
            limit = self._int(spec.limit_param, None)
            if (
                not raw_items
                or (limit is not None and len(raw_items) < limit)
                or spec.page_param is None
            ):
                self.done = True
                return
            page = (self._int(spec.page_param, 1) or 1) + 1
            self.query[spec.page_param] = page
            key = ("page", page)
        elif style == "link":
            nxt = response.links.get("next")
            url = nxt.get("url") if nxt else None
            if not url:
                self.done = True
                return
            url = str(
                response.request.url.join(url)
            )  # a relative reference resolves against this page
            self.url = url
            key = ("url", url)
        elif style == "next_url":
            url = _dig(body, spec.next_url) if spec.next_url is not None else None
            if not url or not isinstance(url, str):
                self.done = True
                return
            self.url = url
            key = ("url", url)
        else:
            self.done = True
            return
        if key in self._seen:  # the server sent us back where we were: never loop
            self.done = True
            self.loop = (
                f"page {self.pages} points back to a page already fetched "
                f"({key[0]} repeated): the walk would never end"
            )
            return
        self._seen.add(key)


class _Base(Generic[T]):
    def __init__(
        self,
        client: Any,
        endpoint: Endpoint[Any],
        item_type: Any,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        body: Any = None,
        options: RequestOptions | None = None,
        max_items: int | None = None,
        max_pages: int | None = None,
    ) -> None:
        self._client = client
        self._endpoint = endpoint
        self._item_type = item_type
        self._path = path
        self._query = query
        self._headers = headers
        self._cookies = cookies
        self._body = body
        self._options = options
        self.max_items = max_items
        self.max_pages = max_pages
        self._first_response: httpx.Response | None = None  # already fetched (raw responses)
        self._list_adapter: pydantic.TypeAdapter[Any] = adapter(
            types.GenericAlias(list, (item_type,))
        )

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self._endpoint.operation_id} max_items={self.max_items} "
            f"max_pages={self.max_pages}>"
        )

    def _copy(self, items: int | None, pages: int | None) -> Any:
        copy = type(self)(
            self._client,
            self._endpoint,
            self._item_type,
            path=self._path,
            query=self._query,
            headers=self._headers,
            cookies=self._cookies,
            body=self._body,
            options=self._options,
            max_items=items if items is not None else self.max_items,
            max_pages=pages if pages is not None else self.max_pages,
        )
        copy._first_response = self._first_response
        return copy

    def _seeded(self, response: httpx.Response) -> APIResponse[Any]:
        """The first page's raw response; ``parse()`` is a copy starting from that page."""
        copy = self._copy(None, None)
        copy._first_response = response
        return APIResponse(response, lambda: copy)

    def _page(self, response: httpx.Response, cursor: _Cursor) -> Page[T]:
        """The page of a response; whatever the body does, only APIError leaves."""
        try:
            return self._parse_page(response, cursor)
        except APIError:
            raise
        except Exception as exc:  # the root guard, as in the client's _parse
            raise decode_failure(response, exc, "could not be read as a page") from exc

    def _parse_page(self, response: httpx.Response, cursor: _Cursor) -> Page[T]:
        spec = self._endpoint.pagination
        body = decode_json(response)
        raw_items = _dig(body, spec.items) if spec is not None and spec.items else body
        if not isinstance(raw_items, list):
            raw_items = []
        cursor.check_items(raw_items)
        try:
            items: list[T] = self._list_adapter.validate_python(raw_items)
        except pydantic.ValidationError as exc:
            items = self._client._drifted_items(
                self._endpoint, response, self._item_type, raw_items, exc, self._options
            )
        cursor.advance(response, body, raw_items)
        return Page(items, body, response, self._endpoint)

    def _fetch_args(self, cursor: _Cursor) -> tuple[Any, ...]:
        e = self._endpoint
        if cursor.url is not None:
            return (
                e,
                None,
                None,
                self._headers,
                self._cookies,
                self._body,
                self._options,
                cursor.url,
            )
        return (
            e,
            self._path,
            cursor.query,
            self._headers,
            self._cookies,
            self._body,
            self._options,
            None,
        )


class SyncPaginator(_Base[T]):
    """``for item in paginator`` walks every item lazily; ``.pages()`` yields ``Page`` objects."""

    def limit(self, items: int | None = None, pages: int | None = None) -> SyncPaginator[T]:
        """A copy that stops after ``items`` items and/or ``pages`` pages."""
        result: SyncPaginator[T] = self._copy(items, pages)
        return result

    def pages(self) -> Iterator[Page[T]]:
        client: _SyncFetcher = self._client
        cursor = _Cursor(self._endpoint.pagination, self._query)
        count = 0
        while self.max_pages is None or count < self.max_pages:
            cursor.raise_if_looping()
            if cursor.done:
                return
            response = self._first_response if count == 0 else None
            if response is None:
                response = client._fetch_page(*self._fetch_args(cursor))
            count += 1
            yield self._page(response, cursor)

    def _raw_first_page(self) -> APIResponse[SyncPaginator[T]]:
        client: _SyncFetcher = self._client
        cursor = _Cursor(self._endpoint.pagination, self._query)
        response = client._fetch_page(*self._fetch_args(cursor))
        response.close()  # read already; closing it stamps response.elapsed
        return self._seeded(response)

    def __iter__(self) -> Iterator[T]:
        remaining = self.max_items
        if remaining is not None and remaining <= 0:
            return
        for page in self.pages():
            for item in page.items:
                yield item
                if remaining is not None:
                    remaining -= 1
                    if remaining <= 0:
                        return

    def first_page(self) -> Page[T]:
        for page in self.limit(pages=1).pages():
            return page
        raise RuntimeError("no page was fetched")  # pragma: no cover - pages=1 always yields


class AsyncPaginator(_Base[T]):
    """``async for item in paginator`` walks every item lazily; ``.pages()`` is an async iterator;
    ``await paginator`` gives the first page."""

    def limit(self, items: int | None = None, pages: int | None = None) -> AsyncPaginator[T]:
        """A copy that stops after ``items`` items and/or ``pages`` pages."""
        result: AsyncPaginator[T] = self._copy(items, pages)
        return result

    async def pages(self) -> AsyncIterator[Page[T]]:
        client: _AsyncFetcher = self._client
        cursor = _Cursor(self._endpoint.pagination, self._query)
        count = 0
        while self.max_pages is None or count < self.max_pages:
            cursor.raise_if_looping()
            if cursor.done:
                return
            response = self._first_response if count == 0 else None
            if response is None:
                response = await client._fetch_page(*self._fetch_args(cursor))
            count += 1
            yield self._page(response, cursor)

    async def _raw_first_page(self) -> APIResponse[AsyncPaginator[T]]:
        client: _AsyncFetcher = self._client
        cursor = _Cursor(self._endpoint.pagination, self._query)
        response = await client._fetch_page(*self._fetch_args(cursor))
        await response.aclose()
        return self._seeded(response)

    def __await__(self) -> Generator[Any, None, Page[T]]:
        """``await client.r.list()`` is the first page; ``async for`` needs no await."""
        return self.first_page().__await__()

    async def _items(self) -> AsyncIterator[T]:
        remaining = self.max_items
        if remaining is not None and remaining <= 0:
            return
        async for page in self.pages():
            for item in page.items:
                yield item
                if remaining is not None:
                    remaining -= 1
                    if remaining <= 0:
                        return

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def first_page(self) -> Page[T]:
        async for page in self.limit(pages=1).pages():
            return page
        raise RuntimeError("no page was fetched")  # pragma: no cover

    async def to_list(self) -> list[T]:
        """Every item (respecting the limits) in a list."""
        return [item async for item in self]


def async_pages_to_raw_response(
    method: Callable[P, AsyncPaginator[T]],
) -> Callable[P, Awaitable[APIResponse[AsyncPaginator[T]]]]:
    """A paginated async method: the first page's response; ``parse()`` is the paginator,
    which starts from that page without fetching it again."""

    @functools.wraps(method)
    async def raw(*args: P.args, **kwargs: P.kwargs) -> APIResponse[AsyncPaginator[T]]:
        return await method(*args, **kwargs)._raw_first_page()

    return raw
