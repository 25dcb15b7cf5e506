"""Contract tests: every operation of every generated client, against its spec.

For each spec (the golden clients of specs/ and the real GitHub, Stripe and
Twilio descriptions in specs/real/), every operation of the sync client is called
with arguments synthesised from the spec's schemas, through an
``httpx.MockTransport`` whose handler checks the request against the spec
(checker.py) and answers with the operation's first success response: its example
when one is given and valid, else a value synthesised from the response schema
(synth.py). The client must send only valid requests and return a value of the
declared type. Every optional parameter is sent too. JSON bodies go out as plain
dicts (and must reach the wire unchanged), then once more as an instance of the
generated request model. Paginated operations fetch their first page only. One
test per spec; failures are collected per operation and reported together, grouped
by cause. No network.

The real specs are generated once per session into a temporary folder, with the
apigen cache in pytest's cache folder: about 3 minutes cold on 2 cores, seconds
when the generator is unchanged.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import importlib
import json
import re
import types
import typing
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from apigen.build import build_api
from apigen.loader import load
from apigen.normalize import normalize
from apigen.spec_walk import HTTP_METHODS

from support import changed_by_black, configured_clients, import_generated

from checker import check_request, operation_node, query_auth_names, spec_parameters
from contract_paths import REAL_SPECS, REPO
from synth import SpecSchemas, Synth, _jsonish

BASE_URL = "https://contract.test/base"
BASE_PATH = "/base"


# ------------------------------------------------------------------ helpers


class _Names(dict):  # type: ignore[type-arg]
    """eval() namespace for a type expression: builtins, typing, then the package's models."""

    def __init__(self, models: Any, imports: frozenset[str]) -> None:
        super().__init__(
            Any=Any,
            Literal=typing.Literal,
            Optional=typing.Optional,
            Union=typing.Union,
            date=datetime.date,
            datetime=datetime.datetime,
            time=datetime.time,
            timedelta=datetime.timedelta,
            UUID=uuid.UUID,
            Decimal=decimal.Decimal,
            None_=None,
        )
        for entry in imports:
            module, _, attr = entry.partition(":")
            try:
                self[attr] = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError):
                pass
        self._models = models

    def __missing__(self, key: str) -> Any:
        import builtins

        if hasattr(builtins, key):
            return getattr(builtins, key)
        return getattr(self._models, key)


class _StreamNames:
    """The package's models, and the runtime's generic ``ServerSentEvent``."""

    def __init__(self, models: Any) -> None:
        self._models = models

    def __getattr__(self, key: str) -> Any:
        if key == "ServerSentEvent":
            return importlib.import_module(
                self._models.__name__.rsplit(".", 1)[0] + "._runtime"
            ).ServerSentEvent
        return getattr(self._models, key)


def resolve_type(expr: str, models: Any, imports: frozenset[str] = frozenset()) -> Any:
    # the expression is our own generator's IR, not spec text
    return eval(expr, {"__builtins__": {}}, _Names(models, imports))  # noqa: S307


def conforms(value: Any, tp: Any) -> bool:
    """isinstance for type expressions: unions, list[...], dict[..., ...], Literal, Any, None.

    Lists and dicts are checked on their first five items; models by isinstance
    (pydantic validated their insides). A type it does not know is an error of
    this test, not a pass.
    """
    if tp is Any:
        return True
    if tp is None or tp is type(None):
        return value is None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if origin is typing.Annotated:
        return conforms(value, args[0])
    if origin in (list, typing.List):
        return (
            isinstance(value, list) and all(conforms(v, args[0]) for v in value[:5])
            if args
            else isinstance(value, list)
        )
    if origin in (dict, typing.Dict):
        return isinstance(value, dict) and (
            not args or all(conforms(v, args[1]) for v in list(value.values())[:5])
        )
    if origin is not None:
        return isinstance(value, origin)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(tp, type):
        return isinstance(value, tp)
    raise TypeError(f"conforms() does not know the type {tp!r}")


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


# ------------------------------------------------------------------ per spec


@dataclass
class Target:
    name: str  # package name
    spec_path: Path
    project: Path


