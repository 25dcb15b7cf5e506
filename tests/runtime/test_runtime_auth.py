"""Credentials: placement per scheme, env defaults, per-operation security, OAuth2 token life."""

from __future__ import annotations

import asyncio
import base64
from typing import Any, Generator
from urllib.parse import parse_qs

import httpx
import pytest

from apigen.runtime import (
    APIKeyScheme,
    AsyncAPIClient,
    AuthenticationError,
    Endpoint,
    HTTPBasicScheme,
    HTTPBearerScheme,
    MissingCredentialsError,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    OAuth2Scheme,
    ResponseType,
    SyncAPIClient,
)
from rt_helpers import FakeClock, mock_ahttp, mock_http

SCHEMES: dict[str, Any] = {
    "hkey": APIKeyScheme("header", "X-API-Key", env="T_HKEY"),
    "qkey": APIKeyScheme("query", "api_key", env="T_QKEY"),
    "ckey": APIKeyScheme("cookie", "sid", env="T_CKEY"),
    "bearer": HTTPBearerScheme(env="T_BEARER"),
    "basic": HTTPBasicScheme(env="T_BASIC"),
    "oauth": OAuth2Scheme(
        token_url="/oauth/token",
        scopes=("read", "write"),
        flows=("clientCredentials",),
        env="T_OAUTH",
    ),
}


def ep(security: Any = None) -> Endpoint:
    return Endpoint(
        "GET", "/thing", "get_thing", responses={"200": ResponseType("json")}, security=security
    )


class Server:
    """Mock API + token endpoint; tokens are tok-1, tok-2, ...; ``valid`` decides acceptance."""

    def __init__(self, expires_in: int | None = 3600) -> None:
        self.requests: list[httpx.Request] = []
        self.token_requests: list[httpx.Request] = []
        self.issued = 0
        self.expires_in = expires_in
        self.valid: set[str] | None = None  # None: accept any token
        self.refresh_tokens: list[str] = []
        self.auths: list[str] = []

    def __call__(self, req: httpx.Request) -> httpx.Response:
        if req.url.path == "/oauth/token":
            self.token_requests.append(req)
            self.issued += 1
            body: dict[str, Any] = {"access_token": f"tok-{self.issued}", "token_type": "bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            body["refresh_token"] = f"rt-{self.issued}"
            return httpx.Response(200, json=body)
        self.requests.append(req)
        auth = req.headers.get("authorization", "")
        self.auths.append(auth)  # the same Request object is re-sent on a repeat: record now
        if self.valid is not None and auth.startswith("Bearer ") and auth[7:] not in self.valid:
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, json={"ok": True})


def client(
    server: Server, credentials: dict[str, Any], default: Any = (("hkey",),), **kw: Any
) -> SyncAPIClient:
    return SyncAPIClient(
        base_url="https://api.test/v1",
        package="t",
        version="1",
        security_schemes=SCHEMES,
        credentials=credentials,
        default_security=default,
        http_client=mock_http(server),
        circuit_breaker=None,
        **kw,
    )


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Generator[None, None, None]:
    import os

    for k in list(os.environ):
        if k.startswith("T_"):
            monkeypatch.delenv(k)
    yield


def test_api_key_locations_bearer_and_basic() -> None:
    s = Server()
    c = client(s, {"hkey": "H", "qkey": "Q", "ckey": "C", "bearer": "B", "basic": ("u", "p:w")})
    c.request(ep((("hkey", "qkey", "ckey"),)))
    r = s.requests[-1]
    assert (
        r.headers["x-api-key"] == "H"
        and r.url.params["api_key"] == "Q"
        and r.headers["cookie"] == "sid=C"
    )
    c.request(ep((("bearer",),)))
    assert s.requests[-1].headers["authorization"] == "Bearer B"
    c.request(ep((("basic",),)))
    assert s.requests[-1].headers["authorization"] == "Basic " + base64.b64encode(b"u:p:w").decode()
    c2 = client(s, {"basic": "user:pw"}, default=(("basic",),))
    c2.request(ep())
    assert (
        s.requests[-1].headers["authorization"] == "Basic " + base64.b64encode(b"user:pw").decode()
    )


