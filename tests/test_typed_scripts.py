"""A user's typed script for each of Stripe, GitHub, OpenAI, Slack and Twilio passes
``mypy --strict`` against clients generated from specs/real and runs against each
package's MockAPI: keyword bodies, string enum values (Slack's spec declares no enum in
any parameter or body), raw responses (nested resources too), with_options, async
paginators, auth keywords.

Each client is generated from its spec cut down to the operations the script uses
(``include_operations``, which names them as in the whole API) and the components they
reach: the whole Stripe or GitHub client takes minutes to type-check; what is checked
here is the surface of these operations.
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

from apigen.surface import NAMING_CONTEXT

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
        from stripe.testing import MockAPI

        mock = MockAPI(seed=1)

        def main() -> None:
            with Client(basic_auth="sk_test_123", http_client=mock.http_client()) as client:
                customer = client.customers.create(
                    email="jenny@example.com", name="Jenny", metadata={"order": "6735"},
                    address={"city": "Berlin"}, preferred_locales=["de"], tax_exempt="none",
                )
                print(customer.id, customer.email)
                same = client.customers.retrieve("cus_1")
                print(same)
                for listed in client.customers.list(limit=10):
                    print(listed.id)
                    break
                intent = client.payment_intents.confirm(
                    "pi_1", return_url="https://x", setup_future_usage="off_session",
                )
                if intent.status == "succeeded":
                    print("paid")
                raw = client.with_raw_response.customers.create(email="a@b.c")
                print(raw.status_code, raw.request_id, raw.headers.get("idempotent-replayed"))
                print(raw.parse().id)
                patient = client.with_options(timeout=30.0, max_retries=5)
                patient.customers.retrieve("cus_1")

        async def amain() -> None:
            http = mock.async_http_client()
            async with AsyncClient(bearer_auth="sk_test_123", http_client=http) as client:
                async for customer in client.customers.list(limit=3):
                    print(customer.id)
                    break
                first = await client.customers.list()
                print(len(first.items))
                created = await client.customers.create(email="a@b.c", tax_exempt="exempt")
                print(created.id)

        main()
        asyncio.run(amain())
        sent = mock.calls_to("customers.create")[0]
        assert sent.valid and b"tax_exempt=none" in sent.request.content, sent.problems
    """,
    "github": """
        from github import Client
        from github.testing import MockAPI

        mock = MockAPI(seed=1)
        with Client(api_key="ghp_123", http_client=mock.http_client()) as client:
            issue = client.issues.create(
                "octocat", "hello", title="Found a bug", body="...", labels=["bug"],
            )
            print(issue.number, issue.title)
            repo = client.repos.get("octocat", "hello")
            print(repo.full_name)
            for listed in client.issues.list_for_repo(
                "octocat", "hello", state="open", sort="updated", direction="desc", per_page=50,
            ):
                print(listed.title)
                break
            raw = client.with_raw_response.repos.get("octocat", "hello")
            print(raw.headers.get("etag"), raw.headers.get("x-ratelimit-remaining"), raw.parse().id)
        listed_call = mock.calls_to("issues.list_for_repo")[0]
        assert listed_call.valid and listed_call.query["state"] == ["open"], listed_call.problems
    """,
    "openai": """
        import asyncio

        from openai import AsyncClient, Client
        from openai.testing import MockAPI

        mock = MockAPI(seed=1)
        with Client(api_key="sk-123", http_client=mock.http_client()) as client:
            completion = client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "Hello"}], temperature=0.2,
                service_tier="auto", reasoning_effort="low",
            )
            print(completion.id)
            embedding = client.embeddings.create(
                model="text-embedding-3-small", input="hi", encoding_format="float",
            )
            print(embedding.data)
            models = client.models.list()
            print(models.data)
            raw = client.with_raw_response.models.list()
            print(raw.request_id, raw.elapsed, raw.parse().object)
            client.with_options(max_retries=0, headers={"OpenAI-Organization": "org"}).models.list()
            nested = client.with_raw_response.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "Hi"}],
            )
            print(nested.status_code, nested.parse().id)

        async def amain() -> None:
            http_client = mock.async_http_client()
            async with AsyncClient(api_key="sk-123", http_client=http_client) as client:
                done = await client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "developer", "content": "Be brief"}],
                )
                print(done.id)
                raw = await client.with_raw_response.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": "Hi"}],
                )
                print(raw.headers, raw.parse().choices)

        asyncio.run(amain())
        sent = mock.calls_to("chat.completions.create")[0]
        assert sent.valid and sent.json["service_tier"] == "auto", sent.problems
    """,
    "slack": """
        from slack import Client
        from slack.testing import MockAPI

        mock = MockAPI(seed=1)
        with Client(token="xoxb-123", http_client=mock.http_client()) as client:
            # Slack's spec also declares the token as a required header parameter of each call
            sent = client.chat.post_message(token="xoxb-123", channel="C123", text="Hello")
            print(sent)
            for channel in client.conversations.list(token="xoxb-123", limit=100):
                print(channel)
                break
            raw = client.with_raw_response.chat.post_message(
                token="xoxb-123", channel="C123", text="hi",
            )
            print(raw.status_code, raw.parse())
        posted = mock.calls_to("chat.post_message")[0]
        assert posted.valid and b"channel=C123" in posted.request.content, posted.problems
    """,
    "twilio": """
        from twilio import Client
        from twilio.testing import MockAPI

        ACCOUNT = "AC" + "0123456789abcdef" * 2
        mock = MockAPI(seed=1)
        with Client(api_key=(ACCOUNT, "auth-token"), http_client=mock.http_client()) as client:
            message = client.messages.create(
                ACCOUNT, to="+15558675310", from_="+15017122661", body="Hi",
                content_retention="retain", risk_check="disable",
            )
            print(message.sid)
            fetched = client.messages.fetch(ACCOUNT, "SM" + "0123456789abcdef" * 2)
            if fetched.status == "delivered":
                print("delivered")
        created = mock.calls_to("messages.create")[0]
        assert created.valid and b"From=%2B15017122661" in created.request.content, created.problems
    """,
}


