"""A content-keyed cache, so unchanged work is never done twice.

Keys are SHA-256 digests of everything that decides a result (inputs and the
versions of apigen and the libraries involved), so an entry can never be stale:
a changed input is a different key. Entries are written atomically; a corrupt
or unreadable entry is a miss. Location: $APIGEN_CACHE_DIR, else
~/.cache/apigen; APIGEN_CACHE_DIR=off disables it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class Cache:
    def __init__(self, root: Path | None) -> None:
        self.root = root

    @classmethod
    def default(cls) -> Cache:
        configured = os.environ.get("APIGEN_CACHE_DIR")
        if configured == "off":
            return cls(None)
        if configured:
            return cls(Path(configured))
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return cls(Path(base) / "apigen")

    def _path(self, kind: str, key: str) -> Path | None:
        return None if self.root is None else self.root / kind / key[:2] / key

    def get(self, kind: str, key: str) -> Any:
        path = self._path(kind, key)
        if path is None:
            return None
        try:
            return json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, ValueError, EOFError):
            return None

    def put(self, kind: str, key: str, value: Any) -> None:
        path = self._path(kind, key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(gzip.compress(json.dumps(value).encode("utf-8"), compresslevel=1))
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written is only slower
