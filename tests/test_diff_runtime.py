"""`apigen diff` agrees with the runtime.

A client generated from the old spec answers responses the new spec allows: the
change is breaking exactly when that client cannot read them without a problem
(strict parsing raises; lenient parsing would log it). On the request side a
change is breaking exactly when a value the old client may send is one the new
spec rejects.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
from pathlib import Path
from typing import Any, Callable

import httpx
import jsonschema
import pytest

from apigen.build import build_api
from apigen.diff import diff_sources
from apigen.pipeline import generate
from support import import_generated

OLD: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Drift", "version": "1"},
    "paths": {
        "/items/{id}": {
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "sort",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["asc", "desc"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "string", "enum": ["active", "paused"]},
                    "count": {"type": "integer"},
                    "note": {"type": "string"},
                },
            }
        }
    },
}
VALID = {"id": "i1", "status": "active", "count": 2, "note": "n"}


def _item(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["components"]["schemas"]["Item"]


def _props(spec: dict[str, Any]) -> dict[str, Any]:
    return _item(spec)["properties"]


def _sort(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["paths"]["/items/{id}"]["get"]["parameters"][1]["schema"]


# name -> (change to the spec, a response the new spec allows)
RESPONSE_DRIFT: dict[str, tuple[Callable[[dict[str, Any]], Any], dict[str, Any]]] = {
    "new enum value": (
        lambda s: _props(s)["status"]["enum"].append("archived"),
        {**VALID, "status": "archived"},
    ),
    "enum becomes a plain string": (
        lambda s: _props(s)["status"].pop("enum"),
        {**VALID, "status": "anything"},
    ),
    "new field": (lambda s: _props(s).update(extra={"type": "string"}), {**VALID, "extra": "x"}),
    "new required field": (
        lambda s: (
            _props(s).update(extra={"type": "string"}),
            _item(s)["required"].append("extra"),
        ),
        {**VALID, "extra": "x"},
    ),
    "optional field removed": (
        lambda s: _props(s).pop("note"),
        {k: v for k, v in VALID.items() if k != "note"},
    ),
    "optional field nullable": (
        lambda s: _props(s)["count"].update(nullable=True),
        {**VALID, "count": None},
    ),
    "integer becomes number": (
        lambda s: _props(s)["count"].update(type="number"),
        {**VALID, "count": 2.5},
    ),
    "string becomes integer": (
        lambda s: _props(s)["note"].update(type="integer"),
        {**VALID, "note": 7},
    ),
    "required field nullable": (
        lambda s: _props(s)["id"].update(nullable=True),
        {**VALID, "id": None},
    ),
    "required field optional": (
        lambda s: _item(s)["required"].remove("id"),
        {k: v for k, v in VALID.items() if k != "id"},
    ),
    "required field removed": (
        lambda s: (_props(s).pop("id"), _item(s)["required"].remove("id")),
        {k: v for k, v in VALID.items() if k != "id"},
    ),
}

# name -> (change to the spec, values of `sort` the old client may send)
REQUEST_DRIFT: dict[str, tuple[Callable[[dict[str, Any]], Any], list[Any]]] = {
    "request enum value added": (lambda s: _sort(s)["enum"].append("random"), ["asc", "desc"]),
    "request enum value removed": (lambda s: _sort(s)["enum"].remove("desc"), ["asc", "desc"]),
    "request enum dropped": (lambda s: _sort(s).pop("enum"), ["asc", "desc"]),
}


@pytest.fixture(scope="module")
def old_client(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("diff-runtime")
    path = root / "old.json"
    path.write_text(json.dumps(OLD))
    generate(str(path), root / "drift_old", "drift_old")
    return path, import_generated("drift_old", root / "drift_old")


def _changed(root: Path, name: str, change: Callable[[dict[str, Any]], Any]) -> Path:
    spec = copy.deepcopy(OLD)
    change(spec)
    path = root / (name.replace(" ", "_") + ".json")
    path.write_text(json.dumps(spec))
    return path


def _get_item(client: Any) -> Any:
    """The one operation's method, wherever the IR puts it (resource and verb are its choice)."""
    resource = build_api(copy.deepcopy(OLD)).resources[0]
    return getattr(
        functools.reduce(getattr, resource.attr_path, client), resource.operations[0].py_name
    )


def _reads_without_problem(pkg: Any, answer: dict[str, Any]) -> bool:
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answer)))
    get_item = _get_item(pkg.Client(base_url="http://api.test", http_client=http))
    assert get_item("i1") is not None  # the default, lenient, never fails on drift
    try:
        get_item("i1", strict_responses=True)
    except pkg.APIResponseValidationError:
        return False
    return True


@pytest.mark.parametrize("name", list(RESPONSE_DRIFT))
def test_a_response_change_is_breaking_exactly_when_old_clients_cannot_read_it(
    name: str, old_client, tmp_path
) -> None:
    old_path, pkg = old_client
    change, answer = RESPONSE_DRIFT[name]
    changes = diff_sources(str(old_path), str(_changed(tmp_path, name, change)))
    assert changes, "the change is reported"
    tolerated = _reads_without_problem(pkg, answer)
    assert any(c.breaking for c in changes) is not tolerated, [
        (c.kind, c.message, c.breaking) for c in changes
    ]


@pytest.mark.parametrize("name", list(REQUEST_DRIFT))
def test_a_request_change_is_breaking_exactly_when_old_requests_are_rejected(
    name: str, old_client, tmp_path
) -> None:
    old_path, _ = old_client
    change, sent = REQUEST_DRIFT[name]
    new_spec = copy.deepcopy(OLD)
    change(new_spec)
    changes = diff_sources(str(old_path), str(_changed(tmp_path, name, change)))
    accepted = all(jsonschema.Draft7Validator(_sort(new_spec)).is_valid(v) for v in sent)
    assert any(c.breaking for c in changes) is not accepted, [
        (c.kind, c.message, c.breaking) for c in changes
    ]


def test_old_async_clients_read_a_drifted_response_too(old_client) -> None:
    _, pkg = old_client
    answer = {**VALID, "status": "archived", "extra": {"nested": [1]}}

    async def main() -> Any:
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answer))
        )
        async with pkg.AsyncClient(base_url="http://api.test", http_client=http) as client:
            return await _get_item(client)("i1", strict_responses=True)

    item = asyncio.run(main())
    assert item.status == "archived" and item.model_extra == {"extra": {"nested": [1]}}
