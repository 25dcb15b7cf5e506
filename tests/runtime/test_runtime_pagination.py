"""Pagination styles over a mock transport: lazy fetching, limits, pages, stop rules."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pydantic
import pytest

from apigen.runtime import (
    APIConnectionError,
    AsyncAPIClient,
    Endpoint,
    NotFoundError,
    Page,
    PaginationLoopError,
    Pagination,
    ResponseType,
    SyncAPIClient,
)
from rt_helpers import mock_ahttp, mock_http

DATA = [{"id": i, "name": f"n{i}"} for i in range(1, 8)]  # 7 items, pages of 3


class Item(pydantic.BaseModel):
    id: int
    name: str


class ListBody(pydantic.BaseModel):
    data: list[Item]
    has_more: bool


def api(req: httpx.Request) -> httpx.Response:
    """One fake API implementing every style over DATA."""
    p = req.url.params
    path = req.url.path
    size = int(p.get("limit", 3))
    if path == "/stripe":
        after = p.get("starting_after")
        start = (
            0 if after is None else next(i for i, d in enumerate(DATA) if str(d["id"]) == after) + 1
        )
        chunk = DATA[start : start + size]
        return httpx.Response(200, json={"data": chunk, "has_more": start + size < len(DATA)})
    if path == "/slack":
        start = int(p.get("cursor") or 0)
        nxt = str(start + size) if start + size < len(DATA) else ""
        return httpx.Response(
            200,
            json={"members": DATA[start : start + size], "response_metadata": {"next_cursor": nxt}},
        )
    if path == "/google":
        start = int(p.get("pageToken") or 0)
        body: dict[str, Any] = {"items": DATA[start : start + size]}
        if start + size < len(DATA):
            body["nextPageToken"] = str(start + size)
        return httpx.Response(200, json=body)
    if path == "/offset":
        start = int(p.get("offset", 0))
        return httpx.Response(200, json=DATA[start : start + size])
    if path == "/page":
        page = int(p.get("page", 1))
        return httpx.Response(200, json={"results": DATA[(page - 1) * size : page * size]})
    if path == "/v3/github":
        page = int(p.get("page", 1))
        headers = {}
        if page * size < len(DATA):
            headers["link"] = (
                f'<https://api.test/v3/github?page={page + 1}&limit={size}>; rel="next", '
                f'<https://api.test/v3/github?page=3>; rel="last"'
            )
        return httpx.Response(200, json=DATA[(page - 1) * size : page * size], headers=headers)
    if path == "/2010-04-01/Messages.json":
        page = int(p.get("Page", 0))
        nxt = (
            f"/2010-04-01/Messages.json?Page={page + 1}&PageSize={size}"
            if (page + 1) * size < len(DATA)
            else None
        )
        return httpx.Response(
            200, json={"messages": DATA[page * size : (page + 1) * size], "next_page_uri": nxt}
        )
    if path == "/evil":
        return httpx.Response(
            200, json=DATA[:3], headers={"link": '<https://evil.test/steal>; rel="next"'}
        )
    if path == "/loop":
        return httpx.Response(200, json={"items": DATA[:1], "next": "same"})
    return httpx.Response(404, json={})


STYLES: dict[str, tuple[Endpoint, dict[str, Any]]] = {
    "stripe": (
        Endpoint(
            "GET",
            "/stripe",
            "s",
            responses={"200": ResponseType("json", ListBody)},
            pagination=Pagination(
                "cursor",
                items=("data",),
                cursor_param="starting_after",
                cursor_from_last_item="id",
                has_more=("has_more",),
            ),
        ),
        {"limit": 3},
    ),
    "slack": (
        Endpoint(
            "GET",
            "/slack",
            "s",
            pagination=Pagination(
                "cursor",
                items=("members",),
                cursor_param="cursor",
                next_cursor=("response_metadata", "next_cursor"),
            ),
        ),
        {},
    ),
    "google": (
        Endpoint(
            "GET",
            "/google",
            "g",
            pagination=Pagination(
                "cursor", items=("items",), cursor_param="pageToken", next_cursor=("nextPageToken",)
            ),
        ),
        {},
    ),
    "offset": (
        Endpoint(
            "GET",
            "/offset",
            "o",
            pagination=Pagination("offset", offset_param="offset", limit_param="limit"),
        ),
        {"limit": 3},
    ),
    "page": (
        Endpoint(
            "GET",
            "/page",
            "p",
            pagination=Pagination("page", items=("results",), page_param="page"),
        ),
        {},
    ),
    "link": (Endpoint("GET", "/github", "l", pagination=Pagination("link")), {"limit": 3}),
    "next_url": (
        Endpoint(
            "GET",
            "/2010-04-01/Messages.json",
            "t",
            pagination=Pagination("next_url", items=("messages",), next_url=("next_page_uri",)),
        ),
        {"PageSize": 3},
    ),
}


def client(seen: list[httpx.Request]) -> SyncAPIClient:
    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return api(req)

    return SyncAPIClient(
        base_url="https://api.test", package="t", version="1", http_client=mock_http(handler)
    )


@pytest.mark.parametrize("style", list(STYLES))
def test_every_style_walks_all_items(style: str) -> None:
    seen: list[httpx.Request] = []
    c = client(seen)
    if style == "link":
        c = SyncAPIClient(
            base_url="https://api.test/v3",
            package="t",
            version="1",
            http_client=mock_http(lambda r: seen.append(r) or api(r)),
        )
    ep, query = STYLES[style]
    items = list(c.paginate(ep, item_type=Item, query=query))
    assert [i.id for i in items] == [1, 2, 3, 4, 5, 6, 7]
    assert all(isinstance(i, Item) for i in items)
    assert 3 <= len(seen) <= 4  # 3 pages (+ one empty page where only that says "the end")


def test_cursor_params_sent() -> None:
    seen: list[httpx.Request] = []
    ep, query = STYLES["stripe"]
    list(client(seen).paginate(ep, item_type=Item, query=query))
    assert [r.url.params.get("starting_after") for r in seen] == [None, "3", "6"]
    assert all(r.url.params["limit"] == "3" for r in seen)


def test_lazy_and_limits() -> None:
    seen: list[httpx.Request] = []
    ep, query = STYLES["offset"]
    pager = client(seen).paginate(ep, item_type=Item, query=query)
    assert seen == []  # nothing sent before iteration
    it = iter(pager)
    next(it)
    assert len(seen) == 1
    assert [i.id for i in pager.limit(items=4)] == [1, 2, 3, 4]
    assert len(seen) == 3
    seen.clear()
    assert [
        i.id for i in client(seen).paginate(ep, item_type=Item, query=query, max_pages=2)
    ] == list(range(1, 7))
    assert len(seen) == 2
    assert list(pager.limit(items=0)) == []


def test_pages_and_first_page() -> None:
    seen: list[httpx.Request] = []
    ep, query = STYLES["stripe"]
    pager = client(seen).paginate(ep, item_type=Item, query=query)
    pages = list(pager.pages())
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert (
        isinstance(pages[0], Page)
        and isinstance(pages[0].data, ListBody)
        and pages[0].data.has_more
    )
    assert pages[0].response.status_code == 200 and pages[0].raw["has_more"] is True
    first = pager.first_page()
    assert [i.id for i in first.items] == [1, 2, 3] and len(seen) == 4


def test_link_to_foreign_origin_is_refused_and_loops_stop() -> None:
    seen: list[httpx.Request] = []
    c = client(seen)
    pager = c.paginate(Endpoint("GET", "/evil", "e", pagination=Pagination("link")), item_type=Item)
    with pytest.raises(APIConnectionError, match="another origin"):
        list(pager)
    assert all(r.url.host == "api.test" for r in seen)
    seen.clear()
    loop = Endpoint(
        "GET",
        "/loop",
        "l",
        pagination=Pagination("cursor", items=("items",), cursor_param="c", next_cursor=("next",)),
    )
    got: list[Item] = []
    with pytest.raises(PaginationLoopError, match="page 2 repeats"):  # never loops, never silent
        got.extend(c.paginate(loop, item_type=Item))
    assert len(got) == 1 and len(seen) == 2


def test_error_page_raises_typed_error() -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(NotFoundError):
        list(
            client(seen).paginate(
                Endpoint("GET", "/missing", "m", pagination=Pagination("page", page_param="p")),
                item_type=Item,
            )
        )


@pytest.mark.parametrize("style", list(STYLES))
def test_async_every_style(style: str) -> None:
    seen: list[httpx.Request] = []
    ep, query = STYLES[style]
    base = "https://api.test/v3" if style == "link" else "https://api.test"

    async def main() -> None:
        async with AsyncAPIClient(
            base_url=base,
            package="t",
            version="1",
            http_client=mock_ahttp(lambda r: seen.append(r) or api(r)),
        ) as c:
            pager = c.paginate(ep, item_type=Item, query=query)
            assert [i.id async for i in pager] == list(range(1, 8))
            assert [len(p.items) async for p in pager.pages()][:2] == [3, 3]
            assert [i.id for i in (await pager.first_page()).items] == [1, 2, 3]
            assert [i.id for i in await pager.limit(items=5).to_list()] == [1, 2, 3, 4, 5]

    asyncio.run(main())
