"""The generator side of server-sent events: which responses are streams, what each event
is, the JSON-or-stream overloads, and what mypy sees in generated code (OpenAI's official
spec and specs/streaming.yaml)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from apigen.build import build_api
from apigen.loader import Document
from apigen.normalize import normalize as _normalize

from support import GENERATED, REPO
from test_typed_scripts import trimmed

OPENAI_STREAMING = [
    "createSpeech",
    "createTranscription",
    "createChatCompletion",
    "createImageEdit",
    "createImage",
    "createResponse",
    "beta_createResponse",
]


def normalize(data: dict[str, Any]) -> dict[str, Any]:
    return _normalize(Document(data=data, source="test.json", text=""))


def operations(api: Any) -> dict[str, Any]:
    return {op.operation_id: op for op in api.operations}


def spec_with(responses: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": "watch", "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/watch": {"post": op}},
        "components": {
            "schemas": {
                "Tick": {"type": "object", "properties": {"n": {"type": "integer"}}},
                "Done": {"type": "object", "properties": {"id": {"type": "string"}}},
            }
        },
    }


def stream_response(media: dict[str, Any], json_too: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"text/event-stream": media}
    if json_too:
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/Done"}}, **content}
    return {"200": {"description": "ok", "content": content}}


TICK = {"$ref": "#/components/schemas/Tick"}


@pytest.mark.parametrize(
    "media,expected",
    [
        ({"schema": TICK}, "Tick"),  # OpenAI's way: the schema is each event's data
        ({"schema": {"type": "array", "items": TICK}}, "Tick"),  # the sequence: its items
        ({"schema": {"type": "string"}, "x-apigen-event-type": TICK}, "Tick"),  # the extension
        (
            {
                "itemSchema": {
                    "type": "object",
                    "properties": {  # OAS 3.2: the event envelope
                        "event": {"type": "string"},
                        "data": {"type": "string", "contentSchema": TICK},
                    },
                }
            },
            "Tick",
        ),
        ({"itemSchema": TICK}, "Tick"),  # OAS 3.2: the event itself
        ({"schema": {"type": "string"}}, "ServerSentEvent"),  # the text: nothing about the data
        ({}, "ServerSentEvent"),
    ],
)
def test_each_events_type_comes_from_the_spec(media: dict[str, Any], expected: str) -> None:
    op = operations(build_api(normalize(spec_with(stream_response(media)))))["watch"]
    assert op.events is not None and op.events.expr == expected
    assert op.stream_only and op.return_type.expr == "NoReturn" and op.pagination is None
    (response,) = op.responses
    assert (response.kind, response.events) == ("event-stream", True)
    assert (response.event_type.expr if response.event_type else "ServerSentEvent") == expected


def test_json_beside_a_stream_keeps_the_json_type_and_switches_on_a_stream_field() -> None:
    body = {
        "type": "object",
        "required": ["q"],
        "properties": {
            "q": {"type": "string"},
            "stream": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
        },
    }
    op = operations(build_api(normalize(spec_with(stream_response({"schema": TICK}, True), body))))
    watch = op["watch"]
    assert (watch.return_type.expr, watch.events.expr, watch.stream_only) == ("Done", "Tick", False)
    assert watch.responses[0].kind == "json" and watch.responses[0].event_type.expr == "Tick"
    assert (watch.stream_switch.py_name, watch.stream_switch.nullable) == ("stream", True)


def test_no_overloads_without_a_boolean_stream_field() -> None:
    body = {"type": "object", "properties": {"stream": {"type": "string", "enum": ["sse", "x"]}}}
    op = operations(build_api(normalize(spec_with(stream_response({"schema": TICK}, True), body))))
    assert op["watch"].events.expr == "Tick" and op["watch"].stream_switch is None


def test_a_plain_text_response_is_no_stream() -> None:
    responses = {
        "200": {"description": "ok", "content": {"text/plain": {"schema": {"type": "string"}}}}
    }
    op = operations(build_api(normalize(spec_with(responses))))["watch"]
    assert op.events is None and op.return_type.expr == "str" and op.responses[0].kind == "text"


def openai_spec() -> dict[str, Any]:
    return json.loads(gzip.decompress((REPO / "specs/real/openai-openapi.json.gz").read_bytes()))


def test_openais_seven_streaming_operations_are_typed_streams() -> None:
    api = build_api(normalize(openai_spec()))
    ops = {op.operation_id: op for op in api.operations if op.events}
    assert sorted(ops) == sorted(OPENAI_STREAMING)
    chat = ops["createChatCompletion"]
    assert (chat.return_type.expr, chat.events.expr) == (
        "CreateChatCompletionResponse",
        "CreateChatCompletionStreamResponse",
    )
    assert chat.stream_switch is not None and chat.stream_switch.py_name == "stream"
    # every event union is typed (no generic events), and stream=True switches all but speech,
    # whose stream_format="sse" is a string choice (its return type stays the union)
    assert all("ServerSentEvent" not in op.events.expr for op in ops.values())
    assert sorted(k for k, op in ops.items() if op.stream_switch is None) == ["createSpeech"]
    assert ops["createSpeech"].return_type.expr == "bytes"
    assert "ResponseCompletedEvent" in ops["createResponse"].events.expr.split(" | ")


def test_the_golden_streaming_client_declares_streams() -> None:
    source = (GENERATED / "streaming/streaming/resources/chat_completions.py").read_text()
    assert (
        '"200": ResponseType("json", Completion, events=True, event_type=CompletionChunk)' in source
    )
    assert "_CREATE: StreamingEndpoint[Completion, CompletionChunk] = StreamingEndpoint(" in source
    assert source.count("@overload") == 6  # three for the sync method, three for the async one
    jobs = (GENERATED / "streaming/streaming/resources/jobs.py").read_text()
    assert '"200": ResponseType("event-stream", events=True, event_type=Progress)' in jobs
    assert ") -> Stream[Progress]:" in jobs and ") -> AsyncStream[Progress]:" in jobs


USER_SCRIPT = """
    import asyncio

    from openai import AsyncClient, Client
    from openai._runtime import AsyncStream, Stream
    from openai.models import CreateChatCompletionResponse, CreateChatCompletionStreamResponse
    from pathlib import Path

    from streaming import AsyncClient as StreamingAsyncClient, Client as StreamingClient
    from streaming._runtime import ServerSentEvent
    from streaming.models import Progress

    def main(flag: bool) -> None:
        with Client(api_key="sk-1") as client:
            done = client.chat.completions.create(model="gpt-4o", messages=[])
            whole: CreateChatCompletionResponse = done
            print(whole.id, whole.choices)
            plain = client.chat.completions.create(model="gpt-4o", messages=[], stream=False)
            print(plain.id)
            chunks = client.chat.completions.create(model="gpt-4o", messages=[], stream=True)
            typed: Stream[CreateChatCompletionStreamResponse] = chunks
            with typed:
                for chunk in typed:
                    print(chunk.id, chunk.choices[0].delta)
            either = client.chat.completions.create(model="gpt-4o", messages=[], stream=flag)
            if isinstance(either, Stream):
                either.close()
            else:
                print(either.usage)
        with StreamingClient(api_key="k") as other:
            for step in other.jobs.watch("job-1"):
                progress: Progress = step
                print(progress.step)
            for raw in other.events.list():
                untyped: ServerSentEvent = raw
                print(untyped.event, untyped.data, untyped.id, untyped.retry)
            with other.with_streaming_response.files.download("f1") as response:
                written: int = response.write_to_file("out.bin")
                pieces: list[bytes] = list(response.iter_bytes())
                print(written, pieces, response.status_code, response.request_id)
            with other.files.with_streaming_response.upload(file=b"x", purpose="p") as stored:
                print(stored.parse().id)
            with open("in.bin", "rb") as handle:
                other.files.upload(file=handle, purpose="p")
            other.files.upload(file=Path("in.bin"), purpose="p")
            other.files.upload(file=("in.bin", b"data", "application/octet-stream"), purpose="p")

    async def amain() -> None:
        async with AsyncClient(api_key="sk-1") as client:
            done = await client.chat.completions.create(model="gpt-4o", messages=[])
            print(done.id)
            chunks = await client.chat.completions.create(model="gpt-4o", messages=[], stream=True)
            typed: AsyncStream[CreateChatCompletionStreamResponse] = chunks
            async with typed:
                async for chunk in typed:
                    print(chunk.choices)
        async with StreamingAsyncClient(api_key="k") as other:
            async with other.with_streaming_response.files.download("f1") as response:
                async for piece in response.iter_bytes():
                    data: bytes = piece
                    print(data)
                print(await response.parse())

    main(True)
    asyncio.run(amain())
