"""apigen.normalize: Swagger 2.0 upgrade, bundling of external refs, one schema dialect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from apigen.diagnostics import ApigenError
from apigen.loader import Document, load
from apigen.normalize import normalize
from apigen.spec_walk import iter_refs, resolve_pointer
from apigen.swagger2_upgrade import upgrade_swagger2

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "tests" / "fixtures" / "bundle"

SWAGGER2 = """
swagger: "2.0"
info: {title: Things, version: "1"}
host: api.example.com
basePath: /v1
schemes: [http, https]
consumes: [application/json]
produces: [application/json]
paths:
  /things:
    parameters:
      - {name: X-Trace, in: header, type: string}
    get:
      operationId: listThings
      parameters:
        - {name: tags, in: query, type: array, items: {type: string}, collectionFormat: pipes}
        - {name: ids, in: query, type: array, items: {type: integer}, collectionFormat: multi}
        - {name: words, in: query, type: array, items: {type: string}, collectionFormat: ssv}
        - {name: csv, in: query, type: array, items: {type: string}, collectionFormat: csv}
        - {name: limit, in: query, type: integer, minimum: 1, maximum: 100, default: 20}
      responses:
        "200": {description: ok, schema: {type: array, items: {$ref: "#/definitions/Thing"}}}
        default: {description: error, schema: {$ref: "#/definitions/Error"}}
    post:
      operationId: createThing
      parameters:
        - name: body
          in: body
          required: true
          description: the thing
          schema: {$ref: "#/definitions/Thing"}
      responses:
        "201": {description: created, schema: {$ref: "#/definitions/Thing"}}
  /upload:
    post:
      operationId: upload
      consumes: [multipart/form-data]
      produces: [application/xml, application/json]
      parameters:
        - {name: file, in: formData, type: file, required: true}
        - {name: note, in: formData, type: string, description: a note}
      responses:
        "200": {description: ok, schema: {$ref: "#/definitions/Thing"}}
  /form:
    post:
      operationId: submitForm
      consumes: [application/x-www-form-urlencoded]
      parameters:
        - {name: a, in: formData, type: string, required: true}
        - {name: b, in: formData, type: integer}
      responses:
        "204": {description: none}
securityDefinitions:
  basic: {type: basic, description: user and password}
  key: {type: apiKey, name: X-Key, in: header}
  app:
    type: oauth2
    flow: application
    tokenUrl: "https://auth.example.com/token"
    scopes: {read: read things}
  code:
    type: oauth2
    flow: accessCode
    authorizationUrl: "https://auth.example.com/auth"
    tokenUrl: "https://auth.example.com/token"
    scopes: {}
security:
  - key: []
definitions:
  Thing:
    type: object
    required: [id]
    properties:
      id: {type: integer, format: int64}
      maybe: {type: string, x-nullable: true}
      default: {$ref: "#/definitions/Error"}
  Error:
    type: object
    properties:
      message: {type: string}
"""


def _doc(data: Any, source: str = "spec.yaml", base_dir: Path | None = None) -> Document:
    return Document(
        data=data, source=source, text=yaml.safe_dump(data, sort_keys=False), base_dir=base_dir
    )


def _all_refs(data: Any) -> list[str]:
    """Every $ref string anywhere (including under keys named default/enum/example)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                found.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


@pytest.fixture(scope="module")
def swagger2() -> dict[str, Any]:
    return normalize(_doc(yaml.safe_load(SWAGGER2)))


# ------------------------------------------------------------ Swagger 2.0


def test_swagger2_becomes_openapi3(swagger2: dict[str, Any]) -> None:
    assert swagger2["openapi"].startswith("3.0")
    assert "swagger" not in swagger2 and "definitions" not in swagger2
    assert swagger2["servers"] == [{"url": "https://api.example.com/v1"}]
    assert swagger2["security"] == [{"key": []}]