@dataclass
class Exchange:
    op: Any
    response: httpx.Response
    requests: list[httpx.Request] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Contract:
    def __init__(self, target: Target) -> None:
        self.target = target
        normalized = normalize(load(str(target.spec_path)))
        self.spec = SpecSchemas(
            normalized
        )  # a rewritten copy: build_api may keep or change `normalized`
        self.api = build_api(normalized)
        self.req_synth = Synth(self.spec, direction="request")
        self.form_synth = Synth(self.spec, direction="request", nonempty_objects=True)
        self.file_synth = Synth(
            self.spec, direction="request", binary_as_bytes=True, nonempty_objects=True
        )
        self.resp_synth = Synth(self.spec, direction="response")
        self.query_auth = query_auth_names(self.api)
        self.pkg = import_generated(target.name, target.project)
        self.models = importlib.import_module(target.name + ".models")
        self.current: Exchange | None = None

    # ---- counting
    def spec_operation_count(self) -> int:
        return sum(
            1
            for item in (self.spec.doc.get("paths") or {}).values()
            for method in (self.spec.deref(item) or {})
            if method in HTTP_METHODS
        )

    # ---- the mock server
    def handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        ex = self.current
        assert ex is not None
        ex.requests.append(request)
        try:
            ex.problems += check_request(
                self.spec, self.api, ex.op, request, BASE_PATH, self.query_auth
            )
        except Exception as exc:  # noqa: BLE001 - a checker bug must show, not hide the operation
            ex.problems.append(f"checker crashed: {type(exc).__name__}: {exc}")
        return ex.response

    def client(self) -> Any:
        creds: dict[str, Any] = {}
        for s in self.api.security_schemes:
            if s.kind == "basic":
                creds[s.py_name] = ("user", "password")
            else:
                creds[s.py_name] = f"test-{s.kind}-credential"
        http = httpx.Client(transport=httpx.MockTransport(self.handler))
        return self.pkg.Client(
            base_url=BASE_URL, http_client=http, circuit_breaker=None, max_retries=0, **creds
        )

    # ---- responses
    def _success(self, op: Any) -> tuple[str, Any] | None:
        for r in op.responses:
            if r.is_success:
                return r.status, r
        for r in op.responses:
            if r.status == "default":
                return r.status, r
        return None

    def _example(self, media: dict[str, Any], schema: Any) -> tuple[bool, Any]:
        candidates = []
        if "example" in media:
            candidates.append(media["example"])
        examples = media.get("examples")
        if isinstance(examples, dict):
            for ex in examples.values():
                ex = self.spec.deref(ex)
                if isinstance(ex, dict) and "value" in ex:
                    candidates.append(ex["value"])
                    break
        resolved = self.spec.deref(schema)
        if isinstance(resolved, dict) and "example" in resolved:
            candidates.append(resolved["example"])
        for c in candidates:
            if self.spec.is_valid(schema, c):
                return True, c
        return False, None

    def response_for(self, op: Any) -> tuple[httpx.Response, str]:
        found = self._success(op)
        if found is None:
            return httpx.Response(204), "204 (no response declared)"
        status, rt = found
        code = int(status) if status.isdigit() else 200
        node = self.spec.deref(
            (operation_node(self.spec, op).get("responses") or {}).get(status) or {}
        )
        content = node.get("content") or {}
        if rt.kind == "empty" or not content:
            return httpx.Response(code if code != 200 or status.isdigit() else 204), f"{code} empty"
        if rt.kind == "event-stream":  # two events of the declared type, then [DONE]
            media = (
                next((v for k, v in content.items() if k.startswith("text/event-stream")), {}) or {}
            )
            schema = self.spec.deref(media.get("x-apigen-event-type") or media.get("schema") or {})
            typed = isinstance(schema, dict) and schema and schema.get("type") != "string"
            data = [
                json.dumps(self.resp_synth.value(schema)) if typed else f"event {i}"
                for i in range(2)
            ]
            body = "".join(f"data: {d}\n\n" for d in data) + "data: [DONE]\n\n"
            return httpx.Response(
                code, content=body.encode(), headers={"content-type": "text/event-stream"}
            ), f"{code} text/event-stream"
        if rt.kind == "json":
            keys = (
                [k for k in content if "json" in k.lower()]
                or [k for k in content if k in ("*/*", "application/*")]
                or list(content)
            )
            ctype = keys[0] if "json" in keys[0].lower() else "application/json"
            media = content[keys[0]] or {}
            schema = media.get("schema", {})
            ok, value = self._example(media, schema)
            source = "example"
            if not ok:
                value = self.resp_synth.value(schema)
                source = "synthesised"
            if op.pagination is not None:
                value = _drop_next(value, op.pagination)
            return httpx.Response(
                code, content=json.dumps(value).encode(), headers={"content-type": ctype}
            ), f"{code} {ctype} ({source})"
        if rt.kind == "text":
            key = next((k for k in content if k.startswith("text/")), next(iter(content)))
            schema = (content[key] or {}).get("schema", {})
            value = self.resp_synth.value(schema) if schema else "text"
            text = value if isinstance(value, str) else json.dumps(value)
            return httpx.Response(
                code, content=text.encode(), headers={"content-type": key}
            ), f"{code} {key}"
        key = next(iter(content))
        return httpx.Response(
            code,
            content=b"\x89PNG\r\n\x1a\nbinary",
            headers={"content-type": key if "*" not in key else "application/octet-stream"},
        ), f"{code} {key}"

    # ---- arguments
    def arguments(self, op: Any) -> dict[str, Any]:
        params = spec_parameters(self.spec, op)
        kwargs: dict[str, Any] = {}
        for p in op.parameters:  # every one, optional ones too
            node = params.get((p.location, p.name))
            schema = (
                {}
                if node is None
                else node.get("schema")
                or next(iter((node.get("content") or {"": {}}).values()), {}).get("schema", {})
            )
            value = self.req_synth.value(schema)
            if p.location == "path" and (
                value is None or value == "" or value == [] or value == {}
            ):
                value = "id"
            kwargs[p.py_name] = value
        if op.body is not None:
            kwargs[op.body.py_name] = self.body(op)
        return kwargs

    def body(self, op: Any) -> Any:
        kind = op.body.kind
        if kind == "binary":
            return b"\x00\x01binary-body"
        if kind == "text":
            return "text body"
        body_node = self.spec.deref(operation_node(self.spec, op).get("requestBody") or {})
        content = body_node.get("content") or {}
        media = content.get(op.body.content_type) or next(iter(content.values()), {}) or {}
        schema = media.get("schema", {})
        synth = {"multipart": self.file_synth, "form": self.form_synth}.get(kind, self.req_synth)
        return synth.value(schema)

    # ---- one operation
    def call(self, client: Any, resource: Any, op: Any) -> list[str]:
        where = f"{op.method} {op.path} ({resource.dotted}.{op.py_name})"
        try:
            kwargs = self.arguments(op)
            response, answer = self.response_for(op)
        except Exception as exc:  # noqa: BLE001
            return [
                f"{where}: test could not synthesise arguments/response: "
                f"{type(exc).__name__}: {exc}"
            ]
        ex = Exchange(op, response)
        self.current = ex
        failures: list[str] = []
        sent = ", ".join(f"{k}={_describe(_jsonish(v))}" for k, v in kwargs.items())
        method = getattr(functools.reduce(getattr, resource.attr_path, client), op.py_name)
        models = self.models
        try:
            result = method(**kwargs)
            if op.pagination is not None:
                page = (
                    result.first_page()
                    if hasattr(result, "first_page")
                    else next(iter(result), None)
                )
                item_tp = resolve_type(
                    op.pagination.item_type.expr, models, op.pagination.item_type.imports
                )
                items = list(page.items) if hasattr(page, "items") else []
                if not conforms(items, list[item_tp]):  # type: ignore[valid-type]
                    failures.append(
                        f"page items are not {op.pagination.item_type.expr}: {_describe(items)}"
                    )
                data = page.data
                tp = resolve_type(op.return_type.expr, models, op.return_type.imports)
                if not conforms(data, tp):
                    failures.append(
                        f"page data is {type(data).__name__}, not {op.return_type.expr}: "
                        f"{_describe(data)}"
                    )
            elif op.stream_only:
                events = list(result)
                tp = resolve_type(op.events.expr, _StreamNames(models), op.events.imports)
                if type(result).__name__ != "Stream" or len(events) != 2:
                    failures.append(
                        f"returned {type(result).__name__} of {len(events)} events, "
                        "not a Stream of 2"
                    )
                elif not all(conforms(e, tp) for e in events):
                    failures.append(f"events are not {op.events.expr}: {_describe(events)}")
            else:
                tp = resolve_type(op.return_type.expr, models, op.return_type.imports)
                if not conforms(result, tp):
                    failures.append(
                        f"returned {type(result).__name__}, not {op.return_type.expr}: "
                        f"{_describe(result)}"
                    )
        except Exception as exc:  # noqa: BLE001
            msg = str(exc).replace("\n", " ")
            failures.append(f"raised {type(exc).__name__}: {msg[:400]}")
        if not ex.requests:
            failures.append("no request was sent")
        elif len(ex.requests) > 1:
            failures.append(f"{len(ex.requests)} requests sent, expected 1")
        failures += [f"request: {p}" for p in dict.fromkeys(ex.problems)]
        if op.body is not None and op.body.kind == "json" and ex.requests:
            failures += self._json_body_round_trip(op, kwargs, ex.requests[0])
            failures += self._call_with_model(method, op, kwargs, response)
        if failures:
            req = ex.requests[0] if ex.requests else None
            detail = f"\n      args: {sent[:600]}\n      answer: {answer}"
            if req is not None:
                detail += (
                    f"\n      sent: {req.method} {req.url} body={_describe(req.content[:300])}"
                )
            return [f"{where}:\n    - " + "\n    - ".join(failures) + detail]
        return []

    def _json_body_round_trip(
        self, op: Any, kwargs: dict[str, Any], request: httpx.Request
    ) -> list[str]:
        """A plain dict/list body goes on the wire unchanged: no field renamed, dropped or added."""
        passed = kwargs.get(op.body.py_name)
        if not isinstance(passed, (dict, list)) or not request.content:
            return []
        try:
            sent = json.loads(request.content)
        except ValueError:
            return []
        if sent != passed:
            return [
                f"JSON body sent differs from the dict passed: sent {_describe(sent)}, "
                f"passed {_describe(passed)}"
            ]
        return []

    def _call_with_model(
        self, method: Any, op: Any, kwargs: dict[str, Any], response: httpx.Response
    ) -> list[str]:
        """The same call with the body as an instance of the generated request model."""
        first = op.body.type.expr.split(" | ")[0].strip()
        if not first.isidentifier() or first in ("bytes", "str", "int", "float", "bool", "Any"):
            return []
        cls = getattr(self.models, first, None)
        if not isinstance(cls, type) or not hasattr(cls, "model_validate"):
            return []
        passed = kwargs[op.body.py_name]
        try:
            model = cls.model_validate(passed)
        except Exception as exc:  # noqa: BLE001
            return [
                f"request model {first} rejects a body valid for the spec: "
                f"{str(exc).splitlines()[0][:300]} ({_describe(passed)})"
            ]
        ex = Exchange(op, response)
        self.current = ex
        out: list[str] = []
        try:
            result = method(**{**kwargs, op.body.py_name: model})
            if op.pagination is not None and hasattr(result, "first_page"):
                result.first_page()
        except Exception as exc:  # noqa: BLE001
            out.append(
                f"with body={first}(...) raised {type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:300]}"
            )
        out += [f"request with body={first}(...): {p}" for p in dict.fromkeys(ex.problems)]
        if ex.requests and isinstance(passed, dict):
            try:
                sent = json.loads(ex.requests[0].content)
            except ValueError:
                sent = None
            if isinstance(sent, dict) and set(sent) != set(passed):
                out.append(
                    f"body={first}(...) sent fields {sorted(sent)}, "
                    f"the dict it was built from has {sorted(passed)}"
                )
        return out


