"""The compact description of an API the mock needs (``<package>/_testing_spec.json``).

From an OpenAPI 3.x document (normalised, or a raw 3.0/3.1 one for ``apigen mock``'s
fast start), keep per operation only what checking a request and answering it
take: method, path, parameters, body media types and schemas, responses with
their examples and schemas; plus the named schemas they reach, stripped of
annotations. References other than ``#/components/schemas/...`` are inlined here,
so the runtime resolves one kind only. With the IR, operations also carry the
client's names (``resource.method``) and the fields that end a pagination.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import unquote

from .media import media_kind

if TYPE_CHECKING:  # apigen mock builds without the IR: it starts without importing the generator
    from .ir import Api

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

SCHEMA_REF = "#/components/schemas/"
TESTING_SPEC = "_testing_spec.json"  # file name inside the generated package
# kept in schemas: what validation and synthesis read (annotations and docs dropped)
SCHEMA_KEYS = frozenset(
    {
        "type",
        "nullable",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "allOf",
        "anyOf",
        "oneOf",
        "format",
        "readOnly",
        "writeOnly",
        "discriminator",
        "example",
        "$ref",
    }
)
# what is read beside a $ref: annotations that only widen what is accepted or say what to send
REF_SIBLINGS_KEPT = frozenset({"nullable", "readOnly", "writeOnly", "example"})
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_ONE = ("items", "additionalProperties")
SUBSCHEMA_MAPS = ("properties", "patternProperties")
MAX_INLINE = 16  # hops through non-schema references
# header parameters OpenAPI says to ignore (the client sends none of them: build.IGNORED_HEADERS)
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
# a pattern written as a JavaScript regular-expression literal, "/^\\d{4}$/": no string
# matches it as written (a "/" before "^" or after "$"), its author meant what is between
_REGEX_LITERAL = re.compile(r"^/(\^.*|.*\$)/([dgimsuy]*)$", re.DOTALL)


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else {}: a spec part of the wrong type reads as empty."""
    return value if isinstance(value, dict) else {}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Builder:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.named: dict[str, Any] = _mapping(_mapping(spec.get("components")).get("schemas"))
        self.reached: dict[str, Any] = {}
        self.pending: list[tuple[str, Any]] = []  # (entry, its schema) still to build

    def deref(self, node: Any) -> Any:
        """An OpenAPI object behind its references (parameters, bodies, responses)."""
        hops = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < MAX_INLINE:
            node = self._pointer(node["$ref"])
            hops += 1
        return node

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            return {}
        node: Any = self.spec
        for token in ref[2:].split("/"):
            token = unquote(token).replace("~1", "/").replace("~0", "~")  # "%7Bid%7D": "{id}"
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return {}
        return node

    def schema(self, node: Any, depth: int = 0) -> Any:
        """A schema with annotations stripped; named schemas stay references (recorded)."""
        if not isinstance(node, dict):
            return node if isinstance(node, bool) else {}
        if depth > 64:
            return {}
        ref = node.get("$ref")
        if isinstance(ref, str):
            tail = ref[len(SCHEMA_REF) :] if ref.startswith(SCHEMA_REF) else None
            part = "/" + tail if tail is not None and "/" in tail else None
            if tail is not None and part is None:
                name = tail.replace("~1", "/").replace("~0", "~")
                if name in self.named and name not in self.reached:
                    self.reached[name] = None
                    self.pending.append((name, self.named[name]))
                out: dict[str, Any] = {"$ref": SCHEMA_REF + name}
            elif part is not None and part not in self.named:
                # a part of a named schema (Azure's bundled files point into the first
                # copy): an entry of its own, built once; inlined at every use, parts that
                # hold such references again grew exponentially (network-applicationGateway)
                if part not in self.reached:
                    self.reached[part] = None
                    self.pending.append((part, self._pointer(ref)))
                out = {"$ref": SCHEMA_REF + part}
            else:
                return self.schema(self.deref(node), depth + 1)
        else:
            out = {}
        for key, value in node.items():
            if key not in SCHEMA_KEYS or key == "$ref":
                continue
            if isinstance(ref, str) and key not in REF_SIBLINGS_KEPT:
                # beside a $ref the rest is ignored (OpenAPI 3.0), as the models ignore it:
                # Xero's {"$ref": Contact, "type": "string"} is a Contact
                continue
            if key in SUBSCHEMA_MAPS and isinstance(value, dict):
                out[key] = {name: self.schema(sub, depth + 1) for name, sub in value.items()}
            elif key in SUBSCHEMA_LISTS and isinstance(value, list):
                out[key] = [self.schema(sub, depth + 1) for sub in value]
            elif key in SUBSCHEMA_ONE and isinstance(value, dict):
                out[key] = self.schema(value, depth + 1)
            elif key == "pattern" and isinstance(value, str):
                out[key] = _pattern(value)
            elif key == "discriminator" and isinstance(value, dict):
                out[key] = {k: v for k, v in value.items() if k in ("propertyName", "mapping")}
            else:
                out[key] = value
        return out

    def finish(self) -> dict[str, Any]:
        while self.pending:
            name, schema = self.pending.pop()
            self.reached[name] = self.schema(schema)
        return {name: self.reached[name] for name in sorted(self.reached)}


