"""Redaction for anything that leaves the client as text (log lines, error messages).

Credentials can sit in a URL (API keys in the query, user:password in the authority);
every URL shown to humans goes through ``redact_url`` first.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Iterable

import httpx

__all__ = [
    "REDACTED",
    "SENSITIVE_QUERY_NAMES",
    "SENSITIVE_HEADERS",
    "redact_url",
    "redact_headers",
    "install_httpx_redaction",
]

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


class _RedactURLs(logging.Filter):
    """Rewrites every URL argument of a log record (httpx's own "HTTP Request: GET
    https://...?appid=..." INFO line) to its redacted text before any handler sees it."""

    apigen_redacts_urls = True  # found again by every runtime copy in the process

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = {n.lower() for n in SENSITIVE_QUERY_NAMES}

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, httpx.URL) for a in args):
            names = frozenset(self.names)
            record.args = tuple(
                redact_url(a, names) if isinstance(a, httpx.URL) else a for a in args
            )
        return True


_INSTALL_LOCK = threading.Lock()


def install_httpx_redaction(names: Iterable[str]) -> None:
    """Redact URLs in the "httpx" logger's records, masking ``names`` too (idempotent:
    one filter per process, shared by every client and every generated package)."""
    logger = logging.getLogger("httpx")
    with _INSTALL_LOCK:
        found = next((f for f in logger.filters if getattr(f, "apigen_redacts_urls", False)), None)
        if found is None:
            found = _RedactURLs()
            logger.addFilter(found)
        wanted = {n.lower() for n in names}
        current: Any = getattr(found, "names")
        if not wanted <= current:
            current.update(wanted)
