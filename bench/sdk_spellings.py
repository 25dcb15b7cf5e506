"""The official SDK's call next to apigen's, five common tasks per API (issue 12).

For each of the ten integrations: the spelling of five everyday tasks in the
provider's SDK (as its documentation writes them) beside ``client.<resource>.<method>``
of the client apigen makes from the same API's description, found by the operation
(method and path) from the IR. Then, per API: resources, operations, the median and
longest call path (what follows ``client.``), and with ``--modules`` the largest
generated module in lines (resources and models, the verbatim runtime aside; this
generates all ten packages: minutes), with ``--mypy`` also ``mypy --strict`` on each.

    python bench/sdk_spellings.py                 # tables (markdown) and figures
    python bench/sdk_spellings.py --modules       # + the largest module of each package
    python bench/sdk_spellings.py --mypy          # + mypy --strict on each (tens of minutes)
    python bench/sdk_spellings.py --mypy --only Slack,Zoom   # some of the ten
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "generator"))

from apigen.build import build_api  # noqa: E402
from apigen.ir import Api  # noqa: E402
from apigen.loader import load  # noqa: E402
from apigen.naming import snake  # noqa: E402
from apigen.normalize import normalize  # noqa: E402

REAL = REPO / "specs" / "real"
STRIPE_DEFAULT_BEFORE = 51_787  # lines of Stripe's one resource module before issue 12
SPECS = {
    "Stripe": "stripe.com.json.gz",
    "GitHub": "api.github.com.json.gz",
    "OpenAI": "openai-openapi.json.gz",
    "Twilio": "twilio.com.api.json.gz",
    "Slack": "slack.com.json.gz",
    "SendGrid": "sendgrid.com.json.gz",
    "Zoom": "zoom.us.json.gz",
    "Box": "box.com.json.gz",
    "Asana": "asana.com.json.gz",
    "DigitalOcean": "digitalocean.com.json.gz",
}

# api -> (SDK, [(task, the SDK's spelling, "METHOD /path")])
TASKS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "Stripe": (
        "stripe-python (StripeClient)",
        [
            ("create a customer", "client.customers.create(params={...})", "POST /v1/customers"),
            (
                "retrieve a customer",
                'client.customers.retrieve("cus_1")',
                "GET /v1/customers/{customer}",
            ),
            ("list customers", "client.customers.list()", "GET /v1/customers"),
            (
                "confirm a payment intent",
                'client.payment_intents.confirm("pi_1")',
                "POST /v1/payment_intents/{intent}/confirm",
            ),
            (
                "list a customer's sources",
                'client.customers.payment_sources.list("cus_1")',
                "GET /v1/customers/{customer}/sources",
            ),
        ],
    ),
    "GitHub": (
        "githubkit (`gh.rest`, Octokit's names)",
        [
            ("get a repository", "gh.rest.repos.get(owner, repo)", "GET /repos/{owner}/{repo}"),
            (
                "list an org's repositories",
                "gh.rest.repos.list_for_org(org)",
                "GET /orgs/{org}/repos",
            ),
            (
                "open an issue",
                "gh.rest.issues.create(owner, repo, title=...)",
                "POST /repos/{owner}/{repo}/issues",
            ),
            (
                "open a pull request",
                "gh.rest.pulls.create(owner, repo, ...)",
                "POST /repos/{owner}/{repo}/pulls",
            ),
            ("the signed-in user", "gh.rest.users.get_authenticated()", "GET /user"),
        ],
    ),
    "OpenAI": (
        "openai-python",
        [
            (
                "chat completion",
                "client.chat.completions.create(model=..., messages=...)",
                "POST /chat/completions",
            ),
            ("embeddings", "client.embeddings.create(model=..., input=...)", "POST /embeddings"),
            ("upload a file", "client.files.create(file=..., purpose=...)", "POST /files"),
            ("list models", "client.models.list()", "GET /models"),
            ("start fine-tuning", "client.fine_tuning.jobs.create(...)", "POST /fine_tuning/jobs"),
        ],
    ),
    "Twilio": (
        "twilio-python",
        [
            (
                "send an SMS",
                "client.messages.create(to=..., from_=..., body=...)",
                "POST /2010-04-01/Accounts/{AccountSid}/Messages.json",
            ),
            (
                "list messages",
                "client.messages.list()",
                "GET /2010-04-01/Accounts/{AccountSid}/Messages.json",
            ),
            (
                "fetch a message",
                "client.messages(sid).fetch()",
                "GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
            ),
            (
                "place a call",
                "client.calls.create(to=..., from_=..., url=...)",
                "POST /2010-04-01/Accounts/{AccountSid}/Calls.json",
            ),
            (
                "a call's recordings",
                "client.calls(sid).recordings.list()",
                "GET /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json",
            ),
        ],
    ),
    "Slack": (
        "slack_sdk WebClient",
        [
            (
                "post a message",
                "client.chat_postMessage(channel=..., text=...)",
                "POST /chat.postMessage",
            ),
            ("list channels", "client.conversations_list()", "GET /conversations.list"),
            (
                "channel history",
                "client.conversations_history(channel=...)",
                "GET /conversations.history",
            ),
            ("a user's profile", "client.users_info(user=...)", "GET /users.info"),
            (
                "add a reaction",
                "client.reactions_add(channel=..., name=..., timestamp=...)",
                "POST /reactions.add",
            ),
        ],
    ),
    "SendGrid": (
        "sendgrid-python",
        [
            ("send mail", "sg.client.mail.send.post(request_body=...)", "POST /mail/send"),
            ("create a template", "sg.client.templates.post(request_body=...)", "POST /templates"),
            ("list API keys", "sg.client.api_keys.get()", "GET /api_keys"),
            ("list bounces", "sg.client.suppression.bounces.get()", "GET /suppression/bounces"),
            ("global stats", "sg.client.stats.get(query_params=...)", "GET /stats"),
        ],
    ),
    "Zoom": (
        "zoomus (community; Zoom has no official REST SDK for Python)",
        [
            ("list users", "client.user.list()", "GET /users"),
            ("get a user", "client.user.get(id=...)", "GET /users/{userId}"),
            (
                "schedule a meeting",
                "client.meeting.create(user_id=..., ...)",
                "POST /users/{userId}/meetings",
            ),
            ("get a meeting", "client.meeting.get(id=...)", "GET /meetings/{meetingId}"),
            (
                "update a meeting",
                "client.meeting.update(id=..., ...)",
                "PATCH /meetings/{meetingId}",
            ),
        ],
    ),
    "Box": (
        "box-sdk-gen",
        [
            ("get a file", "client.files.get_file_by_id(file_id)", "GET /files/{file_id}"),
            (
                "copy a file",
                "client.files.copy_file(file_id, parent)",
                "POST /files/{file_id}/copy",
            ),
            (
                "download a file",
                "client.downloads.download_file(file_id)",
                "GET /files/{file_id}/content",
            ),
            ("create a folder", "client.folders.create_folder(name, parent)", "POST /folders"),
            (
                "list a folder",
                "client.folders.get_folder_items(folder_id)",
                "GET /folders/{folder_id}/items",
            ),
        ],
    ),
    "Asana": (
        "asana (python, v5)",
        [
            ("create a task", "tasks_api.create_task(body, opts)", "POST /tasks"),
            ("get a task", "tasks_api.get_task(task_gid, opts)", "GET /tasks/{task_gid}"),
            (
                "update a task",
                "tasks_api.update_task(body, task_gid, opts)",
                "PUT /tasks/{task_gid}",
            ),
            (
                "a project's tasks",
                "tasks_api.get_tasks_for_project(project_gid, opts)",
                "GET /projects/{project_gid}/tasks",
            ),
            ("list projects", "projects_api.get_projects(opts)", "GET /projects"),
        ],
    ),
    "DigitalOcean": (
        "pydo",
        [
            ("create a droplet", "client.droplets.create(body=...)", "POST /v2/droplets"),
            ("list droplets", "client.droplets.list()", "GET /v2/droplets"),
            (
                "destroy a droplet",
                "client.droplets.destroy(droplet_id)",
                "DELETE /v2/droplets/{droplet_id}",
            ),
            (
                "reboot a droplet",
                "client.droplet_actions.post(droplet_id, body=...)",
                "POST /v2/droplets/{droplet_id}/actions",
            ),
            (
                "add a DNS record",
                "client.domains.create_record(domain_name, body=...)",
                "POST /v2/domains/{domain_name}/records",
            ),
        ],
    ),
}


def build(name: str, root: Path) -> tuple[Api, Path]:
    path = root / SPECS[name].removesuffix(".gz")
    path.write_bytes(gzip.decompress((REAL / SPECS[name]).read_bytes()))
    return build_api(normalize(load(str(path)))), path


def calls(api: Api) -> dict[str, str]:
    return {
        f"{op.method} {op.path}": f"{r.dotted}.{op.py_name}"
        for r in api.resources
        for op in r.operations
    }


def largest_module(spec: Path, out: Path) -> tuple[str, int, str]:
    """The largest module of the generated package (resources and models), in lines."""
    from apigen.pipeline import generate

    summary = generate(str(spec), out, force=True)
    modules = (out / summary.package).glob("**/*.py")
    name, lines = max(
        (
            (
                str(p.relative_to(out / summary.package)),
                len(p.read_text(encoding="utf-8").splitlines()),
            )
            for p in modules
            if "_runtime" not in p.parts
        ),
        key=lambda x: x[1],
    )
    return name, lines, summary.package


def mypy_errors(out: Path, package: str) -> str:
    """``mypy --strict`` on the generated package: its error count (0 when it passes)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            package,
        ],
        capture_output=True,
        text=True,
        cwd=out,
        timeout=3600,
    )
    found = re.search(r"Found (\d+) errors?", proc.stdout)
    if proc.returncode == 0:
        return "0"
    for line in proc.stdout.splitlines():
        if ": error:" in line:
            print(f"  mypy: {line}", file=sys.stderr)
    return found.group(1) if found else f"failed ({proc.returncode})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--modules",
        action="store_true",
        help="generate each package and report its largest module",
    )
    parser.add_argument(
        "--mypy", action="store_true", help="also run mypy --strict on each generated package"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated API names of the table (default: all ten)"
    )
    args = parser.parse_args()
    only = {name.strip().lower() for name in args.only.split(",") if name.strip()}
    largest = (0, "")
    figures = []
    everything: list[str] = []
    octokit: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, (sdk, tasks) in TASKS.items():
            if only and name.lower() not in only:
                continue
            api, spec = build(name, root)
            spelled = calls(api)
            print(f"\n### {name}: `import {api.package}`; official: {sdk}\n")
            print("| task | official SDK | apigen |")
            print("| --- | --- | --- |")
            for task, official, where in tasks:
                ours = spelled.get(where, f"(no operation {where})")
                print(f"| {task} | `{official}` | `client.{ours}` |")
            lengths = [len(c) for c in spelled.values()]
            if name == "GitHub":
                octokit = [
                    len(snake(ns) + "." + snake(rest))
                    for op in api.operations
                    for ns, _, rest in [op.operation_id.partition("/")]
                ]
            everything += spelled.values()
            row = [
                name,
                api.package,
                str(len(api.resources)),
                str(len(spelled)),
                f"{statistics.median(lengths):g}",
                str(max(lengths)),
                str(sum(c.endswith("_") for c in spelled.values())),
            ]
            if args.modules or args.mypy:
                out = root / f"out-{api.package}"
                module, lines, package = largest_module(spec, out)
                row.append(f"{lines:,} (`{module}`)")
                largest = max(largest, (lines, f"{name} {module}"))
                if args.mypy:
                    row.append(mypy_errors(out, package))
                shutil.rmtree(out)
            figures.append(row)
    print("\n### Figures (call path: what follows `client.`)\n")
    head = [
        "API",
        "package",
        "resources",
        "operations",
        "median call path",
        "longest",
        "trailing `_`",
    ]
    if args.modules or args.mypy:
        head.append("largest module, lines")
    if args.mypy:
        head.append("mypy --strict errors")
    print("| " + " | ".join(head) + " |")
    print("| " + " | ".join("---" for _ in head) + " |")
    for row in figures:
        print("| " + " | ".join(row) + " |")
    median = statistics.median(len(c) for c in everything)
    print(f"\nAll ten: {len(everything)} operations, median call path {median:g} characters.")
    if largest[0]:
        print(
            f"Largest module of the ten: {largest[1]}, {largest[0]:,} lines ="
            f" {largest[0] / STRIPE_DEFAULT_BEFORE:.2f}x Stripe's {STRIPE_DEFAULT_BEFORE:,}-line"
            " resources/default.py before issue 12 (at most 0.5x)."
        )
    if octokit:
        print(
            "GitHub's own names "
            "(Octokit: operationId `repos/list-for-org` -> `repos.list_for_org`):"
            f" median {statistics.median(octokit):g} characters."
        )


if __name__ == "__main__":
    main()
