"""A bounded randomized campaign: hostile spec documents through the generator pipeline,
and hostile server responses on loopback through generated clients (issue 16).

    python bench/fuzz.py [--seed N] [--specs 10000] [--responses 10000] [--full-every 50]
                         [--validate-every 10] [--budget 10]

Both campaigns are driven by one seeded ``random.Random`` (the seed is printed; the
same seed replays the same cases). A case ends in one of three ways:

- expected: the spec generates or is refused with ``ApigenError``; the call returns
  or raises an ``APIError`` subclass;
- untyped: any other exception (reported with the case number and message);
- hang: the case ran past its budget (``--budget`` seconds of its own time: wall time
  less the time its threads waited for a CPU, so a starved case on a busy machine is
  not a hang; enforced with SIGALRM in the main thread, and at 20x the budget of wall
  time in any case).

Specs: small documents from specs/ are mutated (values swapped for hostile ones, keys
dropped or added, hostile ``$ref``s, names with control characters, deep nesting),
then written as JSON or YAML, or corrupted as text. Every case goes through apigen's
own stages (load, normalize, the IR), every ``--validate-every``-th also through
openapi-spec-validator, every ``--full-every``-th through ``apigen generate`` whole
(models, rendering, formatting, the atomic write).

Responses: a raw-socket loopback server answers each request with a random
response: status (redirects, errors, nonsense), headers (Retry-After, rate-limit,
Link, Location, Content-Type, Content-Encoding, broken framing), body (valid, drifted,
truncated, deeply nested, huge numbers, invalid UTF-8, gzip bombs and garbage) and
delivery (whole, in pieces, trickled, cut, reset, never). The calls go through the
generated petstore and pagination clients in generated/, sync and async, with retries
and a user http_client that follows redirects in some cases. Sleeps are injected, so
only network waits take time.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gzip
import json
import os
import random
import re
import signal
import socket
import socketserver
import sys
import tempfile
import threading
import time
import traceback
import zlib
from collections import Counter
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "generator"))
for name in ("petstore", "pagination"):
    sys.path.insert(0, str(ROOT / "generated" / name))

os.environ.setdefault("APIGEN_CACHE_DIR", "off")
os.environ.setdefault("APIGEN_FORK", "off")


class Hang(BaseException):
    """Raised by the alarm when a case outlives its budget (never caught as an error)."""


def _run_queue_waits() -> dict[str, float]:
    """Seconds each thread of this process has spent runnable but waiting for a CPU
    (Linux schedstat, second field); {} where the kernel does not say."""
    waits = {}
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/schedstat") as fh:
                waits[tid] = int(fh.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return {}
    return waits


class _Clock:
    """A case's own clock: wall time less the longest a thread of it sat in the run
    queue. On a machine shared with other work a nice'd campaign can be starved for
    seconds; that is not the case hanging. A thread blocked on a socket or a sleep is
    not in the run queue, so a real hang still counts in full. A case is stopped
    anyway at ``STARVED_LIMIT`` times its budget of wall time."""

    STARVED_LIMIT = 20

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.start = time.monotonic()
        self.waits = _run_queue_waits()
        self.starved = 0.0

    def own_elapsed(self) -> float:
        now = _run_queue_waits()
        self.starved = max((w - self.waits.get(t, 0.0) for t, w in now.items()), default=0.0)
        return time.monotonic() - self.start - self.starved

    def left(self) -> float:
        """Seconds of the case's own time still left, 0 when it has run out."""
        if time.monotonic() - self.start >= self.budget * self.STARVED_LIMIT:
            return 0.0
        return max(0.0, self.budget - self.own_elapsed())


_clock: _Clock | None = None


def _alarm(signum: int, frame: Any) -> None:
    left = _clock.left() if _clock is not None else 0.0
    if left > 0.01:  # starved, not stuck: wait for the rest of the budget
        signal.setitimer(signal.ITIMER_REAL, left)
        return
    raise Hang()


