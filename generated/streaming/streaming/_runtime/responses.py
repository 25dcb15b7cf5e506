"""Turning an httpx.Response into the declared Python value or a typed error.

TypeAdapters are expensive to build and cheap to use, so they are cached per type,
least recently used first out beyond ``ADAPTER_CACHE_SIZE`` (a long-lived process
that builds type expressions on the fly must not grow without end).
"""

from __future__ import annotations

import re
from enum import Enum
from http import HTTPStatus
from typing import Any, Mapping

import httpx
import pydantic

from .decoding import decode_failure, decode_json, decoded_or_text, is_invalid_json
from .endpoint import ResponseType
from .errors import (
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    request_id_of,
    status_error_class,
)
from .lazy import complete_models, generation, refresh
from .lenient import ResponseProblem, attach_problems, lenient_value

__all__ = [
    "adapter",
    "response_type",
    "parse_success",
    "parse_lenient",
    "parse_error_body",
    "server_message",
    "status_error",
    "validation_error",
    "is_json",
    "flag_value",
    "envelope_error_class",
]

_NO_BODY: Any = object()

ADAPTER_CACHE_SIZE = 512
# uses of an adapter after model classes it may refer to were loaded, before its models
# are refreshed (runtime/lazy.py): a process making a few calls never pays for it
REFRESH_AFTER = 8
# type -> [adapter, lazy.generation() it was checked at, uses since the generation moved]
_ADAPTERS: dict[Any, list[Any]] = {}


def adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    """A cached ``TypeAdapter`` for ``tp`` (bounded, least recently used evicted)."""
    try:
        entry = _ADAPTERS.pop(tp)
    except KeyError:
        complete_models(tp)
        entry = [pydantic.TypeAdapter(tp), generation(), 0]
        while len(_ADAPTERS) >= ADAPTER_CACHE_SIZE:
            try:
                del _ADAPTERS[next(iter(_ADAPTERS))]
            except (KeyError, RuntimeError, StopIteration):  # another thread got there first
                break
    except TypeError:  # unhashable type expression: build each time
        complete_models(tp)
        return pydantic.TypeAdapter(tp)
    else:
        if entry[1] != generation():
            entry = _fresher(tp, entry)
    _ADAPTERS[tp] = entry  # (re)inserted last: the most recently used
    return entry[0]  # type: ignore[no-any-return]


def _fresher(tp: Any, entry: list[Any]) -> list[Any]:
    """After ``REFRESH_AFTER`` uses, the adapter rebuilt if its models were refreshed."""
    entry[2] += 1
    if entry[2] < REFRESH_AFTER:
        return entry
    now = generation()
    if refresh(tp):
        return [pydantic.TypeAdapter(tp), now, 0]
    return [entry[0], now, 0]


_RANGES = {1: "1XX", 2: "2XX", 3: "3XX", 4: "4XX", 5: "5XX"}


