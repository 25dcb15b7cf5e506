"""200 MB through a generated client (generated/streaming) in constant memory, sync and async:
a download read with ``with_streaming_response`` (``iter_bytes``, ``write_to_file``) and a
multipart upload from a path or a file object.

The body is made on the fly (never committed) by a loopback server in this process; the
client runs in a subprocess that reports its own memory: the peak of Python's allocations
(tracemalloc) and of the process's resident set (VmHWM) against its size before the call.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from pathlib import Path
from typing import Any, Iterator

import pytest

from support import GENERATED

SIZE = 200 * 1024 * 1024
BLOCK = bytes(range(256)) * 4096  # 1 MiB
LIMIT = 100 * 1024 * 1024


def expected_crc() -> int:
    crc = 0
    for _ in range(SIZE // len(BLOCK)):
        crc = zlib.crc32(BLOCK, crc)
    return crc


class BigBodyServer:
    """GET /files/{id}/content answers SIZE bytes of BLOCKs; POST /files reads a multipart
    upload as it arrives (nothing kept but a checksum of the file part) and answers with its
    size and CRC-32. Bounded in time."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()
        self.uploads: list[dict[str, Any]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    part = conn.recv(65536)
                    if not part:
                        return
                    data += part
                head, _, rest = data.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:])
                }
                if lines[0].startswith("GET "):
                    self._download(conn)
                else:
                    self._upload(conn, headers, rest)
            except OSError:
                pass

    def _download(self, conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n" % SIZE
        )
        for _ in range(SIZE // len(BLOCK)):
            conn.sendall(BLOCK)

    def _upload(self, conn: socket.socket, headers: dict[str, str], first: bytes) -> None:
        length = int(headers["content-length"])  # streamed with a known length, not chunked
        boundary = headers["content-type"].split("boundary=", 1)[1]
        tail = (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n'
            f"backup\r\n--{boundary}--\r\n"
        ).encode()
        received, crc, start, kept_head = 0, 0, None, b""
        last = b""
        chunk = first
        while True:
            if start is None:
                kept_head += chunk
                end_of_head = kept_head.find(b"\r\n\r\n")
                if end_of_head >= 0:
                    start = end_of_head + 4
            file_end = length - len(tail)
            lo, hi = received, received + len(chunk)
            if start is not None:
                a, b = max(lo, start), min(hi, file_end)
                if a < b:
                    crc = zlib.crc32(chunk[a - lo : b - lo], crc)
            last = (last + chunk)[-len(tail) :]
            received = hi
            if received >= length:
                break
            chunk = conn.recv(1024 * 1024)
            if not chunk:
                break
        ok = received == length and last == tail
        self.uploads.append({"bytes": received, "ok": ok, "head": kept_head[: start or 0]})
        body = json.dumps(
            {"id": f"crc-{crc}", "bytes": file_end - (start or 0), "filename": "data.bin"}
        ).encode()
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()


CLIENT = """
    import asyncio, json, sys, tracemalloc, zlib
    from pathlib import Path

    sys.path.insert(0, {generated!r})
    from streaming import AsyncClient, Client

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

    def crc_of(path):
        crc = 0
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                crc = zlib.crc32(chunk, crc)
        return crc

    async def run_async(mode, url, path):
        async with AsyncClient(base_url=url, api_key="k", timeout=60) as client:
            if mode == "download":
                crc = size = 0
                async with client.with_streaming_response.files.download("f1") as response:
                    status_code = response.status_code
                    async for chunk in response.iter_bytes():
                        crc, size = zlib.crc32(chunk, crc), size + len(chunk)
                return {{"status": status_code, "crc": crc, "size": size}}
            with open(path, "rb") as handle:
                stored = await client.files.upload(
                    file=("data.bin", handle, "application/octet-stream"), purpose="backup")
            return {{"id": stored.id, "size": stored.bytes}}

    def run_sync(mode, url, path):
        with Client(base_url=url, api_key="k", timeout=60) as client:
            if mode == "download":
                with client.with_streaming_response.files.download("f1") as response:
                    written = response.write_to_file(path)
                return {{"status": response.status_code, "crc": crc_of(path), "size": written}}
            stored = client.files.upload(file=Path(path), purpose="backup")
            return {{"id": stored.id, "size": stored.bytes}}

    mode, flavour, url, path = sys.argv[1:5]
    Client(base_url=url, api_key="k").close()  # everything imported before measuring
    before = status("VmRSS")
    tracemalloc.start()
    if flavour == "async":
        result = asyncio.run(run_async(mode, url, path))
    else:
        result = run_sync(mode, url, path)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    result.update(rss_before=before, rss_peak=status("VmHWM"), traced_peak=traced)
    print(json.dumps(result))
"""


@pytest.fixture
def server() -> Iterator[BigBodyServer]:
    made = BigBodyServer()
    yield made
    made.close()


def run_client(tmp_path: Path, mode: str, flavour: str, url: str, path: Path) -> dict[str, Any]:
    script = tmp_path / "client.py"
    script.write_text(textwrap.dedent(CLIENT.format(generated=str(GENERATED / "streaming"))))
    proc = subprocess.run(
        [sys.executable, str(script), mode, flavour, url, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    growth = result["rss_peak"] - result["rss_before"]
    print(
        f"{mode} {flavour}: peak RSS {result['rss_peak'] / 2**20:.1f} MiB "
        f"(+{growth / 2**20:.1f} MiB over {result['rss_before'] / 2**20:.1f} before the call), "
        f"tracemalloc peak {result['traced_peak'] / 2**20:.1f} MiB"
    )
    assert result["traced_peak"] < LIMIT and growth < LIMIT, result
    return result


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_200_mb_download_streams_in_constant_memory(
    server: BigBodyServer, tmp_path: Path, flavour: str
) -> None:
    result = run_client(tmp_path, "download", flavour, server.url, tmp_path / "out.bin")
    assert (result["status"], result["size"], result["crc"]) == (200, SIZE, expected_crc())


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("big") / "data.bin"
    with open(path, "wb") as handle:
        for _ in range(SIZE // len(BLOCK)):
            handle.write(BLOCK)
    yield path
    os.unlink(path)


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_200_mb_upload_streams_from_the_file_in_constant_memory(
    server: BigBodyServer, tmp_path: Path, big_file: Path, flavour: str
) -> None:
    result = run_client(tmp_path, "upload", flavour, server.url, big_file)
    assert (result["id"], result["size"]) == (f"crc-{expected_crc()}", SIZE)
    (upload,) = server.uploads
    assert upload["ok"] and b'filename="data.bin"' in upload["head"]
