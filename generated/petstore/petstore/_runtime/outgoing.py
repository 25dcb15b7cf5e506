"""The ``httpx.Request`` of a call, built as ``httpx.Client.build_request`` builds it.

``build_request`` merges the call's headers into the client's with ``Headers.update``,
which re-decodes every header for each key it replaces: about 4 % of a whole call on a
24 KB JSON answer (two headers replaced), more than any other part of the runtime. Here
the client's headers that the call replaces are left out in one pass and the call's
appended after them, the same list in the same order. Whatever ``build_request`` would
also have to merge (client cookies or query parameters, a relative URL under the
client's ``base_url``, a subclass's own ``build_request``) goes through httpx itself.
"""

from __future__ import annotations

from typing import Any, Mapping

import httpx

from .endpoint import OPERATION_EXTENSION

__all__ = ["build_request"]

_HTTPX_BUILD = httpx.Client.build_request  # BaseClient's: AsyncClient has the same
_DEFAULT_TYPE = type(httpx.USE_CLIENT_DEFAULT)


def build_request(
    http: Any,
    method: str,
    url: str,
    params: Any,
    headers: Mapping[str, Any],
    content: Any,
    timeout: Any,
    operation_id: str | None = None,
) -> httpx.Request:
    """``http.build_request(method, url, params=..., headers=..., content=..., timeout=...)``,
    the operation's id in the request's extensions (``endpoint.OPERATION_EXTENSION``)."""
    if (
        params is None
        and type(http).build_request is _HTTPX_BUILD
        and not http.params
        and not http.cookies
        and all(type(name) is str for name in headers)
    ):
        target = httpx.URL(url)
        if not target.is_relative_url:
            replaced = {name.lower().encode("ascii") for name in headers}
            merged: list[tuple[Any, Any]] = [
                (name, value) for name, value in http.headers.raw if name.lower() not in replaced
            ]
            merged.extend(headers.items())
            limits = http.timeout if isinstance(timeout, _DEFAULT_TYPE) else httpx.Timeout(timeout)
            return httpx.Request(
                method,
                target,
                headers=merged,
                content=content,
                extensions=(
                    {"timeout": limits.as_dict()}
                    if operation_id is None
                    else {"timeout": limits.as_dict(), OPERATION_EXTENSION: operation_id}
                ),
            )
    named = {} if operation_id is None else {"extensions": {OPERATION_EXTENSION: operation_id}}
    return http.build_request(  # type: ignore[no-any-return]
        method, url, params=params, headers=headers, content=content, timeout=timeout, **named
    )
