"""Event streams through a generated client (generated/streaming), sync and async, against
a loopback server: chat chunks cut across TCP reads at awkward places, keep-alives,
``[DONE]``, a stream broken mid-way, the JSON answer of the same operation."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Iterator

import pytest

from sse_loopback import ScriptedServer, cut
from support import import_generated

streaming = import_generated("streaming")
from streaming import APIConnectionError, AsyncClient, Client  # noqa: E402
from streaming._runtime import AsyncStream, ServerSentEvent, Stream  # noqa: E402
from streaming.models import Completion, CompletionChunk, Progress  # noqa: E402

WORDS = ["Hel", "lo, ", "世界", "!"]


def chat_stream() -> bytes:
    events = [
        json.dumps(
            {"id": "c1", "choices": [{"index": 0, "delta": {"content": word}}]}, ensure_ascii=False
        ).encode()
        for word in WORDS
    ]
    return (
        b": keep-alive\r\n\r\n"
        + b"data: "
        + events[0]
        + b"\r\n\r\n"
        + b"data: "
        + events[1]
        + b"\n\n"
        + b": keep-alive\n\n"
        + b"data: "
        + events[2]
        + b"\r\n\r\n"
        + b"data: "
        + events[3]
        + b"\n\n"
        + b"data: [DONE]\n\n"
        + b"data: "
        + events[0]
        + b"\n\n"  # after [DONE]: never read
    )


def awkward_writes() -> list[bytes]:
    """Reads cut inside a field name, between CR and LF, inside the JSON, inside a UTF-8
    character and inside the blank line that ends an event."""
    stream = chat_stream()
    world = stream.index("世".encode())
    first_crlf = stream.index(b"}\r\n") + 2
    at = [2, 19, 21, first_crlf, first_crlf + 1, world + 1, world + 4, stream.index(b"[DONE]") + 3]
    return cut(stream, sorted(set(at)))


@pytest.fixture
def servers() -> Iterator[Any]:
    made: list[ScriptedServer] = []

    def make(*args: Any, **kwargs: Any) -> ScriptedServer:
        made.append(ScriptedServer(*args, **kwargs))
        return made[-1]

    yield make
    for server in made:
        server.close()


def no_sleep(seconds: float) -> None:
    return None


async def async_no_sleep(seconds: float) -> None:
    return None


def client_for(server: ScriptedServer) -> Client:
    from streaming import RetryPolicy

    return Client(
        base_url=server.url, api_key="k", max_retries=2, retry=RetryPolicy(sleep=no_sleep)
    )


def async_client_for(server: ScriptedServer) -> AsyncClient:
    from streaming import RetryPolicy

    return AsyncClient(
        base_url=server.url,
        api_key="k",
        max_retries=2,
        retry=RetryPolicy(async_sleep=async_no_sleep),
    )


def deltas(chunks: list[CompletionChunk]) -> list[str]:
    return [c.choices[0].delta.content for c in chunks]  # type: ignore[index, union-attr]


def test_stream_true_yields_typed_chunks_across_awkward_reads_until_done(servers: Any) -> None:
    server = servers(awkward_writes())
    with client_for(server) as client:
        stream = client.chat.completions.create(model="m", messages=[], stream=True)
        assert isinstance(stream, Stream)
        with stream:
            chunks = list(stream)
    assert deltas(chunks) == WORDS and all(type(c) is CompletionChunk for c in chunks)
    assert json.loads(server.bodies[0]) == {"model": "m", "messages": [], "stream": True}
    assert stream.response.is_closed and server.closed_by_client.wait(5)


def test_without_stream_the_same_operation_returns_the_model(servers: Any) -> None:
    body = json.dumps(
        {
            "id": "c9",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}}],
        }
    ).encode()
    server = servers(cut(body, [5, 17]), content_type="application/json")
    with client_for(server) as client:
        done = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
    assert isinstance(done, Completion) and done.id == "c9"
    assert "stream" not in json.loads(server.bodies[0])


def test_a_stream_broken_mid_way_raises_and_is_not_replayed(servers: Any) -> None:
    writes = cut(chat_stream(), [chat_stream().index("世".encode())])  # two events, half a third
    server = servers(writes[:1], abort=True)
    got: list[str] = []
    with client_for(server) as client:
        with pytest.raises(APIConnectionError, match="after 2 events"):
            for chunk in client.chat.completions.create(model="m", messages=[], stream=True):
                got += deltas([chunk])
    assert got == WORDS[:2] and server.requests == 1


def test_a_stream_lost_before_its_first_event_is_retried(servers: Any) -> None:
    """A POST is retried where it cannot have taken effect twice: with an idempotency key."""
    server = servers(awkward_writes(), fail_first=1)
    with client_for(server) as client:
        chunks = list(
            client.chat.completions.create(
                model="m", messages=[], stream=True, idempotency_key="key-1"
            )
        )
    assert deltas(chunks) == WORDS and server.requests == 2


def test_stream_only_operations_yield_their_event_type_or_the_generic_event(servers: Any) -> None:
    progress = servers([b'data: {"step": 1}\n\n: ping\n\ndata: {"step": 2, "done": tr', b"ue}\n\n"])
    events = servers([b"event: tick\nid: 7\ndata: one\ndata: two\n\n", b"retry: 10\ndata: x\n\n"])
    with client_for(progress) as client:
        steps = list(client.jobs.watch("job-1"))
    with client_for(events) as client:
        ticks = list(client.events.list())
    assert steps == [Progress(step=1), Progress(step=2, done=True)]
    assert progress.paths == ["/jobs/job-1/progress"]
    assert ticks == [
        ServerSentEvent("tick", "one\ntwo", "7"),
        ServerSentEvent("message", "x", "7", 10),
    ]


def test_async_stream_true_yields_typed_chunks_and_closes(servers: Any) -> None:
    server = servers(awkward_writes())

    async def main() -> tuple[list[CompletionChunk], bool]:
        async with async_client_for(server) as client:
            stream = await client.chat.completions.create(model="m", messages=[], stream=True)
            assert isinstance(stream, AsyncStream)
            async with stream:
                chunks = [c async for c in stream]
            return chunks, stream.response.is_closed

    chunks, closed = asyncio.run(main())
    assert deltas(chunks) == WORDS and closed
    assert json.loads(server.bodies[0])["stream"] is True


def test_async_stream_broken_mid_way_raises_and_json_answers_parse(servers: Any) -> None:
    broken = servers(cut(chat_stream(), [chat_stream().index("世".encode())])[:1], abort=True)
    body = json.dumps({"id": "c9", "choices": []}).encode()
    whole = servers([body], content_type="application/json")

    async def main() -> tuple[list[str], Completion]:
        got: list[str] = []
        async with async_client_for(broken) as client:
            with pytest.raises(APIConnectionError, match="after 2 events"):
                async for chunk in await client.chat.completions.create(
                    model="m", messages=[], stream=True
                ):
                    got += deltas([chunk])
        async with async_client_for(whole) as client:
            done = await client.chat.completions.create(model="m", messages=[], stream=False)
        return got, done

    got, done = asyncio.run(main())
    assert got == WORDS[:2] and broken.requests == 1
    assert done == Completion(id="c9", choices=[])


def test_the_packages_mock_answers_a_stream_with_one_typed_event() -> None:
    from streaming.testing import MockAPI

    mock = MockAPI(seed=3)
    with Client(api_key="k", http_client=mock.http_client()) as client:
        steps = list(client.jobs.watch("job-1"))
        events = list(client.events.list())
    assert len(steps) == 1 and isinstance(steps[0], Progress) and isinstance(steps[0].step, int)
    assert len(events) == 1 and isinstance(events[0], ServerSentEvent)
    assert mock.calls_to("jobs.watch")[0].valid
