"""Typed webhook events from real specs: every GitHub x-webhook (the contract tests'
generated client), Stripe's Event, and OpenAI's 16 OAS 3.1 webhooks, each payload
synthesised from its schema, signed with the provider's scheme and unwrapped."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from support import import_generated

from contract_paths import REAL
from synth import SpecSchemas, Synth

SECRET = "whsec_" + "dGVzdC13ZWJob29rLWtleQ=="  # base64 of "test-webhook-key"


def _members(tp: Any) -> tuple[Any, ...]:
    return typing.get_args(tp) or (tp,)


def _unwrap_every_webhook(
    pkg_name: str, project: Path, spec: dict[str, Any], section: str
) -> dict[str, Any]:
    """name -> event: each payload synthesised, signed and unwrapped by the generated helper."""
    pkg = import_generated(pkg_name, project)
    hooks = importlib_module(pkg_name + ".webhooks")
    helper = hooks.Webhooks(secret=SECRET)
    prepared = SpecSchemas(spec)  # refs rewritten for the synthesiser
    synth = Synth(prepared, direction="request")
    table = {e.name: e for e in hooks.webhook_events()}
    assert sorted(table) == sorted(spec[section])
    events = {}
    for name, item in prepared.doc[section].items():
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        body = json.dumps(synth.value(schema)).encode()
        entry = table[name]
        headers = dict([entry.header]) if entry.header else {}
        headers.update(helper.scheme.sign(body, SECRET.encode()))
        event = helper.unwrap(body, headers)
        assert isinstance(event, _members(entry.load())), (name, type(event))
        assert pkg.response_problems(event) == (), name
        events[name] = event
    return events


def importlib_module(name: str) -> Any:
    import importlib

    return importlib.import_module(name)


def test_github_every_x_webhook_unwraps_to_its_model(
    real_clients: dict[str, tuple[Path, Path]],
) -> None:
    spec_path, project = real_clients["contract_github"]
    spec = json.loads(spec_path.read_text())
    events = _unwrap_every_webhook("contract_github", project, spec, "x-webhooks")
    assert len(events) == 270
    assert type(events["issues-opened"]).__name__ == "WebhookIssuesOpened"
    assert type(events["push"]).__name__ == "WebhookPush"
    # the same action under another event header is another type: the header decides
    assert type(events["issue-comment-created"]).__name__ == "WebhookIssueCommentCreated"
    client = import_generated("contract_github", project).Client()
    with pytest.raises(import_generated("contract_github", project).WebhookVerificationError):
        client.webhooks.verify(b"{}", {"X-Hub-Signature-256": "sha256=" + "0" * 64}, secret="s")


def test_stripe_event_envelope(real_clients: dict[str, tuple[Path, Path]]) -> None:
    spec_path, project = real_clients["contract_stripe"]
    pkg = import_generated("contract_stripe", project)
    spec = json.loads(spec_path.read_text())
    prepared = SpecSchemas(spec)
    body = json.dumps(
        Synth(prepared).value(prepared.doc["components"]["schemas"]["event"])
    ).encode()
    hooks = importlib_module("contract_stripe.webhooks")
    headers = hooks.Webhooks().scheme.sign(body, b"whsec_stripe")
    event = pkg.Client().webhooks.unwrap(body, headers, secret="whsec_stripe")
    assert type(event).__name__ == "Event" and pkg.response_problems(event) == ()


def _openai_webhooks_spec(target: Path) -> dict[str, Any]:
    """OpenAI's official spec cut to its webhooks and the schemas they reach (no paths)."""
    doc = json.loads(gzip.decompress((REAL / "openai-openapi.json.gz").read_bytes()))
    schemas, keep = doc["components"]["schemas"], set()
    stack: list[Any] = [doc["webhooks"]]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                key = ref.rsplit("/", 1)[1]
                if key not in keep:
                    keep.add(key)
                    stack.append(schemas[key])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    cut = {k: doc[k] for k in ("openapi", "info", "servers", "webhooks")}
    cut |= {"paths": {}, "components": {"schemas": {k: schemas[k] for k in sorted(keep)}}}
    target.write_text(json.dumps(cut))
    return cut


def test_openai_16_webhooks_typed_with_standard_webhooks(tmp_path: Path) -> None:
    spec = _openai_webhooks_spec(tmp_path / "openai-webhooks.json")
    out = tmp_path / "openai_hooks"
    cmd = [
        sys.executable,
        "-m",
        "apigen",
        "generate",
        str(tmp_path / "openai-webhooks.json"),
        "--output",
        str(out),
        "--name",
        "openai_hooks",
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "skipped:    0" in run.stdout  # no webhook left in the summary's skipped list
    events = _unwrap_every_webhook("openai_hooks", out, spec, "webhooks")
    assert len(events) == 16
    assert type(events["batch_completed"]).__name__ == "WebhookBatchCompleted"
    assert (
        "scheme=StandardWebhooks(tolerance=300)"
        in (out / "openai_hooks" / "webhooks.py").read_text()
    )