def response_type(responses: Mapping[str, ResponseType], status: int) -> ResponseType | None:
    """The declaration for a status: exact code, then range ("2XX"), then "default".

    A success status the spec does not declare (200 where only 201 is) takes the
    declared success type: servers differ in which 2xx they send, not in the body.
    """
    if not responses:
        return None
    rt = responses.get(str(status))
    if rt is None:
        rng = _RANGES.get(status // 100)
        rt = responses.get(rng) if rng else None
        if rt is None and rng is not None:
            rt = responses.get(rng.lower())
        if rt is None and rng == "2XX":
            rt = _declared_success(responses)
        if rt is None:
            rt = responses.get("default")
    return rt


def _declared_success(responses: Mapping[str, ResponseType]) -> ResponseType | None:
    """The first declared 2xx with a body, else the first declared 2xx."""
    first = None
    for code, rt in responses.items():
        if code[:1] == "2":
            if rt.kind != "empty":
                return rt
            first = first or rt
    return first


def is_json(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "")
    return "json" in ctype.lower()


def parse_success(response: httpx.Response, rt: ResponseType | None) -> Any:
    """Parse a success body according to its declaration (or sniff when undeclared)."""
    if rt is None:
        if response.status_code == 204 or not response.content:
            return None
        return decode_json(response) if is_json(response) else response.content
    kind = rt.kind
    if kind == "json":
        if response.status_code == 204 or not response.content:
            return None
        if rt.type is None:
            return decode_json(response)
        try:
            return adapter(rt.type).validate_json(response.content)
        except pydantic.ValidationError as exc:
            if is_invalid_json(exc):
                raise decode_failure(response, exc, "is not valid JSON") from exc
            raise
    if kind == "empty":
        return None
    if kind == "binary":
        return response.content
    if kind == "text":
        text = response.text
        if rt.type is not None and rt.type is not str:
            return adapter(rt.type).validate_python(text)
        return text
    if kind == "event-stream":  # a declared stream the server did not send as one
        ctype = response.headers.get("content-type", "") or "no content type"
        raise decode_failure(
            response,
            ValueError(f"expected text/event-stream, got {ctype}"),
            "is not an event stream",
        )
    raise ValueError(f"unknown response kind {kind!r}")


def parse_lenient(
    response: httpx.Response, rt: ResponseType
) -> tuple[Any, tuple[ResponseProblem, ...], int]:
    """The body as its declared type where it fits (after the fast path failed).

    Returns the value, its problems and how many more problems went unrecorded. A
    body that is not JSON at all raises ``APIResponseDecodeError``.
    """
    if rt.kind == "text":
        text = response.text
        value, problems, dropped = lenient_value(rt.type, text)
        return value, problems, dropped
    raw = decode_json(response)
    value, problems, dropped = lenient_value(rt.type, raw)
    return attach_problems(value, problems), problems, dropped


def parse_error_body(response: httpx.Response, rt: ResponseType | None) -> Any:
    """Declared error model if it validates, else decoded JSON, else text (never raises)."""
    content = response.content
    if not content:
        return None
    if rt is not None and rt.kind == "json" and rt.type is not None:
        try:
            return adapter(rt.type).validate_json(content)
        except (pydantic.ValidationError, ValueError, RecursionError):
            pass
    return decoded_or_text(response)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MAX_MESSAGE = 300
_MESSAGE_WORDS = ("message", "error", "detail", "description", "reason", "title", "msg")


def _clean(text: str) -> str:
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def server_message(body: Any) -> str | None:
    """The server's own explanation in an error body, from the shapes APIs use.

    ``message``, ``error.message``, ``error_description`` (with the OAuth ``error``
    code), ``detail``, ``title``, ``errors[0].message``, a plain ``error`` string; then
    any string field of the declared error model named like a message.
    """
    if isinstance(body, pydantic.BaseModel):
        try:
            body = body.model_dump(mode="json", by_alias=True)
        except Exception:  # a model that cannot dump itself still has attributes
            body = dict(body.__dict__)
    if isinstance(body, str):
        text = body.strip()
        return _clean(text.splitlines()[0]) if text and not text.startswith("<") else None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    found = _text(body.get("message"))
    if found is None and isinstance(error, dict):
        found = _text(error.get("message")) or _text(error.get("description"))
    if found is None and _text(body.get("error_description")):
        code = _text(error)
        found = f"{code}: {body['error_description']}" if code else body["error_description"]
    if found is None:
        detail = body.get("detail")
        found = _text(detail)
        if found is None and isinstance(detail, list) and detail and isinstance(detail[0], dict):
            found = _text(detail[0].get("msg")) or _text(detail[0].get("message"))
    if found is None:
        found = _text(body.get("title"))
    if found is None:
        errors = body.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else None
        if isinstance(first, dict):
            found = _text(first.get("message")) or _text(first.get("detail"))
            found = found or _text(first.get("msg"))
        else:
            found = _text(first)
    if found is None:
        found = _text(error)
    if found is None:
        for key, value in body.items():
            named = isinstance(key, str) and any(w in key.lower() for w in _MESSAGE_WORDS)
            if named and _text(value):
                found = value
                break
    return _clean(found) if found else None


def _reason(response: httpx.Response) -> str:
    phrase = response.reason_phrase
    if not phrase:
        try:
            phrase = HTTPStatus(response.status_code).phrase
        except ValueError:
            phrase = ""
    return f" {_clean(phrase)}" if phrase else ""


def _tail(request_id: str | None, attempts: int) -> str:
    plural = "s" if attempts != 1 else ""
    rid = f"request id {_clean(request_id)}, " if request_id else ""
    return f"({rid}after {attempts} attempt{plural})"


def status_error(
    response: httpx.Response,
    responses: Mapping[str, ResponseType],
    *,
    url: str,
    attempts: int,
    retry_after: float | None = None,
    note: str = "",
    body: Any = _NO_BODY,
    cls: type[APIStatusError] | None = None,
) -> APIStatusError:
    """The typed error for a non-success response. ``url`` must already be redacted.

    ``str(error)`` reads like ``POST URL -> 402 Payment Required: <the server's message>
    (request id ..., after 1 attempt)``.
    """
    status = response.status_code
    if body is _NO_BODY:
        body = parse_error_body(response, response_type(responses, status))
    said = server_message(body)
    message = f"{response.request.method} {url} -> {status}{_reason(response)}"
    if said:
        message += f": {said}"
    message += " " + _tail(request_id_of(response.headers), attempts)
    if note:
        message += f"; {note}"
    error_cls = cls or status_error_class(status)
    return error_cls(
        message, response=response, body=body, attempts=attempts, retry_after=retry_after
    )


_FLAG_NAMES: dict[tuple[type, str], str | None] = {}


def flag_value(body: Any, flag: str) -> Any:
    """The value of wire field ``flag`` in a parsed body (model or dict); enums by value."""
    if isinstance(body, pydantic.BaseModel):
        cls = type(body)
        key = (cls, flag)
        if key not in _FLAG_NAMES:
            if len(_FLAG_NAMES) > 4096:
                _FLAG_NAMES.clear()
            fields = cls.model_fields.items()
            _FLAG_NAMES[key] = next((n for n, f in fields if (f.alias or n) == flag), None)
        name = _FLAG_NAMES[key]
        if name is not None:
            value = getattr(body, name, None)
        else:
            value = (body.model_extra or {}).get(flag)
    elif isinstance(body, dict):
        value = body.get(flag)
    else:
        return None
    return getattr(value, "value", value) if isinstance(value, Enum) else value


# Error codes of envelope APIs (Slack's ``error``) that have an obvious typed class.
_AUTH_CODES = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_authorization",
        "not_authenticated",
        "unauthorized",
        "invalid_token",
    }
)
_PERMISSION_CODES = frozenset(
    {
        "missing_scope",
        "no_permission",
        "not_allowed",
        "not_allowed_token_type",
        "access_denied",
        "restricted_action",
        "forbidden",
        "permission_denied",
    }
)
_RATE_CODES = frozenset({"ratelimited", "rate_limited", "rate_limit_exceeded", "too_many_requests"})


