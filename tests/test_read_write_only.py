"""readOnly / writeOnly: request models leave readOnly properties out, response models
do not require writeOnly ones."""

from __future__ import annotations

import json

import httpx

from apigen.build import build_api
from support import import_generated

schemas_pkg = import_generated("schemas")
from schemas.models import Item, ItemInput  # noqa: E402


def _spec() -> dict:
    pet_ref = {"$ref": "#/components/schemas/Pet"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Directions", "version": "1"},
        "paths": {
            "/pets": {
                "post": {
                    "operationId": "createPet",
                    "requestBody": {"content": {"application/json": {"schema": pet_ref}}},
                    "responses": {
                        "201": {
                            "description": "ok",
                            "content": {"application/json": {"schema": pet_ref}},
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Pet": {
                    "type": "object",
                    "required": ["id", "name", "password", "owner"],
                    "properties": {
                        "id": {"type": "integer", "readOnly": True},
                        "name": {"type": "string"},
                        "password": {"type": "string", "writeOnly": True},
                        "owner": {"$ref": "#/components/schemas/Owner"},
                    },
                },
                "Owner": {
                    "type": "object",
                    "required": ["uid", "name"],
                    "properties": {
                        "uid": {"type": "string", "readOnly": True},
                        "name": {"type": "string"},
                    },
                },
            }
        },
    }


def test_the_request_body_is_a_view_without_read_only_properties() -> None:
    api = build_api(_spec())
    op = api.operations[0]
    assert op.body is not None and op.body.type.expr.startswith("PetInput")
    assert op.return_type.expr == "Pet"
    view = api.models["PetInput"]
    assert set(view["properties"]) == {"name", "password", "owner"}
    assert view["required"] == ["name", "password", "owner"]  # writeOnly stays required to send
    assert view["properties"]["owner"] == {"$ref": "#/$defs/OwnerInput"}  # nested views too
    assert api.models["OwnerInput"]["required"] == ["name"]


def test_the_response_model_does_not_require_write_only_properties() -> None:
    api = build_api(_spec())
    assert api.models["Pet"]["required"] == ["id", "name", "owner"]
    assert "password" in api.models["Pet"]["properties"]  # still read when a server sends it
    assert api.models["Owner"]["required"] == ["uid", "name"]  # readOnly is required in responses


def test_a_required_read_only_id_is_not_needed_to_build_a_request() -> None:
    body = ItemInput(name="lamp", kind="physical")
    assert "id" not in ItemInput.model_fields and "created_at" not in ItemInput.model_fields
    assert Item.model_fields["id"].is_required()
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = {"id": "7d6c1c6e-0a5b-4a34-9f35-6f0e3c1f5b7a", "name": "lamp", "kind": "physical"}
        return httpx.Response(201, json=answer)

    client = schemas_pkg.Client(
        base_url="http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    created = client.items.create(body=body)
    assert json.loads(sent[0].content) == {"name": "lamp", "kind": "physical"}
    assert isinstance(created, Item) and str(created.id) == "7d6c1c6e-0a5b-4a34-9f35-6f0e3c1f5b7a"
