"""Keyword bodies: the top-level fields of an object request body as method arguments.

``client.customers.create(email=..., metadata=...)`` instead of building a dict: each
property of the body's model becomes a keyword argument with the property's type and
description. A nested model also takes a plain dict (what people pass), and a file
part of a multipart body takes bytes, a file object or a (filename, content[, type])
tuple. Read-only properties are left out: a server ignores them in requests.
"""

from __future__ import annotations

from typing import Any

import keyword
import re

from .ir import ANY, NONE, BodyField, PyType
from .naming import NameScope, snake, snake_identifier
from .schemas import SchemaRegistry, is_class_like, is_null_only

_DEFS = "#/$defs/"
_PLAIN_DICT = PyType("dict[str, Any]", imports=frozenset({"typing:Any"}))
# a file part: bytes, a binary file or a path (both streamed while sent), or a
# (filename, content[, content type]) tuple
FILE_PART = PyType(
    "bytes | IO[bytes] | PathLike[str] | tuple[Any, ...]",
    imports=frozenset({"typing:IO", "typing:Any", "os:PathLike"}),
)


# Builtins a generated method body may name (a paginator's item type): a keyword argument
# must not shadow them. Other builtins make good argument names (type=, id=, input=).
_BODY_BUILTINS = frozenset(
    {"list", "dict", "str", "int", "float", "bool", "bytes", "tuple", "set", "object"}
)


def field_identifier(name: str) -> str:
    """The keyword argument for a body field: snake case, keywords suffixed (``from_``)."""
    text = re.sub(r"[^0-9A-Za-z_]", "", snake(name))
    if not text or text[0].isdigit():
        return snake_identifier(name, "field")
    if (
        keyword.iskeyword(text)
        or keyword.issoftkeyword(text)
        or text in _BODY_BUILTINS
        or text == "self"
    ):
        return text + "_"
    return text


def _properties(
    registry: SchemaRegistry, schema: Any, seen: set[str]
) -> tuple[dict[str, Any], set[str]]:
    """Properties and required names of a rewritten object schema, through allOf and refs."""
    if not isinstance(schema, dict):
        return {}, set()
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref[len(_DEFS) :] if ref.startswith(_DEFS) else ""
        if not name or name in seen:
            return {}, set()
        return _properties(registry, registry.defs.get(name), seen | {name})
    props: dict[str, Any] = {}
    required: set[str] = set()
    for member in schema.get("allOf") or []:
        more, needed = _properties(registry, member, seen)
        props.update(more)
        required |= needed
    if isinstance(schema.get("properties"), dict):
        props.update(schema["properties"])
    if isinstance(schema.get("required"), list):
        required |= {str(r) for r in schema["required"]}
    return props, required


def body_properties(registry: SchemaRegistry, model: str) -> tuple[dict[str, Any], set[str]]:
    """The (rewritten) properties and required names of the body model ``model``."""
    return _properties(registry, {"$ref": _DEFS + model}, set())


class _InputTypes:
    """Annotations of request values: like the registry's, but a model also takes a dict."""

    def __init__(self, registry: SchemaRegistry, multipart: bool) -> None:
        self.registry = registry
        self.multipart = multipart
        self._inside: set[str] = set()

    def of(self, schema: Any) -> PyType:
        if not isinstance(schema, dict):
            return ANY
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS):
            name = ref[len(_DEFS) :]
            target = self.registry.defs.get(name)
            plain = self.registry.annotate(schema, literals=True)
            if isinstance(target, dict) and "enum" in target:
                return plain  # an open enum: its alias takes the plain values (checked)
            if is_class_like(target) and isinstance(target, dict):
                return plain.union(_PLAIN_DICT)
            if isinstance(target, dict) and plain.models and name not in self._inside:
                self._inside.add(name)  # an alias of a union of models: look through it
                try:
                    return self.of(target)
                finally:
                    self._inside.discard(name)
            return plain
        if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
            item = self.of(schema["items"])
            if item.expr.startswith("bytes | IO"):
                return PyType(f"list[{item.expr}]", item.models, item.imports)
            plain = self.registry.annotate(schema)
            if item.expr == self.registry.annotate(schema["items"]).expr:
                return plain
            return PyType(f"list[{item.expr}]", item.models, item.imports)
        for key in ("anyOf", "oneOf"):
            members = schema.get(key)
            if isinstance(members, list) and members and not schema.get("properties"):
                plain = self.registry.annotate(schema)
                if plain is ANY:
                    return ANY
                result: PyType | None = None
                for member in members:
                    part = NONE if is_null_only(member) else self.of(member)
                    result = part if result is None else result.union(part)
                assert result is not None
                if "None" in plain.expr.split(" | ") and "None" not in result.expr.split(" | "):
                    result = result.union(NONE)
                return result
        plain = self.registry.annotate(schema)
        if self.multipart and plain.expr == "bytes":
            return FILE_PART
        return plain


def body_fields(
    registry: SchemaRegistry, body_type: PyType, kind: str, args: NameScope
) -> tuple[BodyField, ...]:
    """The keyword arguments of a body whose type is one model (claimed in ``args``)."""
    if kind not in ("json", "form", "multipart") or body_type.expr not in registry.defs:
        return ()
    props, required = _properties(registry, {"$ref": _DEFS + body_type.expr}, set())
    types = _InputTypes(registry, kind == "multipart")
    fields = []
    for name, schema in props.items():
        if isinstance(schema, dict) and schema.get("readOnly") is True:
            continue
        py = field_identifier(str(name))
        description = schema.get("description") if isinstance(schema, dict) else None
        fields.append(
            BodyField(
                name=str(name),
                py_name=args.claim(py, f"{py}_body", f"{py}_field"),
                type=types.of(schema),
                required=name in required,
                description=description if isinstance(description, str) else "",
            )
        )
    return tuple(fields)