def test_swagger2_definitions_move_to_components(swagger2: dict[str, Any]) -> None:
    assert set(swagger2["components"]["schemas"]) == {"Thing", "Error"}
    ok = swagger2["paths"]["/things"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    assert ok == {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}


def test_swagger2_every_ref_is_rewritten(swagger2: dict[str, Any]) -> None:
    """No '#/definitions/' ref survives, not under a 'default' response or a property 'default'."""
    refs = _all_refs(swagger2)
    assert refs
    stale = [r for r in refs if not r.startswith("#/components/")]
    assert not stale, stale
    for ref in refs:
        resolve_pointer(swagger2, ref)


def test_swagger2_default_response_keeps_its_schema(swagger2: dict[str, Any]) -> None:
    default = swagger2["paths"]["/things"]["get"]["responses"]["default"]
    assert default["description"] == "error"
    assert default["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_swagger2_body_parameter_becomes_request_body(swagger2: dict[str, Any]) -> None:
    op = swagger2["paths"]["/things"]["post"]
    assert op["requestBody"]["required"] is True
    assert op["requestBody"]["description"] == "the thing"
    assert op["requestBody"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
    }
    assert all(p.get("in") != "body" for p in op.get("parameters", []))


def test_swagger2_form_data_with_file_becomes_multipart(swagger2: dict[str, Any]) -> None:
    op = swagger2["paths"]["/upload"]["post"]
    assert list(op["requestBody"]["content"]) == ["multipart/form-data"]
    schema = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["type"] == "object"
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}
    assert schema["properties"]["note"]["type"] == "string"
    assert schema["properties"]["note"]["description"] == "a note"
    assert schema["required"] == ["file"]
    assert op["requestBody"]["required"] is True
    assert "parameters" not in op or all(p.get("in") != "formData" for p in op["parameters"])


def test_swagger2_form_data_becomes_urlencoded(swagger2: dict[str, Any]) -> None:
    op = swagger2["paths"]["/form"]["post"]
    assert list(op["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
    schema = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert schema["properties"] == {"a": {"type": "string"}, "b": {"type": "integer"}}
    assert schema["required"] == ["a"]


@pytest.mark.parametrize(
    "name, style, explode",
    [
        ("tags", "pipeDelimited", False),
        ("ids", "form", True),
        ("words", "spaceDelimited", False),
        ("csv", "form", False),
    ],
)
def test_swagger2_collection_format(
    swagger2: dict[str, Any], name: str, style: str, explode: bool
) -> None:
    params = {p["name"]: p for p in swagger2["paths"]["/things"]["get"]["parameters"]}
    param = params[name]
    assert param["style"] == style and param["explode"] is explode
    assert param["schema"]["type"] == "array"
    assert "collectionFormat" not in param and "type" not in param and "items" not in param


def test_swagger2_scalar_parameter_keywords_move_into_schema(swagger2: dict[str, Any]) -> None:
    params = {p["name"]: p for p in swagger2["paths"]["/things"]["get"]["parameters"]}
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 20,
    }
    assert params["X-Trace"]["in"] == "header"  # path-level parameter merged into the operation
    assert params["X-Trace"]["schema"] == {"type": "string"}


def test_swagger2_security_definitions(swagger2: dict[str, Any]) -> None:
    schemes = swagger2["components"]["securitySchemes"]
    assert schemes["basic"] == {
        "type": "http",
        "scheme": "basic",
        "description": "user and password",
    }
    assert schemes["key"] == {"type": "apiKey", "name": "X-Key", "in": "header"}
    assert schemes["app"] == {
        "type": "oauth2",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "https://auth.example.com/token",
                "scopes": {"read": "read things"},
            }
        },
    }
    code = schemes["code"]["flows"]["authorizationCode"]
    assert code["authorizationUrl"] == "https://auth.example.com/auth"
    assert code["tokenUrl"] == "https://auth.example.com/token"


def test_swagger2_produces_becomes_response_content(swagger2: dict[str, Any]) -> None:
    upload = swagger2["paths"]["/upload"]["post"]["responses"]["200"]
    assert list(upload["content"]) == ["application/xml", "application/json"]
    for media in upload["content"].values():
        assert media["schema"] == {"$ref": "#/components/schemas/Thing"}
    created = swagger2["paths"]["/things"]["post"]["responses"]["201"]
    assert list(created["content"]) == ["application/json"]
    assert "content" not in swagger2["paths"]["/form"]["post"]["responses"]["204"]


def test_swagger2_x_nullable_becomes_type_list(swagger2: dict[str, Any]) -> None:
    maybe = swagger2["components"]["schemas"]["Thing"]["properties"]["maybe"]
    assert maybe == {"type": ["string", "null"]}


def test_swagger2_petstore_spec_upgrades_and_resolves() -> None:
    doc = load(str(ROOT / "specs" / "petstore-swagger2.json"))
    data = normalize(doc)
    assert data["openapi"].startswith("3.")
    assert data["components"]["schemas"]
    for ref in _all_refs(data):
        assert ref.startswith("#/components/"), ref
        resolve_pointer(data, ref)


