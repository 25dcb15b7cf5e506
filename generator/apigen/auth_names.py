"""How a client's credential keywords and environment variables are named, and which
servers would carry credentials in the clear.

One scheme gets the plain names people expect (``api_key=``, ``<PACKAGE>_API_KEY``; an
OAuth2 scheme ``token=``);
several keep their spec names, without repeating the package in the variable
(``SLACK_SLACK_AUTH`` becomes ``SLACK_AUTH``). The configuration's
``x-apigen-keyword`` / ``x-apigen-env`` override both.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from .naming import NameScope, env_identifier, snake_identifier

# The scheme apigen adds when a spec declares none, so a token can always be given.
ADDED_SCHEME = "apigenBearer"


def _keyword(value: Any) -> str | None:
    return (
        snake_identifier(value, "credential") if isinstance(value, str) and value.strip() else None
    )


def naming_of_schemes(
    schemes: list[tuple[str, dict[str, Any]]], env_prefix: str, reserved: frozenset[str]
) -> dict[str, tuple[str, str]]:
    """scheme name -> (keyword argument, environment variable)."""
    scope = NameScope(reserved)
    out: dict[str, tuple[str, str]] = {}
    single = len(schemes) == 1
    for name, scheme in schemes:
        keyword = _keyword(scheme.get("x-apigen-keyword"))
        if keyword is None and single:
            keyword = "token" if scheme.get("type") == "oauth2" else "api_key"
        plain = snake_identifier(name, "credential")
        if plain.endswith("_auth") and ("key" in plain or "token" in plain):
            plain = plain[
                : -len("_auth")
            ]  # ApiKeyAuth -> api_key, AdminApiKeyAuth -> admin_api_key
        py_name = scope.claim(*(c for c in (keyword, plain, plain + "_credential") if c))
        env = scheme.get("x-apigen-env")
        if not (isinstance(env, str) and env.strip()):
            suffix = env_identifier(py_name)
            if suffix.startswith(env_prefix + "_") and len(suffix) > len(env_prefix) + 1:
                suffix = suffix[len(env_prefix) + 1 :]  # SLACK + SLACK_AUTH -> SLACK_AUTH
            env = f"{env_prefix}_{suffix}"
        else:
            env = env_identifier(env)
        out[name] = (py_name, env)
    return out


def insecure_http_host(url: str) -> str | None:
    """The host of an absolute plain-http URL that is not loopback; None otherwise."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() != "http" or not host:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return host
