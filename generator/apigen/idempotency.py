"""Which operations take an idempotency key, so the runtime can add one to their calls.

An API takes keys on every POST and PATCH when the configuration says so
(``idempotency_key = true`` or a header name; ``false`` turns it all off) or when it
is Stripe (its spec does not declare the header, its documentation does). Elsewhere
an operation takes one when it declares an ``Idempotency-Key`` header parameter.
"""

from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import urlsplit

from .diagnostics import ApigenError

__all__ = ["EXTENSION", "DEFAULT_HEADER", "config_value", "api_header", "operation_header"]

EXTENSION = "x-apigen-idempotency-key"
DEFAULT_HEADER = "Idempotency-Key"
_UNSAFE = frozenset({"POST", "PATCH"})
# hosts (or parent domains) of APIs that take Idempotency-Key on every POST
_HOSTS = ("api.stripe.com",)


def config_value(value: Any, where: str) -> str | bool:
    """The configuration's ``idempotency_key``: true, false or a header name."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value and all(c.isalnum() or c in "-_" for c in value):
        return value
    raise ApigenError(f"{where}: idempotency_key must be true, false or a header name")


def api_header(spec: dict[str, Any], servers: Iterable[str]) -> str | bool | None:
    """The header every POST/PATCH carries its key in; False: never add keys; None:
    only operations that declare the header take one."""
    configured = spec.get(EXTENSION)
    if configured is True:
        return DEFAULT_HEADER
    if configured is False or isinstance(configured, str):
        return configured
    for url in servers:
        host = (urlsplit(url).hostname or "").lower()
        if any(host == known or host.endswith("." + known) for known in _HOSTS):
            return DEFAULT_HEADER
    return None


def operation_header(
    method: str, header_params: Iterable[str], api: str | bool | None
) -> str | None:
    """The idempotency header of one operation, or None (then no key is added)."""
    if method.upper() not in _UNSAFE or api is False:
        return None
    for name in header_params:
        if name.lower() in ("idempotency-key", "x-idempotency-key"):
            return name
    return api if isinstance(api, str) else None
