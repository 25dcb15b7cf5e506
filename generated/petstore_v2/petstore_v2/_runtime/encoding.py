"""Serialisation of parameters and bodies into what goes on the wire.

Follows the OpenAPI defaults (query/cookie ``form`` + explode, path/header ``simple``)
with the per-parameter ``ParamStyle`` overrides the generator emits. Path values are
percent-encoded per segment so a value can never add or remove path segments.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import os
import re
import types
import typing
from typing import Any, Mapping, Union
from urllib.parse import quote, urlencode

import pydantic
import pydantic_core

from .uploads import FilePart, StreamedBody, is_streamable
from .endpoint import BodyKind, ParamStyle
from .lazy import real_type

__all__ = [
    "scalar_to_str",
    "encode_path",
    "encode_query",
    "encode_header",
    "encode_cookies",
    "encode_body",
    "jsonable",
    "wire_names",
]

_DEFAULT_STYLE = ParamStyle()


def jsonable(value: Any) -> Any:
    """Plain JSON-compatible data; pydantic models dumped by alias, unset fields left out."""
    tp = type(value)
    if tp is str or tp is int or tp is float or tp is bool or value is None:
        return value
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return pydantic_core.to_jsonable_python(value)


# model class -> (Python field name -> (wire name, field type), wire name -> field type)
_FIELDS: dict[type, tuple[dict[str, tuple[str, Any]], dict[str, Any]]] = {}


def _fields_of(cls: type[pydantic.BaseModel]) -> tuple[dict[str, tuple[str, Any]], dict[str, Any]]:
    try:
        return _FIELDS[cls]
    except KeyError:
        pass
    if len(_FIELDS) > 4096:
        _FIELDS.clear()
    by_name = {name: (f.alias or name, f.annotation) for name, f in cls.model_fields.items()}
    table = by_name, {wire: tp for wire, tp in by_name.values()}
    _FIELDS[cls] = table
    return table


def _model_of(tp: Any, value: Mapping[str, Any]) -> type[pydantic.BaseModel] | None:
    """The model a dict stands for: ``tp`` itself, or the union member sharing most keys."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(tp)[0], value)
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return None if issubclass(tp, pydantic.RootModel) else tp
    if origin is Union or origin is types.UnionType:
        best, score = None, 0
        for member in typing.get_args(tp):
            cls = _model_of(member, value)
            if cls is None:
                continue
            by_name, wires = _fields_of(cls)
            shared = sum(1 for k in value if k in wires or k in by_name)
            if shared > score:
                best, score = cls, shared
        return best
    return None


