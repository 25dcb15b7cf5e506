"""The one way the bytes of a response become a Python value.

Every decoder failure (invalid JSON or UTF-8, nesting or numbers beyond the decoder's
limits) becomes an ``APIResponseDecodeError`` here, so no other module calls
``json.loads`` or ``from_json`` on a server's bytes, and nothing a body contains can
reach the caller as a raw ``ValueError`` or ``RecursionError``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pydantic
import pydantic_core

from .errors import APIResponseDecodeError

__all__ = ["decode_json", "decoded_or_text", "decode_failure", "is_invalid_json"]


def decode_failure(
    response: httpx.Response,
    error: Exception,
    what: str = "could not be decoded",
    attempts: int = 1,
) -> APIResponseDecodeError:
    """The typed error for a body that could not be turned into a value.

    The message names the method and path only: a query may carry credentials.
    """
    request = response.request
    reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
    return APIResponseDecodeError(
        f"{request.method} {request.url.path} -> {response.status_code}: the body {what} "
        f"({type(error).__name__}: {reason})",
        response=response,
        error=error,
        attempts=attempts,
    )


def decode_json(response: httpx.Response, content: bytes | None = None) -> Any:
    """The body as JSON (``None`` when empty); raises ``APIResponseDecodeError``."""
    data = response.content if content is None else content
    if not data:
        return None
    try:
        return pydantic_core.from_json(data)
    except (ValueError, RecursionError) as exc:
        raise decode_failure(response, exc, "is not valid JSON") from exc


def decoded_or_text(response: httpx.Response) -> Any:
    """JSON when the body is JSON, else its text, else None; never raises (for errors)."""
    try:
        return decode_json(response)
    except APIResponseDecodeError:
        pass
    try:
        return response.text
    except Exception:  # an undecodable body must not hide the error being reported
        return None


def is_invalid_json(exc: pydantic.ValidationError) -> bool:
    """Whether pydantic's ``validate_json`` failed on the JSON itself, not on its shape."""
    errors = exc.errors(include_url=False)
    return bool(errors) and errors[0].get("type") == "json_invalid"
