"""Typed exceptions raised by generated clients.

One hierarchy for every generated package, so callers can catch ``APIStatusError``
(or a specific subclass) without knowing which API they talk to. Messages carry
method, redacted URL, status and attempt count; never credentials.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "APIResponseDecodeError",
    "APIResponseTooLargeError",
    "RedirectError",
    "PaginationLoopError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "CircuitOpenError",
    "MissingCredentialsError",
    "status_error_class",
    "request_id_of",
    "REQUEST_ID_HEADERS",
]

# Checked in order; the first one present is the error's request_id.
REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-github-request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-correlation-id",
    "cf-ray",
)


class APIError(Exception):
    """Base of every error raised by the runtime."""

    message: str
    request: httpx.Request | None
    attempts: int

    def __init__(
        self, message: str, *, request: httpx.Request | None = None, attempts: int = 1
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.attempts = attempts


class APIConnectionError(APIError):
    """The server could not be reached or the connection broke (no HTTP status)."""


class APITimeoutError(APIConnectionError):
    """Connecting, writing, reading or waiting for a pooled connection timed out."""


def request_id_of(headers: httpx.Headers) -> str | None:
    """The first request-id header the server sent (see ``REQUEST_ID_HEADERS``)."""
    for name in REQUEST_ID_HEADERS:
        rid: str | None = headers.get(name)
        if rid is not None:
            return rid
    return None


class APIStatusError(APIError):
    """The server answered with an error: a non-success status, a success status whose
    body is the API's error envelope (Slack's ``{"ok": false}``), or, in strict mode, a
    body that does not match its type (``APIResponseValidationError``).

    ``str(error)`` carries the server's own message, the status, request id and
    attempts. A status without a class of its own (402, 405, 410 ...) raises this
    class. ``body`` is the parsed error model when the spec declares one (else decoded JSON,
    else text); ``raw`` the bytes as received.
    """

    status_code: int
    headers: httpx.Headers
    request_id: str | None
    response: httpx.Response
    body: Any
    raw: bytes
    retry_after: float | None

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any = None,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, request=response.request, attempts=attempts)
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.body = body
        self.raw = response.content
        self.retry_after = retry_after
        self.request_id = request_id_of(response.headers)


class APIResponseValidationError(APIStatusError):
    """A success response whose body does not match the type the spec declares.

    Raised only with ``strict_responses=True`` (by default such a response is parsed
    leniently). A status error like the others (``status_code``, ``headers``,
    ``request_id``, ``response``; ``body`` is the decoded JSON), plus pydantic's
    ``error`` and ``problems`` / ``paths``: the JSON paths that failed.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any,
        error: Exception,
        attempts: int = 1,
        problems: tuple[Any, ...] = (),
    ) -> None:
        super().__init__(message, response=response, body=body, attempts=attempts)
        self.error = error
        self.problems = problems
        self.paths: tuple[str, ...] = tuple(p.path for p in problems)


class APIResponseDecodeError(APIResponseValidationError):
    """A body that cannot be decoded at all: invalid JSON or UTF-8, nesting or numbers
    beyond the decoder's limits, or anything else that went wrong turning bytes into a
    value. ``raw`` holds the bytes as received, ``error`` the decoder's own exception.
    """

    def __init__(
        self, message: str, *, response: httpx.Response, error: Exception, attempts: int = 1
    ) -> None:
        text = response.content.decode("utf-8", "replace")  # it is not JSON: never decode again
        super().__init__(message, response=response, body=text, error=error, attempts=attempts)


class APIResponseTooLargeError(APIError):
    """The decoded body grew past ``ResponseLimits.max_bytes``; reading stopped there."""

    def __init__(
        self, message: str, *, request: httpx.Request, limit: int, attempts: int = 1
    ) -> None:
        super().__init__(message, request=request, attempts=attempts)
        self.limit = limit


class PaginationLoopError(APIError):
    """The server sent a page (cursor, link or items) it had already sent: the walk would
    never end, so it stops here. ``page`` is the 1-based number of the repeated page."""

    def __init__(
        self, message: str, *, request: httpx.Request | None = None, page: int = 0
    ) -> None:
        super().__init__(message, request=request)
        self.page = page


class BadRequestError(APIStatusError):
    """400."""


class AuthenticationError(APIStatusError):
    """401: missing or rejected credentials."""


class PermissionDeniedError(APIStatusError):
    """403."""


class NotFoundError(APIStatusError):
    """404."""


class ConflictError(APIStatusError):
    """409."""


class UnprocessableEntityError(APIStatusError):
    """422."""


class RateLimitError(APIStatusError):
    """429 (after retries, or at once when the server asks for a wait beyond the cap)."""


class InternalServerError(APIStatusError):
    """Any 5xx."""


class RedirectError(APIStatusError):
    """A 3xx the client did not follow (its own client never follows; a user's
    ``http_client(follow_redirects=True)`` is followed up to its ``max_redirects``).
    ``location`` is the target the server named, if any."""

    @property
    def location(self) -> str | None:
        value: str | None = self.response.headers.get("location")
        return value


class CircuitOpenError(APIError):
    """The client's circuit breaker is open: failing fast without contacting the server.

    ``retry_in`` is how many seconds remain until a probe request will be let through.
    """

    retry_in: float

    def __init__(self, message: str, *, retry_in: float = 0.0, attempts: int = 0) -> None:
        super().__init__(message, attempts=attempts)
        self.retry_in = retry_in


class MissingCredentialsError(APIError):
    """An operation needs credentials and the client has none for it: raised before
    anything is sent; the message names the keyword and the environment variable."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The most specific error class for an HTTP status."""
    if status >= 500:
        return InternalServerError
    if 300 <= status < 400:
        return RedirectError
    return _BY_STATUS.get(status, APIStatusError)
