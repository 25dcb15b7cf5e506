"""Recognising error envelopes: success responses whose body can be the API's error.

Slack answers HTTP 200 with ``{"ok": false, "error": "channel_not_found"}`` and says so
in the spec: the success schema has a boolean ``ok`` that is ``true``, the ``default``
response's schema the same ``ok`` as ``false``. Where the two declarations share such a
flag, a body carrying the error value is an error, whatever its status. The
``x-apigen-error-envelope`` extension (set from ``[tool.apigen]`` configuration, on
the document or one operation) declares it where the spec does not, or turns it off
with ``false``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .ir import ErrorEnvelope, Response

if TYPE_CHECKING:
    from .context import SpecContext

EXTENSION = "x-apigen-error-envelope"


def _json_schema(builder: SpecContext, response: Any) -> dict[str, Any] | None:
    response = builder.deref(response)
    content = response.get("content") if isinstance(response, dict) else None
    if not isinstance(content, dict):
        return None
    for media, obj in content.items():
        if "json" in str(media).lower() and isinstance(obj, dict):
            schema = builder.deref(obj.get("schema"))
            return schema if isinstance(schema, dict) else None
    return None


def _properties(builder: SpecContext, schema: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """Properties of an object schema, through allOf (bounded)."""
    props: dict[str, Any] = {}
    if depth > 8:
        return props
    for part in schema.get("allOf") or []:
        part = builder.deref(part)
        if isinstance(part, dict):
            props.update(_properties(builder, part, depth + 1))
    if isinstance(schema.get("properties"), dict):
        props.update(schema["properties"])
    return props


def _boolean_values(builder: SpecContext, schema: Any) -> set[bool] | None:
    """The values a boolean property allows ({True}, {False} or both), None if not boolean."""
    schema = builder.deref(schema)
    if not isinstance(schema, dict):
        return None
    kinds = schema.get("type")
    if kinds != "boolean" and not (isinstance(kinds, list) and "boolean" in kinds):
        return None
    if "const" in schema and isinstance(schema["const"], bool):
        return {schema["const"]}
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(v, bool) for v in enum):
        return set(enum)
    return {True, False}


def detect(
    builder: SpecContext, op: dict[str, Any], responses: tuple[Response, ...]
) -> ErrorEnvelope | None:
    """The operation's error envelope, from the extension or from its declarations."""
    declared = op.get(EXTENSION, builder.spec.get(EXTENSION))
    error_status = next(
        (r.status for r in responses if not r.is_success and r.kind == "json"), None
    )
    if declared is False:
        return None
    if isinstance(declared, dict) and isinstance(declared.get("flag"), str):
        value = declared.get("error_value", False)
        if not isinstance(value, (bool, str, int)):
            value = False
        return ErrorEnvelope(declared["flag"], value, error_status)
    raw: dict[str, Any] = op["responses"] if isinstance(op.get("responses"), dict) else {}
    success = [_json_schema(builder, v) for k, v in raw.items() if str(k).startswith("2")]
    errors = {
        str(k): _json_schema(builder, v) for k, v in raw.items() if str(k).lower() == "default"
    }
    if len(success) != 1 or success[0] is None or not errors.get("default"):
        return None
    ok_props = _properties(builder, success[0])
    error_schema = errors["default"]
    assert error_schema is not None
    error_props = _properties(builder, error_schema)
    for name, schema in error_props.items():
        if name not in ok_props:
            continue
        error_values = _boolean_values(builder, schema)
        ok_values = _boolean_values(builder, ok_props[name])
        if error_values is None or ok_values is None or len(error_values) != 1:
            continue
        (error_value,) = error_values
        if error_value in ok_values and len(ok_values) == 1:
            continue  # both sides say the same: not a flag
        if len(ok_values) == 2 and name not in (error_schema.get("required") or []):
            continue  # a plain boolean on success and an optional one on error: too weak
        return ErrorEnvelope(str(name), error_value, "default")
    return None