class Tally:
    current: Tally | None = None  # the campaign running, reported if it is stopped

    def __init__(self, name: str) -> None:
        Tally.current = self
        self.name = name
        self.cases = 0
        self.outcomes: Counter[str] = Counter()
        self.untyped: list[str] = []
        self.hangs: list[str] = []
        self.slowest = 0.0
        self.slowest_own = 0.0  # the same less the time spent waiting for a CPU
        self.starved = 0.0  # the longest a case waited for a CPU

    def report(self, elapsed: float) -> str:
        lines = [
            f"{self.name}: {self.cases} cases in {elapsed:.0f} s, "
            f"{len(self.untyped)} untyped exceptions, {len(self.hangs)} hangs, "
            f"slowest case {self.slowest:.2f} s wall, {self.slowest_own:.2f} s of its own time "
            f"(the most a case waited for a CPU: {self.starved:.1f} s)"
        ]
        for outcome, n in self.outcomes.most_common(14):
            lines.append(f"    {n:6d}  {outcome}")
        for text in (self.untyped + self.hangs)[:20]:
            lines.append(f"    ! {text}")
        return "\n".join(lines)


def _where(exc: BaseException) -> str:
    """The innermost frame of apigen's own code (or the last frame) of a traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/apigen/" in f.filename or "/_runtime/" in f.filename]
    frame = (ours or frames)[-1] if frames else None
    return f"{Path(frame.filename).name}:{frame.lineno} ({frame.name})" if frame else "?"


def run_case(
    tally: Tally,
    index: int,
    budget: float,
    fn: Callable[[], str],
    typed: tuple[type[BaseException], ...],
    on_hang: Callable[[], None] = lambda: None,
) -> None:
    global _clock
    tally.cases += 1
    start = time.monotonic()
    _clock = clock = _Clock(budget)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        outcome = fn()
    except Hang:
        tally.hangs.append(
            f"case {index}: hang (over {budget:.0f} s of its own time; "
            f"{time.monotonic() - start:.0f} s wall, {clock.starved:.1f} s waiting for a CPU)"
        )
        print(f"    ! {tally.hangs[-1]}", flush=True)
        outcome = "HANG"
        on_hang()
    except KeyboardInterrupt:
        tally.cases -= 1  # stopped half way: not a case
        raise
    except typed as exc:
        if _stopping[0]:  # the code under test turned the stop into an error of its own
            tally.cases -= 1
            raise KeyboardInterrupt() from exc
        outcome = type(exc).__name__
    except Exception as exc:  # what the campaign looks for
        if _stopping[0]:
            tally.cases -= 1
            raise KeyboardInterrupt() from exc
        outcome = "UNTYPED " + type(exc).__name__
        tally.untyped.append(
            f"case {index}: {type(exc).__name__}: {str(exc)[:160]} at {_where(exc)}"
        )
        print(f"    ! {tally.untyped[-1]}", flush=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _clock = None
    tally.slowest = max(tally.slowest, time.monotonic() - start)
    tally.slowest_own = max(tally.slowest_own, clock.own_elapsed())
    tally.starved = max(tally.starved, clock.starved)
    tally.outcomes[outcome] += 1


# -- hostile values shared by both campaigns ------------------------------------------------

HOSTILE_STRINGS = [
    "",
    " ",
    "\x1b[31mred\x1b[0m",
    "::error title=x::y",
    "\u202eevil",
    "a\x00b",
    "${{x}}",
    "class",
    "def",
    "None",
    "__init__",
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\x",
    "\ud800",
    "ｎａｍｅ",
    "名前",
    "1abc",
    "a-b.c d",
    '"\'"""',
    "\\",
    "{x}",
    "#/components/schemas",
    "x" * 5000,
    "🙂",
    "\r\n\r\nHTTP/1.1 200 OK",
    "import os; os.system('x')",
]
HOSTILE_REFS = [
    "#/components/schemas/Missing",
    "#/",
    "#",
    "",
    "#/components/schemas/../x",
    "file:///etc/passwd",
    "/etc/passwd",
    "../../../../etc/passwd",
    "http://127.0.0.1:9/x.json",
    "other.yaml#/X",
    "#/paths/~1pets/get",
    "#/components/schemas/%00",
    "#/definitions/X",
]
HOSTILE_NUMBERS: list[Any] = [0, -1, 1.5, 10**30, -(10**30), 2**63, float("1e308"), True, False]


def hostile_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(HOSTILE_STRINGS)
    if roll < 0.35:
        return rng.choice(HOSTILE_NUMBERS)
    if roll < 0.42:
        return None
    if roll < 0.55:
        return {"$ref": rng.choice(HOSTILE_REFS)}
    if roll < 0.62 and depth < 3:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.75 and depth < 3:
        return random_schema(rng, depth + 1)
    if roll < 0.8:  # deep nesting, spliced in as text by spec_text (serialisers recurse)
        return f"__DEEP_{rng.choice([50, 300, 1000, 5000])}__"
    if roll < 0.9:
        return {
            rng.choice(HOSTILE_STRINGS): hostile_value(rng, depth + 1)
            for _ in range(rng.randint(0, 3))
        }
    return rng.choice([[], {}, "string", "object", "array", "integer", "null"])


