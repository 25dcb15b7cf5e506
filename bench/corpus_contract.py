#!/usr/bin/env python3
"""One spec contract-tested through its own checking mock (bench/corpus.py --contract).

In one interpreter: generate the package (``apigen.pipeline.generate``; without the
validation step, which only makes diagnostics), import it,
and call every method of the sync client once, with arguments synthesised from the
spec's schemas (the runtime's ``Schemas.value``, every parameter, optional ones too),
through the package's own ``testing.MockAPI``: it checks each request against the
spec and answers with the example or a synthesised value, which the client must
parse (``strict_responses=True``). Paginated methods fetch their first page. Nothing
here checks a request or a response itself: the mock and the client do.

Prints one JSON object: operations called, and per failing operation its cause.

    python bench/corpus_contract.py SPEC OUT_DIR PACKAGE
    python bench/corpus_contract.py --serve     # many specs: one request per stdin line

``--serve`` imports the generator and its libraries once (about 6 s of a small
spec's 8), then forks a child per spec (read as ``SPEC\tOUT_DIR\tPACKAGE\tTIMEOUT``
lines on stdin); the child's result, or why it has none, is one JSON line on
stdout. A child past its time is killed with its process group.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
import traceback
import zlib
from pathlib import Path
from typing import Any

BASE_URL = "https://contract.test"
FAILURE_TEXT = 300


def _mock_entries(testing_spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(op["method"], op["path"]): op for op in testing_spec.get("operations") or []}


def _param_schema(entry: dict[str, Any], location: str, name: str) -> Any:
    for param in entry.get("params") or []:
        if param["in"] == location and (
            param["name"] == name or (location == "header" and param["name"] == name.lower())
        ):
            return param.get("schema") or {}
    return {}


def _binary_parts(schemas: Any, schema: Any, value: Any) -> Any:
    """Multipart fields whose schema is binary sent as bytes, as a user sends a file."""
    resolved = schemas._merged(schemas.resolve(schema))
    if isinstance(resolved, dict) and (
        resolved.get("format") == "binary" or not (set(resolved) - {"description", "title"})
    ):
        return b"\x00binary"  # the whole body is a file (Jira's attachments), or anything
    if not isinstance(value, dict) or not isinstance(resolved, dict):
        return value
    props = resolved.get("properties") or {}
    out = dict(value)
    for key, sub in value.items():
        node = schemas.resolve(props.get(key, {}))
        if isinstance(node, dict) and node.get("format") == "binary":
            out[key] = b"\x00binary"
        elif isinstance(node, dict) and isinstance(sub, list):
            items = schemas.resolve(node.get("items", {}))
            if isinstance(items, dict) and items.get("format") == "binary":
                out[key] = [b"\x00binary" for _ in sub]
    return out


def arguments(op: Any, entry: dict[str, Any], schemas: Any, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(zlib.crc32(f"{seed}:{op.method} {op.path}".encode()))
    kwargs: dict[str, Any] = {}
    for p in op.parameters:
        value = schemas.value(_param_schema(entry, p.location, p.name), rng, request=True)
        if p.location == "path" and value in (None, "", [], {}):
            value = "id"
        kwargs[p.py_name] = value
    if op.body is not None:
        kind = op.body.kind
        if kind == "binary":
            value = b"\x00\x01binary-body"
        elif kind == "text":
            value = "text body"
        else:
            content = (entry.get("body") or {}).get("content") or {}
            media = content.get(op.body.content_type) or next(iter(content.values()), {}) or {}
            value = schemas.value(media.get("schema") or {}, rng, request=True)
            if kind == "multipart":
                value = _binary_parts(schemas, media.get("schema") or {}, value)
        kwargs[op.body.py_name] = value
    return kwargs


def _credentials(api: Any) -> dict[str, Any]:
    creds: dict[str, Any] = {}
    for scheme in api.security_schemes:
        creds[scheme.py_name] = (
            ("user", "password") if scheme.kind == "basic" else f"test-{scheme.kind}"
        )
    return creds


def _consume(result: Any) -> None:
    """A page, a stream or a plain value: read what the user would read first."""
    if hasattr(result, "first_page"):
        result.first_page()
    elif hasattr(result, "__next__") or type(result).__name__ in ("Stream", "SyncPage"):
        for n, _ in enumerate(result):
            if n >= 3:
                break


def cause_of(exc: BaseException | None, call: Any, count: int) -> str:
    """Why an operation failed, in words that group (particulars stay in the detail)."""
    if count == 0:
        return "client sent no request" + (f" ({type(exc).__name__})" if exc else "")
    if call is not None and call.problems:
        return "mock rejected the request: " + call.problems[0]
    if call is not None and call.operation is None:
        return f"mock matched no operation ({call.response.status_code})"
    if exc is None:
        return ""
    name = type(exc).__name__
    if name == "APIResponseValidationError":
        return "client could not parse the mock's response: " + str(exc).splitlines()[0]
    return f"client raised {name}: {str(exc).splitlines()[0] if str(exc) else ''}"


class _NoValidation:
    """``RunValidation`` of the bench mode: no findings (they are diagnostics only)."""

    def __init__(self, *args: Any) -> None:
        pass

    def release(self) -> None:
        pass

    def result(self) -> list[Any]:
        return []

    def beside(self) -> None:
        return None  # no background validation for a forked models group to wait for

    def __enter__(self) -> _NoValidation:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _MemoryBytecode:
    """jinja2's bytecode cache kept in memory: templates compile once per process tree."""

    def __init__(self, jinja2: Any) -> None:
        self.store: dict[str, bytes] = {}

        class Cache(jinja2.BytecodeCache):  # type: ignore[misc, name-defined]
            def load_bytecode(cache, bucket: Any) -> None:  # noqa: N805
                if bucket.key in self.store:
                    bucket.bytecode_from_string(self.store[bucket.key])

            def dump_bytecode(cache, bucket: Any) -> None:  # noqa: N805
                self.store[bucket.key] = bucket.bytecode_to_string()

        self.cache = Cache()


