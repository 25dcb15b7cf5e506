"""Walking an OpenAPI document: its operations, JSON pointers, ``$ref``s and schemas.

The few rules every stage that reads a spec shares: which keys hold data rather
than OpenAPI objects (an ``example`` is never searched for refs), which hold maps of
names, and where schemas start.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def iter_operations(
    spec: dict[str, Any],
) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """``(path, method, path_item, operation)`` for every operation, in document order."""
    for path, item in list((spec.get("paths") or {}).items()):
        if isinstance(item, dict) and isinstance(item.get("$ref"), str) and len(item) == 1:
            try:
                item = resolve_pointer(spec, item["$ref"])
            except (KeyError, IndexError, ValueError, TypeError):
                continue
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield str(path), method, item, op


def first_tag(op: dict[str, Any]) -> str:
    """The operation's resource: its first tag (``default`` when it has none)."""
    tags = op.get("tags")
    return str(tags[0]) if isinstance(tags, list) and tags and str(tags[0]).strip() else "default"


def resolve_pointer(data: Any, ref: str) -> Any:
    """Resolve a local ``#/...`` reference; KeyError when it does not exist."""
    if not ref.startswith("#"):
        raise KeyError(ref)
    node = data
    hops = 0
    for raw in ref[1:].split("/")[1:] if ref not in ("#", "#/") else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        token = _unquote(token)
        while (
            isinstance(node, dict)
            and token not in node
            and isinstance(node.get("$ref"), str)
            and hops < 32
        ):
            node = resolve_pointer(data, node["$ref"])  # a pointer that passes through a $ref
            hops += 1
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict):
            node = node[token]
        else:
            raise KeyError(ref)
    return node


def _unquote(token: str) -> str:
    if "%" not in token:
        return token
    from urllib.parse import unquote

    return unquote(token)


# Keys whose values are data (not OpenAPI objects) when they stand in an object;
# inside a map (properties, responses ...) the same words are just names.
VALUE_KEYS = frozenset({"example", "x-example", "x-examples", "default", "enum", "const"})
MAP_KEYS = frozenset(
    {
        "properties",
        "patternProperties",
        "responses",
        "schemas",
        "definitions",
        "$defs",
        "parameters",
        "examples",
        "headers",
        "content",
        "links",
        "callbacks",
        "requestBodies",
        "securitySchemes",
        "paths",
        "webhooks",
        "x-webhooks",
        "variables",
        "encoding",
        "pathItems",
        "dependentSchemas",
    }
)


def skips_value(key: str, in_map: bool) -> bool:
    return not in_map and key in VALUE_KEYS


def iter_refs(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    stack: list[tuple[Any, tuple[Any, ...], bool]] = [(node, path, False)]
    while stack:
        current, where, in_map = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and not in_map:
                yield where, ref
            for key, value in current.items():
                if (
                    skips_value(key, in_map)
                    or key == "examples"
                    and not in_map
                    and isinstance(value, list)
                ):
                    continue
                if isinstance(value, (dict, list)):
                    stack.append((value, where + (key,), not in_map and key in MAP_KEYS))
        elif isinstance(current, list):
            for i, value in enumerate(current):
                if isinstance(value, (dict, list)):
                    stack.append((value, where + (i,), False))


SCHEMA_LIST_KEYS = ("allOf", "oneOf", "anyOf", "prefixItems")
SCHEMA_DICT_KEYS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_KEYS = (
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
)


def walk_schema(schema: Any, fn: Callable[[dict[str, Any]], None]) -> None:
    """``fn`` on ``schema`` and on every schema inside it."""
    if not isinstance(schema, dict):
        return
    fn(schema)
    for key in SCHEMA_LIST_KEYS:
        subs = schema.get(key)
        for sub in subs if isinstance(subs, list) else ():
            walk_schema(sub, fn)
    for key in SCHEMA_DICT_KEYS:
        sub = schema.get(key)
        if isinstance(sub, dict):
            for value in sub.values():
                walk_schema(value, fn)
    for key in _SCHEMA_KEYS:
        walk_schema(schema.get(key), fn)


def iter_schema_roots(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every place a schema starts: components, parameters, bodies, responses, headers."""
    components = data.get("components") or {}
    for schema in (components.get("schemas") or {}).values():
        yield schema
    containers: list[Any] = [
        components.get(k) for k in ("parameters", "requestBodies", "responses", "headers")
    ]
    for path_item in (data.get("paths") or {}).values():
        containers.append(path_item)
    for key in ("webhooks", "x-webhooks"):
        section = data.get(key)
        containers += list(section.values()) if isinstance(section, dict) else []
    stack = [c for c in containers if isinstance(c, (dict, list))]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
            continue
        for key, value in node.items():
            if key == "schema" and isinstance(value, dict):
                yield value
            elif key not in ("example", "examples") and isinstance(value, (dict, list)):
                stack.append(value)


def walk_schemas(data: dict[str, Any], fn: Callable[[dict[str, Any]], None]) -> None:
    """``fn`` on every schema of the document."""
    for root in iter_schema_roots(data):
        walk_schema(root, fn)
