"""Where conditional-request validators and bodies live: the ``CacheStore`` protocol and
a bounded in-memory LRU.

With ``Client(cache=...)`` a GET's 200 answer that carries an ``ETag`` or
``Last-Modified`` is kept as a ``CachedResponse``; the next identical GET asks the
server ``If-None-Match`` / ``If-Modified-Since`` and a 304 is answered from the stored
body (parsed to the declared type as usual). A store implements ``get``/``set``/
``delete`` and their async twins ``aget``/``aset``/``adelete``. Keys are hex digests
that already fold in the URL and the request's credentials, so a store holds no secret
in its keys and two users sharing a store never see each other's answers. The bodies
are the API's answers: a shared store (Redis) must be as private as the API data is.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["CachedResponse", "CacheStore", "MemoryCache"]


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A stored 200 answer: the headers it came with, its raw body, and the values of
    the request headers its ``Vary`` names (a stored answer is reused only when they
    match the new request's)."""

    status_code: int
    headers: tuple[tuple[str, str], ...]
    content: bytes
    vary: tuple[tuple[str, str], ...] = ()

    @property
    def etag(self) -> str | None:
        return self._header("etag")

    @property
    def last_modified(self) -> str | None:
        return self._header("last-modified")

    def _header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def to_bytes(self) -> bytes:
        """One byte string for stores that keep bytes (Redis): a JSON line, then the body."""
        meta = {
            "status": self.status_code,
            "headers": [list(h) for h in self.headers],
            "vary": [list(v) for v in self.vary],
        }
        return json.dumps(meta, separators=(",", ":")).encode("utf-8") + b"\n" + self.content

    @classmethod
    def from_bytes(cls, data: bytes) -> CachedResponse | None:
        """The entry ``to_bytes`` wrote, or None for anything else (a store's bytes are
        untrusted: a corrupt entry is a miss, never an error)."""
        head, sep, body = data.partition(b"\n")
        if not sep:
            return None
        try:
            meta = json.loads(head)
            status = meta["status"]
            headers = tuple((str(k), str(v)) for k, v in meta["headers"])
            vary = tuple((str(k), str(v)) for k, v in meta.get("vary", ()))
        except (ValueError, KeyError, TypeError):
            return None
        if type(status) is not int:
            return None
        return cls(status, headers, body, vary)


@runtime_checkable
class CacheStore(Protocol):
    """Storage for conditional-request entries, one per key."""

    def get(self, key: str) -> CachedResponse | None: ...

    def set(self, key: str, entry: CachedResponse) -> None: ...

    def delete(self, key: str) -> None: ...

    async def aget(self, key: str) -> CachedResponse | None: ...

    async def aset(self, key: str, entry: CachedResponse) -> None: ...

    async def adelete(self, key: str) -> None: ...


class MemoryCache:
    """An LRU bounded by entry count and by total body bytes (the oldest entries go
    first); one entry larger than ``max_bytes`` is simply not kept."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 32 * 1024 * 1024) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("MemoryCache needs room for at least one entry")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryCache({len(self._entries)} entries, {self._bytes} bytes)"

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> CachedResponse | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def set(self, key: str, entry: CachedResponse) -> None:
        size = len(entry.content)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.content)
            if size > self.max_bytes:
                return
            self._entries[key] = entry
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.content)

    def delete(self, key: str) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.content)

    async def aget(self, key: str) -> CachedResponse | None:
        return self.get(key)

    async def aset(self, key: str, entry: CachedResponse) -> None:
        self.set(key, entry)

    async def adelete(self, key: str) -> None:
        self.delete(key)
