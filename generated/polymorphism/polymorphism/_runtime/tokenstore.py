"""Where OAuth2 tokens live between runs: the ``TokenStore`` protocol and a file store.

A user's consent (the authorization-code flow) yields a refresh token that must
survive a restart, or the user has to consent again. The runtime keeps the live token
in memory and writes every token it obtains to the store; on start, and before each
refresh, it reads the store back, so a token another thread, task or process (with a
shared store) already refreshed is used instead of being refreshed twice.

A store implements six small methods: ``load``/``save`` to read and write one token
under a key, ``lock`` to hold a key while a refresh is under way, and their async
twins ``aload``/``asave``/``alock``. ``lock`` may be process-local (the runtime holds
its own thread and task locks anyway); a store shared between processes (a file, Redis)
should lock across them, which makes refreshing single-flight across processes too.
Stores never log or repr a token.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import threading
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Iterator, Protocol, runtime_checkable

__all__ = ["OAuthToken", "TokenStore", "FileTokenStore", "MemoryTokenStore"]


@dataclass(frozen=True, slots=True)
class OAuthToken:
    """One token response, as stored. ``expires_at`` is epoch seconds (wall clock: it
    must mean the same after a restart or in another process), None when unknown."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    token_type: str = "Bearer"
    scope: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (what a store writes)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "token_type": self.token_type,
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: Any) -> OAuthToken | None:
        """The token a store read back, or None when the data is not a usable token
        (a store's content is as untrusted as a server's answer)."""
        if not isinstance(data, dict):
            return None
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            return None
        refresh = data.get("refresh_token")
        expires = data.get("expires_at")
        if isinstance(expires, bool) or not isinstance(expires, (int, float)):
            expires = None
        elif not math.isfinite(expires):
            expires = None
        token_type = data.get("token_type")
        scope = data.get("scope")
        return cls(
            access,
            refresh if isinstance(refresh, str) and refresh else None,
            None if expires is None else float(expires),
            token_type if isinstance(token_type, str) and token_type else "Bearer",
            scope if isinstance(scope, str) else None,
        )


@runtime_checkable
class TokenStore(Protocol):
    """Persistence for OAuth2 tokens, one per key (the runtime's key names the package
    and the security scheme, e.g. ``"github:oauth2"``; it holds no secret)."""

    def load(self, key: str) -> OAuthToken | None:
        """The stored token, or None."""
        ...

    def save(self, key: str, token: OAuthToken) -> None:
        """Replace the stored token (atomically: a reader sees the old or the new one)."""
        ...

    def lock(self, key: str) -> contextlib.AbstractContextManager[None]:
        """Held while refreshing the token under ``key``."""
        ...

    async def aload(self, key: str) -> OAuthToken | None: ...

    async def asave(self, key: str, token: OAuthToken) -> None: ...

    def alock(self, key: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class MemoryTokenStore:
    """Tokens in a dict: for tests, and to share tokens between clients of one process."""

    def __init__(self) -> None:
        self._tokens: dict[str, OAuthToken] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={sorted(self._tokens)})"

    def load(self, key: str) -> OAuthToken | None:
        return self._tokens.get(key)

    def save(self, key: str, token: OAuthToken) -> None:
        self._tokens[key] = token

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        yield  # the runtime's own locks already serialise one process

    async def aload(self, key: str) -> OAuthToken | None:
        return self.load(key)

    async def asave(self, key: str, token: OAuthToken) -> None:
        self.save(key, token)

    @contextlib.asynccontextmanager
    async def alock(self, key: str) -> AsyncIterator[None]:
        yield


class FileTokenStore:
    """Tokens in one JSON file (0600), replaced atomically on each save; ``lock`` takes an
    exclusive ``flock`` on ``<path>.lock`` where the OS has one, so processes sharing the
    file refresh one at a time. File operations are short, so the async methods run them
    inline rather than paying for a thread hop."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._thread_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FileTokenStore({self.path!r})"

    def _read_all(self) -> dict[str, Any]:
        try:
            with open(self.path, "rb") as handle:
                data = json.loads(handle.read(1024 * 1024))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def load(self, key: str) -> OAuthToken | None:
        return OAuthToken.from_dict(self._read_all().get(key))

    def save(self, key: str, token: OAuthToken) -> None:
        with self._thread_lock:
            data = self._read_all()
            data[key] = token.to_dict()
            self._write(json.dumps(data, sort_keys=True).encode("utf-8"))

    def _write(self, payload: bytes) -> None:
        """Write a sibling temp file created 0600, fsync it, rename it over the target."""
        directory = os.path.dirname(os.path.abspath(self.path))
        temp = os.path.join(
            directory, f".{os.path.basename(self.path)}.{os.getpid()}.{threading.get_ident()}.tmp"
        )
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(temp, flags, 0o600)
        try:
            if hasattr(os, "fchmod"):  # an old file of that name keeps no wider mode
                os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        try:
            import fcntl
        except ImportError:  # no flock (Windows): the runtime's process locks still hold
            yield
            return
        fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    async def aload(self, key: str) -> OAuthToken | None:
        return self.load(key)

    async def asave(self, key: str, token: OAuthToken) -> None:
        self.save(key, token)

    @contextlib.asynccontextmanager
    async def alock(self, key: str) -> AsyncIterator[None]:
        # flock blocks the thread: wait for it in a worker thread, release inline.
        import asyncio

        held = self.lock(key)
        await asyncio.to_thread(held.__enter__)
        try:
            yield
        finally:
            held.__exit__(None, None, None)