class _CachedJinja:
    """The ``jinja2`` module as the renderer sees it, its environments sharing one cache."""

    def __init__(self, jinja2: Any) -> None:
        self._jinja2 = jinja2
        bytecode = _MemoryBytecode(jinja2).cache

        class Environment(jinja2.Environment):  # type: ignore[misc, name-defined]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, bytecode_cache=bytecode, **kwargs)

        self.Environment = Environment

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jinja2, name)


def bench_mode() -> None:
    """Skip what does not change how the generated code behaves (bench/README says why).

    - validation of the spec: it only makes diagnostics, which this run does not read;
    - black: it preserves the AST (its own guarantee; bench/black_equivalence.py holds
      the generated files to it), so black's input behaves as its output does; every
      black call returns its input unchanged;
    - the per-module compile check of the generation: ``compile_generated`` compiles
      every module once instead (and keeps the bytecode the imports then read);
    - the cache: nothing is generated twice;
    - compiling the templates again for each spec: they compile once, in the parent
      (jinja2's bytecode cache, in memory), as they do in one long-lived process.
    """
    import black
    import jinja2

    import apigen.package_format as package_format
    import apigen.pipeline as pipeline
    import apigen.render as render

    if isinstance(getattr(render, "jinja2", None), _CachedJinja):
        return  # already set up (the parent's warm-up)
    render.jinja2 = _CachedJinja(jinja2)  # type: ignore[assignment]

    def unchanged(*args: Any, **kwargs: Any) -> str:
        raise black.NothingChanged

    os.environ["APIGEN_CACHE_DIR"] = "off"
    pipeline.RunValidation = _NoValidation
    black.format_file_contents = unchanged
    package_format.format_stable = lambda source, path="": source
    package_format.compile_check = lambda source, path: None


_RUNTIME_PYC: dict[tuple[str, bytes], bytes] = {}  # (file name, source) -> its checked pyc


