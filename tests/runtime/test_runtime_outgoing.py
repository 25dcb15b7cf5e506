"""The request of a call is the one ``httpx.Client.build_request`` builds (runtime/outgoing.py),
without its per-call ``Headers.update``; what that path does not cover goes through httpx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from apigen.runtime.encoding import encode_path
from apigen.runtime.outgoing import build_request

CALL_HEADERS = {"User-Agent": "pkg/1 apigen", "accept": "application/json", "X-Trace": "t1"}


def _same(ours: httpx.Request, theirs: httpx.Request) -> None:
    assert ours.method == theirs.method
    assert ours.url == theirs.url
    assert ours.headers.raw == theirs.headers.raw
    assert ours.extensions == theirs.extensions
    assert type(ours.stream) is type(theirs.stream)
    if isinstance(theirs.stream, httpx.ByteStream):
        assert ours.content == theirs.content


def _both(http: Any, method: str, url: str, **kw: Any) -> tuple[httpx.Request, httpx.Request]:
    args = (kw.get("params"), kw.get("headers", CALL_HEADERS), kw.get("content"))
    timeout = kw.get("timeout", httpx.USE_CLIENT_DEFAULT)
    ours = build_request(http, method, url, *args, timeout)
    theirs = http.build_request(
        method, url, params=args[0], headers=args[1], content=args[2], timeout=timeout
    )
    return ours, theirs


@pytest.mark.parametrize("client_class", [httpx.Client, httpx.AsyncClient])
@pytest.mark.parametrize(
    "method, content, timeout",
    [
        ("GET", None, httpx.USE_CLIENT_DEFAULT),
        ("POST", b'{"a": 1}', 5.0),
        ("PUT", None, httpx.Timeout(3.0, read=9.0)),
        ("PATCH", iter([b"a", b"b"]), None),
    ],
)
def test_the_request_is_the_one_httpx_builds(
    client_class: Any, method: str, content: Any, timeout: Any
) -> None:
    http = client_class(
        headers={"user-agent": "theirs", "X-Client": "c", "ACCEPT": "*/*"}, timeout=7.0
    )
    headers = dict(CALL_HEADERS)
    if content is not None:
        headers["Content-Type"] = "application/json"
    ours, theirs = _both(
        http, method, "https://api.test/v1/a%20b/x?q=1", headers=headers, timeout=timeout
    )
    _same(ours, theirs)
    if not isinstance(content, bytes):
        return
    ours, theirs = _both(http, method, "https://api.test/v1/p", content=content, headers=headers)
    _same(ours, theirs)
    assert ours.headers["user-agent"] == "pkg/1 apigen"  # the call's header replaced the client's
    assert ours.headers.get_list("accept") == ["application/json"]


def test_a_call_replaces_the_client_headers_without_headers_update(monkeypatch: Any) -> None:
    http = httpx.Client(headers={"X-Client": "c"})
    updates: list[Any] = []
    original = httpx.Headers.update

    def counting(self: httpx.Headers, headers: Any = None) -> None:
        updates.append(headers)
        original(self, headers)

    monkeypatch.setattr(httpx.Headers, "update", counting)
    request = build_request(http, "GET", "https://api.test/x", None, CALL_HEADERS, None, None)
    assert updates == []
    assert request.headers["x-client"] == "c" and request.headers["x-trace"] == "t1"
    assert request.extensions["timeout"] == httpx.Timeout(None).as_dict()


class _OwnBuild(httpx.Client):
    def build_request(self, method: str, url: Any, **kwargs: Any) -> httpx.Request:
        request = super().build_request(method, url, **kwargs)
        request.headers["X-Own"] = "1"
        return request


@pytest.mark.parametrize(
    "http, url, params",
    [
        (httpx.Client(cookies={"session": "s"}), "https://api.test/x", None),
        (httpx.Client(params={"client": "1"}), "https://api.test/x", None),
        (httpx.Client(), "https://api.test/x", [("a", "1")]),
        (httpx.Client(base_url="https://api.test/v2/"), "/x", None),
        (_OwnBuild(), "https://api.test/x", None),
    ],
    ids=["client-cookies", "client-params", "params", "relative-url", "own-build_request"],
)
def test_what_the_fast_path_does_not_merge_goes_through_httpx(
    http: httpx.Client, url: str, params: Any
) -> None:
    ours, theirs = _both(http, "GET", url, params=params)
    _same(ours, theirs)
    if isinstance(http, _OwnBuild):
        assert ours.headers["x-own"] == "1"


def test_plain_path_segments_are_kept_and_others_encoded() -> None:
    assert encode_path("/r/{o}/{r}", {"o": "octo-cat_1", "r": "Hello.World~2"}, {}) == (
        "/r/octo-cat_1/Hello.World~2"
    )
    assert encode_path("/r/{x}", {"x": "..."}, {}) == "/r/..."
    assert encode_path("/r/{x}", {"x": "é/ü"}, {}) == "/r/%C3%A9%2F%C3%BC"
    assert encode_path("/r/{x}", {"x": ""}, {}) == "/r/"
    assert encode_path("/r/{x}", {"x": "a\nb"}, {}) == "/r/a%0Ab"
    assert encode_path("/r/{x}", {"x": True}, {}) == "/r/true"
