#!/usr/bin/env python3
"""Server-sent events parsed per second: apigen's Stream[T] against raw httpx ``iter_lines``,
side by side in one process, through httpx.MockTransport (no network).

The body is --events OpenAI-style chat chunks (``data: {...}\\n\\n``, about 230 bytes
each, a keep-alive comment every 50 events, ``data: [DONE]`` at the end), delivered in
--read-size byte reads cut anywhere.

  raw      httpx ``iter_lines()``, keep the ``data: `` lines, stop at ``[DONE]``
  apigen   ``Stream(response, parse)``: the runtime's decoder (CR/LF/CRLF, comments,
           multi-line data, id/retry, size cap)

Each side is measured twice: ``text`` (the event's data as a string) and ``typed``
(each event validated into a pydantic model with ``model_validate_json``). Repetitions
alternate the sides; printed are the medians of events per second and of the
per-repetition ratios of speed apigen / raw (1.0 = as fast as raw; above 1.0 = faster).

    python bench/sse_throughput.py [--events 20000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pydantic

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "generator"))

from apigen.runtime.streaming import ServerSentEvent, Stream  # noqa: E402


class Delta(pydantic.BaseModel):
    content: str | None = None
    role: str | None = None


class Choice(pydantic.BaseModel):
    index: int
    delta: Delta
    finish_reason: str | None = None


class ChatChunk(pydantic.BaseModel):
    id: str
    object: str
    created: int
    model: str
    choices: list[Choice]


def body(events: int) -> bytes:
    out = []
    for i in range(events):
        chunk = {
            "id": "chatcmpl-9",
            "object": "chat.completion.chunk",
            "created": 1700000000 + i,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}],
        }
        out.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        if i % 50 == 49:
            out.append(b": keep-alive\n\n")
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


def client(payload: bytes, read_size: int) -> httpx.Client:
    def stream() -> Iterator[bytes]:
        for start in range(0, len(payload), read_size):
            yield payload[start : start + read_size]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=_Iter(stream())
        )

    return httpx.Client(transport=httpx.MockTransport(handler))


class _Iter(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


def raw_side(http: httpx.Client, parse: Callable[[str], Any]) -> int:
    n = 0
    with http.stream("POST", "https://api.test/v1/chat/completions") as response:
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                break
            parse(data)
            n += 1
    return n


def apigen_side(http: httpx.Client, parse: Callable[[str], Any]) -> int:
    n = 0
    request = http.build_request("POST", "https://api.test/v1/chat/completions")
    response = http.send(request, stream=True)

    def typed(event: ServerSentEvent) -> Any:
        return parse(event.data)

    with Stream(response, typed) as stream:
        for _ in stream:
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--read-size", type=int, default=4096)
    args = ap.parse_args()
    payload = body(args.events)
    modes: dict[str, Callable[[str], Any]] = {
        "text": lambda data: data,
        "typed": ChatChunk.model_validate_json,
    }
    print(
        f"{args.events} events, {len(payload) / 1e6:.1f} MB, reads of {args.read_size} bytes, "
        f"{args.repeat} repetitions"
    )
    print(f"{'mode':<6} {'raw ev/s':>12} {'apigen ev/s':>12} {'apigen/raw':>11}")
    for mode, parse in modes.items():
        rates: dict[str, list[float]] = {"raw": [], "apigen": []}
        ratios = []
        for rep in range(args.repeat):
            order = [("raw", raw_side), ("apigen", apigen_side)]
            if rep % 2:
                order.reverse()
            seconds = {}
            for name, side in order:
                http = client(payload, args.read_size)
                start = time.perf_counter()
                count = side(http, parse)
                seconds[name] = time.perf_counter() - start
                assert count == args.events, (name, count)
                rates[name].append(count / seconds[name])
            ratios.append(seconds["raw"] / seconds["apigen"])
        print(
            f"{mode:<6} {statistics.median(rates['raw']):12,.0f} "
            f"{statistics.median(rates['apigen']):12,.0f} {statistics.median(ratios):10.2f}x"
        )


if __name__ == "__main__":
    main()
