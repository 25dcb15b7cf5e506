"""One schema dialect: 3.0's and Swagger's spellings made 3.1's, shapes made safe.

``nullable`` and ``x-nullable`` become type lists (or an ``anyOf`` with null), boolean
``exclusiveMinimum`` a number, ``type: file`` a binary string; keywords whose values
have the wrong shape go, so later stages can index them without checking.
"""

from __future__ import annotations

from typing import Any

from .spec_walk import SCHEMA_DICT_KEYS, SCHEMA_LIST_KEYS

VALID_TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object", "null"})
ANNOTATION_KEYS = frozenset(
    {
        "description",
        "title",
        "xml",
        "example",
        "examples",
        "default",
        "readOnly",
        "writeOnly",
        "deprecated",
        "externalDocs",
        "nullable",
    }
)


_KEYWORD_SHAPES: tuple[tuple[str, type], ...] = (
    ("required", list),
    ("enum", list),
    *((key, list) for key in SCHEMA_LIST_KEYS),
    *((key, dict) for key in SCHEMA_DICT_KEYS),
)


def _sanitize_shape(schema: dict[str, Any]) -> None:
    """Drop keywords whose values have the wrong shape; the rest of the schema still counts."""
    kind = schema.get("type")
    if kind is not None:
        if isinstance(kind, list):
            kept = [k for k in kind if isinstance(k, str) and k in VALID_TYPES]
            if kept:
                schema["type"] = kept if len(kept) > 1 else kept[0]
            else:
                schema.pop("type")
        elif not (isinstance(kind, str) and kind in VALID_TYPES):
            schema.pop("type")
    for key, shape in _KEYWORD_SHAPES:
        if key in schema and not isinstance(schema[key], shape):
            schema.pop(key)
    if "items" in schema and not isinstance(schema["items"], (dict, bool)):
        schema.pop("items")
    if isinstance(schema.get("required"), list):
        schema["required"] = [r for r in schema["required"] if isinstance(r, str)]


def _untyped_items_union(schema: dict[str, Any]) -> None:
    """``{items: {anyOf: [A, B]}}`` with no ``type`` (Slack's objects): JSON Schema lets it
    hold any value, and the API sends an A or a B, not a list; typed as A, B or a list of them."""
    items = schema.get("items")
    if "type" in schema or not isinstance(items, dict):
        return
    if isinstance(schema.get("oneOf") or schema.get("anyOf"), list):
        schema.pop("items")  # the branches say what it holds: items only bound array values
        return
    if any(k != "items" and k not in ANNOTATION_KEYS and not k.startswith("x-") for k in schema):
        return
    branches = items.get("anyOf") or items.get("oneOf")
    if not isinstance(branches, list) or not branches:
        return
    if any(k not in ("anyOf", "oneOf") and k not in ANNOTATION_KEYS for k in items):
        return
    schema.pop("items")
    schema["anyOf"] = [*branches, {"type": "array", "items": items}]


def _collapse_annotated_ref(schema: dict[str, Any]) -> None:
    """``allOf: [{$ref: X}, {description: ...}]`` is X with a description, not a new class."""
    parts = schema.get("allOf")
    if not isinstance(parts, list) or len(parts) < 2 or any(not isinstance(p, dict) for p in parts):
        return
    structural = [
        p
        for p in parts
        if not set(p) <= ANNOTATION_KEYS
        and not all(k.startswith("x-") or k in ANNOTATION_KEYS for k in p)
    ]
    if len(structural) != 1 or "$ref" not in structural[0] or len(structural[0]) != 1:
        return
    if set(schema) - {"allOf"} - ANNOTATION_KEYS:
        return
    schema.pop("allOf")
    for part in parts:
        for key, value in part.items():
            if key == "$ref" or key in (
                "description",
                "title",
                "readOnly",
                "writeOnly",
                "deprecated",
            ):
                schema.setdefault(key, value)


def uniform_schema(schema: dict[str, Any]) -> None:
    """One dialect for every schema. Shapes are checked first: the rewrites below index
    ``allOf`` and ``type`` as lists and strings, and a spec may make them anything."""
    _sanitize_shape(schema)
    if schema.pop("nullable", False) is True or schema.pop("x-nullable", False) is True:
        kind = schema.get("type")
        if isinstance(kind, str):
            schema["type"] = [kind, "null"]
        elif isinstance(kind, list):
            if "null" not in kind:
                kind.append("null")
        elif "$ref" in schema or any(k in schema for k in ("allOf", "oneOf", "anyOf")):
            inner = {
                k: schema.pop(k) for k in list(schema) if k in ("$ref", "allOf", "oneOf", "anyOf")
            }
            if len(inner.get("allOf", ())) == 1 and len(inner) == 1:
                inner = inner["allOf"][0]
            schema["anyOf"] = [inner, {"type": "null"}]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"].append(None)
    for bound, flag in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if schema.get(flag) is True and bound in schema:
            schema[flag] = schema.pop(bound)
        elif isinstance(schema.get(flag), bool):
            schema.pop(flag)
    _collapse_annotated_ref(schema)
    _untyped_items_union(schema)
    if schema.get("type") == "file":
        schema["type"] = "string"
        schema["format"] = "binary"