def test_credentials_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_HKEY", "envkey")
    monkeypatch.setenv("T_BEARER", "envtok")
    monkeypatch.setenv("T_BASIC_USERNAME", "eu")
    monkeypatch.setenv("T_BASIC_PASSWORD", "ep")
    s = Server()
    c = client(s, {"hkey": None})
    c.request(ep())
    assert s.requests[-1].headers["x-api-key"] == "envkey"
    c.request(ep((("bearer",),)))
    assert s.requests[-1].headers["authorization"] == "Bearer envtok"
    c.request(ep((("basic",),)))
    assert s.requests[-1].headers["authorization"] == "Basic " + base64.b64encode(b"eu:ep").decode()
    monkeypatch.setenv("T_HKEY", "other")
    client(s, {"hkey": "explicit"}).request(ep())
    assert s.requests[-1].headers["x-api-key"] == "explicit"


def test_security_selection_and_missing_credentials() -> None:
    s = Server()
    s_401 = lambda req: (  # noqa: E731
        httpx.Response(401, json={"error": "no"}) if "x-api-key" not in req.headers else s(req)
    )
    c = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        security_schemes=SCHEMES,
        credentials={"bearer": "B"},
        default_security=(("hkey",),),
        http_client=mock_http(s_401),
        circuit_breaker=None,
    )
    with pytest.raises(MissingCredentialsError, match=r"credentials\['hkey'\] or set \$T_HKEY"):
        c.request(ep())  # default needs hkey: refused before sending
    # first alternative whose schemes all have credentials wins
    s2 = Server()
    c2 = client(s2, {"bearer": "B"})
    c2.request(ep((("hkey",), ("bearer",))))
    assert (
        s2.requests[-1].headers["authorization"] == "Bearer B"
        and "x-api-key" not in s2.requests[-1].headers
    )
    c2.request(ep(()))  # explicitly public
    assert "authorization" not in s2.requests[-1].headers
    sent = len(s2.requests)
    with pytest.raises(MissingCredentialsError):  # unsatisfiable -> nothing is sent
        c2.request(ep((("hkey", "bearer"),)))
    assert len(s2.requests) == sent
    c2.request(ep((("hkey",), ())))  # an empty alternative: credentials are optional
    assert "x-api-key" not in s2.requests[-1].headers


def test_custom_httpx_auth_is_applied_too() -> None:
    class Signer(httpx.Auth):
        def auth_flow(
            self, request: httpx.Request
        ) -> Generator[httpx.Request, httpx.Response, None]:
            request.headers["X-Signature"] = "sig"
            yield request

    s = Server()
    client(s, {"hkey": "H"}, auth=Signer()).request(ep())
    assert (
        s.requests[-1].headers["x-signature"] == "sig"
        and s.requests[-1].headers["x-api-key"] == "H"
    )


def test_oauth_client_credentials_fetched_once_cached_and_refreshed_before_expiry() -> None:
    s = Server(expires_in=100)
    c = client(s, {"oauth": OAuth2ClientCredentials("cid", "csecret")}, default=(("oauth",),))
    session = c._auth.oauth_sessions()[0]
    fake = FakeClock()
    session.clock = fake
    c.request(ep())
    c.request(ep())
    assert len(s.token_requests) == 1
    tr = s.token_requests[0]
    assert str(tr.url) == "https://api.test/oauth/token"
    assert parse_qs(tr.content.decode()) == {
        "grant_type": ["client_credentials"],
        "scope": ["read write"],
    }
    assert tr.headers["authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert [r.headers["authorization"] for r in s.requests] == ["Bearer tok-1"] * 2
    fake.advance(69)  # 31 s left: still fresh
    c.request(ep())
    assert len(s.token_requests) == 1
    fake.advance(2)  # inside the 30 s margin: refreshed before use
    c.request(ep())
    assert len(s.token_requests) == 2 and s.requests[-1].headers["authorization"] == "Bearer tok-2"


def test_oauth_refresh_once_on_401_then_repeat() -> None:
    s = Server(expires_in=None)
    c = client(
        s,
        {"oauth": OAuth2ClientCredentials("cid", "cs", scopes=["x"], auth_method="body")},
        default=(("oauth",),),
    )
    c.request(ep())
    assert parse_qs(s.token_requests[0].content.decode())["client_secret"] == ["cs"]
    s.valid = {"tok-2"}  # server revoked tok-1
    assert c.request(ep()) == {"ok": True}
    assert len(s.token_requests) == 2
    assert s.auths == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    s.valid = set()  # nothing valid: one refresh, then AuthenticationError
    with pytest.raises(AuthenticationError) as info:
        c.request(ep())
    assert len(s.token_requests) == 3
    assert "tok-" not in str(info.value) and "cs" not in str(info.value).split("->")[0].replace(
        "https", ""
    )


def test_oauth_refresh_token_flow_rotates_refresh_token() -> None:
    s = Server(expires_in=None)
    c = client(s, {"oauth": OAuth2RefreshToken("rt-0", client_id="pub")}, default=(("oauth",),))
    c.request(ep())
    s.valid = {"tok-2"}
    c.request(ep())
    forms = [parse_qs(r.content.decode()) for r in s.token_requests]
    assert forms[0] == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["rt-0"],
        "client_id": ["pub"],
    }
    assert forms[1]["refresh_token"] == ["rt-1"]  # the rotated refresh token was used


