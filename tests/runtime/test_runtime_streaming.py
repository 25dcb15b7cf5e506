"""Server-sent events: the decoder across every cut, and Stream / AsyncStream over loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any, Iterator

import httpx
import pydantic
import pytest

from apigen.runtime.errors import APIConnectionError
from apigen.runtime.streaming import (
    APIStreamError,
    AsyncStream,
    ServerSentEvent,
    SSEDecoder,
    Stream,
)

SAMPLE = (
    b"\xef\xbb\xbf: a comment first\r\n"
    b"retry: 3000\r\n"
    b"id: 1\r\n"
    b"data: {\"n\": 1}\r\n"
    b"\r\n"
    b": keep-alive\n\n"
    b"event: note\rdata: line one\rdata:line two\r\r"
    b"id: 2\n"
    b"data\n"
    b"data:  two spaces\n\n"
    b"event: ignored without data\n\n"
    b"data: tail\n\n"
)
EXPECTED = [
    ServerSentEvent("message", '{"n": 1}', "1", 3000),
    ServerSentEvent("note", "line one\nline two", "1", 3000),
    ServerSentEvent("message", "\n two spaces", "2", 3000),
    ServerSentEvent("message", "tail", "2", 3000),
]


def decode(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = [e for chunk in chunks for e in decoder.feed(chunk)]
    return events + decoder.flush()


def test_decoder_follows_the_event_stream_rules() -> None:
    assert decode([SAMPLE]) == EXPECTED


def test_decoder_gives_the_same_events_wherever_the_reads_are_cut() -> None:
    assert decode([SAMPLE[i:i + 1] for i in range(len(SAMPLE))]) == EXPECTED
    for i in range(len(SAMPLE) + 1):
        for j in range(i, len(SAMPLE) + 1, 7):
            assert decode([SAMPLE[:i], SAMPLE[i:j], SAMPLE[j:]]) == EXPECTED, (i, j)


def test_decoder_refuses_an_event_or_line_it_would_have_to_buffer_without_bound() -> None:
    decoder = SSEDecoder(max_event_bytes=1000)
    with pytest.raises(APIStreamError, match="over 1000 bytes"):
        for _ in range(100):
            decoder.feed(b"data: " + b"x" * 100 + b"\n")
    with pytest.raises(APIStreamError, match="line is over"):
        SSEDecoder(max_event_bytes=1000).feed(b"data: " + b"y" * 2000)


# -- a real event-stream server on loopback ---------------------------------------------


class SSEServer:
    """Answers every request with the scripted writes, flushed one by one; ``abort``
    drops the connection after them without ending the chunked body; ``hold`` keeps it open
    (a stream still going) until the client closes it. Bounded in time."""

    def __init__(self, writes: list[bytes], abort: bool = False, hold: bool = False) -> None:
        self.writes, self.abort, self.hold = writes, abort, hold
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.stopped = threading.Event()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.closed_by_client = threading.Event()
        self.requests = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                request = b""
                while b"\r\n\r\n" not in request:
                    part = conn.recv(65536)
                    if not part:
                        break
                    request += part
                self.requests += 1
                head = ("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                        "transfer-encoding: chunked\r\nconnection: close\r\nx-request-id: req-sse\r\n\r\n")
                try:
                    conn.sendall(head.encode())
                    for write in self.writes:
                        conn.sendall(b"%x\r\n%s\r\n" % (len(write), write))
                        time.sleep(0.002)  # separate TCP reads, so the client sees the cuts
                    if self.abort:
                        conn.shutdown(socket.SHUT_RDWR)
                        continue
                    if not self.hold:
                        conn.sendall(b"0\r\n\r\n")
                    if conn.recv(1) == b"":  # the client closed its end
                        self.closed_by_client.set()
                except OSError:
                    pass

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()


class Chunk(pydantic.BaseModel):
    id: str
    delta: str


def chat_writes() -> list[bytes]:
    events = b"".join(
        b'data: {"id": "c1", "delta": "%s"}\n\n' % word.encode() for word in ("Hel", "lo", " world")
    )
    stream = b": keep-alive\n\n" + events + b": keep-alive\n\n" + b"data: [DONE]\n\n"
    cuts = [3, 9, 17, 18, 40, 41, 64, 90, len(stream)]  # inside fields, inside "\n\n", in JSON
    out, start = [], 0
    for cut in cuts:
        out.append(stream[start:cut])
        start = cut
    return [w for w in out if w]


def parse_chunk(event: ServerSentEvent) -> Chunk:
    return Chunk.model_validate_json(event.data)


@pytest.fixture
def server_factory() -> Iterator[Any]:
    made: list[SSEServer] = []

    def make(*args: Any, **kwargs: Any) -> SSEServer:
        made.append(SSEServer(*args, **kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


def open_stream(server: SSEServer) -> Stream[Chunk]:
    http = httpx.Client(timeout=5)
    response = http.send(http.build_request("POST", server.url + "/chat"), stream=True)
    return Stream(response, parse_chunk)


def test_a_stream_yields_typed_chunks_across_awkward_reads_and_stops_at_done(server_factory: Any) -> None:
    server = server_factory(chat_writes())
    with open_stream(server) as stream:
        chunks = list(stream)
    assert [c.delta for c in chunks] == ["Hel", "lo", " world"] and all(type(c) is Chunk for c in chunks)
    assert stream.request_id == "req-sse" and stream.response.is_closed


def test_breaking_out_of_the_loop_closes_the_connection(server_factory: Any) -> None:
    server = server_factory(chat_writes()[:7], hold=True)  # the first event, then silence
    stream = open_stream(server)
    for chunk in stream:
        assert chunk.delta == "Hel"
        break
    assert stream.response.is_closed
    assert server.closed_by_client.wait(5)


def test_a_stream_broken_mid_way_raises_a_typed_connection_error(server_factory: Any) -> None:
    writes = [b'data: {"id": "c1", "delta": "a"}\n\n', b'data: {"id": "c1", "delta": "b"}\n\n', b"data: {"]
    server = server_factory(writes, abort=True)
    got: list[str] = []
    with pytest.raises(APIConnectionError, match="after 2 events") as info:
        for chunk in open_stream(server):
            got.append(chunk.delta)
    assert got == ["a", "b"] and info.value.request is not None


def test_an_error_event_raises_with_the_servers_message(server_factory: Any) -> None:
    writes = [b'data: {"id": "c1", "delta": "a"}\n\n',
              b'event: error\ndata: {"error": {"message": "model overloaded", "type": "server"}}\n\n']
    server = server_factory(writes)
    with pytest.raises(APIStreamError, match="model overloaded") as info:
        list(open_stream(server))
    assert info.value.body == {"error": {"message": "model overloaded", "type": "server"}}


def test_event_data_that_is_not_json_is_a_typed_error(server_factory: Any) -> None:
    server = server_factory([b"data: {not json\n\n"])
    with pytest.raises(APIStreamError, match="could not be read"):
        list(open_stream(server))


def test_async_stream_yields_typed_chunks_and_closes(server_factory: Any) -> None:
    server = server_factory(chat_writes())

    async def main() -> tuple[list[str], bool]:
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.send(http.build_request("POST", server.url + "/chat"), stream=True)
            async with AsyncStream(response, parse_chunk) as stream:
                deltas = [c.delta async for c in stream]
            return deltas, response.is_closed

    deltas, closed = asyncio.run(main())
    assert deltas == ["Hel", "lo", " world"] and closed


def test_async_stream_broken_mid_way_raises_a_typed_connection_error(server_factory: Any) -> None:
    server = server_factory([b'data: {"id": "c1", "delta": "a"}\n\n', b"data: {"], abort=True)

    async def main() -> list[str]:
        got: list[str] = []
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.send(http.build_request("GET", server.url + "/chat"), stream=True)
            with pytest.raises(APIConnectionError, match="after 1 event"):
                async for chunk in AsyncStream(response, parse_chunk):
                    got.append(chunk.delta)
        return got

    assert asyncio.run(main()) == ["a"]


def test_without_a_schema_the_events_themselves_are_yielded(server_factory: Any) -> None:
    server = server_factory([b"event: ping\nid: 7\ndata: x\n\n"])
    http = httpx.Client(timeout=5)
    response = http.send(http.build_request("GET", server.url), stream=True)
    events = list(Stream(response, lambda e: e))
    assert events == [ServerSentEvent("ping", "x", "7", None)]
