"""Which operations get an idempotency header in the IR (and so automatic keys)."""

from __future__ import annotations

import pytest

from apigen.build import build_api
from apigen.customize import Options, apply_options
from apigen.diagnostics import ApigenError


def _spec(server: str = "https://api.example.com", declared: bool = False) -> dict:
    header = [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}]
    ok = {"200": {"description": "ok"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "servers": [{"url": server}],
        "paths": {
            "/a": {
                "post": {
                    "operationId": "create_a",
                    "responses": ok,
                    **({"parameters": header} if declared else {}),
                },
                "get": {"operationId": "get_a", "responses": ok},
            },
            "/b": {
                "post": {"operationId": "create_b", "responses": ok},
                "patch": {"operationId": "update_b", "responses": ok},
                "put": {"operationId": "put_b", "responses": ok, "parameters": header},
            },
        },
    }


def _headers(spec: dict) -> dict[str, str | None]:
    api = build_api(spec, package="t")
    return {op.operation_id: op.idempotency_header for r in api.resources for op in r.operations}


def test_declared_header_marks_only_that_post():
    assert _headers(_spec(declared=True)) == {
        "create_a": "Idempotency-Key",
        "get_a": None,
        "create_b": None,
        "update_b": None,
        "put_b": None,
    }


def test_stripe_takes_keys_on_every_post_and_patch():
    got = _headers(_spec("https://api.stripe.com"))
    assert got["create_a"] == got["create_b"] == got["update_b"] == "Idempotency-Key"
    assert got["get_a"] is None and got["put_b"] is None


def test_configuration_turns_keys_on_with_a_header_name_or_off():
    on, _ = apply_options(_spec(), Options.from_config({"idempotency_key": "X-Request-Key"}, "t"))
    assert set(_headers(on).values()) == {"X-Request-Key", None}
    assert _headers(on)["update_b"] == "X-Request-Key"
    off, _ = apply_options(
        _spec("https://api.stripe.com", declared=True),
        Options.from_config({"idempotency_key": False}, "t"),
    )
    assert set(_headers(off).values()) == {None}
    with pytest.raises(ApigenError):
        Options.from_config({"idempotency_key": "bad header\r\n"}, "t")