def test_upgrade_does_not_touch_examples_and_defaults() -> None:
    spec = yaml.safe_load(SWAGGER2)
    spec["definitions"]["Thing"]["example"] = {"$ref": "#/definitions/NotARef"}
    out = upgrade_swagger2(spec)
    assert out["components"]["schemas"]["Thing"]["example"] == {"$ref": "#/definitions/NotARef"}


# ------------------------------------------------------------ bundling


@pytest.fixture(scope="module")
def bundled() -> dict[str, Any]:
    return normalize(load(str(BUNDLE / "main.yaml")))


def test_bundle_has_no_external_ref(bundled: dict[str, Any]) -> None:
    refs = _all_refs(bundled)
    external = [r for r in refs if not r.startswith("#")]
    assert not external, external
    assert not [r for _, r in iter_refs(bundled) if not r.startswith("#")]


def test_bundle_every_ref_resolves(bundled: dict[str, Any]) -> None:
    for ref in _all_refs(bundled):
        resolve_pointer(bundled, ref)


def test_bundle_keeps_the_three_operations(bundled: dict[str, Any]) -> None:
    ops = sorted(
        op["operationId"]
        for item in bundled["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
    )
    assert ops == ["createPet", "getPet", "listPets"]


def test_bundle_hoists_pet_schema_into_components(bundled: dict[str, Any]) -> None:
    schemas = bundled["components"]["schemas"]
    assert "Pet" in schemas
    pet = schemas["Pet"]
    while "$ref" in pet:  # Pet may be the hoisted schema itself or an alias of it
        pet = resolve_pointer(bundled, pet["$ref"])
    assert pet["type"] == "object"
    assert pet["required"] == ["id", "name"]
    assert pet["properties"]["tag"] == {"type": ["string", "null"]}  # nullable normalised too
    owner = resolve_pointer(
        bundled, pet["properties"]["owner"]["$ref"]
    )  # schemas/owner.yaml, relative to pet.yaml
    assert owner["required"] == ["name"] and set(owner["properties"]) == {"name", "email"}


def test_bundle_uses_of_pet_point_to_one_schema(bundled: dict[str, Any]) -> None:
    items = bundled["paths"]["/pets"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]["items"]
    body = bundled["paths"]["/pets"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert items == body
    assert items["$ref"].startswith("#/components/schemas/")


def test_bundle_external_parameter_is_inlined(bundled: dict[str, Any]) -> None:
    param = bundled["paths"]["/pets"]["get"]["parameters"][0]
    if "$ref" in param:
        param = resolve_pointer(bundled, param["$ref"])
    assert param["name"] == "limit" and param["in"] == "query"
    assert param["schema"]["default"] == 20


def test_bundle_external_default_response_and_its_local_ref(bundled: dict[str, Any]) -> None:
    """common.yaml's response 'Error' refers to '#/components/schemas/Error' *of common.yaml*."""
    for path in ("/pets", "/pets/{petId}"):
        response = bundled["paths"][path]["get"]["responses"]["default"]
        if "$ref" in response:
            assert response["$ref"].startswith("#/"), response
            response = resolve_pointer(bundled, response["$ref"])
        schema = response["content"]["application/json"]["schema"]
        while "$ref" in schema:
            schema = resolve_pointer(bundled, schema["$ref"])
        assert schema["required"] == ["message"]


def test_out_of_tree_ref_is_refused_without_allow_remote_refs(tmp_path: Path) -> None:
    outside = tmp_path / "shared.yaml"
    outside.write_text("type: object\nproperties:\n  id: {type: integer}\n", encoding="utf-8")
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    spec = spec_dir / "main.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n"
        "  /x:\n    get:\n      responses:\n        '200':\n          description: ok\n"
        "          content:\n            application/json:\n"
        "              schema:\n                $ref: '../shared.yaml'\n",
        encoding="utf-8",
    )
    with pytest.raises(ApigenError) as info:
        normalize(load(str(spec)))
    (diag,) = info.value.diagnostics
    assert "outside" in diag.message and "--allow-remote-refs" in diag.message
    assert diag.pointer == "/paths/~1x/get/responses/200/content/application~1json/schema/$ref"
    assert diag.line == 12
    # allowed explicitly, the same file is bundled
    data = normalize(load(str(spec)), allow_remote_refs=True)
    assert not [r for r in _all_refs(data) if not r.startswith("#")]


def test_remote_ref_is_refused_without_allow_remote_refs() -> None:
    data = {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "paths": {
            "/x": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "http://127.0.0.1:9/s.yaml"}
                                }
                            },
                        }
                    }
                }
            }
        },
    }
    with pytest.raises(ApigenError) as info:
        normalize(_doc(data, base_dir=Path.cwd()))
    assert "remote" in str(info.value) and "--allow-remote-refs" in str(info.value)


