"""Redaction for anything that leaves the client as text (log lines, error messages).

Credentials can sit in a URL (API keys in the query, user:password in the authority);
every URL shown to humans goes through ``redact_url`` first.
"""

from __future__ import annotations

from typing import Any, Iterable

import httpx

__all__ = ["REDACTED", "SENSITIVE_QUERY_NAMES", "SENSITIVE_HEADERS", "redact_url", "redact_headers"]

REDACTED = "REDACTED"

# Always masked in URLs, in addition to the API's own query-located API keys.
SENSITIVE_QUERY_NAMES = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "api-key",
        "client_secret",
        "key",
        "password",
        "refresh_token",
        "sig",
        "signature",
        "token",
    }
)

SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)


def redact_url(url: httpx.URL | str, sensitive: Iterable[str] = SENSITIVE_QUERY_NAMES) -> str:
    """The URL as text with user info and sensitive query values replaced."""
    if not isinstance(url, httpx.URL):
        url = httpx.URL(url)
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    if not url.query:
        return str(url)
    names = {s.lower() for s in sensitive}
    items = url.params.multi_items()
    if not any(k.lower() in names for k, _ in items):
        return str(url)
    masked: list[tuple[str, Any]] = [(k, REDACTED if k.lower() in names else v) for k, v in items]
    return str(url.copy_with(params=httpx.QueryParams(masked)))


def redact_headers(headers: httpx.Headers, sensitive: Iterable[str] = ()) -> dict[str, str]:
    """Headers as a dict with credential-bearing values replaced (for debugging output)."""
    names = SENSITIVE_HEADERS | {s.lower() for s in sensitive}
    return {k: (REDACTED if k.lower() in names else v) for k, v in headers.items()}
