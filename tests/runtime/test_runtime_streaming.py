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

from apigen.runtime import AsyncAPIClient, Endpoint, ResponseType, RetryPolicy, SyncAPIClient
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
    b'data: {"n": 1}\r\n'
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
    assert decode([SAMPLE[i : i + 1] for i in range(len(SAMPLE))]) == EXPECTED
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
    (a stream still going) until the client closes it; the first ``fail_first`` requests
    get the headers, then a dropped connection before any event. Bounded in time."""

    def __init__(
        self,
        writes: list[bytes],
        abort: bool = False,
        hold: bool = False,
        fail_first: int = 0,
        content_type: str = "text/event-stream",
    ) -> None:
        self.writes, self.abort, self.hold = writes, abort, hold
        self.fail_first, self.content_type = fail_first, content_type
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
                head_end = request.find(b"\r\n\r\n") + 4
                length = 0
                for line in request[:head_end].decode("latin-1").split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                while len(request) - head_end < length:  # read the body, so closing sends no RST
                    part = conn.recv(65536)
                    if not part:
                        break
                    request += part
                self.requests += 1
                head = (
                    f"HTTP/1.1 200 OK\r\ncontent-type: {self.content_type}\r\n"
                    "transfer-encoding: chunked\r\nconnection: close\r\n"
                    "x-request-id: req-sse\r\n\r\n"
                )
                try:
                    conn.sendall(head.encode())
                    if self.requests <= self.fail_first:
                        conn.sendall(b"5\r\n: hi\n\r\n")  # a comment, then the line drops
                        conn.shutdown(socket.SHUT_RDWR)
                        continue
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


def test_a_stream_yields_typed_chunks_across_awkward_reads_and_stops_at_done(
    server_factory: Any,
) -> None:
    server = server_factory(chat_writes())
    with open_stream(server) as stream:
        chunks = list(stream)
    assert [c.delta for c in chunks] == ["Hel", "lo", " world"] and all(
        type(c) is Chunk for c in chunks
    )
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
    writes = [
        b'data: {"id": "c1", "delta": "a"}\n\n',
        b'data: {"id": "c1", "delta": "b"}\n\n',
        b"data: {",
    ]
    server = server_factory(writes, abort=True)
    got: list[str] = []
    with pytest.raises(APIConnectionError, match="after 2 events") as info:
        for chunk in open_stream(server):
            got.append(chunk.delta)
    assert got == ["a", "b"] and info.value.request is not None


def test_an_error_event_raises_with_the_servers_message(server_factory: Any) -> None:
    writes = [
        b'data: {"id": "c1", "delta": "a"}\n\n',
        b'event: error\ndata: {"error": {"message": "model overloaded", "type": "server"}}\n\n',
    ]
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
            response = await http.send(
                http.build_request("POST", server.url + "/chat"), stream=True
            )
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


# -- through the runtime client: an endpoint that may answer JSON or an event stream ---------


class Completion(pydantic.BaseModel):
    id: str
    text: str


CHAT = Endpoint(
    "POST",
    "/chat",
    "createChat",
    responses={"200": ResponseType("json", Completion, events=True, event_type=Chunk)},
)
EVENTS = Endpoint(
    "GET",
    "/events",
    "listEvents",
    responses={"200": ResponseType("event-stream", None, events=True, event_type=None)},
)


def sync_client(server: SSEServer) -> SyncAPIClient:
    return SyncAPIClient(
        base_url=server.url,
        package="ssetest",
        version="1",
        retry=RetryPolicy(sleep=lambda s: None),
        max_retries=2,
    )


def async_client(server: SSEServer) -> AsyncAPIClient:
    async def no_sleep(seconds: float) -> None:
        return None

    return AsyncAPIClient(
        base_url=server.url,
        package="ssetest",
        version="1",
        retry=RetryPolicy(sleep=no_sleep),
        max_retries=2,
    )


def test_client_returns_a_typed_stream_when_the_server_streams(server_factory: Any) -> None:
    server = server_factory(chat_writes())
    with sync_client(server) as client:
        stream = client.request(CHAT, body={"stream": True})
        assert isinstance(stream, Stream)
        with stream:
            assert [c.delta for c in stream] == ["Hel", "lo", " world"]


def test_client_parses_json_when_the_same_operation_answers_json(server_factory: Any) -> None:
    server = server_factory(
        [b'{"id": "c1", "text": "Hello world"}'], content_type="application/json"
    )
    with sync_client(server) as client:
        value = client.request(CHAT, body={"stream": False})
    assert value == Completion(id="c1", text="Hello world")


def test_a_connection_lost_before_the_first_event_is_retried(server_factory: Any) -> None:
    server = server_factory(chat_writes(), fail_first=1)
    with sync_client(server) as client:
        get_chat = Endpoint("GET", "/chat", "getChat", responses=CHAT.responses)
        deltas = [c.delta for c in client.request(get_chat)]
    assert deltas == ["Hel", "lo", " world"] and server.requests == 2


def test_without_an_event_schema_the_client_yields_the_events(server_factory: Any) -> None:
    server = server_factory([b"event: tick\ndata: 1\n\n", b"event: tick\ndata: 2\n\n"])
    with sync_client(server) as client:
        events = list(client.request(EVENTS))
    assert [(e.event, e.data) for e in events] == [("tick", "1"), ("tick", "2")]


def test_a_drifted_event_is_kept_leniently_and_strict_mode_raises(server_factory: Any) -> None:
    from apigen.runtime import response_problems

    drifted = [b'data: {"id": "c1", "delta": 5, "extra": true}\n\n']
    server = server_factory(drifted)
    with sync_client(server) as client:
        (chunk,) = list(client.request(CHAT, body={"stream": True}))
        assert chunk.id == "c1" and chunk.delta == 5
        assert [p.path for p in response_problems(chunk)] == ["$.delta"]
        from apigen.runtime import RequestOptions

        with pytest.raises(APIStreamError, match="does not match Chunk"):
            list(
                client.request(
                    CHAT, body={"stream": True}, options=RequestOptions(strict_responses=True)
                )
            )


def test_async_client_streams_and_retries_before_the_first_event(server_factory: Any) -> None:
    server = server_factory(chat_writes(), fail_first=1)
    get_chat = Endpoint("GET", "/chat", "getChat", responses=CHAT.responses)

    async def main() -> list[str]:
        async with async_client(server) as client:
            stream = await client.request(get_chat)
            assert isinstance(stream, AsyncStream)
            async with stream:
                return [c.delta async for c in stream]

    assert asyncio.run(main()) == ["Hel", "lo", " world"] and server.requests == 2


def test_async_client_stream_broken_after_events_raises(server_factory: Any) -> None:
    server = server_factory([b'data: {"id": "c1", "delta": "a"}\n\n', b"data: {"], abort=True)

    async def main() -> list[str]:
        got: list[str] = []
        async with async_client(server) as client:
            with pytest.raises(APIConnectionError, match="after 1 event"):
                async for chunk in await client.request(CHAT, body={"stream": True}):
                    got.append(chunk.delta)
        return got

    assert asyncio.run(main()) == ["a"] and server.requests == 1
