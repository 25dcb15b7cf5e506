"""The models stage and the splitter work on the syntax tree: names change, strings do not."""

from __future__ import annotations

import ast
import sys
import types

from apigen.build import build_api
from apigen.models import apply_edits, name_invented_classes, open_enums, rename_edits
from apigen.split import split_models

LIBRARY_OUTPUT = """from __future__ import annotations

from pydantic import BaseModel, Field


class User3(BaseModel):
    login: str | None = Field(None, description="User3 is what the library called me")


class Issue(BaseModel):
    user: User3 | None = Field(None, alias="User3")
    users: list[User3] | None = None


User3.model_rebuild()
"""


def test_an_invented_class_is_renamed_but_no_string_literal_is() -> None:
    tree = ast.parse(LIBRARY_OUTPUT)
    renames = name_invented_classes(tree, {"Issue": {}})
    assert renames == {"User3": "IssueUser"}
    renamed = apply_edits(LIBRARY_OUTPUT, rename_edits(LIBRARY_OUTPUT, tree, renames))
    assert 'alias="User3"' in renamed  # the JSON property the field reads is unchanged
    assert 'description="User3 is what the library called me"' in renamed
    assert "class IssueUser(BaseModel):" in renamed
    assert "user: IssueUser | None" in renamed and "list[IssueUser]" in renamed
    assert "IssueUser.model_rebuild()" in renamed
    assert "User3" not in renamed.replace('"User3', "")  # no identifier left behind


def test_edits_count_columns_in_bytes_of_non_ascii_lines() -> None:
    source = 'x = "été"; y = Old\n'
    node = ast.parse(source).body[1].value  # type: ignore[attr-defined]
    assert (
        apply_edits(source, [(node.lineno, node.col_offset, node.end_col_offset, "New")])
        == 'x = "été"; y = New\n'
    )


def test_an_enum_class_becomes_open_and_fields_take_its_alias() -> None:
    source = """from __future__ import annotations

from enum import Enum

from pydantic import BaseModel


class Colour(Enum):
    RED = "red"
    GREEN = "gr\\"een"


class Paint(BaseModel):
    colour: Colour | None = Colour.RED
    note: str | None = "Colour"
"""
    out, defined = open_enums(source, ast.parse(source), {"Colour": "ColourValue"})
    assert defined == {"ColourValue"}
    assert "class Colour(OpenStrEnum):" in out
    assert "colour: ColourValue | None = Colour.RED" in out  # the default stays the member
    assert 'note: str | None = "Colour"' in out
    assert 'ColourValue: TypeAlias = Colour | Literal["red", \'gr"een\']' in out
    module = types.ModuleType("apigen_models_under_test")
    sys.modules[module.__name__] = module
    try:
        source = out.replace("from .._runtime.enums", "from apigen.runtime.enums")
        exec(source, module.__dict__)  # noqa: S102
    finally:
        del sys.modules[module.__name__]
    paint = module.Paint.model_validate({"colour": "blue"})
    assert paint.colour == "blue" and type(paint.colour) is module.Colour


def test_split_counts_dependencies_from_code_not_from_strings() -> None:
    source = '''from __future__ import annotations

from pydantic import BaseModel, Field


class Order(BaseModel):
    id: int | None = None


class Shipment(BaseModel):
    kind: str | None = Field("Order", description="Order")
    """Order"""


class Invoice(BaseModel):
    order: Order | None = None
    later: "Order | None" = None
'''
    split = split_models(source, "")
    shipment = split.modules[split.module_of["Shipment"]]
    invoice = split.modules[split.module_of["Invoice"]]
    assert "import Order" not in shipment  # strings that spell a class are data
    assert "from .order import Order" in invoice


def _spec_with_shared_direction() -> dict:
    direction = {
        "name": "direction",
        "in": "query",
        "schema": {"type": "string", "enum": ["asc", "desc"]},
    }
    ok = {"200": {"description": "ok"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Shared", "version": "1"},
        "paths": {
            "/caches": {
                "get": {
                    "operationId": "actionsGetCacheList",
                    "parameters": [{"$ref": "#/components/parameters/direction"}],
                    "responses": ok,
                }
            },
            "/issues": {
                "get": {
                    "operationId": "issuesListForRepo",
                    "parameters": [{"$ref": "#/components/parameters/direction"}],
                    "responses": ok,
                }
            },
            "/pulls": {
                "get": {
                    "operationId": "pullsList",
                    "parameters": [
                        {
                            "name": "state",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["open", "closed"]},
                        }
                    ],
                    "responses": ok,
                }
            },
        },
        "components": {"parameters": {"direction": direction}},
    }


def test_a_shared_enum_is_named_after_what_it_stands_under_not_an_operation() -> None:
    api = build_api(_spec_with_shared_direction())
    types = {op.operation_id: {p.name: p.type.expr for p in op.parameters} for op in api.operations}
    assert types["actionsGetCacheList"]["direction"] == "DirectionValue"
    assert types["issuesListForRepo"]["direction"] == "DirectionValue"
    assert api.literal_aliases["Direction"] == "DirectionValue"
    # an enum of one operation keeps that operation's context
    assert types["pullsList"]["state"] == "PullsListStateValue"


