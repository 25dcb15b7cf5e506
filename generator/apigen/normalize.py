"""Making every input look like one dialect: bundled OpenAPI 3.x, schemas in 3.1 style.

* Swagger 2.0 is upgraded to 3.0 here (definitions, body/formData parameters,
  consumes/produces, securityDefinitions, collectionFormat).
* External ``$ref`` files next to the spec are bundled into the document;
  remote or out-of-tree ones only when the caller allows it.
* Every internal ``$ref`` must resolve, and chains of pure aliases must end:
  both are fatal, with the pointer of the offending ``$ref``.
* 3.0's ``nullable`` and boolean ``exclusiveMinimum`` become 3.1's type lists and
  numbers, so later stages see one schema dialect.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterator

from .diagnostics import ApigenError, Diagnostic, escape_pointer_token, pointer
from .loader import Document, is_url, parse_text, read_source
from .ref_policy import RefPolicy, RefRefused
from .swagger2_shape import swagger2_shape

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


def normalize(doc: Document, allow_remote_refs: bool = False) -> dict[str, Any]:
    data = copy.deepcopy(doc.data)
    if "swagger" in data:
        data = upgrade_swagger2(data)
    data = bundle_external_refs(data, doc, allow_remote_refs)
    check_refs(data, doc)
    _walk_schemas(data, _uniform_schema)
    return data


# --------------------------------------------------------------------------- refs


def _exists(path: str) -> bool:
    """Whether a local file is there; a name no file can have is not."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


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


MAX_ALIAS_CHAIN = 100  # links of pure ``$ref`` aliases before the target


def check_refs(data: dict[str, Any], doc: Document) -> None:
    """Every local ``$ref`` resolves and no chain of pure ``$ref`` aliases loops or runs on.

    Each ref's chain is followed once and remembered for every ref on it, so the
    check stays linear in the number of refs however long the chains are.
    """
    problems: list[Diagnostic] = []
    outcome: dict[str, str | None] = {}  # ref -> None (fine) or what is wrong with its chain
    depth: dict[str, int] = {}  # ref -> alias links after it
    for where, ref in iter_refs(data):
        at = pointer(*where) + "/$ref"
        if not ref.startswith("#"):
            problems.append(_diag(doc, f"unresolved external $ref {ref!r}", at))
        elif ref not in outcome:
            _follow_chain(data, ref, outcome, depth)
        problem = outcome.get(ref)
        if problem is not None:
            problems.append(_diag(doc, problem, at))
        if len(problems) >= 50:
            break
    if problems:
        raise ApigenError(problems)


def _follow_chain(
    data: dict[str, Any], ref: str, outcome: dict[str, str | None], depth: dict[str, int]
) -> None:
    """Fill ``outcome`` (and ``depth``, the links to the chain's end) for ``ref`` and the
    aliases its chain passes through.

    A ref that does not resolve is reported where it stands; a loop, and a chain
    longer than MAX_ALIAS_CHAIN, for every ref that leads into it.
    """
    chain: list[str] = []
    on_chain: dict[str, int] = {}
    current: str | None = ref
    rest = 0  # links after the chain's last element
    while current is not None:
        if current in outcome:
            known = outcome[current]
            if known is not None and known.startswith("circular"):  # every ref before it loops too
                outcome.update(dict.fromkeys(chain, known))
                return
            rest = depth.get(current, 0) + 1  # the known link and the links after it
            break
        if current in on_chain:
            verdict = f"circular $ref chain: {_show_chain(chain[on_chain[current] :] + [current])}"
            outcome.update(dict.fromkeys(chain, verdict))
            return
        on_chain[current] = len(chain)
        chain.append(current)
        try:
            target = resolve_pointer(data, current)
        except (KeyError, IndexError, ValueError, TypeError):
            outcome[chain.pop()] = f"$ref {current!r} does not resolve"
            rest = 1
            break
        nxt = target.get("$ref") if isinstance(target, dict) and len(target) == 1 else None
        current = nxt if isinstance(nxt, str) and nxt.startswith("#") else None
    too_long = f"$ref alias chain longer than {MAX_ALIAS_CHAIN} links"
    for i, link in enumerate(chain):
        depth[link] = len(chain) - 1 - i + rest
        outcome[link] = too_long if depth[link] > MAX_ALIAS_CHAIN else None


