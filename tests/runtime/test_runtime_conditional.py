"""Conditional requests against a loopback server that counts its 304s (sync and async)."""

from __future__ import annotations

import asyncio
from typing import Any

import pydantic

from apigen.runtime import (
    AsyncAPIClient,
    Endpoint,
    MemoryCache,
    ResponseType,
    SyncAPIClient,
)
from apigen.runtime.auth import APIKeyScheme
from rt_faultserver import FaultServer, Reply, Req


class Repo(pydantic.BaseModel):
    id: int
    name: str


GET_REPO = Endpoint(
    "GET", "/repos/{id}", "repos_get", responses={"200": ResponseType("json", Repo)}
)


class Versioned:
    """/repos/1 answers with an ETag and Last-Modified, 304 when the validator matches."""

    def __init__(self) -> None:
        self.version = 1
        self.not_modified = 0
        self.cache_control = "private, max-age=60"

    def __call__(self, req: Req) -> Reply:
        etag = f'"v{self.version}"'
        headers = {
            "ETag": etag,
            "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT",
            "Cache-Control": self.cache_control,
            "X-RateLimit-Remaining": "4999",
        }
        if req.headers.get("if-none-match") == etag:
            self.not_modified += 1
            return Reply(304, headers={"ETag": etag, "X-RateLimit-Remaining": "4999"})
        return Reply(200, json={"id": 1, "name": f"repo v{self.version}"}, headers=headers)


def _settings(server: FaultServer, **kw: Any) -> dict[str, Any]:
    return dict(base_url=server.url, package="t", version="1", circuit_breaker=None, **kw)


def test_304_returns_the_cached_typed_value(fault_server):
    route = Versioned()
    fault_server.route("/repos/1", route)
    with SyncAPIClient(**_settings(fault_server, cache=MemoryCache())) as client:
        first = client.request(GET_REPO, path={"id": 1})
        second = client.request(GET_REPO, path={"id": 1})
        third = client.request(GET_REPO, path={"id": 1})
        assert isinstance(second, Repo) and first == second == third
        assert route.not_modified == 2
        sent = fault_server.requests("/repos/1")
        assert "if-none-match" not in sent[0].headers
        assert sent[1].headers["if-none-match"] == '"v1"'
        assert sent[1].headers["if-modified-since"] == "Tue, 01 Dec 2026 10:00:00 GMT"
        route.version = 2  # the resource changed: a full answer replaces the entry
        assert client.request(GET_REPO, path={"id": 1}).name == "repo v2"
        assert client.request(GET_REPO, path={"id": 1}).name == "repo v2"
    assert route.not_modified == 3


def test_without_a_cache_nothing_is_conditional_and_the_send_is_the_class_method(fault_server):
    route = Versioned()
    fault_server.route("/repos/1", route)
    with SyncAPIClient(**_settings(fault_server)) as client:
        assert "_send" not in vars(client)  # no layer: the per-call path is unchanged
        client.request(GET_REPO, path={"id": 1})
        client.request(GET_REPO, path={"id": 1})
    assert route.not_modified == 0
    assert all("if-none-match" not in r.headers for r in fault_server.requests())


def test_no_store_and_other_credentials_are_not_answered_from_the_cache(fault_server):
    route = Versioned()
    fault_server.route("/repos/1", route)
    cache = MemoryCache()
    schemes = {"key": APIKeyScheme("header", "X-Key")}
    alice = SyncAPIClient(
        **_settings(
            fault_server,
            cache=cache,
            security_schemes=schemes,
            credentials={"key": "alice"},
            default_security=(("key",),),
        )
    )
    bob = alice.with_options(credentials={"key": "bob"})
    alice.request(GET_REPO, path={"id": 1})
    bob.request(GET_REPO, path={"id": 1})  # a store shared by two users: separate entries
    assert route.not_modified == 0 and len(cache) == 2
    assert all("alice" not in key and "bob" not in key for key in cache._entries)
    route.cache_control = "no-store"
    route.version = 2
    alice.request(GET_REPO, path={"id": 1})  # no-store: the old entry goes, none is kept
    alice.request(GET_REPO, path={"id": 1})
    assert route.not_modified == 0 and len(cache) == 1
    alice.close()


def test_async_304_revalidation(fault_server):
    route = Versioned()
    fault_server.route("/repos/1", route)

    async def main() -> list[Repo]:
        async with AsyncAPIClient(**_settings(fault_server, cache=MemoryCache())) as client:
            return [await client.request(GET_REPO, path={"id": 1}) for _ in range(3)]

    values = asyncio.run(main())
    assert values[0] == values[1] == values[2] and isinstance(values[2], Repo)
    assert route.not_modified == 2