# OpenAI's shape: a discriminated union whose variant another schema extends, repeating
# the tag field in its own `required` (FineTuneChatCompletionRequestAssistantMessage)
EXTENDED_VARIANT_SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "variants", "version": "1"},
    "paths": {
        "/messages": {
            "post": {
                "operationId": "createMessage",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Message"}}
                    }
                },
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/TunedAssistant"}
                            }
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Message": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Assistant"},
                    {"$ref": "#/components/schemas/User"},
                ],
                "discriminator": {"propertyName": "role"},
            },
            "Assistant": {
                "type": "object",
                "required": ["role"],
                "properties": {
                    "role": {"type": "string", "enum": ["assistant"]},
                    "content": {"type": "string"},
                },
            },
            "User": {
                "type": "object",
                "required": ["role"],
                "properties": {"role": {"type": "string", "enum": ["user"]}},
            },
            "TunedAssistant": {
                "allOf": [
                    {"type": "object", "properties": {"weight": {"type": "integer"}}},
                    {"$ref": "#/components/schemas/Assistant"},
                ],
                "required": ["role"],
            },
        }
    },
}


def test_a_subclass_of_a_discriminated_variant_keeps_its_literal_tag(tmp_path) -> None:
    """The subclass used to redeclare ``role`` with the enum, which mypy --strict rejects
    as an incompatible override of the variant's ``Literal["assistant"]``."""
    import json
    import subprocess

    from apigen.pipeline import generate

    spec = tmp_path / "variants.json"
    spec.write_text(json.dumps(EXTENDED_VARIANT_SPEC), encoding="utf-8")
    generate(str(spec), tmp_path / "out", "variants")
    models = tmp_path / "out" / "variants" / "models"
    assert 'role: Literal["assistant"]' in (models / "tuned_assistant.py").read_text()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "variants",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path / "out",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        from variants.models import TunedAssistant  # type: ignore[import-not-found]

        tuned = TunedAssistant.model_validate({"role": "assistant", "weight": 1})
        assert tuned.role == "assistant" and tuned.weight == 1
    finally:
        sys.path.remove(str(tmp_path / "out"))
        for name in [m for m in sys.modules if m == "variants" or m.startswith("variants.")]:
            del sys.modules[name]


def test_keep_inherited_literals_leaves_narrower_and_unrelated_fields() -> None:
    from apigen.models import keep_inherited_literals

    source = """class Base(BaseModel):
    role: Literal["a", "b"]
    kind: Literal["x"] | None = None
    name: str


class Child(Base):
    role: Literal["a"]
    kind: KindEnum | None = None
    name: Name


class Grandchild(Child):
    kind: KindEnum = Field(..., alias="Kind")
"""
    out = keep_inherited_literals(source)
    assert '    role: Literal["a"]\n    kind: Literal["x"] | None = None\n    name: Name\n' in out
    assert 'kind: Literal["x"] = Field(..., alias="Kind")' in out


def test_every_class_the_ir_names_is_one_the_library_made() -> None:
    """The IR names a schema by its class where ``schemas.is_class_like`` says so; the
    library's actual output must hold each such class (else the models stage falls back
    to an alias of Any and reports it as untyped). A guard for the pinned versions: a
    datamodel-code-generator that decides otherwise fails here, not in users' types."""
    from pathlib import Path

    from apigen.loader import load
    from apigen.models import generate_models
    from apigen.normalize import normalize
    from apigen.schemas import is_class_like

    specs = Path(__file__).resolve().parents[1] / "specs"
    for name in ("polymorphism.yaml", "schemas.yaml", "openapi31.yaml"):
        doc = load(str(specs / name))
        api = build_api(normalize(doc), source=name, doc=doc)
        made = generate_models(api.models, literal_aliases=api.literal_aliases)
        named = {n for n, schema in api.models.items() if is_class_like(schema)}
        referenced = {m for op in api.operations for t in op.types for m in t.models}
        assert named and made.untyped == (), (name, made.untyped)
        assert named <= made.classes, (name, sorted(named - made.classes))
        assert referenced <= made.classes | set(api.literal_aliases.values()), name


def test_a_shared_enum_of_digits_under_several_names_gets_a_class_name() -> None:
    # isendpro: enum ["1"] under rapportCampagne and under other names: "1" is no class
    def op(name: str) -> dict[str, object]:
        schema = {"type": "string", "enum": ["1"]}
        param = {"name": name, "in": "query", "required": True, "schema": schema}
        return {"get": {"operationId": name, "parameters": [param], "responses": {"200": {}}}}

    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}}
    spec["paths"] = {"/a": op("rapportCampagne"), "/b": op("listeNoire"), "/c": op("version")}
    api = build_api(spec)
    assert api.models and all(name.isidentifier() for name in api.models)
    assert all(alias.isidentifier() for alias in api.literal_aliases.values())


def test_a_shared_enum_whose_value_is_a_keyword_gets_a_class_name() -> None:
    # Azure IMDS: enum ["true"] under the header Metadata and the query bypass_cache;
    # its value names `True`, which no class (nor `True: TypeAlias = Any`) may be
    from keyword import iskeyword

    from apigen.models import generate_models

    def op(name: str, where: str) -> dict[str, object]:
        schema = {"type": "string", "enum": ["true"]}
        param = {"name": name, "in": where, "required": True, "schema": schema}
        return {"get": {"operationId": name, "parameters": [param], "responses": {"200": {}}}}

    spec = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}}
    spec["paths"] = {"/a": op("Metadata", "header"), "/b": op("bypass_cache", "query")}
    api = build_api(spec)
    assert api.models and all(n.isidentifier() and not iskeyword(n) for n in api.models)
    made = generate_models(api.models, literal_aliases=api.literal_aliases)
    ast.parse(made.source)  # the module the split reads
    assert set(api.models) <= made.classes and made.untyped == ()