def random_schema(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.choice(
        [
            "object",
            "array",
            "string",
            "integer",
            "number",
            "boolean",
            "null",
            "combo",
            "enum",
            "ref",
            "tuple",
            "types",
        ]
    )
    if depth > 4:
        kind = "string"
    if kind == "object":
        return {
            "type": "object",
            "required": [rng.choice(HOSTILE_STRINGS)],
            "properties": {
                rng.choice(HOSTILE_STRINGS): random_schema(rng, depth + 1)
                for _ in range(rng.randint(0, 4))
            },
            "additionalProperties": rng.choice([True, False, random_schema(rng, depth + 1)]),
        }
    if kind == "array":
        return {
            "type": "array",
            "items": random_schema(rng, depth + 1),
            "maxItems": rng.choice([0, 1, 5]),
        }
    if kind == "combo":
        return {
            rng.choice(["allOf", "oneOf", "anyOf"]): [
                random_schema(rng, depth + 1) for _ in range(rng.randint(0, 3))
            ],
            "discriminator": rng.choice([None, {"propertyName": rng.choice(HOSTILE_STRINGS)}]),
        }
    if kind == "enum":
        return {
            "enum": [
                rng.choice(HOSTILE_STRINGS + HOSTILE_NUMBERS + [None])
                for _ in range(rng.randint(0, 5))
            ]
        }
    if kind == "ref":
        return {"$ref": rng.choice(HOSTILE_REFS)}
    if kind == "tuple":
        return {
            "type": "array",
            "prefixItems": [random_schema(rng, depth + 1) for _ in range(2)],
            "items": rng.choice([False, True, {}]),
        }
    if kind == "types":
        return {"type": rng.sample(["string", "integer", "null", "object", "array", "bogus"], 2)}
    return {
        "type": kind,
        "format": rng.choice(["date-time", "uuid", "binary", "byte", "int64", "weird"]),
        "nullable": rng.choice([True, False]),
        "default": hostile_value(rng, 3),
    }


# -- campaign 1: spec documents through the generator pipeline ---------------------------------


def seed_documents() -> list[Any]:
    import yaml

    docs = []
    for path in sorted((ROOT / "specs").iterdir()):
        if path.suffix == ".json":
            docs.append(json.loads(path.read_text()))
        elif path.suffix in (".yaml", ".yml"):
            docs.append(yaml.safe_load(path.read_text()))
    return docs


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.extend(_nodes(value, path + (key,)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found.extend(_nodes(value, path + (i,)))
    return found


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def mutate(rng: random.Random, doc: Any) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 5)):
        nodes = _nodes(doc)
        path = rng.choice(nodes[1:] or nodes)
        if not path:
            continue
        parent = _get(doc, path[:-1])
        key = path[-1]
        op = rng.random()
        if op < 0.45:
            parent[key] = hostile_value(rng)
        elif op < 0.6:
            del parent[key]
        elif op < 0.75 and isinstance(parent, dict):
            parent[
                rng.choice(
                    HOSTILE_STRINGS
                    + [
                        "$ref",
                        "allOf",
                        "type",
                        "items",
                        "x-apigen-pagination",
                        "parameters",
                        "security",
                        "servers",
                    ]
                )
            ] = hostile_value(rng)
        elif op < 0.85 and isinstance(doc, dict):
            paths = doc.setdefault("paths", {})
            if isinstance(paths, dict):
                template = rng.choice(
                    ["/a/{missing}", "/{x}/{x}", "/b", "/" + rng.choice(HOSTILE_STRINGS)]
                )
                method = rng.choice(["get", "post", "put", "delete", "patch", "trace", "bogus"])
                paths[template] = {
                    method: {
                        "operationId": rng.choice(HOSTILE_STRINGS + ["listPets", "get"]),
                        "parameters": [
                            {
                                "name": rng.choice(HOSTILE_STRINGS),
                                "in": rng.choice(
                                    ["query", "path", "header", "cookie", "body", "nowhere"]
                                ),
                                "schema": random_schema(rng),
                            }
                        ],
                        "responses": {
                            rng.choice(["200", "2XX", "default", "999", "abc"]): {
                                "description": rng.choice(HOSTILE_STRINGS),
                                "content": {
                                    rng.choice(["application/json", "text/plain", "*/*", "x"]): {
                                        "schema": random_schema(rng)
                                    }
                                },
                            }
                        },
                    }
                }
        elif isinstance(doc, dict):
            comps = doc.setdefault("components", {})
            if isinstance(comps, dict):
                schemas = comps.setdefault("schemas", {})
                if isinstance(schemas, dict):
                    schemas[rng.choice(HOSTILE_STRINGS + ["Pet", "Error"])] = random_schema(rng)
    return doc


_DEEP = re.compile(r'"__DEEP_(\d+)__"')


def _deep(match: re.Match[str]) -> str:
    n = int(match.group(1))
    return '{"type": "object", "properties": {"a": ' * n + "{}" + "}}" * n


def spec_text(rng: random.Random, doc: Any) -> tuple[str, str]:
    import yaml

    roll = rng.random()
    text = _DEEP.sub(_deep, json.dumps(doc, ensure_ascii=rng.random() < 0.5, default=str))
    if roll < 0.2:
        try:
            return yaml.safe_dump(doc, allow_unicode=True), ".yaml"
        except yaml.YAMLError:
            return text, ".json"
    if roll < 0.3:  # text corruption: truncation, stray bytes, YAML tricks
        cut = rng.randint(0, len(text))
        extra = rng.choice(
            ["", "\x00", "&a [*a, *a]", "{{{{", '"', "\ufeff", "- - -", "!!python/object:os.system"]
        )
        return text[:cut] + extra + text[cut:], rng.choice([".json", ".yaml"])
    return text, ".json"


def spec_campaign(
    rng: random.Random,
    cases: int,
    full_every: int,
    validate_every: int,
    budget: float,
    only: set[int] | None = None,
) -> Tally:
    """Each case through apigen's own stages (load, normalize, the IR); every
    ``validate_every``-th also through openapi-spec-validator (``validate``), and every
    ``full_every``-th through the whole command line (``apigen generate``: models,
    render, format, write), whose contract is exit 0 or exit 1 with a clear message.
    ``ApigenError`` is the typed refusal; RecursionError too, as the command line turns
    it into exit 1 ("nests too deeply"). APIGEN_DEBUG=1 makes an internal error (exit 3)
    raise instead, so it counts as untyped with its place."""
    import contextlib
    import io

    from apigen.build import build_api
    from apigen.cli import main as apigen
    from apigen.diagnostics import ApigenError
    from apigen.loader import load
    from apigen.normalize import normalize
    from apigen.validate import validate

    os.environ["APIGEN_DEBUG"] = "1"
    tally = Tally("specs through the generator pipeline")
    seeds = seed_documents()
    with tempfile.TemporaryDirectory(prefix="apigen-fuzz-") as tmp:
        for index in range(cases):
            doc = mutate(rng, rng.choice(seeds))
            text, suffix = spec_text(rng, doc)
            if only is not None and index not in only:  # replaying chosen cases of a seed
                continue
            path = Path(tmp) / f"case{index % 7}{suffix}"
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            full = full_every > 0 and index % full_every == 0
            checked = validate_every > 0 and index % validate_every == 0

            def one(source: str = str(path), full: bool = full, checked: bool = checked) -> str:
                if full:
                    argv = ["generate", source, "--output", str(Path(tmp) / "out"), "--force", "-q"]
                    sink = io.StringIO()
                    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                        code = apigen(argv)
                    if code not in (0, 1):
                        raise RuntimeError(f"exit {code}: {sink.getvalue()[-300:]}")
                    return f"generate: exit {code}" + (
                        f" ({_reason(sink.getvalue())})" if code else ""
                    )
                loaded = load(source)
                if checked:
                    validate(loaded)
                build_api(normalize(loaded), source=source, doc=loaded)
                return "load, validate, normalize, IR: ok" if checked else "load, normalize, IR: ok"

            run_case(tally, index, budget * (6 if full else 1), one, (ApigenError, RecursionError))
            if index % 1000 == 999:
                print(
                    f"  specs: {index + 1} cases, {len(tally.untyped)} untyped, "
                    f"{len(tally.hangs)} hangs",
                    flush=True,
                )
    return tally


def _reason(output: str) -> str:
    if "nests too deeply" in output:
        return "nests too deeply"
    if (
        "not valid" in output.lower()
        or "cannot parse" in output.lower()
        or "malformed" in output.lower()
    ):
        return "unreadable document"
    return "diagnostics"


# -- campaign 2: server responses through generated clients ------------------------------------


class Script:
    """One response as bytes, plus how to deliver them."""

    def __init__(self, data: bytes, delivery: str = "whole", pause: float = 0.0) -> None:
        self.data = data
        self.delivery = delivery
        self.pause = pause


class RawServer:
    """Answers every request with ``responder(request_head)``: raw bytes, any framing."""

    def __init__(self) -> None:
        self.responder: Callable[[bytes], Script] = lambda head: Script(
            b"HTTP/1.1 204 No Content\r\n\r\n"
        )
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock = self.request
                sock.settimeout(5.0)
                try:
                    head = b""
                    while b"\r\n\r\n" not in head and len(head) < 65536:
                        chunk = sock.recv(65536)
                        if not chunk:
                            return
                        head += chunk
                    script = server.responder(head)
                    server.deliver(sock, script)
                except OSError:
                    pass

        class Threaded(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.httpd = Threaded(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @staticmethod
    def deliver(sock: socket.socket, script: Script) -> None:
        data = script.data
        if script.delivery == "never":
            time.sleep(script.pause)
            return
        if script.delivery == "reset":
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            return
        if script.delivery == "cut":
            data = data[: max(1, len(data) // 2)]
        if script.delivery in ("pieces", "trickle"):
            step = 1 if script.delivery == "trickle" else max(1, len(data) // 7)
            for i in range(0, len(data), step):
                sock.sendall(data[i : i + step])
                time.sleep(script.pause)
        else:
            sock.sendall(data)
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


TIMEOUT = 0.1  # seconds; the client's timeout and so its attempt deadline
STATUSES = [200] * 12 + [
    201,
    202,
    204,
    206,
    301,
    302,
    303,
    304,
    307,
    308,
    400,
    401,
    403,
    404,
    409,
    410,
    422,
    429,
    500,
    502,
    503,
    504,
    599,
    199,
    600,
    999,
]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice(HOSTILE_STRINGS[:12] + HOSTILE_NUMBERS + [None, "available", 1, "x"])
    if roll < 0.6:
        keys = [
            "id",
            "name",
            "photoUrls",
            "status",
            "tag",
            "items",
            "data",
            "entries",
            "results",
            "next_cursor",
            "nextPageToken",
            "has_more",
            "next",
            "cursor",
            "message",
            "error",
            "ok",
            "email",
            "amount",
            "quantity",
            "petId",
            rng.choice(HOSTILE_STRINGS),
        ]
        return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 8))}
    return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))]


