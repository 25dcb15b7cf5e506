"""The IR's error envelopes, JSON-text form fields and body models (generator side)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from apigen.build import build_api
from apigen.customize import Options, apply_options
from apigen.diagnostics import ApigenError


def slack_like(
    ok_true: dict[str, Any] | None = None,
    ok_false: dict[str, Any] | None = None,
    error_code: str = "default",
) -> dict[str, Any]:
    ok_true = ok_true or {"$ref": "#/components/schemas/defs_ok_true"}
    ok_false = ok_false or {"$ref": "#/components/schemas/defs_ok_false"}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Slack", "version": "1"},
        "paths": {
            "/chat.postMessage": {
                "post": {
                    "operationId": "chat_postMessage",
                    "requestBody": {
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "required": ["channel"],
                                    "properties": {
                                        "channel": {"type": "string"},
                                        "blocks": {
                                            "type": "string",
                                            "description": "A JSON-based array of structured "
                                            "blocks, presented as a URL-encoded string.",
                                        },
                                        "text": {
                                            "type": "string",
                                            "description": "How this field works",
                                        },
                                        "metadata": {
                                            "type": "object",
                                            "description": "JSON object",
                                        },
                                    },
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["ok"],
                                        "properties": {"ok": ok_true, "ts": {"type": "string"}},
                                    }
                                }
                            },
                        },
                        error_code: {
                            "description": "error",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["ok", "error"],
                                        "properties": {"ok": ok_false, "error": {"type": "string"}},
                                    }
                                }
                            },
                        },
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "defs_ok_true": {"type": "boolean", "enum": [True]},
                "defs_ok_false": {"type": "boolean", "enum": [False]},
            }
        },
    }


def only_op(spec: dict[str, Any]) -> Any:
    (op,) = build_api(spec).operations
    return op


def test_slack_ok_flag_is_detected_from_success_and_default_schemas() -> None:
    envelope = only_op(slack_like()).envelope
    assert envelope is not None
    assert (envelope.flag, envelope.error_value, envelope.error_status) == ("ok", False, "default")


def test_plain_boolean_on_success_with_required_false_on_error_is_detected() -> None:
    assert only_op(slack_like(ok_true={"type": "boolean"})).envelope is not None


@pytest.mark.parametrize(
    "spec",
    [
        slack_like(ok_false={"type": "boolean"}),  # the error side does not pin the value
        slack_like(ok_true={"type": "boolean", "enum": [False]}),  # both sides say false
        slack_like(error_code="400"),  # errors come with their own status
    ],
)
def test_no_envelope_without_a_distinguishing_flag(spec: dict[str, Any]) -> None:
    assert only_op(spec).envelope is None


def test_configuration_turns_detection_off_or_declares_an_envelope() -> None:
    spec, _ = apply_options(slack_like(), Options(error_envelope=False))
    assert only_op(spec).envelope is None
    plain = slack_like(ok_false={"type": "boolean"})
    assert only_op(plain).envelope is None
    spec, _ = apply_options(
        plain, Options(error_envelope={"flag": "status", "error_value": "error"})
    )
    envelope = only_op(spec).envelope
    assert (envelope.flag, envelope.error_value, envelope.error_status) == (
        "status",
        "error",
        "default",
    )


@pytest.mark.parametrize(
    "raw", [True, {"flag": 1}, {"flag": "ok", "error_value": [1]}, {"flag": "ok", "other": 1}]
)
def test_bad_envelope_configuration_is_an_error(raw: Any) -> None:
    with pytest.raises(ApigenError, match="error_envelope"):
        Options.from_config({"error_envelope": raw}, "pyproject.toml: clients[0]")


def test_string_fields_whose_description_says_json_are_json_fields() -> None:
    body = only_op(copy.deepcopy(slack_like())).body
    assert body.json_fields == (
        "blocks",
    )  # an object typed field is encoded by brackets, not listed
    assert body.model is not None and body.model.expr == "ChatPostMessageRequest"
    assert body.type.expr == "ChatPostMessageRequest | dict[str, Any]"