def _pattern(pattern: str) -> str:
    """The regular expression a pattern means (the body of a JavaScript literal)."""
    literal = _REGEX_LITERAL.match(pattern)
    if literal is None:
        return pattern
    return ("(?i)" if "i" in literal.group(2) else "") + literal.group(1)


def _media(builder: _Builder, content: Any, examples: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(content, dict):
        return out
    for media, entry in content.items():
        entry = entry if isinstance(entry, dict) else {}
        schema = entry.get("schema", {})
        if str(media).split(";")[0].strip().lower() == "text/event-stream":
            # each event's data, where the extension names it (the schema is then the text's)
            named = entry.get("x-apigen-event-type")
            schema = named if isinstance(named, dict) and named else schema
        item: dict[str, Any] = {"schema": builder.schema(schema)}
        if examples:
            if "example" in entry:
                item["example"] = entry["example"]
            elif isinstance(entry.get("examples"), dict) and entry["examples"]:
                first = builder.deref(next(iter(entry["examples"].values())))
                if isinstance(first, dict) and "value" in first:
                    item["example"] = first["value"]
        out[str(media)] = item
    return out


def _iter_operations(
    builder: _Builder,
) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(path, method, path item, operation) in document order (path items behind a $ref too)."""
    for path, item in _mapping(builder.spec.get("paths")).items():
        item = builder.deref(item)
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                yield str(path), method, item, item[method]


def _operations(builder: _Builder) -> Iterator[dict[str, Any]]:
    for path, method, item, op in _iter_operations(builder):
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for source in (_listed(item.get("parameters")), _listed(op.get("parameters"))):
            for raw in source:
                param = builder.deref(raw)
                if not isinstance(param, dict) or not isinstance(param.get("name"), str):
                    continue
                if param.get("in") == "header" and param["name"].lower() in IGNORED_HEADERS:
                    continue
                schema = param.get("schema")
                as_json = False
                if schema is None and isinstance(param.get("content"), dict) and param["content"]:
                    media, content = next(iter(param["content"].items()))
                    schema = _mapping(content).get("schema")
                    as_json = param.get("in") == "query" and media_kind(str(media)) == "json"
                entry = {
                    "name": param["name"],
                    "in": str(param.get("in", "")),
                    "required": bool(param.get("required")) or param.get("in") == "path",
                    "schema": builder.schema(schema or {}),
                }
                if as_json:  # sent as JSON text (OpenAPI's `content`), as the client sends it
                    entry["style"] = "json"
                for key in ("style", "explode"):
                    if key in param:
                        entry[key] = param[key]
                example = _example_of(builder, param)
                if example is not _NONE:  # apigen contract calls with it
                    entry["example"] = example
                params[
                    (
                        entry["in"],
                        entry["name"].lower() if entry["in"] == "header" else entry["name"],
                    )
                ] = entry
        out: dict[str, Any] = {
            "id": str(op.get("operationId") or f"{method.upper()} {path}"),
            "method": method.upper(),
            "path": path,
            "params": list(params.values()),
        }
        body = builder.deref(op.get("requestBody"))
        content = body.get("content") if isinstance(body, dict) else None
        # a body of no usable media type (spoonacular's "": the generator leaves it out
        # and says so) is one no client sends: the mock does not ask for it either
        if isinstance(content, dict) and any(media_kind(str(m)) for m in content):
            out["body"] = {
                "required": bool(body.get("required")),
                # examples too: apigen contract sends them
                "content": _media(builder, body["content"], True),
            }
        responses: dict[str, Any] = {}
        listed = op.get("responses")
        for status, raw in (listed if isinstance(listed, dict) else {}).items():
            response = builder.deref(raw)
            if isinstance(response, dict):
                responses[str(status).upper()] = {
                    "content": _media(builder, response.get("content"), True)
                }
                headers = _required_headers(builder, response.get("headers"))
                if headers:
                    responses[str(status).upper()]["headers"] = headers
        out["responses"] = responses
        security = op.get("security", builder.spec.get("security"))
        if isinstance(security, list) and security:
            out["security"] = [
                sorted(str(name) for name in requirement)
                for requirement in security
                if isinstance(requirement, dict)
            ]
        yield out


_NONE: Any = object()


def _example_of(builder: _Builder, node: dict[str, Any]) -> Any:
    """A parameter's ``example``, else the value of its first ``examples`` entry."""
    if "example" in node:
        return node["example"]
    examples = node.get("examples")
    if isinstance(examples, dict) and examples:
        first = builder.deref(next(iter(examples.values())))
        if isinstance(first, dict) and "value" in first:
            return first["value"]
    return _NONE


def _required_headers(builder: _Builder, headers: Any) -> dict[str, Any]:
    """Response headers the spec requires (Content-Type is never one, OpenAPI says)."""
    out: dict[str, Any] = {}
    for name, raw in (headers if isinstance(headers, dict) else {}).items():
        header = builder.deref(raw)
        if isinstance(header, dict) and header.get("required") and name.lower() != "content-type":
            out[str(name)] = builder.schema(header.get("schema") or {})
    return out


def _security_schemes(builder: _Builder) -> dict[str, Any]:
    """What the mock checks of each scheme: where its credential goes."""
    out: dict[str, Any] = {}
    schemes = (builder.spec.get("components") or {}).get("securitySchemes") or {}
    for name, raw in schemes.items() if isinstance(schemes, dict) else ():
        scheme = builder.deref(raw)
        if not isinstance(scheme, dict):
            continue
        entry = {k: str(scheme[k]) for k in ("type", "in", "name", "scheme") if k in scheme}
        out[str(name)] = entry
    return out


def mock_spec(spec: dict[str, Any], api: "Api | None" = None) -> dict[str, Any]:
    """The compact description as a JSON-ready dict (deterministic for the same input)."""
    builder = _Builder(spec)
    operations = list(_operations(builder))
    if api is not None:
        by_key = {
            (op.method, op.path): (resource, op)
            for resource in api.resources
            for op in resource.operations
        }
        for entry in operations:
            found = by_key.get((entry["method"], entry["path"]))
            if found is None:
                continue
            resource, op = found
            entry["name"] = f"{resource.dotted}.{op.py_name}"  # as the user reaches it
            if op.pagination is not None:
                paging = op.pagination
                entry["stop"] = [
                    list(p) for p in (paging.has_more, paging.next_cursor, paging.next_url) if p
                ]
        operations = [entry for entry in operations if "name" in entry]  # those the client has
    schemes = _mapping(_mapping(spec.get("components")).get("securitySchemes"))
    query_auth = sorted(
        {
            str(s.get("name"))
            for s in map(builder.deref, schemes.values())
            if isinstance(s, dict) and s.get("type") == "apiKey" and s.get("in") == "query"
        }
    )
    base_paths = []
    for server in _listed(spec.get("servers")):
        url = server.get("url") if isinstance(server, dict) else None
        if isinstance(url, str):
            path = url.split("://", 1)[-1]
            path = (
                path[path.find("/") :]
                if "://" in url and "/" in path
                else (path if "://" not in url else "")
            )
            base_paths.append(path.rstrip("/"))
    return {
        "base_paths": sorted(set(base_paths)),
        "query_auth": query_auth,
        "security_schemes": _security_schemes(builder),
        "operations": operations,
        "schemas": builder.finish(),
    }


def mock_spec_json(spec: dict[str, Any], api: "Api | None" = None) -> str:
    return json.dumps(mock_spec(spec, api), ensure_ascii=True, separators=(",", ":")) + "\n"