# ------------------------------------------------------------ schema dialect


def _schema_doc(schemas: dict[str, Any]) -> dict[str, Any]:
    return normalize(
        _doc(
            {
                "openapi": "3.0.3",
                "info": {"title": "T", "version": "1"},
                "paths": {},
                "components": {"schemas": schemas},
            }
        )
    )


def test_nullable_becomes_type_list() -> None:
    out = _schema_doc(
        {
            "A": {"type": "string", "nullable": True},
            "B": {
                "type": "object",
                "properties": {
                    "n": {"type": "integer", "nullable": True},
                    "m": {"type": "integer", "nullable": False},
                },
            },
            "C": {"type": "string", "enum": ["a", "b"], "nullable": True},
            "D": {"allOf": [{"$ref": "#/components/schemas/A"}], "nullable": True},
            "E": {"type": "array", "items": {"type": "number", "nullable": True}},
        }
    )["components"]["schemas"]
    assert out["A"] == {"type": ["string", "null"]}
    assert out["B"]["properties"]["n"] == {"type": ["integer", "null"]}
    assert out["B"]["properties"]["m"] == {"type": "integer"}
    assert out["C"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert out["D"] == {"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]}
    assert out["E"]["items"] == {"type": ["number", "null"]}
    assert "nullable" not in json.dumps(out)


def test_boolean_exclusive_bounds_become_numbers() -> None:
    out = _schema_doc(
        {
            "N": {
                "type": "number",
                "minimum": 0,
                "exclusiveMinimum": True,
                "maximum": 10,
                "exclusiveMaximum": False,
            }
        }
    )
    assert out["components"]["schemas"]["N"] == {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": 10,
    }


def test_unresolved_local_ref_is_fatal_with_pointer() -> None:
    data = {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/Nope"}}}
            }
        },
    }
    with pytest.raises(ApigenError) as info:
        normalize(_doc(data))
    assert info.value.diagnostics[0].pointer == "/components/schemas/A/properties/b/$ref"


def test_unresolved_ref_under_default_response_is_fatal() -> None:
    """A response keyed 'default' is a response, not a schema default: its refs are checked too."""
    data = {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "paths": {
            "/x": {"get": {"responses": {"default": {"$ref": "#/components/responses/Missing"}}}}
        },
    }
    with pytest.raises(ApigenError) as info:
        normalize(_doc(data))
    assert info.value.diagnostics[0].pointer == "/paths/~1x/get/responses/default/$ref"


def test_normalize_does_not_mutate_the_loaded_document() -> None:
    doc = _doc(yaml.safe_load(SWAGGER2))
    before = json.dumps(doc.data, sort_keys=True)
    normalize(doc)
    assert json.dumps(doc.data, sort_keys=True) == before


def test_bundled_spec_builds_three_operations_and_models_pet_owner_error(
    bundled: dict[str, Any],
) -> None:
    """fixtures/README: the bundled result has listPets, createPet, getPet and models Pet, Owner,
    Error (one Pet model, not a Pet alias of a hoisted 'pet' schema)."""
    from apigen.build import build_api

    api = build_api(bundled, source=str(BUNDLE / "main.yaml"))
    assert list(api.skipped) == []
    assert len(api.operations) == 3
    assert sorted(api.models) == ["Error", "Owner", "Pet"]


@pytest.mark.parametrize("prop", ["default", "enum", "example"])
def test_refs_in_properties_named_like_keywords_are_checked(prop: str) -> None:
    """A *property* called 'default', 'enum' or 'example' is a schema: its $ref is checked too."""
    data = {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "A": {"type": "object", "properties": {prop: {"$ref": "#/components/schemas/Nope"}}}
            }
        },
    }
    with pytest.raises(ApigenError) as info:
        normalize(_doc(data))
    assert info.value.diagnostics[0].pointer == f"/components/schemas/A/properties/{prop}/$ref"
