"""Unit tests of the IR stages on their own: media rules, spec context, schema registry,
keyword bodies and error envelopes, each on a small spec written here."""

from __future__ import annotations

from typing import Any

from apigen import envelope
from apigen.bodyfields import body_fields
from apigen.context import SpecContext
from apigen.ir import ErrorEnvelope
from apigen.media import pick_media
from apigen.naming import NameScope
from apigen.schemas import SchemaRegistry, is_class_like


def _spec(schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas},
    }


def test_pick_media_prefers_json_then_form_and_reads_vendor_json() -> None:
    content = {
        "text/plain": {"t": 1},
        "application/x-www-form-urlencoded": {"f": 1},
        "application/vnd.github+json; charset=utf-8": {"j": 1},
    }
    assert pick_media(content) == ("json", "application/vnd.github+json; charset=utf-8", {"j": 1})
    del content["application/vnd.github+json; charset=utf-8"]
    assert pick_media(content) == ("form", "application/x-www-form-urlencoded", {"f": 1})
    assert pick_media({"image/png": "not a mapping"}) == ("binary", "image/png", {})
    assert pick_media({"": {}}) is None


def test_spec_context_follows_ref_chains_and_gives_none_for_dangling_ones() -> None:
    context = SpecContext(
        _spec({"A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string"}}), "T"
    )
    assert context.deref({"$ref": "#/components/schemas/A"}) == {"type": "string"}
    assert context.deref({"$ref": "#/components/schemas/Missing"}) is None
    context.skip("GET /x", "why")
    assert [(s.where, s.reason) for s in context.skipped] == [("GET /x", "why")]


def test_registry_names_colliding_components_apart_and_reuses_a_component_for_its_inline_copy() -> (
    None
):
    registry = SchemaRegistry(
        _spec(
            {
                "contact-details": {"type": "object", "properties": {"email": {"type": "string"}}},
                "ContactDetails": {"type": "object", "properties": {"phone": {"type": "string"}}},
            }
        )
    )
    assert registry.component_names == {
        "contact-details": "ContactDetails",
        "ContactDetails": "ContactDetailsSchema",
    }
    copy = registry.type_of(
        {"type": "object", "properties": {"email": {"type": "string"}}}, "Other"
    )
    assert copy.expr == "ContactDetails"  # a bundled spec's inline copy: no second class
    fresh = registry.type_of(
        {"type": "object", "properties": {"n": {"type": "integer"}}}, "CreateThing"
    )
    assert fresh.expr == "CreateThing" and fresh.models == {"CreateThing"}
    assert (
        registry.type_of(
            {"type": "array", "items": {"$ref": "#/components/schemas/ContactDetails"}}, "X"
        ).expr
        == "list[ContactDetailsSchema]"
    )
    assert is_class_like({"type": "object", "properties": {"a": {}}}) and not is_class_like(
        {"type": "string"}
    )


def _message_registry() -> SchemaRegistry:
    return SchemaRegistry(
        _spec(
            {
                "Message": {
                    "type": "object",
                    "required": ["to", "from"],
                    "properties": {
                        "id": {"type": "string", "readOnly": True},
                        "to": {"type": "string"},
                        "from": {"type": "string"},
                        "body": {"type": "string"},
                    },
                }
            }
        )
    )


def test_request_bodies_use_a_view_without_read_only_properties() -> None:
    registry = _message_registry()
    assert registry.type_of({"$ref": "#/components/schemas/Message"}, "X").expr == "Message"
    assert (
        registry.request_type_of({"$ref": "#/components/schemas/Message"}, "X").expr
        == "MessageInput"
    )


def test_keyword_body_fields_skip_read_only_and_rename_python_keywords() -> None:
    registry = _message_registry()
    body = registry.type_of({"$ref": "#/components/schemas/Message"}, "X")
    taken = NameScope()
    taken.claim("to")  # a path parameter already called `to`
    fields = body_fields(registry, body, "json", taken)
    assert [(f.name, f.py_name, f.required) for f in fields] == [
        ("to", "to_body", True),
        ("from", "from_", True),
        ("body", "body", False),
    ]
    assert body_fields(registry, body, "binary", NameScope()) == ()


def _slack_like(error_required: bool = True) -> dict[str, Any]:
    ok = {"type": "object", "properties": {"ok": {"type": "boolean", "enum": [True]}}}
    error = {
        "type": "object",
        "properties": {"ok": {"type": "boolean", "enum": [False]}, "error": {"type": "string"}},
    }
    if error_required:
        error["required"] = ["ok"]

    def body(schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": "", "content": {"application/json": {"schema": schema}}}

    return {"responses": {"200": body(ok), "default": body(error)}}


def test_envelope_detects_slack_style_ok_false_and_honours_the_extension() -> None:
    context = SpecContext(_spec({}), "T")
    assert envelope.detect(context, _slack_like(), ()) == ErrorEnvelope("ok", False, "default")
    off = {**_slack_like(), envelope.EXTENSION: False}
    assert envelope.detect(context, off, ()) is None
    declared = {"responses": {}, envelope.EXTENSION: {"flag": "status", "error_value": "error"}}
    assert envelope.detect(context, declared, ()) == ErrorEnvelope("status", "error", None)


def test_envelope_needs_more_than_a_plain_boolean_on_both_sides() -> None:
    op = _slack_like(error_required=False)
    op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["ok"] = {
        "type": "boolean"
    }
    assert envelope.detect(SpecContext(_spec({}), "T"), op, ()) is None


def test_an_apigen_bug_while_building_an_operation_is_an_internal_error_naming_it(
    monkeypatch: Any, tmp_path: Any, capsys: Any
) -> None:
    """Not a "skipped" entry in a successful run: the user sees a bug to report, and where."""
    from apigen import build
    from apigen.cli import EXIT_INTERNAL, main

    def broken(self: Any, path: str, method: str, *args: Any) -> Any:
        if path == "/pet/{petId}" and method == "get":
            raise KeyError("oops")
        return real(self, path, method, *args)

    real = build.ApiBuilder.operation
    monkeypatch.setattr(build.ApiBuilder, "operation", broken)
    monkeypatch.delenv("APIGEN_DEBUG", raising=False)
    monkeypatch.setenv("APIGEN_CACHE_DIR", "off")  # an earlier run's result would hide the bug
    status = main(["generate", "specs/petstore.json", "--output", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert status == EXIT_INTERNAL, err
    assert "internal error: KeyError: 'oops' (while building operation GET /pet/{petId})" in err
    assert not (tmp_path / "out").exists()  # nothing half-made was written
