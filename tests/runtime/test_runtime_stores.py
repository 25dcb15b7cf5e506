"""The TokenStore and CacheStore protocols and their built-in stores (file, memory, LRU)."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import apigen

from apigen.runtime.cachestore import CachedResponse, CacheStore, MemoryCache
from apigen.runtime.tokenstore import FileTokenStore, MemoryTokenStore, OAuthToken, TokenStore


def test_file_token_store_round_trips_with_0600_and_atomic_replace(tmp_path):
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    assert isinstance(store, TokenStore)
    assert store.load("api:oauth") is None
    token = OAuthToken("at-1", "rt-1", 1_700_000_100.0, scope="repo")
    os.umask(0o022)
    store.save("api:oauth", token)
    store.save("other:oauth", OAuthToken("at-2"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = FileTokenStore(path)  # a restart reads what the last run saved
    assert again.load("api:oauth") == token
    assert again.load("other:oauth") == OAuthToken("at-2")
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]  # no temp file left
    assert "at-1" not in repr(token) and "rt-1" not in repr(token)


def test_file_token_store_ignores_garbage_and_wrong_types(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text('{"k": {"access_token": 5}, "j": {"access_token": "a", "expires_at": "x"}}')
    store = FileTokenStore(path)
    assert store.load("k") is None
    assert store.load("j") == OAuthToken("a", expires_at=None)
    path.write_text("not json")
    assert store.load("j") is None
    store.save("j", OAuthToken("b"))  # an unreadable file is replaced, not a crash
    assert store.load("j") == OAuthToken("b")


_HOLDER = """
import sys
sys.path.insert(0, sys.argv[2])
from apigen.runtime.tokenstore import FileTokenStore
with FileTokenStore(sys.argv[1]).lock("k"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_file_token_store_lock_excludes_other_processes(tmp_path):
    path = str(tmp_path / "t.json")
    gen = str(Path(apigen.__file__).resolve().parents[1])
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, path, gen],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "held"
        events: list[str] = []

        def take() -> None:
            with FileTokenStore(path).lock("k"):
                events.append("parent has it")

        waiter = threading.Thread(target=take, daemon=True)
        waiter.start()
        waiter.join(0.3)
        assert events == []  # blocked while the other process holds the lock
        child.stdin.write("release\n")
        child.stdin.flush()
        waiter.join(20)
        assert events == ["parent has it"]
    finally:
        child.kill()
        child.wait(10)


def test_async_token_store_methods(tmp_path):
    async def main() -> OAuthToken | None:
        for store in (MemoryTokenStore(), FileTokenStore(tmp_path / "a.json")):
            async with store.alock("k"):
                await store.asave("k", OAuthToken("x", "y"))
            assert await store.aload("k") == OAuthToken("x", "y")
        return await store.aload("missing")

    assert asyncio.run(main()) is None


def _entry(body: bytes, etag: str = '"v1"') -> CachedResponse:
    return CachedResponse(200, (("ETag", etag), ("Content-Type", "application/json")), body)


def test_memory_cache_is_a_bounded_lru():
    cache = MemoryCache(max_entries=2, max_bytes=10)
    assert isinstance(cache, CacheStore)
    cache.set("a", _entry(b"1234"))
    cache.set("b", _entry(b"1234"))
    assert cache.get("a") is not None  # a is now the most recent
    cache.set("c", _entry(b"12"))
    assert cache.get("b") is None and len(cache) == 2
    cache.set("d", _entry(b"123456789"))  # over the byte budget: older entries go
    assert cache.get("a") is None and cache.get("c") is None and cache.get("d") is not None
    cache.set("huge", _entry(b"x" * 11))  # larger than the whole budget: not kept
    assert cache.get("huge") is None and cache.get("d") is not None
    cache.delete("d")
    assert len(cache) == 0


def test_cached_response_bytes_round_trip_and_reject_garbage():
    entry = CachedResponse(
        200,
        (("ETag", 'W/"x"'), ("Last-Modified", "Tue, 01 Dec 2026")),
        b'{"a":\n1}',
        (("accept", "application/json"),),
    )
    again = CachedResponse.from_bytes(entry.to_bytes())
    assert again == entry and again.etag == 'W/"x"' and again.last_modified.startswith("Tue")
    for junk in (b"", b"no newline", b'{"status":"200","headers":[]}\n', b"[1]\nbody"):
        assert CachedResponse.from_bytes(junk) is None
