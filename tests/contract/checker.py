"""Checks one httpx.Request against one operation of a (prepared) OpenAPI document.

``check_request(spec, api, op, request, base_path)`` returns a list of problems
(empty when the request is valid): method and path against the operation's path
template (segments percent-decoded), every parameter (required ones present,
values parsed per style/explode and validated against their schema), no query
parameter the operation does not declare, the credentials one security
alternative asks for, and the body (content type offered by the spec; JSON
validated against the schema; form fields and multipart parts decoded, coerced
per property schema and validated).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

from synth import BASE, SpecSchemas, escape

# ---------------------------------------------------------------- spec access


def operation_node(spec: SpecSchemas, op: Any) -> dict[str, Any]:
    return spec.pointer(f"/paths/{escape(op.path)}/{op.method.lower()}")


def spec_parameters(spec: SpecSchemas, op: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """(location, name) -> parameter object; operation-level overrides path-level."""
    path_item = spec.deref(spec.pointer(f"/paths/{escape(op.path)}"))
    node = operation_node(spec, op)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for source in (path_item.get("parameters") or [], node.get("parameters") or []):
        for p in source:
            p = spec.deref(p)
            if isinstance(p, dict) and isinstance(p.get("name"), str):
                out[(p.get("in", ""), p["name"])] = p
    return out


def _param_schema(spec: SpecSchemas, param: dict[str, Any]) -> Any:
    if "schema" in param:
        return param["schema"]
    content = param.get("content")
    if isinstance(content, dict) and content:
        media = next(iter(content.values()))
        return (media or {}).get("schema", {})
    return {}


# ---------------------------------------------------------------- coercion


class Coercer:
    """Text from the wire -> candidate JSON values for a schema (any that validates wins)."""

    def __init__(self, spec: SpecSchemas) -> None:
        self.spec = spec

    def kinds(self, schema: Any, depth: int = 0) -> set[str]:
        schema = self.spec.deref(schema)
        if not isinstance(schema, dict) or depth > 10:
            return set()
        out: set[str] = set()
        t = schema.get("type")
        if isinstance(t, str):
            out.add(t)
        elif isinstance(t, list):
            out.update(x for x in t if isinstance(x, str))
        if "items" in schema:
            out.add("array")
        if "properties" in schema:
            out.add("object")
        for key in ("oneOf", "anyOf", "allOf"):
            for sub in schema.get(key) or []:
                out |= self.kinds(sub, depth + 1)
        if isinstance(schema.get("$ref"), str):
            out |= self.kinds(self.spec.deref({"$ref": schema["$ref"]}), depth + 1)
        enum = schema.get("enum")
        if isinstance(enum, list):
            for v in enum:
                out.add(
                    {
                        bool: "boolean",
                        int: "integer",
                        float: "number",
                        str: "string",
                        type(None): "null",
                    }.get(type(v), "string")
                )
        return out

    def items_schema(self, schema: Any, depth: int = 0) -> Any:
        schema = self.spec.deref(schema)
        if not isinstance(schema, dict) or depth > 10:
            return {}
        if "items" in schema:
            return schema["items"]
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in schema.get(key) or []:
                found = self.items_schema(sub, depth + 1)
                if found != {}:
                    return found
        return {}

    def scalar_candidates(self, raw: str, schema: Any) -> list[Any]:
        kinds = self.kinds(schema)
        out: list[Any] = []
        if "integer" in kinds or "number" in kinds:
            try:
                out.append(int(raw))
            except ValueError:
                pass
        if "number" in kinds:
            try:
                out.append(float(raw))
            except ValueError:
                pass
        if "boolean" in kinds and raw in ("true", "false"):
            out.append(raw == "true")
        if "null" in kinds and raw in ("", "null"):
            out.append(None)
        if "object" in kinds or "array" in kinds:
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass
        out.append(raw)
        return out

    def check_text(self, raw: str, schema: Any, delimiter: str = ",") -> list[str]:
        """Problems with one textual value (a scalar, or a delimited array)."""
        kinds = self.kinds(schema)
        parts = raw.split(delimiter) if raw != "" else []
        if "array" in kinds and not kinds & {"string", "integer", "number", "boolean"}:
            return self.check_list(parts, schema)
        cands = self.scalar_candidates(raw, schema)
        for c in cands:
            if self.spec.is_valid(schema, c):
                return []
        if "array" in kinds and not self.check_list(parts, schema):
            return []
        return [
            f"{raw!r} does not parse as its schema: "
            + "; ".join(self.spec.errors(schema, cands[-1]))
        ]

    def check_list(self, parts: list[str], schema: Any) -> list[str]:
        items = self.items_schema(schema)
        value = []
        for p in parts:
            chosen: Any = p
            for c in self.scalar_candidates(p, items):
                if self.spec.is_valid(items, c):
                    chosen = c
                    break
            value.append(chosen)
        errs = self.spec.errors(schema, value)
        return [f"{parts!r} does not parse as its schema: " + "; ".join(errs)] if errs else []

    def object_from_fields(self, fields: dict[str, list[str]], schema: Any) -> dict[str, Any]:
        """Form fields (name -> values) typed per property schema."""
        resolved = self.spec.deref(schema)
        props = _properties(self.spec, resolved)
        out: dict[str, Any] = {}
        for name, values in fields.items():
            sub = props.get(name, {})
            if isinstance(values, dict):
                out[name] = self._fold(values, sub)
                continue
            if "array" in self.kinds(sub):
                items = self.items_schema(sub)
                out[name] = [self._best(v, items) for v in values]
                if len(values) == 1 and "," in values[0] and not self.spec.is_valid(sub, out[name]):
                    out[name] = [self._best(v, items) for v in values[0].split(",")]
            else:
                out[name] = self._best(values[-1], sub)
        return out

    def _fold(self, node: dict[str, Any], schema: Any) -> Any:
        props = _properties(self.spec, schema)
        extra = _additional(self.spec, schema)
        keys = list(node)
        kinds = self.kinds(schema)
        if keys and all(k.isdigit() or k == "" for k in keys) and ("array" in kinds or not kinds):
            items = self.items_schema(schema)
            return [
                self._fold(v, items) if isinstance(v, dict) else self._best(v, items)
                for v in node.values()
            ]
        out = {}
        for k, v in node.items():
            sub = props.get(k, extra if isinstance(extra, dict) else {})
            out[k] = self._fold(v, sub) if isinstance(v, dict) else self._best(v, sub)
        return out

    def _best(self, raw: Any, schema: Any) -> Any:
        if not isinstance(raw, str):
            return raw
        cands = self.scalar_candidates(raw, schema)
        for c in cands:
            if self.spec.is_valid(schema, c):
                return c
        return cands[-1]


def _properties(spec: SpecSchemas, schema: Any, depth: int = 0) -> dict[str, Any]:
    schema = spec.deref(schema)
    if not isinstance(schema, dict) or depth > 10:
        return {}
    out = dict(schema.get("properties") or {})
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key) or []:
            for k, v in _properties(spec, sub, depth + 1).items():
                out.setdefault(k, v)
    return out


def _additional(spec: SpecSchemas, schema: Any, depth: int = 0) -> Any:
    """The additionalProperties schema of an object schema, looking through compositions."""
    schema = spec.deref(schema)
    if not isinstance(schema, dict) or depth > 10:
        return {}
    if isinstance(schema.get("additionalProperties"), dict):
        return schema["additionalProperties"]
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key) or []:
            found = _additional(spec, sub, depth + 1)
            if found != {}:
                return found
    return {}


# ---------------------------------------------------------------- the check


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^{}]+\})", template)
    rx = ""
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            rx += f"(?P<p{len(rx)}>[^/]*)"
        else:
            rx += re.escape(part)
    return re.compile("^" + rx + "$")


def _template_names(template: str) -> list[str]:
    return re.findall(r"\{([^{}]+)\}", template)


def _media_base(ctype: str) -> str:
    return ctype.split(";", 1)[0].strip().lower()


def _media_matches(offered: str, sent: str) -> bool:
    o, s = _media_base(offered), _media_base(sent)
    if o == s or o in ("*/*", ""):
        return True
    if o.endswith("/*"):
        return s.startswith(o[:-1])
    return False


def check_request(
    spec: SpecSchemas,
    api: Any,
    op: Any,
    request: httpx.Request,
    base_path: str,
    query_auth: set[str],
) -> list[str]:
    problems: list[str] = []
    coercer = Coercer(spec)
    if request.method != op.method:
        problems.append(f"method {request.method} != {op.method}")
    raw = request.url.raw_path.decode("ascii")
    raw_path = raw.split("?", 1)[0]
    if not raw_path.startswith(base_path):
        problems.append(f"path {raw_path!r} outside the base path {base_path!r}")
        return problems
    rel = raw_path[len(base_path) :] or "/"
    params = spec_parameters(spec, op)

    # ---- path
    rx = _template_regex(op.path)
    names = _template_names(op.path)
    m = rx.match(rel)
    if m is None:
        m = rx.match(unquote(rel))
    if m is None:
        problems.append(f"path {rel!r} does not match template {op.path!r}")
    else:
        for name, value in zip(names, m.groups()):
            text = unquote(value)
            if text == "":
                problems.append(f"path parameter {name!r} is empty")
                continue
            p = params.get(("path", name))
            if p is None:
                continue
            for e in coercer.check_text(text, _param_schema(spec, p)):
                problems.append(f"path parameter {name!r}: {e}")

    # ---- query
    pairs = parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)
    query: dict[str, list[str]] = {}
    for k, v in pairs:
        query.setdefault(k, []).append(v)
    consumed: set[str] = set()
    for (loc, name), p in params.items():
        if loc != "query":
            continue
        schema = _param_schema(spec, p)
        style = p.get("style", "form")
        explode = p.get("explode", style == "form")
        kinds = coercer.kinds(schema)
        present = False
        if style == "deepObject" or (
            "object" in kinds
            and explode
            and "array" not in kinds
            and not kinds & {"string", "integer", "number", "boolean"}
        ):
            if style == "deepObject":
                # name[key][sub]=v and name[0]=v (arrays as the official SDKs send them,
                # stripe-python: expand[0]=customer), folded back into one value
                mine = {k: v for k, v in query.items() if k.startswith(name + "[")}
                consumed |= set(mine)
                fields = {}
                if mine:
                    present = True
                    folded = _fold_deep_objects(mine).get(name)
                    value = coercer._fold(folded, schema) if isinstance(folded, dict) else folded
                    for e in spec.errors(schema, value):
                        problems.append(f"query parameter {name!r} (deepObject): {e}")
            else:
                props = _properties(spec, schema)
                fields = {k: v for k, v in query.items() if k in props}
                if name in query:
                    fields = {}
                consumed |= set(fields)
            if fields:
                present = True
                obj = coercer.object_from_fields(fields, schema)
                for e in spec.errors(schema, obj):
                    problems.append(f"query parameter {name!r} (object): {e}")
        if name in query:
            present = True
            consumed.add(name)
            values = query[name]
            delimiter = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
            if "array" in kinds and explode and style not in ("spaceDelimited", "pipeDelimited"):
                errs = (
                    coercer.check_list(values, schema)
                    if len(values) > 1 or not _scalar_ok(coercer, values[0], schema)
                    else []
                )
            elif len(values) > 1:
                errs = [f"sent {len(values)} times: {values!r}"]
            else:
                errs = coercer.check_text(values[0], schema, delimiter)
            for e in errs:
                problems.append(f"query parameter {name!r}: {e}")
        if p.get("required") and not present:
            problems.append(f"required query parameter {name!r} missing")
    for k in query:
        if k not in consumed and k not in query_auth:
            problems.append(f"undeclared query parameter {k!r} sent")

    # ---- headers and cookies
    cookies: dict[str, str] = {}
    for part in request.headers.get("cookie", "").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            cookies[k.strip()] = unquote(v.strip())
    for (loc, name), p in params.items():
        if loc not in ("header", "cookie"):
            continue
        if loc == "header" and name.lower() in ("accept", "content-type", "authorization"):
            continue  # described by the spec elsewhere (OpenAPI ignores them as parameters)
        value = request.headers.get(name) if loc == "header" else cookies.get(name)
        if value is None:
            if p.get("required"):
                problems.append(f"required {loc} parameter {name!r} missing")
            continue
        for e in coercer.check_text(value, _param_schema(spec, p)):
            problems.append(f"{loc} parameter {name!r}: {e}")

    # ---- security
    problems += _check_security(api, op, request, query, cookies)

    # ---- body
    problems += _check_body(spec, coercer, op, request)
    return problems


def _scalar_ok(coercer: Coercer, raw: str, schema: Any) -> bool:
    return any(coercer.spec.is_valid(schema, c) for c in coercer.scalar_candidates(raw, schema))


def _check_security(
    api: Any, op: Any, request: httpx.Request, query: dict[str, list[str]], cookies: dict[str, str]
) -> list[str]:
    requirement = op.security if op.security is not None else api.default_security
    if not requirement:
        return []
    schemes = {s.name: s for s in api.security_schemes}
    auth = request.headers.get("authorization", "")

    def satisfied(name: str) -> bool:
        s = schemes.get(name)
        if s is None:
            return True  # a scheme the generator could not express is reported at generation
        if s.kind == "apiKey":
            if s.location == "header":
                return bool(request.headers.get(s.param_name or ""))
            if s.location == "query":
                return bool(query.get(s.param_name or ""))
            if s.location == "cookie":
                return bool(cookies.get(s.param_name or ""))
            return True
        if s.kind == "basic":
            return auth.lower().startswith("basic ")
        if s.kind in ("bearer", "oauth2"):
            return auth.lower().startswith("bearer ")
        return True

    for alternative in requirement:
        if all(satisfied(n) for n in alternative):
            return []
    authorization = "set" if auth else "absent"
    return [f"no security alternative satisfied: {requirement!r} (Authorization={authorization})"]


def _request_media(spec: SpecSchemas, op: Any) -> tuple[dict[str, Any], bool]:
    node = operation_node(spec, op)
    body = spec.deref(node.get("requestBody") or {})
    return (body.get("content") or {}), bool(body.get("required"))


def _check_body(spec: SpecSchemas, coercer: Coercer, op: Any, request: httpx.Request) -> list[str]:
    content = request.content
    if op.body is None:
        return [f"unexpected body of {len(content)} bytes"] if content else []
    media_map, required = _request_media(spec, op)
    if not content:
        return ["required body missing"] if (required or op.body.required) else []
    ctype = request.headers.get("content-type", "")
    chosen = None
    for offered, media in media_map.items():
        if _media_matches(offered, ctype):
            chosen = (offered, media or {})
            break
    if chosen is None:
        return [f"content type {ctype!r} is not one the spec offers ({', '.join(media_map)})"]
    offered, media = chosen
    schema = media.get("schema", {})
    base = _media_base(ctype)
    kind = op.body.kind
    problems: list[str] = []
    if kind == "json" or base.endswith("json") or base.endswith("+json"):
        try:
            value = json.loads(content)
        except ValueError as exc:
            return [f"body is not JSON: {exc}"]
        for e in spec.errors(schema, value):
            problems.append(f"JSON body: {e}")
    elif kind == "form":
        fields: dict[str, list[str]] = {}
        for k, v in parse_qsl(content.decode("ascii"), keep_blank_values=True):
            fields.setdefault(k, []).append(v)
        encoding = media.get("encoding") if isinstance(media.get("encoding"), dict) else {}
        problems += _check_form_encoding(coercer, fields, schema, encoding)
        fields = _fold_deep_objects(fields)
        obj = coercer.object_from_fields(fields, schema)
        for e in spec.errors(schema, obj):
            problems.append(f"form body {sorted(fields)}: {e}")
    elif kind == "multipart":
        if not base.startswith("multipart/"):
            return [f"multipart body sent as {ctype!r}"]
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + content
        )
        if not msg.is_multipart():
            return ["multipart body does not parse"]
        parts: dict[str, list[Any]] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                problems.append("multipart part without a name")
                continue
            data = part.get_payload(decode=True) or b""
            parts.setdefault(str(name), []).append(data.decode("utf-8", "replace"))
        obj = coercer.object_from_fields(parts, schema)
        for e in spec.errors(schema, obj):
            problems.append(f"multipart body {sorted(parts)}: {e}")
    elif kind == "text":
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            problems.append("text body is not UTF-8")
    return problems


def _check_form_encoding(
    coercer: Coercer, fields: dict[str, list[str]], schema: Any, encoding: dict[str, Any]
) -> list[str]:
    """An object property the spec's ``encoding`` declares ``style: deepObject`` must be sent as
    ``name[key]=value`` pairs, not as one field holding JSON text."""
    problems = []
    props = _properties(coercer.spec, schema)
    for name, enc in encoding.items():
        if not isinstance(enc, dict) or enc.get("style") != "deepObject":
            continue
        kinds = coercer.kinds(props.get(name, {}))
        if "object" not in kinds:
            continue  # deepObject is undefined for arrays and scalars in OpenAPI
        if name in fields:
            problems.append(
                f"form field {name!r} sent as {fields[name][0][:80]!r}; "
                "the spec's encoding declares style=deepObject (name[key]=value pairs)"
            )
    return problems


def _fold_deep_objects(fields: dict[str, list[str]]) -> dict[str, Any]:
    """``a[b][c]=v`` form fields folded into nested objects under ``a`` (for schema validation)."""
    out: dict[str, Any] = {}
    for key, values in fields.items():
        m = re.match(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$", key)
        if not m:
            out[key] = values
            continue
        node = out.setdefault(m.group(1), {})
        if not isinstance(node, dict):
            continue
        path = re.findall(r"\[([^\[\]]*)\]", m.group(2))
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = values[-1] if len(values) == 1 else values
    return out


def query_auth_names(api: Any) -> set[str]:
    return {
        s.param_name
        for s in api.security_schemes
        if s.kind == "apiKey" and s.location == "query" and s.param_name
    }


__all__ = ["check_request", "operation_node", "spec_parameters", "query_auth_names", "BASE"]