def plausible_body(rng: random.Random) -> Any:
    pet = {"id": rng.randint(1, 10**6), "name": "rex", "photoUrls": [], "status": "available"}
    return rng.choice(
        [
            pet,
            [pet, pet],
            {"items": [{"id": "c1", "email": "a@b"}], "next_cursor": rng.choice([None, "n", ""])},
            {"data": [{"id": f"ch_{rng.randint(0, 9)}"}], "has_more": rng.choice([True, False])},
            {"entries": [{"id": "e"}], "nextPageToken": rng.choice(["t", "", None])},
            [{"id": rng.randint(0, 3)}],
            {"results": [{"id": 1}]},
            {"a": 1, "b": 2},
        ]
    )


_HUGE_STRING = b'"' + b"x" * 3_000_000 + b'"'  # over the campaign's 2 MB cap


def random_body(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.3:
        return json.dumps(plausible_body(rng)).encode()
    if roll < 0.5:
        return json.dumps(random_json(rng), ensure_ascii=False, default=str).encode(
            "utf-8", "surrogatepass"
        )
    choices: list[Callable[[], bytes]] = [
        lambda: b"[" * rng.choice([100, 5000, 200_000]) + b"]" * rng.choice([0, 100, 200_000]),
        lambda: b'{"id": ' + b"9" * rng.choice([20, 4301, 10_000]) + b"}",
        lambda: b'{"id": 1, "name": "\xff\xfe\xc3"}',
        lambda: json.dumps(plausible_body(rng)).encode()[: rng.randint(0, 30)],
        lambda: b'{"id": NaN, "name": Infinity}',
        lambda: b'{"name": "\\ud800\\udfff\\ud800"}',
        lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64))),
        lambda: b"",
        lambda: rng.choice([b'"' + b"x" * 1000 + b'"', _HUGE_STRING]),
        lambda: b'{"id": 1, "id": "two", "id": [3]}',
        lambda: b"<html><body>502 Bad Gateway</body></html>",
        lambda: b"null",
    ]
    return rng.choice(choices)()


