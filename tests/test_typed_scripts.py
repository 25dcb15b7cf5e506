"""A user's typed script for each of Stripe, GitHub, OpenAI, Slack and Twilio passes
``mypy --strict`` against clients generated from specs/real: keyword bodies, raw
responses, with_options, async paginators, auth keywords.

Each client is generated from its spec cut down to the operations the script uses
and the components they reach (the whole Stripe or GitHub client takes minutes to
type-check; what is checked here is the surface of these operations).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

REAL = Path(__file__).resolve().parent.parent / "specs" / "real"

# client name -> (spec file, operationIds the script calls)
CLIENTS = {
    "stripe": (
        "stripe.com.json.gz",
        [
            "PostCustomers",
            "GetCustomersCustomer",
            "GetCustomers",
            "PostPaymentIntentsIntentConfirm",
        ],
    ),
    "github": ("api.github.com.json.gz", ["issues/create", "repos/get", "issues/list-for-repo"]),
    "openai": ("openai-openapi.json.gz", ["createChatCompletion", "listModels", "createEmbedding"]),
    "slack": ("slack.com.json.gz", ["chat_postMessage", "conversations_list"]),
    "twilio": ("twilio.com.api.json.gz", ["CreateMessage", "FetchMessage"]),
}

SCRIPTS = {
    "stripe": """
        import asyncio

        from stripe import AsyncClient, Client

        def main() -> None:
            with Client(basic_auth="sk_test_123") as client:
                customer = client.customers.create(
                    email="jenny@example.com", name="Jenny", metadata={"order": "6735"},
                    address={"city": "Berlin"}, preferred_locales=["de"],
                )
                print(customer.id, customer.email)
                same = client.customers.retrieve("cus_1")
                print(same)
                for listed in client.customers.list(limit=10):
                    print(listed.id)
                intent = client.payment_intents.confirm("pi_1", return_url="https://x")
                print(intent.status)
                raw = client.with_raw_response.customers.create(email="a@b.c")
                print(raw.status_code, raw.request_id, raw.headers.get("idempotent-replayed"))
                print(raw.parse().id)
                patient = client.with_options(timeout=30.0, max_retries=5)
                patient.customers.retrieve("cus_1")

        async def amain() -> None:
            async with AsyncClient(bearer_auth="sk_test_123") as client:
                async for customer in client.customers.list(limit=3):
                    print(customer.id)
                first = await client.customers.list()
                print(len(first.items))
                created = await client.customers.create(email="a@b.c")
                print(created.id)

        main()
        asyncio.run(amain())
    """,
    "github": """
        from github import Client

        with Client(api_key="ghp_123") as client:
            issue = client.repos.issues.create("octocat", "hello", title="Found a bug", body="...", labels=["bug"])
            print(issue.number, issue.title)
            repo = client.repos.get("octocat", "hello")
            print(repo.full_name)
            for listed in client.repos.issues.list("octocat", "hello", per_page=50):
                print(listed.title)
            raw = client.with_raw_response.repos.get("octocat", "hello")
            print(raw.headers.get("etag"), raw.headers.get("x-ratelimit-remaining"), raw.parse().id)
    """,
    "openai": """
        import asyncio

        from openai import AsyncClient, Client

        with Client(api_key="sk-123") as client:
            completion = client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "Hello"}], temperature=0.2,
            )
            print(completion.id)
            embedding = client.embeddings.create(model="text-embedding-3-small", input="hi")
            print(embedding.data)
            models = client.models.list()
            print(models.data)
            raw = client.with_raw_response.models.list()
            print(raw.request_id, raw.elapsed, raw.parse().object)
            client.with_options(max_retries=0, headers={"OpenAI-Organization": "org"}).models.list()

        async def amain() -> None:
            async with AsyncClient(api_key="sk-123") as client:
                done = await client.chat.completions.create(model="gpt-4o", messages=[])
                print(done.id)

        asyncio.run(amain())
    """,
    "slack": """
        from slack import Client

        with Client(token="xoxb-123") as client:
            # Slack's spec also declares the token as a required header parameter of each call
            sent = client.chat_post_message.create(token="xoxb-123", channel="C123", text="Hello")
            print(sent)
            for channel in client.conversations_list.retrieve(token="xoxb-123", limit=100):
                print(channel)
            raw = client.with_raw_response.chat_post_message.create(token="xoxb-123", channel="C123", text="hi")
            print(raw.status_code, raw.parse())
    """,
    "twilio": """
        from twilio import Client

        with Client(api_key=("AC123", "auth-token")) as client:
            message = client.accounts.messages.create("AC123", to="+15558675310", from_="+15017122661", body="Hi")
            print(message.sid)
            fetched = client.accounts.messages.fetch("AC123", "SM1")
            print(fetched.status)
    """,
}


def trimmed(spec: dict[str, Any], operation_ids: list[str]) -> dict[str, Any]:
    """``spec`` with only these operations and the components they reach."""
    wanted = set(operation_ids)
    paths: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        kept = {
            m: op
            for m, op in item.items()
            if isinstance(op, dict) and op.get("operationId") in wanted
        }
        if kept:
            paths[path] = {**{k: v for k, v in item.items() if k == "parameters"}, **kept}
    assert {
        op["operationId"] for item in paths.values() for op in item.values() if isinstance(op, dict)
    } >= wanted
    components = spec.get("components") or {}
    reached: dict[str, dict[str, Any]] = {
        "securitySchemes": dict(components.get("securitySchemes") or {})
    }
    todo: list[Any] = [paths]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                kind, name = ref.split("/")[2:4]
                if name not in reached.setdefault(kind, {}):
                    reached[kind][name] = components[kind][name]
                    todo.append(components[kind][name])
            todo.extend(v for k, v in node.items() if k != "$ref")
    keep = ("openapi", "info", "servers", "security", "tags")
    return {**{k: spec[k] for k in keep if k in spec}, "paths": paths, "components": reached}


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from apigen.pipeline import generate

    root = tmp_path_factory.mktemp("typed")
    for name, (gz, operation_ids) in CLIENTS.items():
        spec = trimmed(json.loads(gzip.decompress((REAL / gz).read_bytes())), operation_ids)
        path = root / f"{name}.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        generate(str(path), root / "out" / name, name)
    return root


@pytest.mark.slow
def test_typed_user_scripts_pass_mypy_strict(packages: Path) -> None:
    scripts = packages / "scripts"
    scripts.mkdir()
    for name, source in SCRIPTS.items():
        (scripts / f"use_{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    (packages / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    path = ":".join(str(packages / "out" / name) for name in CLIENTS)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file",
            "mypy.ini",
            *sorted(str(p) for p in scripts.glob("*.py")),
        ],
        capture_output=True,
        text=True,
        cwd=packages,
        timeout=600,
        env={"MYPYPATH": path, "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


@pytest.mark.slow
def test_a_wrong_keyword_body_fails_the_type_check(packages: Path) -> None:
    """The check above can fail: a misspelt field and a wrong type are errors."""
    bad = packages / "bad.py"
    bad.write_text(
        textwrap.dedent("""
        from stripe import Client

        client = Client(basic_auth="sk")
        client.customers.create(emial="x")
        client.customers.create(balance="not an int")
    """),
        encoding="utf-8",
    )
    (packages / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file",
            "mypy.ini",
            str(bad),
        ],
        capture_output=True,
        text=True,
        cwd=packages,
        timeout=600,
        env={"MYPYPATH": str(packages / "out" / "stripe"), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 1
    assert 'Unexpected keyword argument "emial"' in proc.stdout
    assert 'Argument "balance"' in proc.stdout and "incompatible type" in proc.stdout
