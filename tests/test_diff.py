"""`apigen diff`: what changes for users of a generated client between two specs.

The fixture pair tests/fixtures/diff/{old,new}.yaml holds one change of each
kind; every one must be found with the right breaking flag, and nothing else.
Kinds that would need a second fixture pair are checked on small inline specs.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from apigen import diff
from apigen.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
OLD, NEW = str(FIXTURES / "old.yaml"), str(FIXTURES / "new.yaml")
SPECS = Path(__file__).resolve().parents[1] / "specs"

# (kind, operation, location) -> breaking
EXPECTED = {
    ("base-url-changed", "", "/servers/0/url"): False,
    ("security-scheme-added", "", "/components/securitySchemes/SessionCookie"): False,
    ("security-scheme-removed", "", "/components/securitySchemes/LegacyToken"): True,
    ("operation-added", "GET /orders", ""): False,
    ("operation-removed", "GET /stores", ""): True,
    ("operation-renamed", "DELETE /pets/{petId}", ""): True,
    ("operation-moved", "GET /pets/{petId}", ""): True,
    ("operation-security-changed", "GET /stats", "/security"): True,
    ("parameter-added-required", "POST /pets", "/parameters/query/store"): True,
    ("parameter-added-optional", "GET /pets", "/parameters/query/sort"): False,
    ("parameter-removed", "GET /pets", "/parameters/query/owner"): True,
    ("parameter-retyped", "GET /pets", "/parameters/query/limit"): True,
    ("parameter-renamed", "GET /owners/{id}", "/parameters/path/id"): True,
    ("parameter-became-required", "GET /pets", "/parameters/query/species"): True,
    ("parameter-became-optional", "GET /pets", "/parameters/header/X-Trace"): False,
    ("request-field-added-required", "POST /pets", "/requestBody/species"): True,
    ("request-field-added-optional", "POST /pets", "/requestBody/nickname"): False,
    ("request-field-removed", "POST /pets", "/requestBody/legacyCode"): True,
    ("request-field-retyped", "POST /pets", "/requestBody/age"): True,
    ("request-field-became-required", "POST /pets", "/requestBody/tag"): True,
    ("request-enum-value-added", "GET /pets", "/parameters/query/status"): False,
    ("request-enum-value-removed", "POST /pets", "/requestBody/size"): True,
    ("response-field-added", "GET /pets", "/responses/200/[]/nickname"): False,
    # optional: deployed clients read None, as the field's type always allowed
    ("response-field-removed", "POST /pets", "/responses/201/legacyCode"): False,
    ("response-field-retyped", "POST /pets", "/responses/201/weight"): True,
    ("response-field-became-optional", "POST /pets", "/responses/201/name"): True,
    ("response-enum-value-added", "POST /pets", "/responses/201/status"): False,
    ("response-enum-value-removed", "POST /pets", "/responses/201/size"): False,
}


@pytest.fixture(scope="module")
def changes() -> list[diff.Change]:
    return diff.diff_sources(OLD, NEW)


def test_fixture_has_one_change_of_each_kind(changes: list[diff.Change]) -> None:
    found = {(c.kind, c.operation, c.location): c.breaking for c in changes}
    assert len(found) == len(changes), "a change was reported twice"
    missing = {k: v for k, v in EXPECTED.items() if k not in found}
    unexpected = {k: v for k, v in found.items() if k not in EXPECTED}
    wrong_flag = {k: found[k] for k in EXPECTED if k in found and found[k] != EXPECTED[k]}
    assert not missing, f"not found: {missing}"
    assert not unexpected, f"not expected: {unexpected}"
    assert not wrong_flag, f"wrong breaking flag: {wrong_flag}"
    assert len({c.kind for c in changes}) == len(changes)  # exactly one per kind


def test_messages_name_the_python_surface(changes: list[diff.Change]) -> None:
    by_kind = {c.kind: c for c in changes}
    assert (
        "pets.remove" in by_kind["operation-renamed"].message
        and "removePet" in by_kind["operation-renamed"].message
    )
    assert "owner_key" in by_kind["parameter-renamed"].message
    assert "exhaustive" in by_kind["response-enum-value-added"].message
    assert "client.animals.retrieve" in by_kind["operation-moved"].message
    assert all(c.kind in diff.KINDS and c.message for c in changes)


@pytest.mark.parametrize(
    "spec", [OLD, NEW, *sorted(str(p) for p in SPECS.glob("*.*") if p.suffix in (".yaml", ".json"))]
)
def test_identical_specs_give_no_changes(spec: str) -> None:
    assert diff.diff_sources(spec, spec) == []


def test_formats(changes: list[diff.Change]) -> None:
    data = json.loads(diff.render(changes, "json"))
    assert data["counts"] == {
        "breaking": sum(EXPECTED.values()),
        "non_breaking": len(EXPECTED) - sum(EXPECTED.values()),
        "total": len(EXPECTED),
    }
    assert {
        (c["kind"], c["operation"], c["location"]): c["breaking"] for c in data["changes"]
    } == EXPECTED
    assert set(data["changes"][0]) == {"kind", "operation", "location", "message", "breaking"}

    md = diff.render(changes, "markdown")
    first = md.splitlines()[0]
    assert (
        f"{data['counts']['breaking']} breaking changes" in first
        and f"{data['counts']['non_breaking']} other changes" in first
    )
    assert "### Breaking changes" in md and "### Other changes" in md
    assert md.count("| Operation | Change | Location | Details |") == 2
    assert "| --- | --- | --- | --- |" in md
    rows = [
        line
        for line in md.splitlines()
        if line.startswith("| ") and "---" not in line and "Operation" not in line
    ]
    assert len(rows) == len(EXPECTED)

    text = diff.render(changes, "text")
    assert "Breaking changes (" in text and "parameter-removed" in text
    assert diff.render([], "text").startswith("No changes")
    assert "no changes" in diff.render([], "markdown")
    assert json.loads(diff.render([], "json")) == {
        "counts": {"breaking": 0, "non_breaking": 0, "total": 0},
        "changes": [],
    }


def test_markdown_escapes_spec_strings() -> None:
    change = diff.Change(
        "operation-added", "GET /x|y", "", "new method <script>`x`</script>\n| a |", False
    )
    md = diff.render([change], "markdown")
    row = md.splitlines()[-1]
    assert "<script>" not in md and "\n| a |" not in md
    assert row.count(" | ") == 3  # the table keeps four columns


def test_cli_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", OLD, NEW]) == 0
    assert "breaking" in capsys.readouterr().out
    assert main(["diff", OLD, NEW, "--fail-on-breaking"]) == 1
    capsys.readouterr()
    assert main(["diff", OLD, OLD, "--fail-on-breaking"]) == 0
    assert "No changes" in capsys.readouterr().out
    assert main(["diff", OLD, NEW, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["total"] == len(EXPECTED)
    assert main(["diff", OLD, NEW, "--format", "markdown"]) == 0
    assert "| Operation |" in capsys.readouterr().out


def test_cli_non_breaking_changes_pass_fail_on_breaking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new.yaml"
    new.write_text(
        Path(OLD).read_text().replace("https://api.example.com/v1", "https://api.example.com/v9")
    )
    assert main(["diff", OLD, str(new), "--fail-on-breaking", "--format", "json"]) == 0
    assert [c["kind"] for c in json.loads(capsys.readouterr().out)["changes"]] == [
        "base-url-changed"
    ]


def test_cli_bad_input_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(tmp_path / "missing.yaml"), NEW]) == 1
    err = capsys.readouterr().err
    assert "missing.yaml" in err and "Traceback" not in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.3\npaths: {a: [\n")
    assert main(["diff", OLD, str(broken)]) == 1
    assert "Traceback" not in capsys.readouterr().err


# --------------------------------------------------------------------------- inline specs


def _spec(**schemas: Any) -> dict[str, Any]:
    body = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}},
    }
    ok = {
        "200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "paths": {
            "/things": {"post": {"operationId": "makeThing", "requestBody": body, "responses": ok}}
        },
        "components": {"schemas": {"In": {"type": "object"}, "Out": {"type": "object"}, **schemas}},
    }


def _kinds(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(c.kind, c.breaking) for c in diff.diff_specs(old, new)]


def test_request_may_accept_more_response_may_return_less() -> None:
    old = _spec(
        In={"type": "object", "properties": {"n": {"type": "integer"}}},
        Out={"type": "object", "properties": {"n": {"type": ["integer", "null"]}}},
    )
    new = _spec(
        In={"type": "object", "properties": {"n": {"type": ["number", "null"]}}},
        Out={"type": "object", "properties": {"n": {"type": "integer"}}},
    )
    assert _kinds(old, new) == [("request-field-retyped", False), ("response-field-retyped", False)]
    # an optional response field that may now be null: its model type already admits None
    assert _kinds(new, old) == [("request-field-retyped", True), ("response-field-retyped", False)]
    required = copy.deepcopy(new)
    required["components"]["schemas"]["Out"]["required"] = ["n"]
    now_nullable = copy.deepcopy(old)
    now_nullable["components"]["schemas"]["Out"]["required"] = ["n"]
    assert ("response-field-retyped", True) in _kinds(required, now_nullable)


def test_body_and_return_type_changes() -> None:
    old = _spec()
    no_body = copy.deepcopy(old)
    del no_body["paths"]["/things"]["post"]["requestBody"]
    assert _kinds(old, no_body) == [("request-body-removed", True)]
    assert _kinds(no_body, old) == [("request-body-added", True)]
    optional = copy.deepcopy(old)
    optional["paths"]["/things"]["post"]["requestBody"]["required"] = False
    assert _kinds(optional, old) == [("request-body-became-required", True)]
    listed = _spec(
        In={"type": "array", "items": {"type": "string"}},
        Out={"type": "array", "items": {"type": "string"}},
    )
    assert _kinds(old, listed) == [("request-body-retyped", True), ("response-retyped", True)]
    text = copy.deepcopy(old)
    text["paths"]["/things"]["post"]["responses"]["200"]["content"] = {
        "text/plain": {"schema": {"type": "string"}}
    }
    assert _kinds(old, text) == [("response-retyped", True)]
    created = copy.deepcopy(old)
    created["paths"]["/things"]["post"]["responses"] = {
        "201": old["paths"]["/things"]["post"]["responses"]["200"]
    }
    assert _kinds(old, created) == []  # 200 -> 201 with the same model changes nothing for callers


def test_security_scheme_changed() -> None:
    old = _spec()
    old["components"]["securitySchemes"] = {
        "Auth": {"type": "apiKey", "in": "header", "name": "X-Key"}
    }
    moved = copy.deepcopy(old)
    moved["components"]["securitySchemes"]["Auth"] = {
        "type": "apiKey",
        "in": "query",
        "name": "key",
    }
    assert _kinds(old, moved) == [("security-scheme-changed", False)]
    bearer = copy.deepcopy(old)
    bearer["components"]["securitySchemes"]["Auth"] = {"type": "http", "scheme": "bearer"}
    assert _kinds(old, bearer) == [("security-scheme-changed", True)]


def test_operation_security_relaxed_is_not_breaking() -> None:
    old = _spec()
    old["components"]["securitySchemes"] = {
        "A": {"type": "http", "scheme": "bearer"},
        "B": {"type": "http", "scheme": "basic"},
    }
    old["security"] = [{"A": [], "B": []}]
    new = copy.deepcopy(old)
    new["security"] = [{"A": []}, {}]
    assert _kinds(old, new) == [("operation-security-changed", False)]
    assert _kinds(new, old) == [("operation-security-changed", True)]


def test_recursive_and_nullable_refs() -> None:
    node = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "next": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]},
        },
    }
    old = _spec(Node=node, Out={"$ref": "#/components/schemas/Node"})
    assert _kinds(old, copy.deepcopy(old)) == []
    new = copy.deepcopy(old)
    new["components"]["schemas"]["Node"]["properties"]["name"] = {"type": "integer"}
    found = diff.diff_specs(old, new)
    assert [(c.kind, c.location) for c in found] == [
        ("response-field-retyped", "/responses/200/name")
    ]


def test_all_of_fields_and_inline_names_do_not_matter() -> None:
    base = {"type": "object", "properties": {"id": {"type": "integer"}}}
    old = _spec(
        Base=base,
        Out={
            "allOf": [
                {"$ref": "#/components/schemas/Base"},
                {"type": "object", "properties": {"x": {"type": "string"}}},
            ]
        },
    )
    new = _spec(
        Base=base,
        Out={"type": "object", "properties": {"id": {"type": "integer"}, "x": {"type": "string"}}},
    )
    assert _kinds(old, new) == []
    gone = copy.deepcopy(old)
    gone["components"]["schemas"]["Base"]["properties"] = {}
    assert _kinds(old, gone) == [("response-field-removed", False)]  # it was optional
    old["components"]["schemas"]["Base"]["required"] = ["id"]
    assert _kinds(old, gone) == [("response-field-removed", True)]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_the_diff_reads_the_ir_only() -> None:
    """The comparison needs nothing but what build produced: with both documents emptied
    after build, the IRs alone give every change, and every schema they carry refers
    into their own models."""
    from apigen.build import build_api

    old_spec, new_spec = diff.load_spec(OLD), diff.load_spec(NEW)
    expected = diff.diff_specs(copy.deepcopy(old_spec), copy.deepcopy(new_spec))
    old_api, new_api = build_api(old_spec), build_api(new_spec)
    old_spec.clear()
    new_spec.clear()
    assert diff.diff_apis(old_api, new_api) == expected
    assert {(c.kind, c.operation, c.location) for c in expected} == set(EXPECTED)
    for api in (old_api, new_api):
        schemas = [p.schema for op in api.operations for p in op.parameters]
        schemas += [op.body.schema for op in api.operations if op.body]
        schemas += [r.schema for op in api.operations for r in op.responses if r.kind == "json"]
        refs = [r for s in schemas for r in _refs(s)]
        assert refs and all(r.removeprefix("#/$defs/") in api.models for r in refs)
