"""Conditional requests: revalidate a GET's last answer instead of downloading it again.

With ``Client(cache=MemoryCache())`` (or any ``CacheStore``) a 200 answer to a GET that
carries an ``ETag`` or ``Last-Modified`` is stored. The next identical GET is sent with
``If-None-Match`` / ``If-Modified-Since``; a 304 is answered from the stored body, with
the 304's fresher headers, and parsed to the declared type like any 200 (GitHub does
not count 304s against its rate limit). Every GET still asks the server: an answer is
never served unrevalidated, so nothing can go stale.

A stored answer is found only by a request identical in method, URL and headers,
credentials included (hashed into the key), so one user never gets another's answer.
Not stored: ``Cache-Control: no-store``, ``Vary: *``, event streams, calls that set
their own ``If-None-Match`` / ``If-Modified-Since`` (they want the 304 themselves).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Callable, Iterable

import httpx

from .cachestore import CachedResponse, CacheStore

__all__ = ["ConditionalCache"]

# Headers of a stored answer that describe the bytes on the wire, not the body kept
# (which is already decoded), or that a 304 must not replace.
_NOT_KEPT = frozenset(
    {
        "content-encoding",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "set-cookie",
    }
)
_NOT_UPDATED = _NOT_KEPT | {"content-type"}
_OWN_VALIDATORS = (
    "if-none-match",
    "if-modified-since",
    "if-match",
    "if-unmodified-since",
    "if-range",
    "range",
)


class _Lookup:
    """What ``before`` found for one call, handed to ``after``."""

    __slots__ = ("key", "entry")

    def __init__(self, key: str, entry: CachedResponse | None) -> None:
        self.key = key
        self.entry = entry


class ConditionalCache:
    """The revalidation logic of one client over a ``CacheStore``."""

    def __init__(self, store: CacheStore, identity: Callable[[Any], str]) -> None:
        self.store = store
        self._identity = identity  # who the call is: folded into the key
        self.salt = secrets.token_hex(8)  # for identities that hold in this process only

    def __repr__(self) -> str:
        return f"ConditionalCache({self.store!r})"

    def key(self, p: Any, defaults: Iterable[tuple[str, str]]) -> str | None:
        """The store key of a call, or None when the call is not cached."""
        if p.method != "GET" or p.content is not None:
            return None
        headers = {name.lower(): value for name, value in defaults}
        headers.update((name.lower(), value) for name, value in p.headers.items())
        if any(name in headers for name in _OWN_VALIDATORS):
            return None
        url, params = p.url_and_params()
        digest = hashlib.sha256()
        for part in (p.method, url, repr(params), repr(sorted(headers.items())), self._identity(p)):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
        return digest.hexdigest()

    def prepare(self, p: Any, key: str, entry: CachedResponse | None) -> _Lookup:
        """Add the stored validators to the call's headers (sent by every attempt)."""
        if entry is not None and self._vary_matches(entry, p.headers):
            if entry.etag is not None:
                p.headers["If-None-Match"] = entry.etag
            if entry.last_modified is not None:
                p.headers["If-Modified-Since"] = entry.last_modified
            p.revalidating = True
        else:
            entry = None
        return _Lookup(key, entry)

    @staticmethod
    def _vary_matches(entry: CachedResponse, headers: dict[str, str]) -> bool:
        lowered = {name.lower(): value for name, value in headers.items()}
        return all(lowered.get(name, "") == value for name, value in entry.vary)

    def outcome(
        self, p: Any, lookup: _Lookup, response: httpx.Response
    ) -> tuple[httpx.Response, CachedResponse | None, bool]:
        """(the response to parse, the entry to store or None, whether to delete the key)."""
        status = response.status_code
        if status == 304 and lookup.entry is not None:
            merged = _merge(lookup.entry, response.headers)
            answer = httpx.Response(
                merged.status_code,
                headers=list(merged.headers),
                content=merged.content,
                request=response.request,
                extensions={"apigen_cache": "revalidated"},
            )
            try:
                answer.elapsed = response.elapsed
            except RuntimeError:
                pass
            return answer, (merged if merged != lookup.entry else None), False
        if status != 200 or p.stream_start is not None:
            return response, None, False
        cache_control = response.headers.get("cache-control", "").lower()
        vary = [v.strip().lower() for v in response.headers.get("vary", "").split(",") if v.strip()]
        if "no-store" in cache_control or "*" in vary:
            return response, None, lookup.entry is not None
        if "etag" not in response.headers and "last-modified" not in response.headers:
            return response, None, lookup.entry is not None
        lowered = {name.lower(): value for name, value in p.headers.items()}
        entry = CachedResponse(
            200,
            tuple((k, v) for k, v in response.headers.multi_items() if k.lower() not in _NOT_KEPT),
            response.content,
            tuple((name, lowered.get(name, "")) for name in vary),
        )
        return response, entry, False

    # -- the wrapper around a client's _send ------------------------------------------------

    def wrap(
        self,
        send: Callable[[Any], Any],
        is_async: bool,
        defaults: Callable[[], Iterable[tuple[str, str]]],
    ) -> Callable[[Any], Any]:
        store = self.store
        if is_async:

            async def revalidated_async(p: Any) -> Any:
                key = self.key(p, defaults())
                if key is None:
                    return await send(p)
                lookup = self.prepare(p, key, await store.aget(key))
                response, entry, stale = self.outcome(p, lookup, await send(p))
                if entry is not None:
                    await store.aset(key, entry)
                elif stale:
                    await store.adelete(key)
                return response

            return revalidated_async

        def revalidated(p: Any) -> Any:
            key = self.key(p, defaults())
            if key is None:
                return send(p)
            lookup = self.prepare(p, key, store.get(key))
            response, entry, stale = self.outcome(p, lookup, send(p))
            if entry is not None:
                store.set(key, entry)
            elif stale:
                store.delete(key)
            return response

        return revalidated


def _merge(entry: CachedResponse, fresh: httpx.Headers) -> CachedResponse:
    """The stored answer with the headers a 304 sent in place of the stored ones (RFC
    9111 4.3.4), its body unchanged."""
    updated = {k.lower() for k, _ in fresh.multi_items() if k.lower() not in _NOT_UPDATED}
    if not updated:
        return entry
    kept = [(k, v) for k, v in entry.headers if k.lower() not in updated]
    kept += [(k, v) for k, v in fresh.multi_items() if k.lower() in updated]
    return CachedResponse(entry.status_code, tuple(kept), entry.content, entry.vary)
