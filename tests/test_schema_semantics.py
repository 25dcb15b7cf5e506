"""OAS 3.1 schema semantics the models keep: closed tuples are typed tuples, enums of
several JSON types keep ``true`` apart from ``1`` and accept a declared null, and an
array whose items contain it is typed (mypy --strict), not a bare ``list``."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from apigen.build import build_api
from apigen.pipeline import generate
from support import import_generated

SCHEMAS: dict[str, Any] = {
    "Pair": {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "integer"}],
        "items": False,
    },
    "Mixed": {"enum": [1, "a", None, True]},
    "Flags": {"type": ["integer", "boolean"], "enum": [0, 1, False, True]},
    "Tree": {
        "type": "array",
        "items": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Tree"}},
    },
    "Chain": {"type": "array", "items": {"$ref": "#/components/schemas/Chain"}},
    "Grid": {
        "type": ["array", "null"],
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Grid"}},
    },
    "Holder": {
        "type": "object",
        "required": ["pair", "mixed"],
        "properties": {
            "pair": {"$ref": "#/components/schemas/Pair"},
            "point": {
                "type": "array",
                "prefixItems": [
                    {"type": "number"},
                    {"type": "number"},
                    {"$ref": "#/components/schemas/Label"},
                ],
                "items": False,
            },
            "open": {
                "type": "array",
                "prefixItems": [{"type": "string"}],
                "items": {"type": "integer"},
            },
            "mixed": {"$ref": "#/components/schemas/Mixed"},
            "inline_mixed": {"enum": ["x", 2, False]},
            "flags": {"$ref": "#/components/schemas/Flags"},
            "tree": {"$ref": "#/components/schemas/Tree"},
            "chain": {"$ref": "#/components/schemas/Chain"},
            "grid": {"$ref": "#/components/schemas/Grid"},
        },
    },
    "Label": {"type": "object", "properties": {"text": {"type": "string"}}},
}


def _spec() -> dict[str, Any]:
    def get(name: str) -> dict[str, Any]:
        return {
            "get": {
                "operationId": f"get{name}",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                        },
                    }
                },
            }
        }

    return {
        "openapi": "3.1.0",
        "info": {"title": "semantics", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/holder": get("Holder"), "/pair": get("Pair"), "/mixed": get("Mixed")},
        "components": {"schemas": json.loads(json.dumps(SCHEMAS))},
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("semantics")
    spec = root / "semantics.json"
    spec.write_text(json.dumps(_spec()), encoding="utf-8")
    generate(str(spec), root / "out", "semantics_client")
    import_generated("semantics_client", root / "out")
    return root / "out", importlib.import_module("semantics_client")


def test_a_closed_tuple_is_a_typed_tuple(generated: tuple[Path, Any]) -> None:
    models = importlib.import_module("semantics_client.models")
    holder = models.Holder.model_validate(
        {"pair": ["a", 1], "mixed": 1, "point": [1.5, 2, {"text": "here"}], "open": ["a", 1, 2]}
    )
    assert holder.pair == ("a", 1)
    assert (
        holder.point is not None
        and isinstance(holder.point[2], models.Label)
        and holder.point[2].text == "here"
    )
    assert holder.open == ["a", 1, 2]
    for wrong in (["a", 1, 2], [1, "a"], ["a"]):
        with pytest.raises(ValidationError):
            models.Holder.model_validate({"pair": wrong, "mixed": 1})


def test_mixed_enums_keep_each_value_and_its_type(generated: tuple[Path, Any]) -> None:
    models = importlib.import_module("semantics_client.models")
    for value in (1, "a", True, None):
        parsed = models.Holder.model_validate({"pair": ["a", 1], "mixed": value}).mixed
        assert parsed == value and type(parsed) is type(value)
    for value in (0, 1, False, True):
        parsed = models.Holder.model_validate({"pair": ["a", 1], "mixed": 1, "flags": value}).flags
        assert parsed == value and type(parsed) is type(value)
    assert (
        models.Holder.model_validate(
            {"pair": ["a", 1], "mixed": 1, "inline_mixed": False}
        ).inline_mixed
        is False
    )
    with pytest.raises(ValidationError):
        models.Holder.model_validate({"pair": ["a", 1], "mixed": "b"})


def test_operations_return_the_same_types() -> None:
    api = build_api(_spec())
    returns = {op.operation_id: op.return_type for op in api.operations}
    assert returns["getPair"].expr == "tuple[str, int]"
    mixed = TypeAdapter(eval(returns["getMixed"].expr, {"Literal": __import__("typing").Literal}))
    assert (
        mixed.validate_python(True) is True
        and mixed.validate_python(1) == 1
        and mixed.validate_python(None) is None
    )


def test_arrays_that_contain_themselves_are_typed(generated: tuple[Path, Any]) -> None:
    models = importlib.import_module("semantics_client.models")
    holder = models.Holder.model_validate(
        {
            "pair": ["a", 1],
            "mixed": 1,
            "tree": [{"x": [{"y": []}]}],
            "chain": [[[]]],
            "grid": [[None, []]],
        }
    )
    inner = holder.tree.root[0].root["x"]
    assert isinstance(inner, models.Tree) and inner.root[0].root["y"].root == []
    assert isinstance(holder.chain, models.Chain)
    with pytest.raises(ValidationError):
        models.Tree.model_validate([{"x": "not a tree"}])
    for name in ("Tree", "Chain", "Grid"):
        assert "RootModel[list]" not in (
            generated[0] / "semantics_client" / "models" / f"{name.lower()}.py"
        ).read_text(encoding="utf-8")
    # mypy --strict over the same shape: the golden clients oapc_baseline_30/31 (test_golden)


def test_a_nullable_anyof_of_an_enum_types_keywords_and_parameters_not_any() -> None:
    """OpenAI's ``service_tier``: ``anyOf: [{$ref: ServiceTierAuto}, {type: null}]``; the
    null member used to make the whole annotation ``Any`` (no value checked)."""
    tier = {"anyOf": [{"type": "string", "enum": ["auto", "flex"]}, {"type": "null"}]}
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/runs": {
                "post": {
                    "operationId": "createRun",
                    "parameters": [
                        {
                            "name": "tier",
                            "in": "query",
                            "schema": {"$ref": "#/components/schemas/Tier"},
                        }
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"tier": {"$ref": "#/components/schemas/Tier"}},
                                }
                            }
                        }
                    },
                    "responses": {"204": {"description": "none"}},
                }
            }
        },
        "components": {"schemas": {"Tier": tier}},
    }
    op = build_api(spec).operations[0]
    (field,) = op.body.fields
    (param,) = op.parameters
    for annotation in (field.type.expr, param.type.expr):
        members = annotation.split(" | ")
        assert "Any" not in members and "None" in members, annotation
        assert members[0].endswith("Value"), annotation  # the enum's alias: takes the strings
