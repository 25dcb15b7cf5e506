"""Request bodies streamed from files: a 2 GB upload never sits in memory.

A multipart part (or a binary body) given as a path or a file object is read in
64 KiB pieces while httpx sends it, not joined into one ``bytes`` first. The body can
be sent again (a retry, a redirect): each pass starts every file where it stood when
the call was made (seekable files) or opens the path anew. Its length is known when
every file's size is, so it goes out with ``Content-Length`` rather than chunked.
A file that cannot seek (a pipe) is read once: such a body is never retried, and
sending it again anyway raises ``APIError``.
"""

from __future__ import annotations

import os
from typing import Any, AsyncIterator, Iterator

from .errors import APIError

__all__ = ["FilePart", "StreamedBody", "is_streamable"]

CHUNK_SIZE = 64 * 1024


def is_streamable(value: Any) -> bool:
    """A path, or a file object that is not already bytes in memory."""
    return isinstance(value, os.PathLike) or (
        hasattr(value, "read") and not isinstance(value, (bytes, bytearray, memoryview))
    )


class FilePart:
    """The bytes of one file: a path (opened when sent) or an open binary file object."""

    __slots__ = ("source", "start", "size", "sent")

    def __init__(self, source: Any) -> None:
        self.source = source
        self.sent = False
        self.start: int | None = None
        self.size: int | None = None
        if isinstance(source, os.PathLike):
            self.size = os.stat(source).st_size
            return
        try:
            self.start = source.tell()
            end = source.seek(0, os.SEEK_END)
            source.seek(self.start)
            self.size = end - self.start
        except (AttributeError, OSError, ValueError):  # a pipe or socket: read once, as it comes
            self.start = None

    @property
    def replayable(self) -> bool:
        """It can be sent (again): a path (opened anew), a file that seeks back, or a
        pipe nothing has been read from yet (a refused connection read nothing)."""
        return self.start is not None or isinstance(self.source, os.PathLike) or not self.sent

    @property
    def name(self) -> str | None:
        """The file's own base name, for the part's ``filename``."""
        raw = (
            self.source
            if isinstance(self.source, os.PathLike)
            else getattr(self.source, "name", None)
        )
        if isinstance(raw, (str, os.PathLike)):
            return os.path.basename(os.fspath(raw)) or None
        return None

    def chunks(self) -> Iterator[bytes]:
        if isinstance(self.source, os.PathLike):
            with open(self.source, "rb") as handle:
                yield from _read_all(handle)
            return
        if self.start is not None:
            self.source.seek(self.start)
        elif self.sent:
            raise APIError(
                "a file that cannot seek (a pipe) cannot be sent twice; pass a "
                "path or a seekable file to allow retries"
            )
        self.sent = True
        yield from _read_all(self.source)


def _read_all(handle: Any) -> Iterator[bytes]:
    while True:
        data = handle.read(CHUNK_SIZE)
        if not data:
            return
        yield data.encode("utf-8") if isinstance(data, str) else bytes(data)


class StreamedBody:
    """A request body of bytes in memory and files read as it is sent; iterable again."""

    __slots__ = ("pieces", "length")

    def __init__(self, pieces: list[bytes | FilePart]) -> None:
        self.pieces = pieces
        sizes = [len(p) if isinstance(p, bytes) else p.size for p in pieces]
        self.length: int | None = None if None in sizes else sum(s or 0 for s in sizes)

    def __iter__(self) -> Iterator[bytes]:
        for piece in self.pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                yield from piece.chunks()

    @property
    def replayable(self) -> bool:
        """Every file in it can be sent (again): a retry may send the body."""
        return all(isinstance(p, bytes) or p.replayable for p in self.pieces)

    def for_async(self) -> _AsyncBody:
        """The same body for httpx's async client (which takes async iterables only)."""
        return _AsyncBody(self)


class _AsyncBody:
    """Async iteration over a ``StreamedBody``; files are read in the event loop's thread,
    64 KiB at a time, as httpx does with the files it encodes itself."""

    __slots__ = ("body",)

    def __init__(self, body: StreamedBody) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.body:
            yield chunk
