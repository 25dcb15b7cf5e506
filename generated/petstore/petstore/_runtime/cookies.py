"""The pool's cookie jar, consulted only for responses that set a cookie.

httpx hands every response to ``http.cookiejar`` (``Cookies.extract_cookies``), which
first wraps the request and response in urllib-style objects, parsing the URL again, and
then finds no ``Set-Cookie`` header on nearly every API response: about 9 % of the CPU of
a whole call on a 24 KB JSON answer (bench/README.md, "Per call"). The jar is the same
object; a response that does set a cookie goes through ``http.cookiejar`` exactly as
before, so what the pool remembers does not change.
"""

from __future__ import annotations

from typing import Any

import httpx

_SETS_COOKIE = (b"set-cookie", b"set-cookie2")  # the only headers the jar reads


class _SetCookieOnly(httpx.Cookies):
    """``httpx.Cookies`` over the same jar, skipping the jar for a response without cookies."""

    def extract_cookies(self, response: httpx.Response) -> None:
        for key, _ in response.headers.raw:
            if key.lower() in _SETS_COOKIE:
                super().extract_cookies(response)
                return


def skip_cookieless_responses(http: Any) -> None:
    """Give the pool a cookie store that looks at the jar only when a response sets a cookie.

    Only httpx's own ``Cookies`` object is replaced (one a caller subclassed is theirs),
    and the jar it holds is kept: cookies set before, and later through
    ``http.cookies``, are the same ones.
    """
    cookies = getattr(http, "_cookies", None)
    if type(cookies) is httpx.Cookies:
        http._cookies = _SetCookieOnly(cookies.jar)
