"""OAuth2 authorization code with PKCE against a real loopback authorization server:
consent, code exchange, token persistence across a restart, single-flight refresh."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import stat
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from apigen.runtime import (
    AsyncAPIClient,
    AuthenticationError,
    Endpoint,
    FileTokenStore,
    MissingCredentialsError,
    ResponseType,
    SyncAPIClient,
)
from apigen.runtime.auth import OAuth2AuthorizationCode, OAuth2Scheme
from rt_faultserver import FaultServer, Reply, Req

ME = Endpoint("GET", "/api/me", "get_me", responses={"200": ResponseType("json")})
REDIRECT = "http://127.0.0.1:8765/callback"
SECRET = "app-secret-xyz"


class AuthServer:
    """/authorize redirects with a code bound to the PKCE challenge; /token checks the
    verifier and hands out rotating tokens; /api/me wants a current access token."""

    def __init__(self, server: FaultServer) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, dict[str, str]] = {}
        self.valid: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.grants: list[str] = []
        self.issued = 0
        server.route("/authorize", self.authorize)
        server.route("/token", self.token)
        server.route("/api/me", self.me)

    def authorize(self, req: Req) -> Reply:
        code = f"code-{len(self.codes) + 1}"
        self.codes[code] = {k: v[0] for k, v in req.query.items()}
        target = f"{req.q('redirect_uri')}?code={code}&state={req.q('state')}"
        return Reply(302, headers={"Location": target})

    def _issue(self) -> Reply:
        with self.lock:
            self.issued += 1
            access, refresh = f"at-{self.issued}", f"rt-{self.issued}"
            self.valid = {access}  # the previous access token stops working
            self.refresh_tokens = {refresh}
        return Reply(
            200,
            json={
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": "read",
            },
        )

    def token(self, req: Req) -> Reply:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        self.grants.append(form.get("grant_type", ""))
        expected = "Basic " + base64.b64encode(f"app:{SECRET}".encode()).decode()
        if req.headers.get("authorization") != expected:
            return Reply(401, json={"error": "invalid_client"})
        if form.get("grant_type") == "authorization_code":
            asked = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                asked is None
                or asked.get("code_challenge") != challenge
                or asked.get("redirect_uri") != form.get("redirect_uri")
            ):
                return Reply(400, json={"error": "invalid_grant"})
            return self._issue()
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return Reply(400, json={"error": "invalid_grant"})
            return self._issue()
        return Reply(400, json={"error": "unsupported_grant_type"})

    def me(self, req: Req) -> Reply:
        token = (req.headers.get("authorization") or "").removeprefix("Bearer ")
        if token not in self.valid:
            return Reply(401, json={"error": "expired"})
        return Reply(200, json={"user": "ada", "token": token})

    def expire_access(self) -> None:
        self.valid = set()


def _settings(server: FaultServer, store: Any, **grant: Any) -> dict[str, Any]:
    scheme = OAuth2Scheme(
        authorization_url="/authorize",
        code_token_url="/token",
        scopes=("read", "write"),
        flows=("authorizationCode",),
    )
    credential = OAuth2AuthorizationCode(
        client_id="app", client_secret=SECRET, redirect_uri=REDIRECT, store=store, **grant
    )
    return dict(
        base_url=server.url,
        package="t",
        version="1",
        circuit_breaker=None,
        security_schemes={"oauth": scheme},
        credentials={"oauth": credential},
        default_security=(("oauth",),),
    )


def _consent(url: str) -> tuple[str, str]:
    """What the user's browser does: open the URL, follow the redirect to our callback."""
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return query["code"][0], query["state"][0]


