"""Webhooks: the IR from ``webhooks`` / ``x-webhooks``, the signature scheme chosen, the
generated helper (typed events, mypy), and a real receiver on loopback running the
generated README's WSGI example."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest

from apigen.build import build_api
from apigen.customize import Options, apply_options
from apigen.diagnostics import ApigenError
from apigen.loader import Document
from apigen.normalize import normalize as _normalize

from support import GENERATED, REPO, import_generated

library = import_generated("library")
from library import models as library_models  # noqa: E402
from library._runtime import StandardWebhooks  # noqa: E402

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHM="  # base64 of "secret-key-for-tests"


def normalize(data: dict[str, Any]) -> dict[str, Any]:
    return _normalize(Document(data=data, source="test.json", text=""))


def _webhook_skips(api: Any) -> list[Any]:
    return [s for s in api.skipped if "webhook" in s.where.lower() or "webhook" in s.reason.lower()]


# ---------------------------------------------------------------- the IR

GITHUB_SHAPED = {
    "openapi": "3.0.3",
    "info": {"title": "Hooks", "version": "1"},
    "servers": [{"url": "https://hooks.example.com"}],
    "paths": {},
    "x-webhooks": {
        "issues-opened": {
            "post": {
                "parameters": [
                    {
                        "name": "X-Github-Event",
                        "in": "header",
                        "example": "issues",
                        "schema": {"type": "string"},
                    },
                    {"name": "X-Hub-Signature-256", "in": "header", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/issues-opened"}
                        },
                        "application/x-www-form-urlencoded": {
                            "schema": {"$ref": "#/components/schemas/issues-opened"}
                        },
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
        "ping": {
            "post": {
                "parameters": [
                    {
                        "name": "X-Github-Event",
                        "in": "header",
                        "schema": {"type": "string", "enum": ["ping"]},
                    }
                ],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["zen"],
                                "properties": {
                                    "zen": {"type": "string"},
                                    "hook_id": {"type": "integer", "nullable": True},
                                },
                            }
                        }
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
    "components": {
        "schemas": {
            "issues-opened": {
                "type": "object",
                "required": ["action", "number"],
                "properties": {
                    "action": {"type": "string", "enum": ["opened"]},
                    "number": {"type": "integer"},
                },
            }
        }
    },
}


def test_oneof_payload_qualified_and_marks_shared_by_members():
    from apigen.webhooks import qualified

    spec = json.loads(json.dumps(GITHUB_SHAPED))
    spec["components"]["schemas"]["issues-opened-team"] = spec["components"]["schemas"][
        "issues-opened"
    ]
    body = spec["x-webhooks"]["issues-opened"]["post"]["requestBody"]["content"]["application/json"]
    body["schema"] = {
        "oneOf": [
            {"$ref": "#/components/schemas/issues-opened"},
            {"$ref": "#/components/schemas/issues-opened-team"},
        ]
    }
    api = build_api(normalize(spec))
    hook = api.webhooks[0]
    assert hook.type.expr == "IssuesOpened | IssuesOpenedTeam" and hook.event_fields == (
        ("action", "opened"),
    )
    assert qualified(hook.type) == "models.IssuesOpened | models.IssuesOpenedTeam"


def test_x_webhooks_github_shaped_ir():
    api = build_api(normalize(json.loads(json.dumps(GITHUB_SHAPED))))
    assert [(w.name, w.type.expr, w.event_header, w.event_fields) for w in api.webhooks] == [
        ("issues-opened", "IssuesOpened", ("X-Github-Event", "issues"), (("action", "opened"),)),
        ("ping", "PingEvent", ("X-Github-Event", "ping"), ()),  # an inline payload gets a class
    ]
    assert api.webhook_signature is not None and api.webhook_signature.scheme == "github"
    assert api.webhook_signature.source == "the signature header the webhooks declare"
    assert api.webhook_signature.env == "HOOKS_WEBHOOK_SECRET"
    assert not _webhook_skips(api)


@pytest.mark.parametrize(
    "server, scheme",
    [
        ("https://api.stripe.com/", "stripe"),
        ("https://slack.com/api", "slack"),
        ("https://api.twilio.com", "twilio"),
        ("https://eu.api.openai.com/v1", "standard"),
        ("https://api.github.com", "github"),
    ],
)
def test_scheme_detected_from_the_host(server, scheme):
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "servers": [{"url": server}],
        "paths": {},
        "components": {
            "schemas": {"event": {"type": "object", "properties": {"type": {"type": "string"}}}}
        },
    }
    api = build_api(normalize(spec))
    assert api.webhook_signature.scheme == scheme and "host" in api.webhook_signature.source
    # Stripe's spec has no webhooks: its one event envelope, `event`, types them
    assert [(w.name, w.type.expr) for w in api.webhooks] == (
        [("event", "Event")] if scheme == "stripe" else []
    )


def test_unknown_host_without_webhooks_gets_no_helper():
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "servers": [{"url": "https://api.stripe.com.evil.example"}],
        "paths": {},
    }
    assert build_api(normalize(spec)).webhook_signature is None


def test_no_webhooks_no_helper_and_nothing_skipped():
    api = build_api(normalize(json.loads((REPO / "specs" / "petstore.json").read_text())))
    assert api.webhook_signature is None and api.webhooks == ()


def test_configured_scheme_and_attribute_collision():
    spec = json.loads(json.dumps(GITHUB_SHAPED))
    spec["paths"] = {  # one tag: the resource's name comes from the path
        "/webhooks": {
            "get": {
                "tags": ["webhooks"],
                "operationId": "listHooks",
                "responses": {"200": {"description": "ok"}},
            }
        }
    }
    options = Options.from_config(
        {
            "webhooks": {
                "scheme": "hmac",
                "header": "X-Sig",
                "encoding": "base64",
                "secret_env": "MY_SECRET",
            }
        },
        "test",
    )
    api = build_api(normalize(apply_options(spec, options)[0]))
    sig = api.webhook_signature
    assert (sig.scheme, sig.header, sig.encoding, sig.env, sig.source) == (
        "hmac",
        "X-Sig",
        "base64",
        "MY_SECRET",
        "configuration",
    )
    assert [r.py_name for r in api.resources] == ["webhooks"]
    assert api.webhooks_attr == "webhook_events"  # the resource keeps its name
    with pytest.raises(ApigenError, match="scheme"):
        Options.from_config({"webhooks": {"scheme": "md5"}}, "test")
    with pytest.raises(ApigenError, match="header"):
        Options.from_config({"webhooks": {"scheme": "hmac"}}, "test")
    # the extension may come from a spec: what reaches code and the README is a plain name
    for hostile in (
        {"secret_env": "X\n## injected"},
        {"header": "X-Sig\r\nEvil: 1"},
        {"prefix": "`rm`"},
    ):
        with pytest.raises(ApigenError, match="must match"):
            build_api(
                normalize({**json.loads(json.dumps(GITHUB_SHAPED)), "x-apigen-webhooks": hostile})
            )


def test_summary_has_no_webhook_skip_for_the_golden_31_spec():
    from apigen.loader import load

    api = build_api(_normalize(load(str(REPO / "specs" / "openapi31.yaml"))))
    assert [w.name for w in api.webhooks] == ["bookReturned"] and not _webhook_skips(api)


# ---------------------------------------------------------------- the generated helper


def _loan_event() -> bytes:
    return json.dumps(
        {
            "event": "book.returned",
            "member_id": 7,
            "loan": {"isbn": "9780262033848", "due": "2026-01-02T03:04:05Z"},
        }
    ).encode()


def test_generated_helper_unwraps_typed_event_sync_and_async(monkeypatch):
    monkeypatch.setenv("LIBRARY_WEBHOOK_SECRET", SECRET)
    body = _loan_event()
    headers = StandardWebhooks().sign(body, SECRET.encode())
    for client in (library.Client(), library.AsyncClient()):
        event = client.webhooks.unwrap(body, headers)
        assert isinstance(event, library_models.LoanEvent) and event.loan.isbn == "9780262033848"
        client.webhooks.verify(body, headers)
        with pytest.raises(library.WebhookVerificationError, match="bad signature"):
            client.webhooks.verify(body.replace(b"7", b"8"), headers)
    unknown = json.dumps({"event": "book.lost"}).encode()
    got = library.Client().webhooks.unwrap(
        unknown, StandardWebhooks().sign(unknown, SECRET.encode())
    )
    assert got == library.UnknownWebhookEvent("book.lost", {"event": "book.lost"})


def test_generated_webhooks_module_names_the_scheme_and_env():
    source = (GENERATED / "library" / "library" / "webhooks.py").read_text()
    assert "scheme=StandardWebhooks(tolerance=300)" in source
    assert 'SECRET_ENV = "LIBRARY_WEBHOOK_SECRET"' in source
    assert '_load("LoanEvent")' in source and '("event", "book.returned")' in source


# ---------------------------------------------------------------- a real receiver on loopback


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver(monkeypatch) -> Iterator[tuple[str, list[Any]]]:
    """The generated README's WSGI example, served by wsgiref (an http.server) on loopback."""
    monkeypatch.setenv(
        "LIBRARY_WEBHOOK_SECRET", f"whsec_b2xkLWtleQ==,{SECRET}"
    )  # rotating: old, new
    readme = (GENERATED / "library" / "README.md").read_text()
    section = readme[readme.index("## Webhooks") :]
    example = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict[str, Any] = {}
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102 - our own generated README
    received: list[Any] = []
    namespace["handle"] = received.append
    server = make_server("127.0.0.1", 0, namespace["app"], handler_class=_Quiet)
    server.timeout = 5
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_loopback_receiver_accepts_signed_and_rejects_forged(receiver):
    url, received = receiver
    body = _loan_event()
    scheme = StandardWebhooks()
    with httpx.Client(timeout=5) as http:
        ok = http.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", **scheme.sign(body, SECRET.encode())},
        )
        assert (ok.status_code, ok.text) == (200, "ok")
        assert len(received) == 1 and isinstance(received[0], library_models.LoanEvent)
        assert received[0].member_id == 7

        tampered = http.post(
            url, content=body.replace(b"7", b"9"), headers=scheme.sign(body, SECRET.encode())
        )
        assert tampered.status_code == 400 and tampered.text.startswith("bad signature")
        stale = scheme.sign(body, SECRET.encode(), timestamp=int(time.time()) - 3600)
        answer = http.post(url, content=body, headers=stale)
        assert answer.status_code == 400 and answer.text.startswith("stale timestamp")
        missing = http.post(url, content=body, headers={"webhook-id": "msg_1"})
        assert (missing.status_code, missing.text) == (400, "missing header webhook-timestamp")
        assert SECRET not in tampered.text + answer.text + missing.text
        # a body signed with the old secret of the rotation is still accepted
        old = http.post(url, content=body, headers=scheme.sign(body, b"whsec_b2xkLWtleQ=="))
        assert old.status_code == 200 and len(received) == 2


