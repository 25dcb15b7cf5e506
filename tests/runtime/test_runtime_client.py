"""Request building, response parsing and typed errors of SyncAPIClient / AsyncAPIClient."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pydantic
import pytest

from apigen.runtime import (
    DEFAULT_TIMEOUT,
    APIStatusError,
    AsyncAPIClient,
    AuthenticationError,
    BadRequestError,
    CircuitBreaker,
    ConflictError,
    Endpoint,
    Hooks,
    InternalServerError,
    NotFoundError,
    ParamStyle,
    PermissionDeniedError,
    RateLimitError,
    RequestOptions,
    ResponseType,
    SyncAPIClient,
    UnprocessableEntityError,
)
from rt_helpers import mock_ahttp, mock_http


class Pet(pydantic.BaseModel):
    id: int
    name: str


class Problem(pydantic.BaseModel):
    code: str
    message: str


GET_PET = Endpoint(
    "GET",
    "/pets/{petId}",
    "get_pet",
    responses={
        "200": ResponseType("json", Pet),
        "404": ResponseType("json", Problem),
        "default": ResponseType("json", Problem),
    },
)


def make(handler: Any, **kw: Any) -> SyncAPIClient:
    kw.setdefault("circuit_breaker", None)
    return SyncAPIClient(
        base_url=kw.pop("base_url", "https://api.test/v3"),
        package="petstore",
        version="1.2.3",
        http_client=mock_http(handler),
        **kw,
    )


def test_url_query_headers_cookies_and_user_agent() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json={"id": 1, "name": "rex"})

    ep = Endpoint(
        "GET",
        "/pets/{petId}",
        "get_pet",
        responses={"200": ResponseType("json", Pet)},
        param_styles={"tags": ParamStyle(explode=False)},
    )
    c = make(handler, headers={"X-Default": "d"})
    pet = c.request(
        ep,
        path={"petId": "a/b"},
        query={"tags": ["x", "y"], "limit": 5, "skip": None},
        headers={"X-Trace": 7, "X-None": None},
        cookies={"session": "s1"},
        options=RequestOptions(extra_headers={"X-Extra": "e"}, extra_query={"debug": True}),
    )
    assert pet == Pet(id=1, name="rex")
    r = seen[0]
    assert r.url.raw_path == b"/v3/pets/a%2Fb?tags=x%2Cy&limit=5&debug=true"
    assert r.headers["x-trace"] == "7" and "x-none" not in r.headers
    assert r.headers["x-default"] == "d" and r.headers["x-extra"] == "e"
    assert r.headers["cookie"] == "session=s1"
    assert r.headers["user-agent"] == f"petstore/1.2.3 apigen-runtime httpx/{httpx.__version__}"


def test_own_http_client_has_default_timeouts_and_headers() -> None:
    c = SyncAPIClient(base_url="https://x", package="p", version="1", headers={"X-A": "1"})
    assert c._http.timeout == httpx.Timeout(60.0, connect=5.0) == DEFAULT_TIMEOUT
    assert c._http.headers["x-a"] == "1" and c._http.headers["user-agent"].startswith(
        "p/1 apigen-runtime"
    )
    assert c._http.follow_redirects is False
    with c as same:
        assert same is c
    assert c._http.is_closed


def test_user_http_client_is_not_closed_and_per_call_timeout_applies() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(204)

    http = mock_http(handler)
    ep = Endpoint("DELETE", "/pets/1", "delete_pet", responses={"204": ResponseType("empty")})
    with SyncAPIClient(base_url="https://x", package="p", version="1", http_client=http) as c:
        assert c.request(ep) is None
        c.request(ep, options=RequestOptions(timeout=3.0))
    assert not http.is_closed
    assert seen[0].extensions["timeout"] == http.timeout.as_dict()
    assert seen[1].extensions["timeout"] == httpx.Timeout(3.0).as_dict()


def test_response_kinds() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        p = req.url.path
        if p == "/bin":
            return httpx.Response(
                200, content=b"\x00\xff", headers={"content-type": "application/octet-stream"}
            )
        if p == "/text":
            return httpx.Response(200, text="hi")
        if p == "/any":
            return httpx.Response(200, json={"k": [1]})
        if p == "/list":
            return httpx.Response(200, json=[{"id": 1, "name": "a"}])
        if p == "/range":
            return httpx.Response(201, json={"id": 2, "name": "b"})
        if p == "/undeclared-json":
            return httpx.Response(200, json={"x": 1})
        if p == "/undeclared-bin":
            return httpx.Response(200, content=b"zz")
        return httpx.Response(204)

    c = make(handler, base_url="https://api.test")
    assert (
        c.request(Endpoint("GET", "/bin", "b", responses={"200": ResponseType("binary")}))
        == b"\x00\xff"
    )
    assert (
        c.request(Endpoint("GET", "/text", "t", responses={"200": ResponseType("text", str)}))
        == "hi"
    )
    assert c.request(Endpoint("GET", "/any", "a", responses={"200": ResponseType("json")})) == {
        "k": [1]
    }
    assert c.request(
        Endpoint("GET", "/list", "l", responses={"200": ResponseType("json", list[Pet])})
    ) == [Pet(id=1, name="a")]
    assert c.request(
        Endpoint("POST", "/range", "r", responses={"2XX": ResponseType("json", Pet)})
    ) == Pet(id=2, name="b")
    assert c.request(Endpoint("GET", "/undeclared-json", "u")) == {"x": 1}
    assert c.request(Endpoint("GET", "/undeclared-bin", "u")) == b"zz"
    assert c.request(Endpoint("GET", "/none", "n")) is None


@pytest.mark.parametrize(
    "status,cls",
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_status_errors_are_typed(status: int, cls: type[APIStatusError]) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            content=b'{"code":"c","message":"m"}',
            headers={"x-request-id": "req-9", "content-type": "application/json"},
        )

    c = make(handler, max_retries=0)
    with pytest.raises(cls) as info:
        c.request(GET_PET, path={"petId": 1})
    err = info.value
    assert type(err) is cls
    assert err.status_code == status and err.request_id == "req-9"
    assert err.body == Problem(code="c", message="m")  # the declared error model (404 or default)
    assert err.raw == b'{"code":"c","message":"m"}'
    assert err.response.status_code == status and err.headers["x-request-id"] == "req-9"
    assert f"GET https://api.test/v3/pets/1 -> {status}" in str(err)
    assert "(request id req-9, after 1 attempt)" in str(err)


def test_error_body_falls_back_to_json_then_text() -> None:
    bodies = iter(
        [
            httpx.Response(404, json={"other": 1}),
            httpx.Response(404, text="plain"),
            httpx.Response(404, headers={"github-request-id": "x", "x-github-request-id": "gh-1"}),
        ]
    )

    c = make(lambda req: next(bodies))
    for expected in ({"other": 1}, "plain", None):
        with pytest.raises(NotFoundError) as info:
            c.request(GET_PET, path={"petId": 1})
        assert info.value.body == expected
    assert info.value.request_id == "gh-1"


def test_hooks_and_debug_logging_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    from apigen.runtime import APIKeyScheme

    seen: list[str] = []
    hooks = Hooks(
        on_request=[lambda r: seen.append("req " + r.method)],
        on_response=[lambda r: seen.append(f"resp {r.status_code}")],
    )
    c = make(
        lambda req: httpx.Response(200, json={"id": 1, "name": "a"}),
        hooks=hooks,
        security_schemes={"k": APIKeyScheme("query", "x-key")},
        credentials={"k": "TOPSECRET"},
        default_security=(("k",),),
    )
    with caplog.at_level(logging.DEBUG, logger="petstore"):
        c.request(GET_PET, path={"petId": 1})
    assert seen == ["req GET", "resp 200"]
    lines = [r.getMessage() for r in caplog.records if r.name == "petstore"]
    assert len(lines) == 1
    assert (
        "GET https://api.test/v3/pets/1?x-key=REDACTED -> 200 in" in lines[0]
        and "(attempt 1)" in lines[0]
    )
    assert "TOPSECRET" not in caplog.text


def test_json_body_content_type_and_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(201, json={"id": 3, "name": "n"})

    ep = Endpoint(
        "POST",
        "/pets",
        "create",
        responses={"201": ResponseType("json", Pet)},
        body_kind="json",
        body_content_type="application/json",
    )
    c = make(handler)
    c.request(ep, body=Pet(id=3, name="n"), options=RequestOptions(idempotency_key="k-1"))
    assert seen[0].content == b'{"id":3,"name":"n"}'
    assert seen[0].headers["content-type"] == "application/json"
    assert seen[0].headers["idempotency-key"] == "k-1"


def test_async_client_basics() -> None:
    seen: list[httpx.Request] = []

    async def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        if req.url.path.endswith("/2"):
            return httpx.Response(404, json={"code": "nf", "message": "gone"})
        return httpx.Response(200, json={"id": 1, "name": "a"})

    async def hook(req: httpx.Request) -> None:
        seen.append(req)

    async def main() -> None:
        async with AsyncAPIClient(
            base_url="https://api.test/v3",
            package="petstore",
            version="1",
            http_client=mock_ahttp(handler),
            hooks=Hooks(on_request=[hook]),
            circuit_breaker=CircuitBreaker(),
        ) as c:
            assert await c.request(GET_PET, path={"petId": 1}) == Pet(id=1, name="a")
            with pytest.raises(NotFoundError) as info:
                await c.request(GET_PET, path={"petId": 2})
            assert info.value.body == Problem(code="nf", message="gone")

    asyncio.run(main())
    assert len(seen) == 4  # each request seen by the async hook and the transport


def test_reprs_never_show_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from apigen.runtime import (
        HTTPBasicScheme,
        OAuth2ClientCredentials,
        OAuth2RefreshToken,
        OAuth2Scheme,
    )

    cc = OAuth2ClientCredentials("id", "SECRET1")
    rt = OAuth2RefreshToken("SECRET2", client_id="id", client_secret="SECRET3")
    c = SyncAPIClient(
        base_url="https://user:SECRET4@x",
        package="p",
        version="1",
        security_schemes={"b": HTTPBasicScheme(), "o": OAuth2Scheme(token_url="/t")},
        credentials={"b": ("u", "SECRET5"), "o": cc},
        default_security=(("b",),),
    )
    text = " ".join(
        repr(x) for x in (cc, rt, c, c._auth, c._auth.plan(None), *c._auth.oauth_sessions())
    )
    for n in range(1, 6):
        assert f"SECRET{n}" not in text
