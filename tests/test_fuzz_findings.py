"""Documents bench/fuzz.py found crashing the generator with an internal error (exit 3):
a Swagger 2.0 document whose parts have the wrong type, and a $ref to a path that cannot
exist. Each must end as ``apigen validate`` / ``generate`` promise: exit 0 or 1, with
the problems reported, never a traceback or an internal error.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import pytest

from apigen.cli import main

SPECS = Path(__file__).resolve().parent.parent / "specs"


def swagger2() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SPECS / "petstore-swagger2.json").read_text())
    return doc


def first_op(doc: dict[str, Any]) -> dict[str, Any]:
    for item in doc["paths"].values():
        for method in ("get", "post", "put", "delete"):
            if isinstance(item.get(method), dict):
                op: dict[str, Any] = item[method]
                return op
    raise AssertionError("no operation")


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        node = doc
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value

    return edit


def _op(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        first_op(doc)[key] = value

    return edit


def _param(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        params = [p for p in first_op(doc).get("parameters", []) if "$ref" not in p]
        params[0][key] = value

    return edit


SWAGGER2_BREAKAGE: dict[str, Callable[[dict[str, Any]], None]] = {
    "a parameter that is a string": _op("parameters", ["not a parameter"]),
    "parameters that are a mapping": _op("parameters", {"a": 1}),
    "parameters that are a string": _op("parameters", "abc"),
    "a parameter name that is a mapping": _param("name", {"x": 1}),
    "a parameter location that is a list": _param("in", ["query"]),
    "a collectionFormat that is a mapping": _param("collectionFormat", {"x": 1}),
    "a $ref that is a number": _op("parameters", [{"$ref": 5}]),
    "responses that are a list": _op("responses", ["200"]),
    "response headers that are a string": _op(
        "responses", {"200": {"description": "", "headers": "x"}}
    ),
    "an oauth2 flow that is a mapping": _set(
        ("securityDefinitions", "o"), {"type": "oauth2", "flow": {}}
    ),
    "securityDefinitions that are a list": _set(("securityDefinitions",), ["x"]),
    "a path item that is a string": _set(("paths", "/x"), "y"),
    "schemes that are a string": _set(("schemes",), "https"),
    "schemes of numbers": _set(("schemes",), [1, 2]),
    "consumes that is a mapping": _set(("consumes",), {"a": "b"}),
    "global parameters that are a list": _set(("parameters",), [1]),
    "a global parameter that is a string": _set(("parameters", "p"), "x"),
    "global responses that are a string": _set(("responses",), "x"),
    "host that is a number": _set(("host",), 5),
    "definitions that are a list": _set(("definitions",), []),
}


@pytest.mark.parametrize("name", list(SWAGGER2_BREAKAGE))
def test_a_malformed_swagger2_document_is_reported_not_crashed_on(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(swagger2())
    SWAGGER2_BREAKAGE[name](doc)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(doc))
    assert main(["validate", str(spec)]) in (0, 1)
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("target", ["\ud800.yaml", "a\x00b.yaml", "x" * 5000 + ".yaml"])
def test_a_ref_to_a_path_that_cannot_exist_is_refused(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads((SPECS / "petstore.json").read_text())
    doc["components"]["schemas"]["Broken"] = {"$ref": target + "#/X"}
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(doc))  # \ud800 stays an escape in the JSON text
    assert main(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    "schemes",
    [
        "a string",
        ["a", "list"],
        {"o": {"type": "oauth2", "flows": "x"}},
        {
            "o": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {"tokenUrl": "https://t", "scopes": ["not", "a", "map"]}
                },
            }
        },
    ],
)
def test_security_schemes_of_the_wrong_shape_are_reported_not_crashed_on(
    schemes: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads((SPECS / "petstore.json").read_text())
    doc["components"]["securitySchemes"] = schemes
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(doc))
    assert main(["validate", str(spec)]) in (0, 1)
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("edit", ["info", "components", "schemas", "ref_in_example"])
def test_more_wrong_shapes_are_reported_not_crashed_on(
    edit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads((SPECS / "petstore.json").read_text())
    if edit == "info":
        doc["info"] = 5
    elif edit == "components":
        doc["components"] = ["x"]
        doc["paths"]["/x"] = {
            "get": {
                "responses": {
                    "200": {
                        "description": "",
                        "content": {"application/json": {"schema": {"$ref": "other.json"}}},
                    }
                }
            }
        }
    elif edit == "schemas":
        doc["components"]["schemas"] = [{"a": 1}]
        doc["paths"]["/x"] = {
            "get": {
                "responses": {
                    "200": {
                        "description": "",
                        "content": {"application/json": {"schema": {"$ref": "other.json"}}},
                    }
                }
            }
        }
    else:  # a $ref in a place check_refs does not walk, that the IR builder still follows
        for item in doc["paths"].values():
            for op in item.values():
                if isinstance(op, dict):
                    op["parameters"] = [{"$ref": "#/components/parameters/False"}]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(doc))
    assert main(["validate", str(spec)]) in (0, 1)
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("edit", ["servers", "content"])
def test_servers_and_content_of_the_wrong_type_are_reported_not_crashed_on(
    edit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads((SPECS / "petstore.json").read_text())
    if edit == "servers":
        doc["servers"] = 5
    else:
        for item in doc["paths"].values():
            for op in item.values():
                if isinstance(op, dict):
                    op["responses"] = {"200": {"description": "", "content": "x"}}
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(doc))
    assert main(["validate", str(spec)]) in (0, 1)
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("edit", ["tags", "responses"])
def test_tags_and_responses_of_the_wrong_type_still_generate_or_are_refused(
    edit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads((SPECS / "petstore.json").read_text())
    if edit == "tags":
        doc["tags"] = 1.5
    else:
        first = next(iter(doc["paths"].values()))
        next(op for op in first.values() if isinstance(op, dict))["responses"] = "x"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(doc))
    code = main(["generate", str(spec), "--output", str(tmp_path / "out"), "--force", "-q"])
    assert code in (0, 1)
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


SCHEMA_KEYWORDS = [
    "allOf",
    "oneOf",
    "anyOf",
    "prefixItems",
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "items",
    "additionalProperties",
    "not",
    "required",
    "enum",
    "type",
    "$ref",
    "discriminator",
]
WRONG_SHAPES: list[Any] = [{"$ref": "#/"}, {"0": {}}, 5, "x", [1], None, True]


def test_schema_keywords_of_the_wrong_shape_are_dropped_not_crashed_on(tmp_path: Path) -> None:
    """bench/fuzz.py case 675 (seed 20261205): ``nullable`` beside an ``allOf`` that is a
    mapping made normalize index it as a list (KeyError: 0). Every keyword the schema
    rewrites read, in every wrong shape, nullable or not, as a component or inline."""
    from apigen.build import build_api
    from apigen.diagnostics import ApigenError
    from apigen.loader import load
    from apigen.normalize import normalize

    crashed = []
    for keyword in SCHEMA_KEYWORDS:
        for shape in WRONG_SHAPES:
            for nullable in (True, False):
                odd: dict[str, Any] = {keyword: shape, **({"nullable": True} if nullable else {})}
                doc = {
                    "openapi": "3.0.3",
                    "info": {"title": "t", "version": "1"},
                    "paths": {
                        "/x": {
                            "get": {
                                "responses": {
                                    "200": {
                                        "description": "",
                                        "content": {
                                            "application/json": {
                                                "schema": {
                                                    "type": "object",
                                                    "properties": {
                                                        "a": {"$ref": "#/components/schemas/Odd"},
                                                        "b": dict(odd),
                                                    },
                                                }
                                            }
                                        },
                                    }
                                }
                            }
                        }
                    },
                    "components": {"schemas": {"Odd": odd}},
                }
                spec = tmp_path / "spec.json"
                spec.write_text(json.dumps(doc))
                try:
                    loaded = load(str(spec))
                    build_api(normalize(loaded), source=str(spec), doc=loaded)
                except (ApigenError, RecursionError):
                    pass
                except Exception as exc:  # what the fuzz campaign calls untyped
                    crashed.append(f"{keyword}={shape!r} nullable={nullable}: {exc!r}")
    assert crashed == []


def test_long_spec_names_become_short_file_names_that_still_import(tmp_path: Path) -> None:
    """bench/fuzz.py case 2950 (seed 20261205): a 5,000-character schema name became a
    model module whose file name the file system refused (OSError: File name too long).
    Every path component taken from the spec (package from the title, model modules,
    resource modules) is capped, stays apart from its neighbours, and imports."""
    import importlib
    import sys

    from apigen.pipeline import render_package
    from apigen.writer import write_atomically

    long = "x" * 5000
    item = {"type": "object", "properties": {"id": {"type": "integer"}}}
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "Title" + long, "version": "1"},
        "paths": {
            f"/{name}": {
                "get": {
                    "tags": [tag],
                    "operationId": f"get{name}",
                    "responses": {
                        "200": {
                            "description": "",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": f"#/components/schemas/Widget{long}{name}"}
                                }
                            },
                        }
                    },
                }
            }
            for name, tag in (("One", "t" + long + "a"), ("Two", "t" + long + "b"))
        },
        "components": {"schemas": {f"Widget{long}One": item, f"Widget{long}Two": item}},
    }
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(doc))
    rendered = render_package(str(spec), None)
    parts = {part for rel in rendered.files for part in rel.split("/")}
    assert max(len(part.removesuffix(".py").removesuffix(".pyi")) for part in parts) <= 100
    models = {p for rel in rendered.files if "/models/" in rel for p in [rel.rsplit("/", 1)[1]]}
    resources = {
        p for rel in rendered.files if "/resources/" in rel for p in [rel.rsplit("/", 1)[1]]
    }
    assert len(models - {"__init__.py", "__init__.pyi", "_index.py"}) == 2
    assert len(resources - {"__init__.py"}) == 2
    out = tmp_path / "out"
    write_atomically(out, rendered.files)
    package = rendered.package
    sys.path.insert(0, str(out))
    try:
        pkg = importlib.import_module(package)
        models_pkg = importlib.import_module(f"{package}.models")
        one = getattr(models_pkg, f"Widget{long}One")  # through MODULE_OF, the lazy lookup
        two = getattr(models_pkg, f"Widget{long}Two")
        assert one is not two and one.__module__ != two.__module__
        for rel in rendered.files:  # the client, the resources and models import each other
            if rel.startswith(f"{package}/") and rel.endswith(".py"):
                importlib.import_module(
                    rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
                )
        assert pkg.Client(base_url="https://api.test") is not None
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]


@pytest.mark.parametrize(
    "edit",
    [
        "item_parameters",
        "op_parameters",
        "param_content",
        "paths",
        "schemas",
        "security_schemes",
        "servers",
    ],
)
def test_the_mock_description_reads_parts_of_the_wrong_type_as_empty(edit: str) -> None:
    """bench/fuzz.py case 5500 (seed 20261208): path-item ``parameters`` that are a number
    made the testing mock's description iterate an int (TypeError in mockspec)."""
    from apigen.mockspec import mock_spec

    doc = json.loads((SPECS / "petstore.json").read_text())
    item = next(iter(doc["paths"].values()))
    op = next(v for v in item.values() if isinstance(v, dict))
    if edit == "item_parameters":
        item["parameters"] = 5
    elif edit == "op_parameters":
        op["parameters"] = 1.5
    elif edit == "param_content":
        op["parameters"] = [{"name": "q", "in": "query", "content": {"application/json": "x"}}]
    elif edit == "paths":
        doc["paths"] = ["/x"]
    elif edit == "schemas":
        doc["components"]["schemas"] = ["x"]
    elif edit == "security_schemes":
        doc["components"]["securitySchemes"] = 5
    else:
        doc["servers"] = {"url": "https://x"}
    described = mock_spec(doc)
    assert isinstance(described["operations"], list)