def envelope_error_class(body: Any) -> type[APIStatusError]:
    """The error class for an envelope error, from its code (``error`` or ``code``)."""
    code = flag_value(body, "error")
    if not isinstance(code, str):
        code = flag_value(body, "code")
    if not isinstance(code, str):
        return APIStatusError
    code = code.lower()
    if code in _AUTH_CODES:
        return AuthenticationError
    if code in _PERMISSION_CODES:
        return PermissionDeniedError
    if code in _RATE_CODES:
        return RateLimitError
    if code.endswith("_not_found") or code == "not_found":
        return NotFoundError
    return APIStatusError


def validation_error(
    response: httpx.Response,
    rt: ResponseType,
    error: Exception,
    *,
    url: str,
    attempts: int,
    found: tuple[tuple[ResponseProblem, ...], int] | None = None,
) -> APIResponseValidationError:
    """Strict mode's error: the response, its status and the JSON paths that failed
    (``found``: those already known, e.g. of a page's items, which are not the body)."""
    problems: tuple[ResponseProblem, ...] = ()
    more = 0
    if found is not None:
        problems, more = found
    else:
        try:
            _, problems, more = parse_lenient(response, rt)
        except (ValueError, RecursionError):
            pass
    count = len(problems) + more
    if problems:
        shown = "; ".join(str(p) for p in problems[:3])
        plural = "s" if count != 1 else ""
        detail = f"{count} problem{plural}: {shown}{'; ...' if count > 3 else ''}"
    else:
        detail = "the body is not valid JSON" if rt.kind == "json" else "the body does not validate"
    message = (
        f"{response.request.method} {url} -> {response.status_code}: the response does not match "
        f"the declared type ({_clean(detail)}) {_tail(request_id_of(response.headers), attempts)}"
    )
    return APIResponseValidationError(
        message,
        response=response,
        body=decoded_or_text(response),
        error=error,
        attempts=attempts,
        problems=problems,
    )
