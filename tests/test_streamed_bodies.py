"""Large bodies through a generated client (generated/streaming): uploads from paths, file
objects and tuples are streamed (the same bytes as an upload from memory, re-sent whole
on a retry); ``with_streaming_response`` leaves a response's body on the wire until it is
read, raises status errors on entering, and reads whole only within the size cap."""

from __future__ import annotations

import asyncio
import io
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

from sse_loopback import ScriptedServer
from support import import_generated

streaming = import_generated("streaming")
from streaming import (  # noqa: E402
    APIConnectionError,
    APIResponseTooLargeError,
    AsyncClient,
    Client,
    InternalServerError,
    NotFoundError,
    ResponseLimits,
    RetryPolicy,
)
from streaming.models import StoredFile  # noqa: E402

CONTENT = b"\x00\x01file bytes\r\n--not-a-boundary\r\n" * 1000
STORED = {"id": "file-1", "bytes": len(CONTENT), "filename": "data.bin"}


def no_sleep(seconds: float) -> None:
    return None


class Recorder:
    """A mock transport: answers each request in turn, keeps the bodies it was sent."""

    def __init__(self, *answers: httpx.Response | Callable[[], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(request.content)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer() if callable(answer) else answer

    def client(self, **options: Any) -> Client:
        http = httpx.Client(transport=httpx.MockTransport(self))
        return Client(
            base_url="https://api.example.com",
            api_key="k",
            http_client=http,
            retry=RetryPolicy(sleep=no_sleep),
            **options,
        )


def stored() -> httpx.Response:
    return httpx.Response(200, json=STORED)


def download() -> httpx.Response:
    """The file as a server sends it: in pieces, not in memory before it is read."""

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(CONTENT), 4096):
            yield CONTENT[start : start + 4096]

    return httpx.Response(
        200, content=pieces(), headers={"content-type": "application/octet-stream"}
    )


def boundary_of(request: httpx.Request) -> str:
    return request.headers["content-type"].split("boundary=", 1)[1]


def normalised(body: bytes, request: httpx.Request) -> bytes:
    return body.replace(boundary_of(request).encode(), b"BOUNDARY")


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(CONTENT)
    return path


class Unbuffered(io.RawIOBase):
    """A readable file that records how much was asked of it at once."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)
        self.largest_read = 0
        self.name = "piped.bin"

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.largest_read = max(self.largest_read, size if size >= 0 else 1 << 62)
        return self.inner.read(size)


def test_uploads_from_a_path_a_file_and_a_tuple_send_what_an_upload_from_memory_sends(
    data_file: Path,
) -> None:
    recorder = Recorder(stored())
    with recorder.client() as client:
        client.files.upload(file=("data.bin", CONTENT, "application/octet-stream"), purpose="p")
        assert client.files.upload(file=data_file, purpose="p") == StoredFile(**STORED)
        with open(data_file, "rb") as handle:
            client.files.upload(file=handle, purpose="p")
        with open(data_file, "rb") as handle:
            client.files.upload(file=("data.bin", handle, "application/octet-stream"), purpose="p")
    from_memory, *streamed = [normalised(b, r) for b, r in zip(recorder.bodies, recorder.requests)]
    assert b'filename="data.bin"' in from_memory and CONTENT in from_memory
    assert streamed == [from_memory] * 3
    for request, body in zip(recorder.requests, recorder.bodies):  # a length, not chunked
        assert request.headers["content-length"] == str(len(body))
        assert "transfer-encoding" not in request.headers


def test_a_file_is_read_in_pieces_not_whole() -> None:
    recorder = Recorder(stored())
    source = Unbuffered(CONTENT)
    with recorder.client() as client:
        client.files.upload(file=source, purpose="p")
    assert CONTENT in recorder.bodies[0] and b'filename="piped.bin"' in recorder.bodies[0]
    assert source.largest_read == 64 * 1024  # never read(-1)


class UploadServer:
    """A loopback server that reads each POST body whole and answers from a script (the
    last answer repeats); a real socket, so a retried body is really read again."""

    def __init__(self, *answers: tuple[int, dict[str, str], bytes]) -> None:
        self.answers = list(answers)
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                if "chunked" in self.headers.get("Transfer-Encoding", ""):
                    body = b""
                    while size := int(self.rfile.readline().strip(), 16):
                        body += self.rfile.read(size)
                        self.rfile.readline()
                    self.rfile.readline()
                else:
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                state.bodies.append(body)
                state.headers.append(dict(self.headers))
                status, headers, content = (
                    state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
                )
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(content))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


BUSY = (503, {"Retry-After": "0", "Content-Type": "application/json"}, b'{"message": "busy"}')
OK = (200, {"Content-Type": "application/json"}, json.dumps(STORED).encode())


@pytest.fixture
def upload_server() -> Iterator[Any]:
    made: list[UploadServer] = []

    def make(*answers: tuple[int, dict[str, str], bytes]) -> UploadServer:
        made.append(UploadServer(*answers))
        return made[-1]

    yield make
    for server in made:
        server.close()


def test_a_retry_sends_the_whole_file_again_from_where_it_started(
    data_file: Path, upload_server: Any
) -> None:
    server = upload_server(BUSY, OK)
    client = Client(
        base_url=server.url, api_key="k", max_retries=2, retry=RetryPolicy(sleep=no_sleep)
    )
    with client, open(data_file, "rb") as handle:
        handle.seek(10)  # a file is sent from where it stands when the call is made
        assert client.files.upload(file=handle, purpose="p") == StoredFile(**STORED)
        assert client.files.upload(file=data_file, purpose="p") == StoredFile(**STORED)
    first, second, from_path = server.bodies
    assert first == second and CONTENT[10:] in first and CONTENT not in first
    assert CONTENT in from_path
    assert server.headers[0]["Content-Length"] == str(len(first))


def test_an_unseekable_file_is_sent_chunked_once_and_never_retried(upload_server: Any) -> None:
    """The 503 would be retried, but the pipe's bytes are gone: the user gets the typed
    error of the one attempt (never a ValueError from re-reading the pipe), sync and async."""

    class Pipe(Unbuffered):
        def seekable(self) -> bool:
            return False

        def tell(self) -> int:
            raise OSError("not seekable")

    once = "after 1 attempt); not retried: the body reads a file that cannot seek"
    server = upload_server(BUSY, OK)
    client = Client(
        base_url=server.url, api_key="k", max_retries=2, retry=RetryPolicy(sleep=no_sleep)
    )
    with client:
        with pytest.raises(InternalServerError, match=re.escape(once)) as info:
            client.files.upload(file=Pipe(CONTENT), purpose="p")
    assert info.value.status_code == 503 and info.value.attempts == 1
    (body,) = server.bodies
    assert CONTENT in body and server.headers[0]["Transfer-Encoding"] == "chunked"

    async def no_async_sleep(seconds: float) -> None:
        return None

    async def upload_async() -> None:
        async with AsyncClient(
            base_url=async_server.url,
            api_key="k",
            max_retries=2,
            retry=RetryPolicy(sleep=no_sleep, async_sleep=no_async_sleep),
        ) as client:
            await client.files.upload(file=Pipe(CONTENT), purpose="p")

    async_server = upload_server(BUSY, OK)
    with pytest.raises(InternalServerError, match=re.escape(once)):
        asyncio.run(upload_async())
    assert len(async_server.bodies) == 1


def test_a_streamed_download_leaves_the_body_unread_until_asked(tmp_path: Path) -> None:
    recorder = Recorder(download, download, download, stored)
    with recorder.client() as client:
        with client.with_streaming_response.files.download("f1") as response:
            assert not response.http_response.is_stream_consumed
            pieces = list(response.iter_bytes(1000))
        assert b"".join(pieces) == CONTENT and max(map(len, pieces)) == 1000
        assert response.http_response.is_closed
        with client.with_streaming_response.files.download("f1") as response:
            assert response.write_to_file(tmp_path / "out.bin") == len(CONTENT)
        assert (tmp_path / "out.bin").read_bytes() == CONTENT
        with client.with_streaming_response.files.download("f1") as response:
            assert response.parse() == CONTENT and response.read() == CONTENT
        with client.with_streaming_response.files.upload(file=CONTENT, purpose="p") as response:
            assert response.status_code == 200 and response.parse() == StoredFile(**STORED)


def test_a_streamed_call_raises_status_errors_on_entering_and_caps_whole_reads() -> None:
    recorder = Recorder(httpx.Response(404, json={"message": "no such file"}))
    with recorder.client() as client:
        with pytest.raises(NotFoundError, match="no such file"):
            with client.with_streaming_response.files.download("f1"):
                raise AssertionError("not entered")
    big = Recorder(download)
    with big.client(limits=ResponseLimits(max_bytes=1000)) as client:
        with pytest.raises(APIResponseTooLargeError):
            client.files.download("f1")  # the plain call reads the body whole: capped
        with client.with_streaming_response.files.download("f1") as response:
            with pytest.raises(APIResponseTooLargeError):
                response.read()
        with client.with_streaming_response.files.download("f1") as response:
            assert sum(len(c) for c in response.iter_bytes()) == len(CONTENT)  # no cap


@pytest.fixture
def servers() -> Iterator[Any]:
    made: list[ScriptedServer] = []

    def make(*args: Any, **kwargs: Any) -> ScriptedServer:
        made.append(ScriptedServer(*args, **kwargs))
        return made[-1]

    yield make
    for server in made:
        server.close()


def test_a_download_broken_mid_way_raises_a_connection_error(servers: Any) -> None:
    server = servers(
        [b"first part", b"second part"], content_type="application/octet-stream", abort=True
    )
    got = b""
    with Client(base_url=server.url, api_key="k") as client:
        with client.with_streaming_response.files.download("f1") as response:
            with pytest.raises(APIConnectionError, match="broke off while streaming"):
                for chunk in response.iter_bytes():
                    got += chunk
    assert got == b"first partsecond part"


def test_a_streamed_event_stream_parses_as_a_stream(servers: Any) -> None:
    server = servers([b'data: {"step": 1}\n\n', b"data: [DONE]\n\n"])
    with Client(base_url=server.url, api_key="k") as client:
        with client.with_streaming_response.jobs.watch("j") as response:
            assert response.headers["x-request-id"] == "req-1"
            assert [p.step for p in response.parse()] == [1]


def test_async_uploads_stream_and_downloads_stay_unread(data_file: Path, servers: Any) -> None:
    bodies: list[bytes] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(await request.aread())
        if request.method == "GET":
            return httpx.Response(200, content=CONTENT)
        return stored()

    broken = servers([b"abc"], content_type="application/octet-stream", abort=True)

    async def main() -> tuple[StoredFile, bytes, Any]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncClient(
            base_url="https://api.example.com", api_key="k", http_client=http
        ) as client:
            with open(data_file, "rb") as handle:
                done = await client.files.upload(file=handle, purpose="p")
            async with client.with_streaming_response.files.download("f1") as response:
                data = b"".join([c async for c in response.iter_bytes()])
                parsed = await response.parse()
            assert parsed == CONTENT
        async with AsyncClient(base_url=broken.url, api_key="k") as client:
            async with client.with_streaming_response.files.download("f1") as response:
                with pytest.raises(APIConnectionError):
                    async for _ in response.iter_bytes():
                        pass
        return done, data, json

    done, data, _ = asyncio.run(main())
    assert done == StoredFile(**STORED) and data == CONTENT
    assert CONTENT in bodies[0] and b'filename="data.bin"' in bodies[0]
