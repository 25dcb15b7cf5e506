#!/usr/bin/env python3
"""Instructions per call of bench/call_overhead.py's sides, counted by valgrind (callgrind).

A count of executed instructions does not move with the machine's load, where CPU time
does (on a loaded machine, the side with more code and data loses more to cold caches).
It leaves out what the kernel does (a thread start, a wake-up), so it complements
call_overhead.py's times and does not replace them.

Each side runs in its own process under valgrind twice, with --few and --many calls after
call_overhead.py's warm-up (both sides built, the client's calls first); the difference
divided by (many - few) is one call, without start-up and imports. The children run once
outside valgrind first, so that no counted run compiles a module. PYTHONHASHSEED is
fixed, so a rerun gives the same counts to a few thousand.

    python bench/call_instructions.py                 # GitHub repository object
    python bench/call_instructions.py --case pets-minimal --few 2 --many 6
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import default_spec, ensure_generated, fmt, table  # noqa: E402


def _child(case: str, side: str, calls: int) -> None:
    import gc

    import call_overhead

    if case == "repo":
        _, _, raw_call, apigen_call = call_overhead.case_repo(None)
    else:
        _, _, raw_call, apigen_call = call_overhead.case_pets(10_000, case == "pets-minimal")
    # the warm-up of call_overhead.py: the client's calls first (lazy imports, adapters,
    # models refreshed), then the raw side's adapter, built with those classes loaded
    for _ in range(call_overhead.WARM_UP):
        apigen_call()
    for _ in range(3):
        raw_call()
    fn = raw_call if side == "raw" else apigen_call
    gc.collect()
    for _ in range(calls):
        fn()


def _count(case: str, side: str, calls: int) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        case,
        side,
        str(calls),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        sys.exit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--case", choices=["repo", "pets", "pets-minimal"], default="repo")
    ap.add_argument("--few", type=int, default=50, help="calls in the first run (default 50)")
    ap.add_argument("--many", type=int, default=250, help="calls in the second run (default 250)")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    if args.case == "repo":  # generated here, not under valgrind
        ensure_generated(default_spec("github"), "github")
    # once outside valgrind, so that both counted runs find every module compiled: a
    # .pyc written by the first (the one with fewer calls) took ~100 M instructions off
    # the per-call figure of both sides (raw 1.52 M where a call costs 1.92 M)
    for side in ("raw", "apigen"):
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", args.case, side, "1"],
            env={**os.environ, "PYTHONHASHSEED": "0"},
            check=True,
            capture_output=True,
        )
    per_call = {}
    for side in ("raw", "apigen"):
        few, many = _count(args.case, side, args.few), _count(args.case, side, args.many)
        per_call[side] = (many - few) / (args.many - args.few)
        print(f"{side}: {per_call[side]:,.0f} instructions per call", file=sys.stderr, flush=True)
    rows = [
        [
            args.case,
            f"{per_call['raw']:,.0f}",
            f"{per_call['apigen']:,.0f}",
            fmt(per_call["apigen"] / per_call["raw"], "x", 3),
        ]
    ]
    print(f"\n## Instructions per call (valgrind callgrind, {args.many} - {args.few} calls)\n")
    print(
        table(
            ["case", "raw httpx + TypeAdapter", "apigen, full runtime", "apigen / raw"],
            rows,
            [False, True, True, True],
        )
    )
    print(f"\npython {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