def _show_chain(refs: list[str]) -> str:
    shown = refs if len(refs) <= 8 else [*refs[:4], f"... {len(refs) - 8} more ...", *refs[-4:]]
    return " -> ".join(shown)


def _diag(doc: Document, message: str, at: str) -> Diagnostic:
    return Diagnostic("error", message, at, doc.source, doc.line_of(at))


# ------------------------------------------------------------------ bundling


class _Bundler:
    def __init__(self, root: dict[str, Any], doc: Document, allow_remote: bool) -> None:
        self.root = root
        self.doc = doc
        self.policy = RefPolicy.for_source(doc.source, doc.base_dir, allow_remote)
        self.files: dict[str, Any] = {}
        self.hoisted: dict[tuple[str, str], str] = {}
        self.active: set[tuple[str, str]] = set()
        self.filled: set[str] = set()
        components = root.get("components")
        if not isinstance(components, dict):  # validation reports it; bundling needs a home
            components = root["components"] = {}
        schemas = components.get("schemas")
        if not isinstance(schemas, dict):
            schemas = components["schemas"] = {}
        self.schema_names: set[str] = set(schemas)

    def load(self, location: str, where: str) -> Any:
        if location in self.files:
            return self.files[location]
        if not is_url(location) and not _exists(location):
            raise ApigenError(_diag(self.doc, f"$ref file {location!r} does not exist", where))

        def redirect_check(url: str) -> None:  # a redirect is a new location: the same rules
            try:
                self.policy.check(url, location)
            except RefRefused as exc:
                raise ApigenError(
                    _diag(self.doc, f"$ref file {location!r} redirects to {url!r}: {exc}", where)
                ) from None

        try:
            text, _ = read_source(location, redirect_check)
            data = parse_text(text, location)
        except ApigenError as exc:
            raise ApigenError(
                [*exc.diagnostics, _diag(self.doc, "while resolving this $ref", where)]
            ) from None
        self.files[location] = data
        return data

    def locate(self, ref: str, current: str, where: str) -> tuple[str, str]:
        """``(location, fragment)`` of ``ref`` standing in the document at ``current``."""
        target, _, fragment = ref.partition("#")
        if not target:
            return current, fragment
        try:
            return self.policy.locate(target, current), fragment
        except (OSError, ValueError) as exc:  # NUL, lone surrogates, names too long
            raise ApigenError(
                _diag(
                    self.doc,
                    f"$ref {ref!r} names a path that cannot exist ({type(exc).__name__})",
                    where,
                )
            ) from None

    def permitted(self, location: str, current: str, ref: str, where: str) -> str:
        """The location to read, or a fatal diagnostic when the ref rules refuse it."""
        try:
            return self.policy.check(location, current)
        except RefRefused as exc:
            raise ApigenError(_diag(self.doc, f"$ref {ref!r}: {exc}", where)) from None

    def visit(self, node: Any, current: str, where: str, in_map: bool = False) -> Any:
        """``node`` with every external ref (and the refs inside external files) made internal."""
        if isinstance(node, list):
            return [self.visit(v, current, f"{where}/{i}") for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and not in_map and (current != "" or not ref.startswith("#")):
            return self.external(ref, current, where + "/$ref")
        return {
            k: v
            if skips_value(k, in_map)
            else self.visit(
                v, current, f"{where}/{escape_pointer_token(k)}", not in_map and k in MAP_KEYS
            )
            for k, v in node.items()
        }

    def _target(self, ref: str, current: str, where: str) -> tuple[str, str, Any]:
        current = current or self.policy.root
        location, fragment = self.locate(ref, current, where)
        if location != current:
            location = self.permitted(location, current, ref, where)
        content = self.load(location, where)
        try:
            target = resolve_pointer(content, "#" + fragment) if fragment else content
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApigenError(
                _diag(self.doc, f"$ref {ref!r} does not resolve in {location}", where)
            ) from None
        return location, fragment, target

    def resolve_external(self, ref: str, current: str, where: str) -> Any:
        """The bundled content behind an external ref (for a component that is one)."""
        location, _, target = self._target(ref, current, where)
        return self.visit(target, location, where)

    def external(self, ref: str, current: str, where: str) -> Any:
        location, fragment, target = self._target(ref, current, where)
        key = (location, fragment)
        if _looks_like_schema(target, fragment) or key in self.hoisted:
            if key not in self.hoisted:
                name = _free_name(
                    fragment.rsplit("/", 1)[-1] if fragment else Path(location).stem,
                    self.schema_names,
                )
                self.hoisted[key] = name
                self.root["components"]["schemas"][name] = self.visit(target, location, where)
            elif self.hoisted[key] not in self.filled:
                self.filled.add(self.hoisted[key])
                self.root["components"]["schemas"][self.hoisted[key]] = self.visit(
                    target, location, where
                )
            return {"$ref": "#/components/schemas/" + escape_pointer_token(self.hoisted[key])}
        if key in self.active:
            raise ApigenError(_diag(self.doc, f"circular external $ref {ref!r}", where))
        self.active.add(key)
        try:
            return self.visit(target, location, where)
        finally:
            self.active.discard(key)


def _looks_like_schema(node: Any, fragment: str) -> bool:
    if "/schemas/" in fragment or "/definitions/" in fragment:
        return True
    if not isinstance(node, dict):
        return False
    if "in" in node and "name" in node:  # a parameter
        return False
    if "content" in node or "description" in node and "schema" in node:
        return False
    return bool({"type", "properties", "allOf", "oneOf", "anyOf", "items", "enum"} & set(node))


def _free_name(name: str, taken: set[str]) -> str:
    candidate, n = name or "Schema", 2
    while candidate in taken:
        candidate, n = f"{name}{n}", n + 1
    taken.add(candidate)
    return candidate


def has_external_ref(data: Any) -> bool:
    return any(not ref.startswith("#") for _, ref in iter_refs(data))


def bundle_external_refs(data: dict[str, Any], doc: Document, allow_remote: bool) -> dict[str, Any]:
    if not has_external_ref(data):
        return data
    bundler = _Bundler(data, doc, allow_remote)
    components = data.get("components", {})
    root_file = bundler.policy.root
    schemas = components.get("schemas") or {}
    for name, entry in list(schemas.items()):
        ref = entry.get("$ref") if isinstance(entry, dict) else None
        if isinstance(ref, str) and not ref.startswith("#") and len(entry) == 1:
            # `Pet: {$ref: pet.yaml}`: the bundled schema is Pet itself, not an alias of it
            where = f"/components/schemas/{escape_pointer_token(name)}"
            bundler.hoisted.setdefault(bundler.locate(ref, root_file, where), name)
    for key in list(data):
        if key != "components":
            data[key] = bundler.visit(data[key], "", "/" + escape_pointer_token(key))
    for section, entries in list(components.items()):
        if isinstance(entries, dict):
            for name in list(entries):
                where = pointer("components", section, name)
                ref = entries[name].get("$ref") if isinstance(entries[name], dict) else None
                if (
                    section == "schemas"
                    and isinstance(ref, str)
                    and bundler.hoisted.get(bundler.locate(ref, root_file, where)) == name
                ):
                    if name not in bundler.filled:
                        bundler.filled.add(name)
                        entries[name] = bundler.resolve_external(ref, root_file, where + "/$ref")
                else:
                    entries[name] = bundler.visit(entries[name], "", where)
    return data


# --------------------------------------------------------- schema dialect

_SCHEMA_LIST_KEYS = ("allOf", "oneOf", "anyOf", "prefixItems")
_SCHEMA_DICT_KEYS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
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


def _walk_schema(schema: Any, fn: Any) -> None:
    if not isinstance(schema, dict):
        return
    fn(schema)
    for key in _SCHEMA_LIST_KEYS:
        subs = schema.get(key)
        for sub in subs if isinstance(subs, list) else ():
            _walk_schema(sub, fn)
    for key in _SCHEMA_DICT_KEYS:
        sub = schema.get(key)
        if isinstance(sub, dict):
            for value in sub.values():
                _walk_schema(value, fn)
    for key in _SCHEMA_KEYS:
        _walk_schema(schema.get(key), fn)


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


def _walk_schemas(data: dict[str, Any], fn: Any) -> None:
    for root in iter_schema_roots(data):
        _walk_schema(root, fn)


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
    *((key, list) for key in _SCHEMA_LIST_KEYS),
    *((key, dict) for key in _SCHEMA_DICT_KEYS),
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


def _uniform_schema(schema: dict[str, Any]) -> None:
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


# --------------------------------------------------------- Swagger 2.0


def _ref_2to3(node: Any, in_map: bool = False) -> Any:
    if isinstance(node, list):
        return [_ref_2to3(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and not in_map:
            for old, new in (
                ("#/definitions/", "#/components/schemas/"),
                ("#/parameters/", "#/components/parameters/"),
                ("#/responses/", "#/components/responses/"),
            ):
                if value.startswith(old):
                    value = new + value[len(old) :]
            out[key] = value
        elif skips_value(key, in_map):
            out[key] = value
        else:
            out[key] = _ref_2to3(value, not in_map and key in MAP_KEYS)
    return out


_COLLECTION_FORMATS = {
    "csv": ("form", False),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "multi": ("form", True),
    "tsv": ("form", False),
}
_PARAM_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
    "x-nullable",
)


def _param_2to3(param: dict[str, Any]) -> dict[str, Any]:
    out = {
        k: v
        for k, v in param.items()
        if k not in _PARAM_SCHEMA_KEYS and k not in ("collectionFormat", "allowEmptyValue")
    }
    schema = {k: param[k] for k in _PARAM_SCHEMA_KEYS if k in param}
    if schema.get("type") == "file":
        schema = {"type": "string", "format": "binary"}
    out["schema"] = schema
    fmt = param.get("collectionFormat")
    if param.get("type") == "array" and fmt in _COLLECTION_FORMATS:
        style, explode = _COLLECTION_FORMATS[fmt]
        if param.get("in") in ("query", "cookie"):
            out["style"], out["explode"] = style, explode
    return out


def _form_body(params: list[dict[str, Any]], consumes: list[str]) -> dict[str, Any]:
    properties, required = {}, []
    for p in params:
        prop = _param_2to3(p)["schema"]
        if p.get("description"):
            prop["description"] = p["description"]
        properties[p["name"]] = prop
        if p.get("required"):
            required.append(p["name"])
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    has_file = any(p.get("type") == "file" for p in params)
    media = (
        "multipart/form-data"
        if has_file or "multipart/form-data" in consumes
        else "application/x-www-form-urlencoded"
    )
    return {"content": {media: {"schema": schema}}, "required": bool(required)}


def _response_2to3(response: dict[str, Any], produces: list[str]) -> dict[str, Any]:
    if "$ref" in response:
        return response
    out: dict[str, Any] = {"description": response.get("description", "")}
    if "schema" in response:
        out["content"] = {
            media: {"schema": response["schema"]} for media in produces or ["application/json"]
        }
    if "headers" in response:
        out["headers"] = {
            name: {
                "description": h.get("description", ""),
                "schema": {k: v for k, v in h.items() if k != "description"},
            }
            for name, h in response["headers"].items()
        }
    out.update({k: v for k, v in response.items() if k.startswith("x-")})
    return out


def upgrade_swagger2(spec: dict[str, Any]) -> dict[str, Any]:
    """Convert a Swagger 2.0 document to OpenAPI 3.0.3 (apigen's own converter)."""
    spec = _ref_2to3(swagger2_shape(spec))
    out: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": spec.get("info") or {"title": "API", "version": "0"},
    }
    host, base_path = spec.get("host"), spec.get("basePath") or ""
    schemes = spec.get("schemes") or ["https"]
    scheme = "https" if "https" in schemes else schemes[0]
    out["servers"] = [{"url": f"{scheme}://{host}{base_path}" if host else base_path or "/"}]
    for key in ("tags", "externalDocs", "security"):
        if key in spec:
            out[key] = spec[key]
    out.update({k: v for k, v in spec.items() if k.startswith("x-")})
    global_consumes = spec.get("consumes") or ["application/json"]
    global_produces = spec.get("produces") or ["application/json"]
    components: dict[str, Any] = {"schemas": spec.get("definitions") or {}}
    body_params: dict[str, dict[str, Any]] = {}
    params_out: dict[str, Any] = {}
    for name, p in (spec.get("parameters") or {}).items():
        if p.get("in") == "body":
            body_params[name] = p
        elif p.get("in") != "formData":
            params_out[name] = _param_2to3(p)
    if params_out:
        components["parameters"] = params_out
    if body_params:
        components["requestBodies"] = {
            name: {
                "content": {m: {"schema": p.get("schema", {})} for m in global_consumes},
                "required": bool(p.get("required")),
                **({"description": p["description"]} if p.get("description") else {}),
            }
            for name, p in body_params.items()
        }
    if spec.get("responses"):
        components["responses"] = {
            n: _response_2to3(r, global_produces) for n, r in spec["responses"].items()
        }
    schemes_out: dict[str, dict[str, Any]] = {}
    for name, sd in (spec.get("securityDefinitions") or {}).items():
        kind = sd.get("type")
        if kind == "basic":
            schemes_out[name] = {"type": "http", "scheme": "basic"}
        elif kind == "apiKey":
            schemes_out[name] = {
                "type": "apiKey",
                "name": sd.get("name", name),
                "in": sd.get("in", "header"),
            }
        elif kind == "oauth2":
            flow = {
                "implicit": "implicit",
                "password": "password",
                "application": "clientCredentials",
                "accessCode": "authorizationCode",
            }.get(sd.get("flow", ""), "clientCredentials")
            body: dict[str, Any] = {"scopes": sd.get("scopes") or {}}
            if "authorizationUrl" in sd:
                body["authorizationUrl"] = sd["authorizationUrl"]
            if "tokenUrl" in sd:
                body["tokenUrl"] = sd["tokenUrl"]
            schemes_out[name] = {"type": "oauth2", "flows": {flow: body}}
        if name in schemes_out and sd.get("description"):
            schemes_out[name]["description"] = sd["description"]
    if schemes_out:
        components["securitySchemes"] = schemes_out
    out["components"] = components

    def resolve_param(p: dict[str, Any]) -> dict[str, Any]:
        ref = p.get("$ref", "")
        if ref.startswith("#/components/parameters/"):
            name = ref.rsplit("/", 1)[1]
            if name in body_params:
                return body_params[name]
            if name not in params_out and name in (spec.get("parameters") or {}):
                inlined: dict[str, Any] = spec["parameters"][name]  # a formData parameter
                return inlined
        return p

    paths: dict[str, Any] = {}
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        new_item: dict[str, Any] = {
            k: v for k, v in item.items() if k.startswith("x-") or k in ("summary", "description")
        }
        shared = [resolve_param(p) for p in item.get("parameters") or []]
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            consumes = op.get("consumes") or global_consumes
            produces = op.get("produces") or global_produces
            new_op = {
                k: v
                for k, v in op.items()
                if k not in ("parameters", "responses", "consumes", "produces", "schemes")
            }
            own = [resolve_param(p) for p in op.get("parameters") or []]
            names = {(p.get("in"), p.get("name")) for p in own if "$ref" not in p}
            merged = own + [p for p in shared if (p.get("in"), p.get("name")) not in names]
            params, form = [], []
            for p in merged:
                if "$ref" in p:
                    params.append(p)
                elif p.get("in") == "body":
                    new_op["requestBody"] = {
                        "content": {m: {"schema": p.get("schema", {})} for m in consumes},
                        "required": bool(p.get("required")),
                    }
                    if p.get("description"):
                        new_op["requestBody"]["description"] = p["description"]
                elif p.get("in") == "formData":
                    form.append(p)
                else:
                    params.append(_param_2to3(p))
            if form:
                new_op["requestBody"] = _form_body(form, consumes)
            if params:
                new_op["parameters"] = params
            new_op["responses"] = {
                str(code): _response_2to3(r, produces)
                for code, r in (op.get("responses") or {"default": {"description": ""}}).items()
            }
            new_item[method] = new_op
        paths[path] = new_item
    out["paths"] = paths
    return out