"""

WRONG_SCRIPT = """
    from openai import Client
    from openai._runtime import Stream
    from openai.models import CreateChatCompletionResponse, CreateChatCompletionStreamResponse

    with Client(api_key="sk-1") as client:
        a: CreateChatCompletionResponse = client.chat.completions.create(
            model="m", messages=[], stream=True)
        b: Stream[CreateChatCompletionStreamResponse] = client.chat.completions.create(
            model="m", messages=[])
        c: CreateChatCompletionResponse = client.chat.completions.create(
            model="m", messages=[], stream=bool(a))

    from streaming import Client as StreamingClient

    with StreamingClient(api_key="k").with_streaming_response.files.download("f") as response:
        d: str = response.write_to_file("out.bin")
"""


@pytest.fixture(scope="module")
def openai_streaming(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from apigen.pipeline import generate

    root = tmp_path_factory.mktemp("openai-streaming")
    path = root / "openai.json"
    spec = trimmed(openai_spec(), ["createChatCompletion"])
    path.write_text(json.dumps(spec), encoding="utf-8")
    generate(str(path), root / "out" / "openai", "openai")
    return root


def mypy(root: Path, scripts: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for name, source in scripts.items():
        (root / name).write_text(textwrap.dedent(source), encoding="utf-8")
    (root / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file",
            "mypy.ini",
            *scripts,
        ],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=600,
        env={
            "MYPYPATH": f"{root / 'out' / 'openai'}:{GENERATED / 'streaming'}",
            "PATH": "/usr/bin:/bin",
        },
    )


@pytest.mark.slow
def test_mypy_sees_a_stream_for_stream_true_and_the_model_otherwise(openai_streaming: Path) -> None:
    proc = mypy(openai_streaming, {"use.py": USER_SCRIPT, "wrong.py": WRONG_SCRIPT})
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if not e.startswith("wrong.py")], (
        proc.stdout[-6000:] + proc.stderr
    )
    assert len(errors) == 4, proc.stdout
    assert (
        'expression has type "Stream[CreateChatCompletionStreamResponse]", variable has type'
        ' "CreateChatCompletionResponse"' in errors[0]
    )
    assert (
        'expression has type "CreateChatCompletionResponse", variable has type'
        ' "Stream[CreateChatCompletionStreamResponse]"' in errors[1]
    )
    assert "CreateChatCompletionResponse | Stream[CreateChatCompletionStreamResponse]" in errors[2]
    assert 'expression has type "int", variable has type "str"' in errors[3]