def compile_generated(out_dir: Path) -> None:
    """Compile every generated module once, bytecode kept: what the compile check did.

    The runtime copy (``_runtime/``) is apigen's verbatim source, the same in every
    package: its bytecode, compiled once in the parent, is written as a hash-checked
    pyc (Python recompiles it if the source differs, and names the file as imported).
    """
    import importlib.util
    import py_compile

    for path in sorted(out_dir.rglob("*.py")):
        source = path.read_bytes() if path.parent.name == "_runtime" else b""
        pyc = _RUNTIME_PYC.get((path.name, source)) if source else None
        if pyc is None:
            py_compile.compile(
                str(path),
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
            )
            if source:
                target = Path(importlib.util.cache_from_source(str(path)))
                _RUNTIME_PYC[(path.name, source)] = target.read_bytes()
            continue
        target = Path(importlib.util.cache_from_source(str(path)))
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(pyc)


def run(spec: str, out_dir: Path, package: str) -> dict[str, Any]:
    from apigen.build import build_api
    from apigen.loader import load
    from apigen.normalize import normalize
    from apigen.pipeline import generate

    import apigen.pipeline as pipeline

    bench_mode()
    built: list[Any] = []  # the IR the generation made, to know each method's arguments

    def keep(*args: Any, **kwargs: Any) -> Any:
        built.append(build_api(*args, **kwargs))
        return built[-1]

    pipeline.build_api = keep
    started = time.monotonic()
    summary = generate(spec, out_dir, package=package, force=True)
    record: dict[str, Any] = {
        "gen_seconds": round(time.monotonic() - started, 3),
        "ops_generated": summary.operations,
    }
    if built:
        api = built[-1]
    else:  # the generation came from the cache
        doc = load(spec)
        api = build_api(normalize(doc), package=package, source=spec, doc=doc)
    started = time.monotonic()
    compile_generated(out_dir)
    record["compile_seconds"] = round(time.monotonic() - started, 3)
    sys.path.insert(0, str(out_dir))
    started = time.monotonic()
    pkg = importlib.import_module(package)
    testing = importlib.import_module(package + ".testing")
    schema_values = importlib.import_module(package + "._runtime.schema_values")
    record["import_seconds"] = round(time.monotonic() - started, 3)
    mock = testing.MockAPI()
    raw_spec = json.loads((out_dir / package / "_testing_spec.json").read_text(encoding="utf-8"))
    entries = _mock_entries(raw_spec)
    schemas = schema_values.Schemas(raw_spec.get("schemas") or {})
    client = pkg.Client(
        base_url=BASE_URL,
        http_client=mock.http_client(),
        max_retries=0,
        circuit_breaker=None,
        strict_responses=True,
        **_credentials(api),
    )
    started = time.monotonic()
    called = 0
    failures: list[dict[str, str]] = []
    for resource in api.resources:
        for op in resource.operations:
            called += 1
            where = f"{op.method} {op.path}"
            entry = entries.get((op.method, op.path))
            if entry is None:
                failures.append({"op": where, "cause": "operation missing from _testing_spec.json"})
                continue
            try:
                kwargs = arguments(op, entry, schemas)
            except Exception as exc:  # noqa: BLE001 - a synthesis bug is a finding too
                failures.append(
                    {"op": where, "cause": f"synthesis raised {type(exc).__name__}: {exc}"}
                )
                continue
            before = mock.count
            error: BaseException | None = None
            try:
                target = functools.reduce(getattr, resource.attr_path, client)
                _consume(getattr(target, op.py_name)(**kwargs))
            except Exception as exc:  # noqa: BLE001
                error = exc
            sent = mock.count - before
            last = mock.calls[-1] if sent else None
            cause = cause_of(error, last, sent)
            if cause:
                detail = ""
                if last is not None:
                    detail = (
                        f"{last.request.method} {last.request.url} -> {last.response.status_code}"
                    )
                failures.append(
                    {"op": where, "cause": cause[:FAILURE_TEXT], "detail": detail[:FAILURE_TEXT]}
                )
            mock.calls.clear()
    record["contract_seconds"] = round(time.monotonic() - started, 3)
    record["ops_called"] = called
    record["failures"] = failures
    return record


