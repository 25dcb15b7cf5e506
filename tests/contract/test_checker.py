"""The contract checker itself: it must reject invalid requests, or contract tests prove nothing."""

from __future__ import annotations

import json

import httpx
import pytest

from apigen.build import build_api
from apigen.loader import load
from apigen.normalize import normalize

from checker import check_request, query_auth_names
from contract_paths import REPO
from synth import SpecSchemas, Synth

BASE = "http://contract.test/base"


@pytest.fixture(scope="module")
def bodies():  # type: ignore[no-untyped-def]
    normalized = normalize(load(str(REPO / "specs" / "bodies.yaml")))
    api = build_api(normalize(load(str(REPO / "specs" / "bodies.yaml"))))
    return SpecSchemas(normalized), api, {op.operation_id: op for op in api.operations}


def _check(bodies, name: str, request: httpx.Request) -> list[str]:  # type: ignore[no-untyped-def]
    spec, api, ops = bodies
    return check_request(spec, api, ops[name], request, "/base", query_auth_names(api))


def _auth(bodies) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _, api, _ = bodies
    out = {}
    for s in api.security_schemes:
        if s.kind == "apiKey" and s.location == "header":
            out[s.param_name] = "k"
    return out


def test_valid_request_passes(bodies):  # type: ignore[no-untyped-def]
    req = httpx.Request(
        "GET", f"{BASE}/widgets?ids=1&ids=2", headers={"X-Tenant": "t", **_auth(bodies)}
    )
    assert _check(bodies, "listWidgets", req) == []


def test_missing_required_header_and_bad_query_type(bodies):  # type: ignore[no-untyped-def]
    req = httpx.Request("GET", f"{BASE}/widgets?ids=one", headers=_auth(bodies))
    problems = _check(bodies, "listWidgets", req)
    assert any("X-Tenant" in p and "missing" in p for p in problems), problems
    assert any("'ids'" in p for p in problems), problems


def test_undeclared_query_parameter(bodies):  # type: ignore[no-untyped-def]
    req = httpx.Request(
        "GET", f"{BASE}/widgets?bogus=1", headers={"X-Tenant": "t", **_auth(bodies)}
    )
    assert any("bogus" in p for p in _check(bodies, "listWidgets", req))


def test_wrong_path_and_method(bodies):  # type: ignore[no-untyped-def]
    req = httpx.Request(
        "POST",
        f"{BASE}/widgets/1/versions/x/at/2024-01-02/flag/true/ratio/1.5",
        headers=_auth(bodies),
    )
    problems = _check(bodies, "getWidgetVersion", req)
    assert any("method" in p for p in problems), problems
    assert any("'version'" in p for p in problems), problems  # "x" is not an integer
    req = httpx.Request("GET", f"{BASE}/widgets/1/versions", headers=_auth(bodies))
    assert any("does not match template" in p for p in _check(bodies, "getWidgetVersion", req))


def test_invalid_json_body(bodies):  # type: ignore[no-untyped-def]
    spec, _, ops = bodies
    good = Synth(spec, direction="request").value(
        spec.deref(spec.pointer("/paths/~1widgets/put/requestBody"))["content"]["application/json"][
            "schema"
        ]
    )
    headers = {"content-type": "application/json", **_auth(bodies)}
    ok = httpx.Request("PUT", f"{BASE}/widgets", content=json.dumps(good).encode(), headers=headers)
    assert _check(bodies, "upsertWidget", ok) == []
    bad = httpx.Request("PUT", f"{BASE}/widgets", content=b'{"unexpected": [1]}', headers=headers)
    assert any("JSON body" in p for p in _check(bodies, "upsertWidget", bad))
    wrong_type = httpx.Request(
        "PUT",
        f"{BASE}/widgets",
        content=json.dumps(good).encode(),
        headers={**headers, "content-type": "text/plain"},
    )
    assert any("content type" in p for p in _check(bodies, "upsertWidget", wrong_type))


def test_missing_credentials(bodies):  # type: ignore[no-untyped-def]
    _, api, ops = bodies
    if not api.default_security:
        pytest.skip("bodies.yaml has no global security")
    req = httpx.Request("GET", f"{BASE}/widgets", headers={"X-Tenant": "t"})
    assert any("security" in p for p in _check(bodies, "listWidgets", req))


def test_a_percent_encoded_ref_resolves_as_its_decoded_pointer() -> None:
    """DigitalOcean writes ``#/paths/~1v2~1apps~1%7Bapp_id%7D/...``: the fragment is
    percent-decoded before it is a JSON pointer (RFC 6901, section 6)."""
    ok = {
        "200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"type": "string"}}},
        }
    }
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/apps/{app_id}": {"get": {"responses": ok}},
            "/copy": {"get": {"responses": {"$ref": "#/paths/~1apps~1%7Bapp_id%7D/get/responses"}}},
        },
    }
    spec = SpecSchemas(doc)
    resolved = spec.deref(spec.doc["paths"]["/copy"]["get"]["responses"])
    assert resolved["200"]["description"] == "ok"