def test_generated_readme_documents_webhooks():
    readme = (GENERATED / "library" / "README.md").read_text()
    assert "LIBRARY_WEBHOOK_SECRET" in readme and "client.webhooks.unwrap(body, headers" in readme
    assert "## Webhooks" not in (GENERATED / "petstore" / "README.md").read_text()


def test_petstore_client_has_no_webhooks_attribute():
    petstore = import_generated("petstore")
    assert not hasattr(petstore.Client, "webhooks")
    assert not (Path(petstore.__file__).parent / "webhooks.py").exists()


# ---------------------------------------------------------------- the GitHub-shaped golden client

hooks = import_generated("hooks")
from hooks import models as hooks_models  # noqa: E402
from hooks._runtime import GitHubSignature  # noqa: E402


def _signed(body: bytes, event: str, secret: bytes = b"gh-secret", **extra: str) -> dict[str, str]:
    return {"X-GitHub-Event": event, **extra, **GitHubSignature().sign(body, secret)}


def test_golden_hooks_scheme_from_the_declared_header_secret_from_env(monkeypatch):
    source = (GENERATED / "hooks" / "hooks" / "webhooks.py").read_text()
    assert 'SECRET_ENV = "HOOKS_WEBHOOK_SECRET"' in source and "scheme=GitHubSignature()" in source
    monkeypatch.setenv("HOOKS_WEBHOOK_SECRET", "rotated-out, gh-secret")
    body = b'{"action":"opened","issue":{"number":1,"title":"t"}}'
    assert isinstance(
        hooks.Client().webhooks.unwrap(body, _signed(body, "issues")), hooks_models.IssuesOpened
    )


