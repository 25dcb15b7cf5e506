"""The shape the Swagger 2.0 upgrade can rely on, whatever the document holds.

The upgrade (``swagger2_upgrade.upgrade_swagger2``) runs after validation has reported what is
wrong with a document, and reads it as Swagger 2.0 says it is shaped: ``paths`` a
mapping of mappings, ``parameters`` lists of mappings with string ``name`` and ``in``,
and so on. A hostile or broken document can put anything in those places. Here every
container the upgrade reads is kept only when it has the right type: a part of the
wrong type is left out (its validation finding already names it), so the upgrade never
fails on one.
"""

from __future__ import annotations

from typing import Any

__all__ = ["swagger2_shape"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_STRING_LISTS = ("schemes", "consumes", "produces")
# read as strings (compared, used as keys) by the upgrade
_STRING_FIELDS = frozenset(
    {
        "type",
        "flow",
        "in",
        "name",
        "collectionFormat",
        "tokenUrl",
        "authorizationUrl",
        "description",
    }
)


def _mapping(value: Any) -> dict[str, Any]:
    return {k: v for k, v in value.items() if isinstance(k, str)} if isinstance(value, dict) else {}


def _mappings(value: Any) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in _mapping(value).items() if isinstance(v, dict)}


def _strings(value: Any) -> list[str] | None:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else None


def _parameter(param: Any) -> dict[str, Any] | None:
    if not isinstance(param, dict):
        return None
    if "$ref" in param:
        return param if isinstance(param["$ref"], str) else None
    if not isinstance(param.get("name"), str) or not isinstance(param.get("in"), str):
        return None
    return {k: v for k, v in param.items() if k not in _STRING_FIELDS or isinstance(v, str)}


def _parameters(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [p for p in (_parameter(v) for v in value) if p is not None]


def _response(value: dict[str, Any]) -> dict[str, Any]:
    out = dict(value)
    if "headers" in out:
        out["headers"] = _mappings(out["headers"])
    if "description" in out and not isinstance(out["description"], str):
        out["description"] = ""
    return out


def _operation(op: dict[str, Any]) -> dict[str, Any]:
    out = dict(op)
    out["parameters"] = _parameters(op.get("parameters"))
    if "responses" in op:
        out["responses"] = {str(k): _response(v) for k, v in _mappings(op["responses"]).items()}
    for key in _STRING_LISTS:
        if key in out:
            out[key] = _strings(out[key])
    return out


def swagger2_shape(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` in which every part the upgrade reads has its declared type."""
    out = dict(spec)
    for key in ("host", "basePath"):
        if key in out and not isinstance(out[key], str):
            del out[key]
    for key in _STRING_LISTS:
        if key in out:
            out[key] = _strings(out[key]) or None
    for key in ("info", "definitions"):
        if key in out and not isinstance(out[key], dict):
            del out[key]
    out["parameters"] = {
        k: p for k, p in _mappings(spec.get("parameters")).items() if _parameter(p) is not None
    }
    out["responses"] = {k: _response(v) for k, v in _mappings(spec.get("responses")).items()}
    out["securityDefinitions"] = {
        name: {k: v for k, v in sd.items() if k not in _STRING_FIELDS or isinstance(v, str)}
        for name, sd in _mappings(spec.get("securityDefinitions")).items()
    }
    for key in ("tags", "security"):
        if key in out and not isinstance(out[key], list):
            del out[key]
    paths: dict[str, Any] = {}
    for template, item in _mappings(spec.get("paths")).items():
        shaped = dict(item)
        shaped["parameters"] = _parameters(item.get("parameters"))
        for method in _METHODS:
            if method in item:
                if isinstance(item[method], dict):
                    shaped[method] = _operation(item[method])
                else:
                    del shaped[method]
        paths[template] = shaped
    out["paths"] = paths
    return out
