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

Both sides run mypy with --follow-imports=silent: the same work as a package installed
in site-packages (mypy reads and checks every imported module), with errors reported
only for the script, as they are for an installed package (the runtime's optional
``redis`` / ``opentelemetry`` imports are not installed in the SDK venv).

After the first cold run of each side, the modules mypy read are counted from its cache
(one entry per module; no timing, so the machine's load does not move them), grouped:
the client package by sub-package (models, resources, runtime, the rest) with their
source lines, the standard library, pydantic, httpx and its dependencies, the rest.

--stub-experiment adds two sides, copies of apigen's package: "stubs", where client.py
and every resources/*.py get a .pyi beside them, made here from the module's syntax tree
(the classes and method signatures; bodies, docstrings and private helpers left out);
and "stubs, no models index", the same without models/__init__.pyi (the stub that
re-exports every model: mypy reads a package's __init__ with any of its modules, so
each model import makes it read all the models). They measure what such a structure
would save; neither is what apigen generates (without the index, ``from
github.models import X`` would type as Any).

    python bench/typecheck.py                      # github, stripe, openai; 3 rounds
    python bench/typecheck.py --api github --repeat 5 --no-pyright
    python bench/typecheck.py --api github --repeat 1 --stub-experiment
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import sqlite3
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


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _stub_body(body: list[ast.stmt], in_class: bool) -> list[ast.stmt]:
    """A module's or class's statements as a stub keeps them (for --stub-experiment)."""
    out: list[ast.stmt] = []
    for node in body:
        if _is_docstring(node):
            continue
        if isinstance(node, ast.If):
            if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                out.extend(_stub_body(node.body, in_class))
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name.startswith("_") and not node.name.startswith("__"):
                continue
            node.body = [ast.Expr(ast.Constant(...))]
            node.decorator_list = [
                d for d in node.decorator_list if not (isinstance(d, ast.Name) and d.id == "cache")
            ]
        elif isinstance(node, ast.ClassDef):
            node.body = _stub_body(node.body, True) or [ast.Expr(ast.Constant(...))]
        elif isinstance(node, ast.AnnAssign) and not in_class:
            if isinstance(node.target, ast.Name) and node.target.id.startswith("_"):
                continue
            if node.value is not None:
                node.value = ast.Constant(...)
        elif isinstance(node, ast.Assign):
            target = node.targets[0]
            if (
                isinstance(target, ast.Name)
                and target.id.startswith("_")
                and target.id != "__all__"
            ):
                continue
        out.append(node)
    return out


def _stubbed_copy(project: Path, package: str, dest: Path) -> Path:
    """A copy of ``project`` with a .pyi beside client.py and each resources/*.py."""
    shutil.copytree(project, dest, ignore=shutil.ignore_patterns("__pycache__"))
    root = dest / package
    for module in [root / "client.py", *sorted((root / "resources").glob("*.py"))]:
        tree = ast.parse(module.read_text())
        tree.body = _stub_body(tree.body, False)
        module.with_suffix(".pyi").write_text(ast.unparse(tree) + "\n")
    return dest


def _modules_read(cache: Path) -> list[str]:
    """The modules a mypy run wrote to its cache (mypy 2's SQLite cache or the JSON one)."""
    names: list[str] = []
    for version in cache.iterdir():  # one folder per Python version checked for
        for db in sorted(version.glob("cache.*.db")):
            with sqlite3.connect(db) as connection:
                names += [row[0] for row in connection.execute("select path from files2")]
        names += [str(p.relative_to(version)) for p in version.glob("**/*.meta.json")]
    modules = set()
    for name in names:
        for suffix in (".meta.ff", ".meta.json"):
            if name.endswith(suffix):
                module = name[: -len(suffix)].replace("/", ".")
                modules.add(module.removesuffix(".__init__"))
    return sorted(modules)


_HTTPX_FAMILY = {"httpx", "httpcore", "h11", "h2", "anyio", "sniffio", "certifi", "idna"}


def _module_groups(modules: list[str], package: str, project: Path | None) -> dict[str, list[int]]:
    """group -> [modules, source lines (the client package only)]."""
    groups: dict[str, list[int]] = {}
    stdlib = set(sys.stdlib_module_names) | {"_typeshed", "typing_extensions", "mypy_extensions"}
    for module in modules:
        top, _, rest = module.partition(".")
        if top == package:
            sub = rest.split(".")[0] if rest else ""
            group = f"{package}.{sub}" if sub in ("models", "resources", "_runtime") else package
        elif top.startswith(package + "_"):  # githubkit_schemas
            group = top
        elif top in stdlib:
            group = "standard library"
        elif top in ("pydantic", "pydantic_core"):
            group = "pydantic"
        elif top in _HTTPX_FAMILY:
            group = "httpx and its dependencies"
        else:
            group = "other"
        slot = groups.setdefault(group, [0, 0])
        slot[0] += 1
        if project is not None and top == package:
            base = project / module.replace(".", "/")
            for path in (
                base.with_suffix(".pyi"),
                base / "__init__.pyi",
                base.with_suffix(".py"),
                base / "__init__.py",
            ):
                if path.is_file():
                    slot[1] += path.read_bytes().count(b"\n")
                    break
    return groups


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--api", action="append", choices=["github", "stripe", "openai"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--no-pyright", action="store_true")
    ap.add_argument(
        "--stub-experiment",
        action="store_true",
        help="also check copies of apigen's package with .pyi stubs (see above)",
    )
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
        projects: dict[str, Path | None] = {}
        whos: tuple[str, ...] = ("apigen", "sdk")
        if args.stub_experiment:
            whos += ("stubs", "noindex")
        for api in apis:
            project = _project(api, args.regenerate)
            for who in whos:
                name = f"{api}-{who}"
                folder = work / name
                folder.mkdir()
                script = SCRIPTS[f"{api}-sdk" if who == "sdk" else f"{api}-apigen"]
                (folder / "script.py").write_text(textwrap.dedent(script).lstrip())
                own = project
                if who in ("stubs", "noindex"):
                    own = _stubbed_copy(project, api, work / f"{api}-{who}-project")
                    if who == "noindex":
                        (own / api / "models" / "__init__.pyi").unlink(missing_ok=True)
                extra = [str(own)] if who != "sdk" else []
                projects[name] = own if who != "sdk" else None
                (folder / "pyrightconfig.json").write_text(json.dumps({"extraPaths": extra}))
                sides[name] = (folder, {"MYPYPATH": ":".join(extra)})
        read: dict[str, dict[str, list[int]]] = {}
        kinds = ["mypy cold", "mypy warm"] + (["pyright"] if use_pyright else [])
        results: dict[tuple[str, str], dict[str, list[float]]] = {}
        for rep in range(args.repeat):
            for api in apis:
                names = [f"{api}-{who}" for who in whos]
                for name in names if rep % 2 == 0 else reversed(names):
                    folder, env = sides[name]
                    cache = folder / ".mypy_cache"
                    shutil.rmtree(cache, ignore_errors=True)
                    script = folder / "script.py"
                    base = script.read_text().split("\n# edit")[0]
                    script.write_text(base)
                    runs = {"mypy cold": None, "mypy warm": None, "pyright": None}
                    cmd = [
                        mypy,
                        "--follow-imports=silent",
                        "--cache-dir",
                        str(cache),
                        "script.py",
                    ]
                    runs["mypy cold"] = run_measured(cmd, env=env, cwd=folder, timeout=900)
                    if name not in read:
                        package = "githubkit" if name == "github-sdk" else api
                        read[name] = _module_groups(_modules_read(cache), package, projects[name])
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
            for kind, who in [(k, w) for w in whos if w != "sdk" for k in kinds]:
                mine, ref = results[(f"{api}-{who}", kind)], results[(f"{api}-sdk", kind)]
                rows.append(
                    [
                        {
                            "apigen": api,
                            "stubs": f"{api} (experiment: stubs)",
                            "noindex": f"{api} (experiment: stubs, no models index)",
                        }[who],
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
        print("\n## Modules mypy read (from its cache after a cold run)\n")
        rows = []
        for name, groups in read.items():
            total = sum(n for n, _ in groups.values())
            for group, (n, lines) in sorted(groups.items(), key=lambda g: -g[1][0]):
                rows.append([name, group, f"{n:,}", f"{lines:,}" if lines else ""])
            rows.append([name, "all", f"{total:,}", ""])
        print(table(["side", "group", "modules", "source lines"], rows, [False, False, True, True]))
        version = subprocess.run([mypy, "--version"], capture_output=True, text=True).stdout
        sdks = ", ".join(sdk_names[a] for a in apis)
        print(f"\nSDKs: {sdks}; {version.strip()}; {load_note()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