def test_golden_hooks_event_by_header_action_and_oneof():
    helper = hooks.Client().webhooks
    cases = [
        (
            b'{"action":"opened","issue":{"number":1,"title":"t"}}',
            "issues",
            hooks_models.IssuesOpened,
        ),
        (
            b'{"action":"closed","issue":{"number":1,"title":"t","closed_at":null}}',
            "issues",
            hooks_models.IssuesClosed,
        ),
        (
            b'{"action":"review_requested","requested_team":{"slug":"core"}}',
            "pull_request",
            hooks_models.ReviewRequestedTeam,
        ),
        (
            b'{"action":"review_requested","requested_reviewer":{"login":"octocat"}}',
            "pull_request",
            hooks_models.ReviewRequestedReviewer,
        ),
        (b'{"zen":"Keep it logically awesome.","hook_id":null}', "ping", hooks_models.PingEvent),
    ]
    for body, event, cls in cases:
        got = helper.unwrap(body, _signed(body, event), secret="gh-secret")
        assert type(got) is cls, (event, body)
        assert hooks.response_problems(got) == ()
    # the action of another event under this header: not one the spec describes
    reopened = b'{"action":"reopened","issue":{"number":1,"title":"t"}}'
    got = helper.unwrap(reopened, _signed(reopened, "issues"), secret="gh-secret")
    assert isinstance(got, hooks.UnknownWebhookEvent) and got.name == "issues"


def test_golden_hooks_form_encoded_delivery_verified_on_raw_bytes():
    payload = '{"action":"opened","issue":{"number":2,"title":"f"}}'
    body = urlencode({"payload": payload}).encode()  # GitHub's "application/x-www-form-urlencoded"
    headers = _signed(body, "issues", **{"Content-Type": "application/x-www-form-urlencoded"})
    event = hooks.Client().webhooks.unwrap(body, headers, secret="gh-secret")
    assert isinstance(event, hooks_models.IssuesOpened) and event.issue.number == 2
    with pytest.raises(hooks.WebhookVerificationError, match="bad signature"):
        hooks.Client().webhooks.unwrap(body + b"&x=1", headers, secret="gh-secret")