def test_oauth_from_env_and_static_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_OAUTH_CLIENT_ID", "eid")
    monkeypatch.setenv("T_OAUTH_CLIENT_SECRET", "esec")
    s = Server()
    client(s, {}, default=(("oauth",),)).request(ep())
    assert (
        s.token_requests[0].headers["authorization"]
        == "Basic " + base64.b64encode(b"eid:esec").decode()
    )
    monkeypatch.delenv("T_OAUTH_CLIENT_ID")
    monkeypatch.setenv("T_OAUTH", "static-token")
    s2 = Server()
    s2.valid = set()
    c = client(s2, {}, default=(("oauth",),))
    with pytest.raises(AuthenticationError):
        c.request(ep())
    assert (
        s2.token_requests == [] and s2.requests[0].headers["authorization"] == "Bearer static-token"
    )
    assert len(s2.requests) == 1  # a static token cannot be refreshed: no repeat


def test_token_endpoint_failure_is_authentication_error_without_secrets() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client", "echo": "csecret"})

    c = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        security_schemes=SCHEMES,
        credentials={"oauth": OAuth2ClientCredentials("cid", "csecret")},
        default_security=(("oauth",),),
        http_client=mock_http(handler),
    )
    with pytest.raises(AuthenticationError) as info:
        c.request(ep())
    assert "invalid_client" in str(info.value) and "csecret" not in str(info.value)
    assert c.breaker_state == "closed"


def test_async_oauth_and_api_key() -> None:
    s = Server(expires_in=None)

    async def main() -> None:
        async with AsyncAPIClient(
            base_url="https://api.test/v1",
            package="t",
            version="1",
            security_schemes=SCHEMES,
            credentials={"oauth": OAuth2ClientCredentials("a", "b"), "qkey": "Q"},
            default_security=(("oauth", "qkey"),),
            http_client=mock_ahttp(s),
        ) as c:
            await asyncio.gather(*(c.request(ep()) for _ in range(5)))
            s.valid = {"tok-2"}
            await c.request(ep())

    asyncio.run(main())
    assert len(s.token_requests) == 2
    assert all(r.url.params["api_key"] == "Q" for r in s.requests)
    assert s.requests[-1].headers["authorization"] == "Bearer tok-2"


def test_oauth_env_refresh_token_for_authorization_code_flow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schemes = {
        "oauth": OAuth2Scheme(token_url="/oauth/token", flows=("authorizationCode",), env="T_OAUTH")
    }
    monkeypatch.setenv("T_OAUTH_REFRESH_TOKEN", "rt-env")
    monkeypatch.setenv("T_OAUTH_CLIENT_ID", "cid")
    monkeypatch.setenv("T_OAUTH_CLIENT_SECRET", "sec")
    s = Server()
    c = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        security_schemes=schemes,
        default_security=(("oauth",),),
        http_client=mock_http(s),
    )
    c.request(ep())
    form = parse_qs(s.token_requests[0].content.decode())
    assert form == {"grant_type": ["refresh_token"], "refresh_token": ["rt-env"]}
    assert (
        s.token_requests[0].headers["authorization"]
        == "Basic " + base64.b64encode(b"cid:sec").decode()
    )