def _item_type(tp: Any) -> Any:
    """The element type of a list annotation (through Optional), else None."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _item_type(typing.get_args(tp)[0])
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        return args[0] if args else None
    if origin is Union or origin is types.UnionType:
        for member in typing.get_args(tp):
            item = _item_type(member)
            if item is not None:
                return item
    return None


def wire_names(tp: Any, value: Any, unknown: list[str] | None = None, where: str = "") -> Any:
    """A dict body with its keys as the wire expects: Python field names (``from_``)
    become wire names (``From``), also in nested objects; wire names stay; keys the
    model does not declare are kept unchanged and listed in ``unknown``."""
    if isinstance(value, Mapping):
        cls = _model_of(tp, value)
        if cls is None:
            return value
        by_name, wires = _fields_of(cls)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in wires:
                wire, field_type = key, wires[key]
            elif key in by_name:
                wire, field_type = by_name[key]
            else:
                if unknown is not None:
                    unknown.append(f"{where}{key}")
                out[key] = item
                continue
            if field_type is not None and isinstance(item, (Mapping, list, tuple)):
                # a nested object or list: its model's stand-in, if any, is loaded now
                item = wire_names(real_type(field_type), item, unknown, f"{where}{wire}.")
            out[wire] = item
        return out
    if isinstance(value, (list, tuple)):
        item_type = _item_type(tp)
        if item_type is None:
            return value
        return [wire_names(item_type, v, unknown, where) for v in value]
    return value


def scalar_to_str(value: Any) -> str:
    """One primitive value as text: bools lower-case, enums by value, dates ISO 8601."""
    tp = type(value)
    if tp is str:
        return value  # type: ignore[no-any-return]
    if tp is bool:
        return "true" if value else "false"
    if tp is int or tp is float:
        return str(value)
    if isinstance(value, enum.Enum):
        return scalar_to_str(value.value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (dict, list, tuple, pydantic.BaseModel)):
        return json.dumps(jsonable(value), separators=(",", ":"))
    return str(value)


def _as_container(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return value


# what quote(text, safe="") leaves as it is (besides the dot-segments "." and "..")
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+").fullmatch


def _path_segment(value: Any) -> str:
    tp = type(value)
    if tp is int:
        return str(value)
    text = value if tp is str else scalar_to_str(value)
    if _PLAIN_SEGMENT(text) is not None and text.strip("."):  # the common id and name case
        return text
    text = quote(text, safe="")
    # "." and ".." are dot-segments that URL normalisation would resolve: encode them.
    if text == "." or text == "..":
        return text.replace(".", "%2E")
    return text


def fill_query(
    pairs: tuple[tuple[str, str], ...], params: Mapping[str, Any] | None
) -> list[tuple[str, Any]]:
    """The path template's own query with its ``{name}`` placeholders filled from the path
    parameters (Clicksend's ``/export?filename={filename}``); the query encodes them."""
    out: list[tuple[str, Any]] = []
    for key, value in pairs:
        name = value[1:-1] if value.startswith("{") and value.endswith("}") else None
        if name is not None and params and params.get(name) is not None:
            encode_query({key: params[name]}, {}, out)
        else:
            out.append((key, value))
    return out


def encode_path(
    template: str, params: Mapping[str, Any] | None, styles: Mapping[str, ParamStyle]
) -> str:
    """Substitute ``{name}`` placeholders; each value becomes exactly one encoded segment."""
    if not params:
        if "{" in template:
            raise ValueError(f"missing path parameters for {template!r}")
        return template
    path = template
    for name, value in params.items():
        if value is None:
            raise ValueError(f"path parameter {name!r} is required")
        tp = type(value)
        if tp is str or tp is int:
            path = path.replace("{" + name + "}", _path_segment(value))
            continue
        value = _as_container(value)
        if isinstance(value, (list, tuple)):
            text = ",".join(_path_segment(v) for v in value)
        elif isinstance(value, dict):
            style = styles.get(name, _DEFAULT_STYLE)
            sep = "=" if style.explode else ","
            text = ",".join(f"{_path_segment(k)}{sep}{_path_segment(v)}" for k, v in value.items())
        else:
            text = _path_segment(value)
        path = path.replace("{" + name + "}", text)
    if "{" in path:
        raise ValueError(f"missing path parameters for {template!r}")
    return path


_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


def encode_query(
    params: Mapping[str, Any] | None, styles: Mapping[str, ParamStyle], out: list[tuple[str, Any]]
) -> None:
    """Append ``(name, text)`` pairs for every given (non-None) query parameter to ``out``."""
    if not params:
        return
    for name, value in params.items():
        if value is None:
            continue
        tp = type(value)
        if tp is str:
            out.append((name, value))
            continue
        if tp is int:
            out.append((name, str(value)))
            continue
        value = _as_container(value)
        style = styles.get(name, _DEFAULT_STYLE) if styles else _DEFAULT_STYLE
        if style.style == "json":  # the parameter's `content` is JSON (a str: JSON text given)
            out.append((name, _json_text(value)))
        elif isinstance(value, (list, tuple)):
            if style.style == "deepObject":
                # OpenAPI leaves deepObject arrays undefined; Stripe's SDK (and qs, Rails)
                # send name[0]=a&name[1]=b, nested objects as name[0][key]=v
                _bracket_pairs(name, value, out)
            elif style.explode:
                out.extend((name, scalar_to_str(v)) for v in value if v is not None)
            else:
                delim = _DELIMITERS.get(style.style, ",")
                out.append((name, delim.join(scalar_to_str(v) for v in value if v is not None)))
        elif isinstance(value, dict):
            if style.style == "deepObject":
                for k, v in value.items():
                    _bracket_pairs(f"{name}[{k}]", v, out)
            elif style.explode:
                out.extend((str(k), scalar_to_str(v)) for k, v in value.items() if v is not None)
            else:
                flat = []
                for k, v in value.items():
                    if v is not None:
                        flat += [str(k), scalar_to_str(v)]
                out.append((name, ",".join(flat)))
        else:
            out.append((name, scalar_to_str(value)))


def encode_header(value: Any, style: ParamStyle = _DEFAULT_STYLE) -> str:
    """Header value per ``simple`` style: lists comma-joined, objects k,v or k=v."""
    value = _as_container(value)
    if isinstance(value, (list, tuple)):
        return ",".join(scalar_to_str(v) for v in value)
    if isinstance(value, dict):
        if style.explode:
            return ",".join(f"{k}={scalar_to_str(v)}" for k, v in value.items())
        return ",".join(f"{k},{scalar_to_str(v)}" for k, v in value.items())
    return scalar_to_str(value)


def encode_cookies(cookies: Mapping[str, Any]) -> str:
    """A ``Cookie`` header value; values are percent-encoded so they cannot break the header."""
    parts = []
    for name, value in cookies.items():
        if value is None:
            continue
        value = _as_container(value)
        if isinstance(value, (list, tuple)):
            text = ",".join(scalar_to_str(v) for v in value)
        else:
            text = scalar_to_str(value)
        parts.append(f"{name}={quote(text, safe='')}")
    return "; ".join(parts)


def _form_fields(body: Any) -> list[tuple[str, Any]]:
    body = _as_container(body)
    if isinstance(body, Mapping):
        return [(str(k), v) for k, v in body.items() if v is not None]
    if _is_pairs(body):
        return [(str(k), v) for k, v in body]
    if isinstance(body, (list, tuple)):  # a form the spec types as an array (PeerTube's
        # studio tasks): the items by index, objects in brackets (0[name]=cut)
        return [(str(i), v) for i, v in enumerate(body) if v is not None]
    raise TypeError(f"form body must be a mapping or a model, not {type(body).__name__}")


# The part a multipart body is sent as when the spec's schema for it is no object (Jira's
# and Noosh's attachments: a binary string): the name those APIs document for it.
WHOLE_BODY_PART = "file"


def _is_pairs(body: Any) -> bool:
    return isinstance(body, (list, tuple)) and all(
        isinstance(item, (list, tuple)) and len(item) == 2 for item in body
    )


def _multipart_fields(body: Any) -> list[tuple[str, Any]]:
    """The parts of a multipart body: a mapping's fields, (name, value) pairs, or else
    the body itself as the part ``file`` (a list: one such part per item)."""
    body = _as_container(body)
    if isinstance(body, Mapping) or (_is_pairs(body) and not _is_file(body)):
        return _form_fields(body)
    if isinstance(body, list):
        return [(WHOLE_BODY_PART, item) for item in body if item is not None]
    return [(WHOLE_BODY_PART, body)]


def _read(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if hasattr(value, "read"):
        data = value.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise TypeError(f"cannot send {type(value).__name__} as binary content")


def _is_file(value: Any) -> bool:
    return (
        isinstance(value, (bytes, bytearray, memoryview, os.PathLike))
        or hasattr(value, "read")
        or (
            isinstance(value, tuple)
            and 2 <= len(value) <= 3
            and (value[0] is None or isinstance(value[0], str))
        )
    )


def _disposition_quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _encode_multipart(fields: list[tuple[str, Any]]) -> tuple[bytes | StreamedBody, str]:
    # Bytes in memory; a path or a file object is read while the body is sent (uploads.py),
    # and each pass reads it again from where it started, so a retry can re-send it.
    boundary = os.urandom(16).hex()
    chunks: list[bytes | FilePart] = []
    for name, value in fields:
        # A list of files is sent as repeated parts; any other non-string is JSON text.
        values = (
            value
            if isinstance(value, list) and value and all(_is_file(v) for v in value)
            else [value]
        )
        for item in values:
            head = f'Content-Disposition: form-data; name="{_disposition_quote(name)}"'
            ctype: str | None = None
            if _is_file(item):
                filename: str | None
                if isinstance(item, tuple):
                    filename, content = item[0], item[1]
                    ctype = item[2] if len(item) == 3 else None
                else:
                    filename, content = None, item
                part: bytes | FilePart
                if is_streamable(content):
                    part = FilePart(content)
                    filename = filename or part.name
                else:
                    if filename is None and not isinstance(content, (bytes, bytearray)):
                        filename = os.path.basename(str(getattr(content, "name", ""))) or None
                    part = _read(content)
                head += f'; filename="{_disposition_quote(filename or name)}"'
                ctype = ctype or "application/octet-stream"
            else:
                text = item if isinstance(item, str) else scalar_to_str(item)
                part = text.encode("utf-8")
            if ctype:
                head += f"\r\nContent-Type: {ctype}"
            chunks += [f"--{boundary}\r\n{head}\r\n\r\n".encode("utf-8"), part, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    ctype_header = f"multipart/form-data; boundary={boundary}"
    if not any(isinstance(c, FilePart) for c in chunks):
        return b"".join(c for c in chunks if isinstance(c, bytes)), ctype_header
    pieces: list[bytes | FilePart] = []
    for c in chunks:  # neighbouring bytes joined: fewer, larger writes
        if isinstance(c, bytes) and pieces and isinstance(pieces[-1], bytes):
            pieces[-1] += c
        else:
            pieces.append(c)
    return StreamedBody(pieces), ctype_header


def _bracket_pairs(name: str, value: Any, out: list[tuple[str, Any]]) -> None:
    value = _as_container(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if item is not None:
                _bracket_pairs(f"{name}[{key}]", item, out)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _bracket_pairs(f"{name}[{index}]", item, out)
    elif value is not None:
        out.append((name, scalar_to_str(value)))


def _json_text(value: Any) -> str:
    return json.dumps(jsonable(value), separators=(",", ":"), ensure_ascii=False)


def encode_body(
    kind: BodyKind | None,
    body: Any,
    content_type: str | None,
    styles: Mapping[str, ParamStyle] | None = None,
    json_fields: frozenset[str] = frozenset(),
) -> tuple[bytes | StreamedBody, str]:
    """``(content, content_type)`` for a request body according to the endpoint's body kind.

    A file part (or a binary body) given as a path or a file object is a ``StreamedBody``:
    read while it is sent, never whole.

    ``json_fields`` are form fields the spec types as a string holding JSON (Slack's
    ``blocks``): a list or dict given for one is sent as its JSON text.
    """
    if kind is None or kind == "json":
        if isinstance(body, pydantic.BaseModel):
            data = body.model_dump_json(by_alias=True, exclude_unset=True).encode("utf-8")
        else:
            data = pydantic_core.to_json(jsonable(body))
        return data, content_type or "application/json"
    if kind == "form":
        if isinstance(body, (str, bytes, bytearray, memoryview)):
            # a form the spec types as a string: fields the caller encoded, sent as they are
            return _read(body), content_type or "application/x-www-form-urlencoded"
        pairs: list[tuple[str, str]] = []
        for k, v in _form_fields(body):
            v = _as_container(v)
            style = (styles or {}).get(k)
            if k in json_fields and isinstance(v, (Mapping, list, tuple)):
                pairs.append((k, _json_text(v)))
            elif (
                isinstance(v, Mapping)
                or style is not None
                and style.style == "deepObject"
                or (
                    isinstance(v, (list, tuple))
                    and any(isinstance(_as_container(x), Mapping) for x in v)
                )
            ):
                # nested objects as name[key][sub]=value: what Stripe, Rails and PHP
                # servers decode, and OpenAPI's deepObject
                _bracket_pairs(k, v, pairs)
            elif isinstance(v, (list, tuple)):
                pairs.extend((k, scalar_to_str(x)) for x in v)
            else:
                pairs.append((k, scalar_to_str(v)))
        return urlencode(pairs).encode("ascii"), content_type or "application/x-www-form-urlencoded"
    if kind == "multipart":
        fields = _multipart_fields(body)
        if json_fields:
            structured = (Mapping, list, tuple)
            fields = [
                (k, _json_text(v) if k in json_fields and isinstance(v, structured) else v)
                for k, v in fields
            ]
        return _encode_multipart(fields)
    if kind == "binary":
        if is_streamable(body):
            return StreamedBody([FilePart(body)]), content_type or "application/octet-stream"
        return _read(body), content_type or "application/octet-stream"
    if kind == "text":
        text = body if isinstance(body, str) else scalar_to_str(body)
        return text.encode("utf-8"), content_type or "text/plain; charset=utf-8"
    raise ValueError(f"unknown body kind {kind!r}")