def trimmed(spec: dict[str, Any], operation_ids: list[str]) -> dict[str, Any]:
    """``spec`` with only these operations (``include_operations``, which names them as
    in the whole API) and the components they reach."""
    from apigen.customize import Options, apply_options

    spec, _ = apply_options(spec, Options(include_operations=tuple(operation_ids)))
    paths = {
        path: item
        for path, item in spec["paths"].items()
        if any(isinstance(op, dict) and "operationId" in op for op in item.values())
    }
    assert {
        op["operationId"]
        for item in paths.values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    } == set(operation_ids)
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
    keep = ("openapi", "info", "servers", "security", "tags", NAMING_CONTEXT)
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


def _scripts(packages: Path) -> Path:
    scripts = packages / "scripts"
    scripts.mkdir(exist_ok=True)
    for name, source in SCRIPTS.items():
        (scripts / f"use_{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return scripts


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_typed_user_scripts_run_against_the_packaged_mock(packages: Path, name: str) -> None:
    """Each script runs: its calls reach the package's MockAPI, which checks every request
    against the spec (a keyword body sent wrong is a 400 there, and the script fails)."""
    script = _scripts(packages) / f"use_{name}.py"
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=packages,
        env={"PYTHONPATH": str(packages / "out" / name), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]


@pytest.mark.slow
def test_typed_user_scripts_pass_mypy_strict(packages: Path) -> None:
    scripts = _scripts(packages)
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
        client.customers.create(tax_exempt="nome")
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
    assert 'Argument "tax_exempt"' in proc.stdout and "Literal['nome']" in proc.stdout, proc.stdout