HEADER_POOL: list[Callable[[random.Random, str], tuple[str, str]]] = [
    lambda r, u: (
        "Retry-After",
        r.choice(
            [
                "-5",
                "nan",
                "inf",
                "1e309",
                "0",
                "1",
                "99999999999",
                "x",
                "Fri, 31 Dec 9999 23:59:59 GMT",
                "Mon, 01 Jan 1990 00:00:00 GMT",
            ]
        ),
    ),
    lambda r, u: ("retry-after-ms", r.choice(["-1", "nan", "100", "1e400", ""])),
    lambda r, u: ("X-RateLimit-Remaining", r.choice(["0", "-1", "x"])),
    lambda r, u: ("X-RateLimit-Reset", r.choice(["nan", "inf", "1e308", "-5", "1700000000", "3"])),
    lambda r, u: ("RateLimit", r.choice(["remaining=0, reset=99999", "r=0;t=1e400", "garbage"])),
    lambda r, u: (
        "Link",
        r.choice(
            [
                f'<{u}/v2/invoices?page=2>; rel="next"',
                '<http://evil.test/x>; rel="next"',
                '<http://[::1>; rel="next"',
                "<>; rel=next",
                "<;;;>, <",
                f'<{u}/x>; rel="next"',
            ]
        ),
    ),
    lambda r, u: (
        "Location",
        r.choice(
            [
                "/elsewhere",
                "http://127.0.0.1:9/x",
                "http://[::1",
                "",
                "ftp://x/",
                f"{u}/v2/pet/1",
                "//evil.test/x",
                "\x00",
            ]
        ),
    ),
    lambda r, u: (
        "Content-Type",
        r.choice(
            [
                "application/json",
                "text/plain",
                "text/html",
                "",
                "application/json; charset=bogus-8",
                "application/octet-stream",
                "application/problem+json",
                "application/json; charset=utf-16",
            ]
        ),
    ),
    lambda r, u: ("Set-Cookie", r.choice(["a=b", "=;;;", "x" * 5000])),
    lambda r, u: ("X-Request-Id", r.choice(["abc", "\x1b[31m", "é"])),
    lambda r, u: (
        "Content-Encoding",
        r.choice(["gzip", "deflate", "br", "zstd", "x-unknown", "identity"]),
    ),
]


