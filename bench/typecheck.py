#!/usr/bin/env python3
"""How long a type checker takes on a 7-line user script, apigen's client against the
official SDK of the same API (issue 17).

For each API (github, stripe, openai) two scripts do the same thing: import the client,
build it, call one operation, read two fields of the result. One uses the client apigen
generates into bench/.out/<name>, the other the official SDK (githubkit, stripe, openai)
from the SDK venv (bench/setup.sh: bench/.venv-sdk). Both are checked by the same mypy
(the SDK venv's, plain `mypy`, no plugins) and, when it runs, the same pyright:

  mypy cold   a fresh cache folder (what CI and a first run pay)
  mypy warm   the same cache, the script edited (one line changed), as in an editor loop
  pyright     pyright's CLI on the script (it keeps no cache between runs)

apigen's side finds its package through MYPYPATH / pyright's extraPaths, which come
before site-packages. Each run is a fresh process; CPU (user + system of mypy and its
children), wall and peak RSS from wait4; --repeat rounds, sides alternating; medians.

    python bench/typecheck.py                      # github, stripe, openai; 3 rounds
    python bench/typecheck.py --api github --repeat 5 --no-pyright
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

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

SDK_BIN = BENCH / ".venv-sdk" / "bin"

SCRIPTS = {
    "github-apigen": """
        from github import Client

        client = Client(api_key="ghp_x")
        repo = client.repos.get("octocat", "Hello-World")
        stars: int = repo.stargazers_count
        name: str = repo.full_name
        print(name, stars)
    """,
    "github-sdk": """
        from githubkit import GitHub

        github = GitHub("ghp_x")
        repo = github.rest.repos.get("octocat", "Hello-World").parsed_data
        stars: int = repo.stargazers_count
        name: str = repo.full_name
        print(name, stars)
    """,
    "stripe-apigen": """
        from stripe import Client

        client = Client(bearer_auth="sk_test_x")
        intent = client.payment_intents.retrieve("pi_1")
        amount: int = intent.amount
        status: str = intent.status
        print(amount, status)
    """,
    "stripe-sdk": """
        from stripe import StripeClient

        client = StripeClient("sk_test_x")
        intent = client.v1.payment_intents.retrieve("pi_1")
        amount: int = intent.amount
        status: str = intent.status
        print(amount, status)
    """,
    "openai-apigen": """
        from openai import Client

        client = Client(api_key="sk-x")
        done = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
        )
        text: str | None = done.choices[0].message.content
        model: str = done.model
        print(text, model)
    """,
    "openai-sdk": """
        from openai import OpenAI

        client = OpenAI(api_key="sk-x")
        done = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
        )
        text: str | None = done.choices[0].message.content
        model: str = done.model
        print(text, model)
    """,
}


def _project(api: str, regenerate: bool) -> Path:
    if api == "openai":
        import gzip

        spec = ignored_dir(OUT) / "openai-openapi.json"
        if not spec.exists():
            spec.write_bytes(
                gzip.decompress((REPO / "specs/real/openai-openapi.json.gz").read_bytes())
            )
    else:
        spec = default_spec(api)
    return ensure_generated(spec, api, again=regenerate)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--api", action="append", choices=["github", "stripe", "openai"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--no-pyright", action="store_true")
    ap.add_argument(
        "--sdk-bin",
        type=Path,
        default=SDK_BIN,
        help="bin/ of the venv with mypy, pyright and the SDKs",
    )
    args = ap.parse_args()
    apis = args.api or ["github", "stripe", "openai"]
    mypy = str(args.sdk_bin / "mypy")
    pyright = args.sdk_bin / "pyright"
    use_pyright = not args.no_pyright and pyright.exists()
    work = Path(tempfile.mkdtemp(prefix="apigen-typecheck-"))
    try:
        sides = {}
        for api in apis:
            project = _project(api, args.regenerate)
            for who in ("apigen", "sdk"):
                name = f"{api}-{who}"
                folder = work / name
                folder.mkdir()
                (folder / "script.py").write_text(textwrap.dedent(SCRIPTS[name]).lstrip())
                extra = [str(project)] if who == "apigen" else []
                (folder / "pyrightconfig.json").write_text(json.dumps({"extraPaths": extra}))
                sides[name] = (folder, {"MYPYPATH": ":".join(extra)})
        kinds = ["mypy cold", "mypy warm"] + (["pyright"] if use_pyright else [])
        results: dict[tuple[str, str], dict[str, list[float]]] = {}
        for rep in range(args.repeat):
            for api in apis:
                names = [f"{api}-apigen", f"{api}-sdk"]
                for name in names if rep % 2 == 0 else reversed(names):
                    folder, env = sides[name]
                    cache = folder / ".mypy_cache"
                    shutil.rmtree(cache, ignore_errors=True)
                    script = folder / "script.py"
                    base = script.read_text().split("\n# edit")[0]
                    script.write_text(base)
                    runs = {"mypy cold": None, "mypy warm": None, "pyright": None}
                    cmd = [mypy, "--cache-dir", str(cache), "script.py"]
                    runs["mypy cold"] = run_measured(cmd, env=env, cwd=folder, timeout=900)
                    script.write_text(base + f"\n# edit {rep}\nprint({rep})\n")
                    runs["mypy warm"] = run_measured(cmd, env=env, cwd=folder, timeout=900)
                    if use_pyright:
                        runs["pyright"] = run_measured(
                            [
                                str(pyright),
                                "--pythonpath",
                                str(args.sdk_bin / "python"),
                                "script.py",
                            ],
                            env=env,
                            cwd=folder,
                            timeout=900,
                        )
                    for kind in kinds:
                        r = runs[kind]
                        assert r is not None
                        if not r.ok:
                            print(
                                f"{name} {kind} reported errors or failed:\n"
                                f"{r.stdout[-3000:]}\n{r.stderr[-2000:]}",
                                file=sys.stderr,
                            )
                        slot = results.setdefault((name, kind), {"cpu": [], "wall": [], "rss": []})
                        slot["cpu"].append(r.cpu)
                        slot["wall"].append(r.wall)
                        slot["rss"].append(r.maxrss_mb)
            print(
                f"[{rep + 1}/{args.repeat}] "
                + "  ".join(
                    f"{n} {k}: {results[(n, k)]['wall'][-1]:.1f} s"
                    for n in sides
                    for k in kinds[:1]
                ),
                file=sys.stderr,
                flush=True,
            )
        print(f"\n## Type checking a 7-line script ({args.repeat} rounds; medians)\n")
        rows = []
        for api in apis:
            for kind in kinds:
                mine, ref = results[(f"{api}-apigen", kind)], results[(f"{api}-sdk", kind)]
                rows.append(
                    [
                        api,
                        kind,
                        fmt(median(mine["wall"]), " s", 1),
                        fmt(median(mine["cpu"]), " s", 1),
                        fmt(median(mine["rss"]), " MB", 0),
                        fmt(median(ref["wall"]), " s", 1),
                        fmt(median(ref["cpu"]), " s", 1),
                        fmt(median(ref["rss"]), " MB", 0),
                        fmt(ratio(median(mine["cpu"]), median(ref["cpu"])), "x"),
                    ]
                )
        print(
            table(
                [
                    "API",
                    "checker",
                    "apigen wall",
                    "apigen CPU",
                    "apigen RSS",
                    "SDK wall",
                    "SDK CPU",
                    "SDK RSS",
                    "CPU apigen / SDK",
                ],
                rows,
                [False, False] + [True] * 7,
            )
        )
        sdk_names = {"github": "githubkit", "stripe": "stripe", "openai": "openai"}
        version = subprocess.run([mypy, "--version"], capture_output=True, text=True).stdout
        sdks = ", ".join(sdk_names[a] for a in apis)
        print(f"\nSDKs: {sdks}; {version.strip()}; {load_note()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
