"""Swagger 2.0 upgraded to OpenAPI 3.0.3 (apigen's own converter).

Definitions, body and formData parameters, consumes/produces, securityDefinitions and
collectionFormat become their 3.0 forms; ``swagger2_shape`` first makes the document
the shape 2.0 says it has, so a broken one never stops the upgrade.
"""

from __future__ import annotations

from typing import Any

from .spec_walk import HTTP_METHODS, MAP_KEYS, skips_value
from .swagger2_shape import swagger2_shape


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
