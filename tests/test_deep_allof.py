"""Deep allOf inheritance: the model library never sees a chain deeper than the
limit, every class keeps all its fields, and validation stays linear in the depth."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from apigen import models
from apigen.loader import Document
from apigen.models import _allof_parents, _inherited_fields, cut_deep_inheritance, generate_models
from apigen.validate import validate


def _chain(depth: int) -> dict[str, Any]:
    """S0 extends S1 extends ... S<depth-1>; each adds one field."""
    defs: dict[str, Any] = {}
    for i in range(depth):
        parts: list[Any] = [{"$ref": f"#/$defs/S{i + 1}"}] if i + 1 < depth else []
        parts.append(
            {"type": "object", "properties": {f"f{i}": {"type": "string"}}, "required": [f"f{i}"]}
        )
        defs[f"S{i}"] = {"allOf": parts}
    return defs


def _lattice(depth: int) -> dict[str, Any]:
    """Each class extends the next two: many paths, the longest ``depth`` long."""
    defs: dict[str, Any] = {}
    for i in range(depth):
        parents = [{"$ref": f"#/$defs/L{j}"} for j in (i + 1, i + 2) if j < depth]
        defs[f"L{i}"] = {
            "allOf": [*parents, {"type": "object", "properties": {f"g{i}": {"type": "integer"}}}]
        }
    return defs


def _longest_chain(defs: dict[str, Any]) -> int:
    depth: dict[str, int] = {}
    for name in reversed(list(defs)):  # parents come later in both payloads
        depth[name] = 1 + max(
            (depth[p] for p in _allof_parents(defs[name]) if p in depth), default=-1
        )
    return max(depth.values())


@pytest.mark.parametrize(
    "payload", [_chain(300), _lattice(200), _chain(500)], ids=["chain300", "lattice200", "chain500"]
)
def test_cut_bounds_every_chain_and_keeps_every_field(payload: dict[str, Any]) -> None:
    cut, notes = cut_deep_inheritance(payload)
    assert _longest_chain(payload) > 150
    assert _longest_chain(cut) < models.MAX_INHERITANCE_DEPTH
    for name in list(payload)[::7]:
        assert _inherited_fields(name, cut) == _inherited_fields(name, payload), name
    assert notes and all("flat class" in why for _, why in notes)


def test_a_chain_within_the_limit_is_left_as_it_is() -> None:
    shallow = _chain(models.MAX_INHERITANCE_DEPTH)
    assert cut_deep_inheritance(shallow) == (shallow, [])


def test_generated_classes_stay_within_the_limit_and_validate_every_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(models, "MAX_INHERITANCE_DEPTH", 4)
    made = generate_models(_chain(20))
    bases = {
        n.name: [b.id for b in n.bases if isinstance(b, ast.Name)]
        for n in ast.parse(made.source).body
        if isinstance(n, ast.ClassDef)
    }

    def levels(name: str) -> int:
        return 1 + max((levels(b) for b in bases.get(name, []) if b in bases), default=-1)

    assert max(levels(n) for n in bases) < 4
    assert [where for where, _ in made.notes] == [f"schema S{i}" for i in (15, 11, 7, 3)]
    namespace: dict[str, Any] = {}
    exec(compile(made.source, "models.py", "exec"), namespace)
    top = namespace["S0"].model_validate({f"f{i}": str(i) for i in range(20)})
    assert [getattr(top, f"f{i}") for i in range(20)] == [str(i) for i in range(20)]
    assert set(namespace["S0"].model_json_schema()["required"]) == {f"f{i}" for i in range(20)}


def test_the_copies_have_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "MAX_COPIED_FIELDS", 100)
    with pytest.raises(models.ApigenError, match="too deep"):
        cut_deep_inheritance(_chain(300))


def test_validation_collects_each_schema_s_properties_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from openapi_spec_validator.validation import keywords

    calls = 0
    original = keywords.SchemaValidator._collect_properties

    def counting(self: Any, schema: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(self, schema)

    monkeypatch.setattr(keywords.SchemaValidator, "_collect_properties", counting)
    depth = 80
    schemas = {
        name: {
            "allOf": [
                (
                    {"$ref": "#/components/schemas/" + p["$ref"].rsplit("/", 1)[1]}
                    if "$ref" in p
                    else p
                )
                for p in s["allOf"]
            ]
        }
        for name, s in _chain(depth).items()
    }
    doc = Document(
        {
            "openapi": "3.0.3",
            "info": {"title": "deep", "version": "1"},
            "paths": {
                "/x": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/S0"}
                                    }
                                },
                            }
                        }
                    }
                }
            },
            "components": {"schemas": schemas},
        },
        "deep.json",
        "",
        None,
    )
    assert validate(doc) == []
    assert calls <= 3 * depth  # was depth * (depth - 1) / 2 and more: 3,160 here


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    calls = [0]
    original = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_lattice_is_walked_once_per_class_for_the_models(monkeypatch: pytest.MonkeyPatch) -> None:
    # every class extends the next two: 10,946 paths from L0 to its roots at depth 20
    calls = _counting(monkeypatch, models, "_object_parts")
    flattened = models.flatten_conflicting_allof(_lattice(20))
    assert set(flattened) == {f"L{i}" for i in range(20)}
    assert calls[0] <= 10 * 20


def test_a_lattice_is_walked_once_per_class_for_pagination(monkeypatch: pytest.MonkeyPatch) -> None:
    from apigen import paging
    from apigen.build import build_api

    lattice = {
        name: {
            "allOf": [
                (
                    {"$ref": "#/components/schemas/" + p["$ref"].rsplit("/", 1)[1]}
                    if "$ref" in p
                    else p
                )
                for p in schema["allOf"]
            ]
        }
        for name, schema in _lattice(20).items()
    }
    ok = {
        "description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/L0"}}},
    }
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "lattice", "version": "1"},
        "paths": {"/l": {"get": {"operationId": "listL", "responses": {"200": ok}}}},
        "components": {"schemas": lattice},
    }
    calls = _counting(monkeypatch, paging, "_properties")
    assert [op.operation_id for op in build_api(spec).operations] == ["listL"]
    assert calls[0] <= 10 * 20