def normalise_cause(cause: str) -> str:
    """A cause with names, values and numbers blanked, so equal causes group.

    A response the client could not parse groups by its first problem's message
    (``required field is missing``), not by where in the body it was."""
    parsed = re.match(r"(client could not parse the mock's response): .*?problems?: ([^;]*)", cause)
    if parsed:
        cause = f"{parsed.group(1)}: {parsed.group(2).split(': ', 1)[-1]}"
        cause = re.sub(r"\s*\(after \d+ attempts?\)|; kept as decoded JSON\)?", "", cause)
    text = re.sub(r"https?://\S+", "URL", cause.replace("the mock's ", "the mock’s "))
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    text = re.sub(r"input_value=.*", "", text)
    text = re.sub(r"\b\d+(\.\d+)?\b", "N", text)
    text = re.sub(r"\b[\w.]+\.(py)\b", "FILE", text)
    return re.sub(r"\s+", " ", text).strip()[:160]


def _preload() -> None:
    """What every spec needs, imported once before the children are forked."""
    import black  # noqa: F401
    import datamodel_code_generator  # noqa: F401
    import httpx  # noqa: F401
    import openapi_spec_validator  # noqa: F401
    import pydantic  # noqa: F401

    import apigen.build  # noqa: F401
    import apigen.models  # noqa: F401
    import apigen.pipeline  # noqa: F401
    import apigen.validate  # noqa: F401

    # one small spec generated here: what the generator and its libraries load or compile
    # on first use (templates, datamodel-code-generator's parsers) every child then has
    bench_mode()
    from apigen.pipeline import render_package

    from apigen.writer import write_atomically

    rendered = render_package(
        str(Path(__file__).resolve().parent.parent / "specs" / "petstore.json"), "warm"
    )
    with tempfile.TemporaryDirectory(prefix="apigen-contract-warm-") as folder:
        write_atomically(Path(folder), rendered.files, force=True)
        compile_generated(Path(folder))  # the runtime's bytecode, for every child


def _child(spec: str, out_dir: Path, package: str, result: Path) -> None:
    os.setpgid(0, 0)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # stdout is the parent's answer channel: nothing else may write there
    code = 0
    try:
        text = json.dumps(run(spec, out_dir, package))
    except BaseException as exc:  # noqa: BLE001 - reported, never raised past the fork
        text = json.dumps(
            {
                "crash": f"{type(exc).__name__}: {exc}"[:500],
                "traceback": traceback.format_exc()[-3000:],
            }
        )
        code = 1
    result.write_text(text, encoding="utf-8")
    sys.stdout.flush()
    os._exit(code)


def _wait(pid: int, timeout: float) -> int | None:
    """The child's exit status, or None after killing its process group at the time limit."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            for target in (
                lambda: os.killpg(pid, signal.SIGKILL),
                lambda: os.kill(pid, signal.SIGKILL),
            ):
                try:
                    target()
                except OSError:
                    pass
            os.waitpid(pid, 0)
            return None
        time.sleep(0.05)


def serve() -> None:
    import gc

    _preload()
    # what the parent holds stays out of the children's collections: their collector
    # would otherwise walk (and so copy, page by page) every inherited object
    gc.freeze()
    for line in sys.stdin:
        spec, out_dir, package, timeout = line.rstrip("\n").split("\t")
        fd, name = tempfile.mkstemp(prefix="apigen-contract-result-", dir="/tmp")
        os.close(fd)
        result = Path(name)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(spec, Path(out_dir), package, result)
        code = _wait(pid, float(timeout))
        text = result.read_text(encoding="utf-8") if result.exists() else ""
        result.unlink(missing_ok=True)
        if code is None:
            answer: dict[str, Any] = {"timeout": True}
        elif text.startswith("{"):
            answer = json.loads(text)
        else:
            answer = {"crash": f"the child exited with {code} and no result"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        print(json.dumps(run(sys.argv[1], Path(sys.argv[2]), sys.argv[3])))