def test_authorization_url_carries_the_s256_challenge(fault_server, tmp_path):
    AuthServer(fault_server)
    with SyncAPIClient(**_settings(fault_server, FileTokenStore(tmp_path / "t.json"))) as client:
        request = client.oauth_flow.authorization_url(scopes=["read"], state="st-1")
        default = client.oauth_flow.authorization_url()
    url = urlsplit(request.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == fault_server.url + "/authorize"
    assert query["response_type"] == "code" and query["client_id"] == "app"
    assert query["redirect_uri"] == REDIRECT and query["scope"] == "read"
    assert query["state"] == "st-1" and query["code_challenge_method"] == "S256"
    digest = hashlib.sha256(request.code_verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(request.code_verifier) <= 128 and request.code_verifier not in request.url
    assert parse_qs(urlsplit(default.url).query)["scope"] == ["read write"]  # the spec's
    assert default.state != request.state and default.code_verifier != request.code_verifier
    assert "st-1" not in repr(request) and request.code_verifier not in repr(request)


def test_code_exchange_persists_tokens_and_a_restart_refreshes_from_the_store(
    fault_server, tmp_path
):
    auth = AuthServer(fault_server)
    path = tmp_path / "tokens.json"
    with SyncAPIClient(**_settings(fault_server, FileTokenStore(path))) as client:
        with pytest.raises(MissingCredentialsError):
            client.request(ME)  # no consent yet: nothing is sent without a token
        request = client.oauth_flow.authorization_url(state="st-2")
        code, state = _consent(request.url)
        assert state == "st-2"
        with pytest.raises(AuthenticationError):  # a wrong verifier is refused
            client.oauth_flow.exchange_code(code, code_verifier="x" * 43)
        code, _ = _consent(request.url)
        token = client.oauth_flow.exchange_code(code, code_verifier=request.code_verifier)
        assert token.access_token == "at-1" and token.refresh_token == "rt-1"
        assert client.request(ME) == {"user": "ada", "token": "at-1"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["app@127.0.0.1"]["refresh_token"] == "rt-1"
    auth.expire_access()
    # a new process: the stored refresh token is used, no new consent
    with SyncAPIClient(**_settings(fault_server, FileTokenStore(path))) as restarted:
        assert restarted.request(ME) == {"user": "ada", "token": "at-2"}
    assert auth.grants == ["authorization_code", "authorization_code", "refresh_token"]
    assert FileTokenStore(path).load("app@127.0.0.1").refresh_token == "rt-2"  # rotated


def _exchanged(server: FaultServer, store: Any, client_cls: Any = SyncAPIClient) -> Any:
    client = client_cls(**_settings(server, store))
    return client


def test_refresh_is_single_flight_across_threads_and_clients_sharing_a_store(
    fault_server, tmp_path
):
    auth = AuthServer(fault_server)
    store = FileTokenStore(tmp_path / "tokens.json")
    first = SyncAPIClient(**_settings(fault_server, store))
    request = first.oauth_flow.authorization_url()
    code, _ = _consent(request.url)
    first.oauth_flow.exchange_code(code, code_verifier=request.code_verifier)
    second = SyncAPIClient(**_settings(fault_server, store))  # another worker, same store
    assert second.request(ME)["token"] == "at-1"
    auth.expire_access()
    results: list[str] = []
    barrier = threading.Barrier(8)

    def call(client: SyncAPIClient) -> None:
        barrier.wait()
        results.append(client.request(ME)["token"])

    threads = [threading.Thread(target=call, args=(c,)) for c in [first, second] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == ["at-2"] * 8
    assert auth.grants.count("refresh_token") == 1  # one refresh for both workers
    first.close()
    second.close()


def test_async_flow_and_single_flight_refresh_across_tasks(fault_server, tmp_path):
    auth = AuthServer(fault_server)
    path = tmp_path / "tokens.json"

    async def main() -> list[str]:
        async with AsyncAPIClient(**_settings(fault_server, FileTokenStore(path))) as client:
            request = client.oauth_flow.authorization_url(scopes=["read"])
            code, _ = await asyncio.to_thread(_consent, request.url)
            token = await client.oauth_flow.exchange_code(code, code_verifier=request.code_verifier)
            assert token.refresh_token == "rt-1"
            auth.expire_access()
            answers = await asyncio.gather(*(client.request(ME) for _ in range(20)))
            return [a["token"] for a in answers]

    assert asyncio.run(main()) == ["at-2"] * 20
    assert auth.grants == ["authorization_code", "refresh_token"]
    assert FileTokenStore(path).load("app@127.0.0.1").access_token == "at-2"


def test_token_url_over_plain_http_to_a_remote_host_is_refused(fault_server, tmp_path):
    settings = _settings(fault_server, None, token_url="http://auth.example.com/token")
    with pytest.raises(ValueError, match="plain http"):
        SyncAPIClient(**settings)