_BOMBS: dict[tuple[str, int], bytes] = {}


def bomb(encoding: str, items: int) -> bytes:
    """A few KB on the wire, megabytes decoded (made once per shape)."""
    if (encoding, items) not in _BOMBS:
        raw = b"[" + b"0," * items + b"0]"
        _BOMBS[(encoding, items)] = gzip.compress(raw) if encoding == "gzip" else zlib.compress(raw)
    return _BOMBS[(encoding, items)]


def encode(rng: random.Random, body: bytes, headers: list[tuple[str, str]]) -> bytes:
    roll = rng.random()
    if roll < 0.08:
        headers.append(("Content-Encoding", "gzip"))
        return gzip.compress(body)
    if roll < 0.11:
        encoding = rng.choice(["gzip", "deflate"])
        headers.append(("Content-Encoding", encoding))
        return bomb(encoding, rng.choice([1_000_000, 5_000_000]))
    if roll < 0.14:
        headers.append(("Content-Encoding", rng.choice(["gzip", "deflate", "br"])))
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
    return body


def random_response(rng: random.Random, base: str) -> Script:
    if rng.random() < 0.04:  # nonsense on the wire
        data = rng.choice(
            [
                b"garbage\r\n\r\n",
                b"HTTP/1.1 abc OK\r\n\r\n",
                b"HTTP/9.9 200 OK\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                b"",
                b"HTTP/1.1 200 OK\r\nX: \x00\x01\r\n\r\n{}",
                b"HTTP/1.1 200 OK\r\n" + b"X-Long: " + b"a" * 200_000 + b"\r\n\r\n",
            ]
        )
        return Script(data)
    status = rng.choice(STATUSES)
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    for _ in range(rng.randint(0, 3)):
        headers.append(rng.choice(HEADER_POOL)(rng, base))
    if status in (301, 302, 303, 307, 308) and rng.random() < 0.7:
        headers.append(
            (
                "Location",
                rng.choice(
                    [
                        "/v2/pet/1",
                        f"{base}/v2/store/inventory",
                        "http://127.0.0.1:9/",
                        "http://localhost:1/x",
                    ]
                ),
            )
        )
    body = encode(rng, random_body(rng), headers)
    framing = rng.random()
    if framing < 0.8:
        headers.append(("Content-Length", str(len(body))))
    elif framing < 0.87:
        headers.append(("Content-Length", str(max(0, len(body) + rng.choice([-3, -1, 5, 10**6])))))
    elif framing < 0.94:
        headers.append(("Transfer-Encoding", "chunked"))
        body = b"".join(
            b"%x\r\n%s\r\n" % (len(part), part) for part in [body[:7], body[7:]] if part
        )
        body += rng.choice([b"0\r\n\r\n", b"zz\r\n", b""])
    headers.append(("Connection", "close"))
    head = f"HTTP/1.1 {status} {rng.choice(['OK', '', 'Weird Reason'])}\r\n".encode()
    head += b"".join(f"{k}: {v}\r\n".encode("utf-8", "surrogatepass") for k, v in headers)
    delivery_roll = rng.random()
    delivery, pause = "whole", 0.0
    if delivery_roll < 0.06:
        delivery, pause = "pieces", 0.001
    elif delivery_roll < 0.07:
        delivery, pause = "trickle", 0.02
    elif delivery_roll < 0.08:
        delivery = "cut"
    elif delivery_roll < 0.085:
        delivery = "reset"
    elif delivery_roll < 0.088:
        delivery, pause = "never", 1.0
    return Script(head + b"\r\n" + body, delivery, pause)


