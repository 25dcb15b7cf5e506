"""Turning an httpx.Response into the declared Python value or a typed error.

TypeAdapters are expensive to build and cheap to use, so they are cached per type
for the life of the process.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import httpx
import pydantic

from .endpoint import ResponseType
from .errors import APIStatusError, status_error_class

__all__ = ["adapter", "response_type", "parse_success", "parse_error_body", "status_error", "is_json"]

_ADAPTERS: dict[Any, pydantic.TypeAdapter[Any]] = {}


def adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    """A cached ``TypeAdapter`` for ``tp``."""
    try:
        return _ADAPTERS[tp]
    except KeyError:
        ta: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(tp)
        _ADAPTERS[tp] = ta
        return ta
    except TypeError:  # unhashable type expression: build each time
        return pydantic.TypeAdapter(tp)


_RANGES = {1: "1XX", 2: "2XX", 3: "3XX", 4: "4XX", 5: "5XX"}


def response_type(responses: Mapping[str, ResponseType], status: int) -> ResponseType | None:
    """The declaration for a status: exact code, then range ("2XX"), then "default"."""
    if not responses:
        return None
    rt = responses.get(str(status))
    if rt is None:
        rng = _RANGES.get(status // 100)
        rt = responses.get(rng) if rng else None
        if rt is None:
            rt = responses.get("default")
            if rt is None and rng is not None:
                rt = responses.get(rng.lower())
    return rt


def is_json(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "")
    return "json" in ctype.lower()


def parse_success(response: httpx.Response, rt: ResponseType | None) -> Any:
    """Parse a success body according to its declaration (or sniff when undeclared)."""
    if rt is None:
        if response.status_code == 204 or not response.content:
            return None
        return response.json() if is_json(response) else response.content
    kind = rt.kind
    if kind == "json":
        if response.status_code == 204 or not response.content:
            return None
        if rt.type is None:
            return response.json()
        return adapter(rt.type).validate_json(response.content)
    if kind == "empty":
        return None
    if kind == "binary":
        return response.content
    if kind == "text":
        text = response.text
        if rt.type is not None and rt.type is not str:
            return adapter(rt.type).validate_python(text)
        return text
    raise ValueError(f"unknown response kind {kind!r}")


def parse_error_body(response: httpx.Response, rt: ResponseType | None) -> Any:
    """Declared error model if it validates, else decoded JSON, else text (never raises)."""
    content = response.content
    if not content:
        return None
    if rt is not None and rt.kind == "json" and rt.type is not None:
        try:
            return adapter(rt.type).validate_json(content)
        except (pydantic.ValidationError, ValueError):
            pass
    try:
        return json.loads(content)
    except ValueError:
        return response.text


def status_error(
    response: httpx.Response,
    responses: Mapping[str, ResponseType],
    *,
    url: str,
    attempts: int,
    retry_after: float | None = None,
    note: str = "",
) -> APIStatusError:
    """The typed error for a non-success response. ``url`` must already be redacted."""
    status = response.status_code
    body = parse_error_body(response, response_type(responses, status))
    plural = "s" if attempts != 1 else ""
    phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
    message = f"{response.request.method} {url} -> {status}{phrase} (after {attempts} attempt{plural})"
    if note:
        message += f"; {note}"
    return status_error_class(status)(message, response=response, body=body, attempts=attempts, retry_after=retry_after)
