"""The spec's authorizationCode URLs reach the generated client, whose ``oauth`` builds
the consent URL from them; the generated README documents the production features."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from apigen.build import build_api
from apigen.pipeline import generate
from support import import_generated

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Notes", "version": "1"},
    "servers": [{"url": "https://api.notes.example"}],
    "components": {
        "securitySchemes": {
            "oauth": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {
                        "tokenUrl": "https://auth.notes.example/cc-token",
                        "scopes": {"admin": "all"},
                    },
                    "authorizationCode": {
                        "authorizationUrl": "https://auth.notes.example/authorize",
                        "tokenUrl": "https://auth.notes.example/code-token",
                        "scopes": {"notes:read": "read", "notes:write": "write"},
                    },
                },
            }
        }
    },
    "security": [{"oauth": []}],
    "paths": {
        "/notes": {
            "post": {
                "operationId": "create_note",
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


def test_ir_keeps_the_authorization_code_flows_urls():
    (scheme,) = build_api(json.loads(json.dumps(SPEC)), package="notes").security_schemes
    assert scheme.authorization_url == "https://auth.notes.example/authorize"
    assert scheme.code_token_url == "https://auth.notes.example/code-token"
    assert scheme.token_url == "https://auth.notes.example/cc-token"  # client credentials'


def test_generated_client_builds_the_consent_url_from_the_spec(tmp_path):
    spec = tmp_path / "notes.json"
    spec.write_text(json.dumps(SPEC))
    generate(str(spec), tmp_path / "out", "notes_oauth")
    package = import_generated("notes_oauth", tmp_path / "out")
    client = package.Client(
        token=package.OAuth2AuthorizationCode(client_id="app", redirect_uri="http://127.0.0.1:1/cb")
    )
    request = client.oauth.authorization_url(scopes=["notes:read"])
    url = urlsplit(request.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://auth.notes.example/authorize"
    assert parse_qs(url.query)["code_challenge_method"] == ["S256"]
    session = client._auth.oauth_session()
    assert session.token_url == "https://auth.notes.example/code-token"
    readme = (tmp_path / "out" / "README.md").read_text()
    for words in (
        "client.oauth.exchange_code",
        "FileTokenStore",
        "Idempotency-Key",
        "cache=MemoryCache()",
        "client.stats()",
        "opentelemetry-api",
    ):
        assert words in readme
    client.close()


def test_a_resource_named_oauth_or_stats_keeps_the_flow_and_stats_reachable(tmp_path):
    spec = json.loads(json.dumps(SPEC))
    ok = {"200": {"description": "ok"}}
    spec["paths"]["/oauth/info"] = {
        "get": {"operationId": "oauth_info", "tags": ["oauth"], "responses": ok}
    }
    spec["paths"]["/stats"] = {
        "get": {"operationId": "stats_get", "tags": ["stats"], "responses": ok}
    }
    path = tmp_path / "notes.json"
    path.write_text(json.dumps(spec))
    generate(str(path), tmp_path / "out", "notes_named")
    package = import_generated("notes_named", tmp_path / "out")
    client = package.Client(token=package.OAuth2AuthorizationCode(client_id="app"))
    assert hasattr(client.oauth, "info")  # the API's own resource keeps its name
    assert client.oauth_flow.authorization_url().url.startswith("https://auth.notes.example/")
    assert hasattr(client.stats, "get")  # the API's resource too
    assert client.runtime_stats()["enabled"] is False
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "client.oauth_flow.exchange_code" in readme and "client.runtime_stats()" in readme
    client.close()