def _drop_next(value: Any, pagination: Any) -> Any:
    """The page answered is the last one: no next cursor / next link, has_more false."""
    if not isinstance(value, dict):
        return value
    value = json.loads(json.dumps(value))
    for path in (pagination.next_cursor, pagination.next_url):
        if path:
            node = value
            for key in path[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and path[-1] in node:
                node[path[-1]] = None
    if pagination.has_more:
        node = value
        for key in pagination.has_more[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and pagination.has_more[-1] in node:
            node[pagination.has_more[-1]] = False
    return value


def run_contract(target: Target) -> tuple[int, int, list[str]]:
    contract = Contract(target)
    client = contract.client()
    failures: list[str] = []
    called = 0
    for resource in contract.api.resources:
        for op in resource.operations:
            called += 1
            failures += contract.call(client, resource, op)
    return called, contract.spec_operation_count(), failures


def _cause(bullet: str) -> str:
    """A failure line with its particulars blanked, so equal causes group together."""
    text = re.sub(r"https?://\S+", "URL", bullet)
    text = re.sub(r"input_value=.*", "", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    text = re.sub(r"\b\d+\b", "N", text)
    text = re.sub(r"list\[\w+\]", "list[T]", text)
    return text.strip()[:160]


def _report(name: str, called: int, expected: int, failures: list[str]) -> str:
    causes: dict[str, int] = {}
    for failure in failures:
        for line in failure.splitlines():
            if line.startswith("    - "):
                key = _cause(line[6:])
                causes[key] = causes.get(key, 0) + 1
    head = (
        f"{name}: {len(failures)} of {called} operations failed the contract\nfailures by cause:\n"
    )
    head += "\n".join(f"  {n:4d} x {c}" for c, n in sorted(causes.items(), key=lambda kv: -kv[1]))
    return head + "\n\nper operation:\n" + "\n".join(failures)


# ------------------------------------------------------------------ the tests

GOLDEN = [(name, REPO / spec, REPO / output) for name, spec, output in configured_clients()]


_AMBIGUOUS = "AModel.not_required_one_of_models: a oneOf whose two members both accept {}"
_PEER_GAPS = {
    # openapi-python-client's end-to-end specs test generators on edge cases; these
    # operations cannot pass this contract today, for the reason given
    "POST /types/unions/duplicate-types": "a oneOf of one schema twice: nothing is valid under one",
    "POST /bodies/refs": _AMBIGUOUS,
    "POST /tests/json_body": _AMBIGUOUS,
    "POST /tests/callback": _AMBIGUOUS,
    "GET /tests/": "a required query parameter whose only value is null: the client omits None",
    "POST /tests/upload": "multipart arrays go as one JSON part; the checker wants one per item",
}
# Operations known to fail, per client, with why; each must still fail (remove it once it passes).
KNOWN_GAPS = {"oapc_baseline_30": _PEER_GAPS, "oapc_baseline_31": _PEER_GAPS}


def _assert_contract(name: str, spec: Path, project: Path) -> None:
    called, expected, failures = run_contract(Target(name, spec, project))
    assert called == expected, f"{name}: {called} operations called, the spec has {expected}"
    gaps = KNOWN_GAPS.get(name, {})
    known = [f for f in failures if f.split(" (", 1)[0] in gaps]
    failures = [f for f in failures if f not in known]
    assert not failures, _report(name, called, expected, failures)
    passing = sorted(set(gaps) - {f.split(" (", 1)[0] for f in known})
    assert not passing, f"{name}: these known gaps pass now; remove them from KNOWN_GAPS: {passing}"


@pytest.mark.parametrize("name,spec,project", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_contract_golden(name: str, spec: Path, project: Path) -> None:
    _assert_contract(name, spec, project)


@pytest.mark.parametrize(
    "name", list(REAL_SPECS), ids=[n.removeprefix("contract_") for n in REAL_SPECS]
)
def test_contract_real(name: str, real_clients: dict[str, tuple[Path, Path]]) -> None:
    _assert_contract(name, *real_clients[name])


@pytest.mark.parametrize(
    "name", list(REAL_SPECS), ids=[n.removeprefix("contract_") for n in REAL_SPECS]
)
def test_real_clients_are_what_black_writes(
    name: str, real_clients: dict[str, tuple[Path, Path]]
) -> None:
    """black only sees part of a client (layout.format_stable); a fixed sample of
    each real client's files (every 4th resource, every 25th model module, the model
    index and stub) must be exactly what black makes of them."""
    _, project = real_clients[name]
    package = project / name
    resources = sorted((package / "resources").glob("*.py"))
    models = sorted((package / "models").glob("*.py"))
    sample = (
        resources[::4]
        + models[::25]
        + [
            package / "models" / "__init__.pyi",
            package / "models" / "_index.py",
            package / "client.py",
        ]
    )
    changed = changed_by_black(sample, project)
    assert not changed, f"black would change: {changed}"