def call_generated(
    rng: random.Random,
    kind: str,
    server: RawServer,
    loop: asyncio.AbstractEventLoop | None,
    packages: dict[str, Any],
) -> str:
    import httpx

    petstore, pagination = packages["petstore"], packages["pagination"]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def async_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    retry = petstore.RetryPolicy(
        sleep=sleep, async_sleep=async_sleep, max_retries=rng.choice([0, 0, 1, 2])
    )
    limit = petstore.RateLimit(requests=None, sleep=sleep, async_sleep=async_sleep)
    limits = petstore.ResponseLimits(max_bytes=2_000_000)
    follow = rng.random() < 0.25
    http: Any = None
    if follow:
        http = (httpx.Client if kind == "sync" else httpx.AsyncClient)(
            follow_redirects=True, max_redirects=3, timeout=TIMEOUT
        )
    use_paging = rng.random() < 0.35
    pkg = pagination if use_paging else petstore
    cls = pkg.Client if kind == "sync" else pkg.AsyncClient
    base = server.url + ("/v1" if use_paging else "/v2")
    creds = (
        {"api_key": "PAGING-SECRET"}
        if use_paging
        else {"api_key": "PET-SECRET", "petstore_auth": "PET-TOKEN"}
    )
    client = cls(
        base_url=base,
        timeout=TIMEOUT,
        retry=retry,
        rate_limit=limit,
        limits=limits,
        circuit_breaker=None,
        http_client=http,
        **creds,
    )
    if use_paging:
        op = rng.choice(["customers", "charges", "logs", "orders", "invoices", "get_customer"])

        def sync_call() -> Any:
            if op == "get_customer":
                return client.customers.retrieve("c1")
            pager = getattr(client, op).list()
            return list(pager.limit(pages=6))

        async def async_call() -> Any:
            if op == "get_customer":
                return await client.customers.retrieve("c1")
            pager = getattr(client, op).list()  # an AsyncPaginator (awaiting it gives a page)
            return [item async for item in pager.limit(pages=6)]
    else:
        op = rng.choice(
            ["get_pet_by_id", "find_pets_by_status", "add_pet", "get_inventory", "delete_pet"]
        )

        def sync_call() -> Any:
            if op == "get_pet_by_id":
                return client.pet.retrieve(1)
            if op == "find_pets_by_status":
                return client.pet.find_by_status(status=["available"])
            if op == "add_pet":
                return client.pet.add(body={"name": "rex", "photoUrls": []})
            if op == "delete_pet":
                return client.pet.delete(1)
            return client.store.inventory()

        async def async_call() -> Any:
            if op == "get_pet_by_id":
                return await client.pet.retrieve(1)
            if op == "find_pets_by_status":
                return await client.pet.find_by_status(status=["available"])
            if op == "add_pet":
                return await client.pet.add(body={"name": "rex", "photoUrls": []})
            if op == "delete_pet":
                return await client.pet.delete(1)
            return await client.store.inventory()

    try:
        if kind == "sync":
            result = sync_call()
        else:
            assert loop is not None
            result = loop.run_until_complete(async_call())
    except pkg.MissingCredentialsError as exc:  # typed, but the call never reached the server
        raise RuntimeError(f"harness: the campaign passes no credential this call needs: {exc}")
    finally:
        if kind == "sync":
            client.close()
            if http is not None:
                http.close()
        else:
            assert loop is not None
            loop.run_until_complete(client.aclose())
            if http is not None:
                loop.run_until_complete(http.aclose())
    return "returned " + type(result).__name__


