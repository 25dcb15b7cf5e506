"""A path template's placeholders and the declared path parameters disagree: every
placeholder becomes an argument (reported), and a template no request can match is
left out with its reason; nothing fails silently at call time."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import httpx

from apigen.build import build_api
from apigen.pipeline import generate
from support import import_generated


def _op(path: str, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"responses": {"204": {"description": "done"}}}
    if params:
        op["parameters"] = params
    return {"get": op}


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "templates", "version": "1"},
    "servers": [{"url": "https://api.example.com"}],
    "paths": {
        "/a/{missing}": _op("/a/{missing}"),
        # one declared, one not; the undeclared one has a name that is no identifier
        "/b/{id}/c/{file-name}.json": _op(
            "/b", [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
        ),
        # declared, but as a query parameter: the path still needs its own argument
        "/d/{q}": _op("/d", [{"name": "q", "in": "query", "schema": {"type": "string"}}]),
        "/e/{}": _op("/e"),
        "/f/{open": _op("/f"),
        "/g/{x}/{x}": _op("/g"),
    },
}


def _operations() -> tuple[dict[str, Any], Any]:
    api = build_api(json.loads(json.dumps(SPEC)))
    return {op.path: op for op in api.operations}, api


def test_undeclared_placeholders_become_required_string_path_arguments() -> None:
    ops, api = _operations()
    missing = [p for p in ops["/a/{missing}"].parameters if p.location == "path"]
    assert [(p.name, p.py_name, p.required, p.type.expr) for p in missing] == [
        ("missing", "missing", True, "str")
    ]
    both = [p for p in ops["/b/{id}/c/{file-name}.json"].parameters if p.location == "path"]
    assert [(p.name, p.type.expr) for p in both] == [("id", "int"), ("file-name", "str")]
    assert both[1].py_name.isidentifier()
    query_and_path = ops["/d/{q}"].parameters
    assert sorted((p.location, p.name) for p in query_and_path) == [("path", "q"), ("query", "q")]
    assert len({p.py_name for p in query_and_path}) == 2
    assert [p.name for p in ops["/g/{x}/{x}"].parameters] == ["x"]
    reported = {(s.where, s.reason) for s in api.skipped}
    for where, name in [
        ("GET /a/{missing}", "missing"),
        ("GET /b/{id}/c/{file-name}.json", "file-name"),
        ("GET /d/{q}", "q"),
    ]:
        assert any(w == where and repr(name) in r and "not declared" in r for w, r in reported), (
            reported
        )
    assert not any("'id'" in r for _, r in reported)


def test_templates_no_request_can_match_are_left_out_with_the_reason() -> None:
    ops, api = _operations()
    assert "/e/{}" not in ops and "/f/{open" not in ops
    reasons = {s.where: s.reason for s in api.skipped}
    assert "empty {} placeholder" in reasons["GET /e/{}"]
    assert "unmatched brace" in reasons["GET /f/{open"]


def test_the_generated_method_sends_the_undeclared_parameter(tmp_path: Path) -> None:
    spec = tmp_path / "templates.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    summary = generate(str(spec), tmp_path / "out", "templates_client")
    assert any("'missing'" in s.reason for s in summary.skipped)
    ops, api = _operations()
    package = import_generated("templates_client", tmp_path / "out")
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    client = package.Client(http_client=httpx.Client(transport=httpx.MockTransport(answer)))
    for resource in api.resources:
        for op in resource.operations:
            if op.path == "/a/{missing}":
                getattr(functools.reduce(getattr, resource.attr_path, client), op.py_name)("x/../y")
            if op.path == "/b/{id}/c/{file-name}.json":
                getattr(functools.reduce(getattr, resource.attr_path, client), op.py_name)(
                    7, "report 1"
                )
    assert [r.url.raw_path for r in sent] == [b"/a/x%2F..%2Fy", b"/b/7/c/report%201.json"]