def response_campaign(
    rng: random.Random, cases: int, budget: float, only: set[int] | None = None
) -> Tally:
    import pagination
    import petstore

    tally = Tally("server responses through generated clients (loopback)")
    server = RawServer()
    state = {"loop": asyncio.new_event_loop()}
    packages = {"petstore": petstore, "pagination": pagination}
    secrets_seen: list[str] = []
    try:
        for index in range(cases):
            case_rng = random.Random(rng.getrandbits(64))
            if only is not None and index not in only:  # replaying chosen cases of a seed
                continue
            kind = "sync" if case_rng.random() < 0.5 else "async"

            def responder(head: bytes, r: random.Random = case_rng) -> Script:
                return random_response(r, server.url)

            server.responder = responder

            def renew() -> None:
                state["loop"].close()
                state["loop"] = asyncio.new_event_loop()

            def one(r: random.Random = case_rng, kind: str = kind) -> str:
                return call_generated(r, kind, server, state["loop"], packages)

            run_case(
                tally, index, budget, one, (petstore.APIError, pagination.APIError), on_hang=renew
            )
            if index % 1000 == 999:
                print(
                    f"  responses: {index + 1} cases, {len(tally.untyped)} untyped, "
                    f"{len(tally.hangs)} hangs",
                    flush=True,
                )
    finally:
        server.stop()
        state["loop"].close()
    del secrets_seen
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=None, help="default: a random seed (printed)")
    parser.add_argument("--specs", type=int, default=10_000)
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument(
        "--full-every", type=int, default=50, help="every Nth spec case runs apigen generate"
    )
    parser.add_argument(
        "--validate-every", type=int, default=10, help="every Nth spec case is also validated"
    )
    parser.add_argument(
        "--budget", type=float, default=10.0, help="seconds a case may take before it is a hang"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated case numbers to replay (same seed)"
    )
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"seed {seed}", flush=True)
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        return _campaigns(args, seed)
    except KeyboardInterrupt:
        tally = Tally.current
        if tally is not None:
            print(tally.report(time.monotonic() - _started[0]), flush=True)
        print(f"seed {seed}: stopped after {tally.cases if tally else 0} cases of that campaign")
        return 130


_started = [0.0]
_stopping = [False]


def _stop(signum: int, frame: Any) -> None:
    """Ctrl-C or SIGTERM: end the campaign and report the cases that ran."""
    _stopping[0] = True
    raise KeyboardInterrupt()


def _campaigns(args: argparse.Namespace, seed: int) -> int:
    import logging

    logging.disable(logging.CRITICAL)  # the clients' drift warnings are expected here
    failed = False
    only = {int(n) for n in args.only.split(",") if n.strip()} or None
    if args.responses:
        start = _started[0] = time.monotonic()
        tally = response_campaign(random.Random(seed), args.responses, args.budget, only)
        print(tally.report(time.monotonic() - start), flush=True)
        failed |= bool(tally.untyped or tally.hangs)
    if args.specs:
        start = _started[0] = time.monotonic()
        tally = spec_campaign(
            random.Random(seed + 1),
            args.specs,
            args.full_every,
            args.validate_every,
            args.budget,
            only,
        )
        print(tally.report(time.monotonic() - start), flush=True)
        failed |= bool(tally.untyped or tally.hangs)
    print(f"seed {seed}: {'FAILED' if failed else 'no untyped exception, no hang'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
