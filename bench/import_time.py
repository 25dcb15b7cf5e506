#!/usr/bin/env python3
"""Cost of using a generated GitHub client in a fresh process, against the floor
``python -c "import httpx, pydantic"``.

Sides, each in a fresh interpreter, interleaved (floor, apigen, floor, apigen, ...):

  floor   python -c "import httpx, pydantic"
  models  the floor plus importing the model the call returns, with the models it
          refers to: what pydantic itself spends creating those classes (the part of
          the apigen side a hand-written pydantic model of the same API costs too)
  apigen  import the generated GitHub client, build a Client on an httpx.MockTransport,
          call GET /repos/{owner}/{repo} once (client.repos.get) and get the
          FullRepository model back; the transport answers with GitHub's full repository
          example (components/examples/full-repository, completed with the one required
          property it lacks; see _common.github_example)

The generated package is byte-compiled first (python -m compileall), as pip does on
install; httpx and pydantic have their bytecode from pip. Measured: wall time around
subprocess.run (interpreter start included on both sides), the child's CPU time (user +
system, from wait4: steadier than wall time on a loaded machine) and its peak resident
set (ru_maxrss from wait4). Printed: medians and the ratios to the floor (target <= 1.3
for both). The client is generated into bench/.out/github first when missing.

    python bench/import_time.py                # 10 repetitions
    python bench/import_time.py --repeat 20 --spec PATH/api.github.com.json
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    default_spec,
    ensure_generated,
    fmt,
    github_example,
    load_note,
    median,
    ratio,
    run_measured,
    table,
)

CHILD = r"""
import sys
import httpx
import github

body = open(sys.argv[1], "rb").read()

def handler(request):
    return httpx.Response(200, content=body, headers={"content-type": "application/json"})

client = github.Client(http_client=httpx.Client(transport=httpx.MockTransport(handler)))
repo = client.repos.get("octocat", "Hello-World")
assert type(repo).__name__ == sys.argv[2], type(repo)
"""


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--spec",
        type=Path,
        help="GitHub's api.github.com.json (default: the installed @octokit/openapi)",
    )
    ap.add_argument(
        "--regenerate",
        action="store_true",
        help="generate bench/.out/github again first (it is reused when present)",
    )
    ap.add_argument("--repeat", type=int, default=10, help="repetitions of each side (default 10)")
    ap.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter with httpx and pydantic (default: this one)",
    )
    ap.add_argument(
        "--model",
        default="FullRepository",
        help="class name the call must return (default FullRepository)",
    )
    args = ap.parse_args()

    spec = args.spec or default_spec("github")
    project = ensure_generated(spec, "github", args.python, again=args.regenerate)
    body = github_example(spec)
    # bytecode, as pip writes it when installing a package (httpx and pydantic have theirs);
    # without it every fresh process would compile the generated sources again, and
    # PYTHONDONTWRITEBYTECODE=1 (set on some machines) would stop the first run caching it
    subprocess.run([args.python, "-m", "compileall", "-q", str(project / "github")], check=True)
    env = {"PYTHONPATH": str(project)}
    sides = {
        "floor": [args.python, "-c", "import httpx, pydantic"],
        "models": [
            args.python,
            "-c",
            f"import httpx, pydantic\nfrom github.models import {args.model}",
        ],
        "apigen": [args.python, "-c", CHILD, str(body), args.model],
    }
    # one untimed run each: bytecode caches written, files in the page cache; and a check
    for name, cmd in sides.items():
        r = run_measured(cmd, env=env)
        if not r.ok:
            print(f"{name} failed:\n{r.stderr}", file=sys.stderr)
            return 1

    wall: dict[str, list[float]] = {k: [] for k in sides}
    rss: dict[str, list[float]] = {k: [] for k in sides}
    cpu: dict[str, list[float]] = {k: [] for k in sides}
    for rep in range(args.repeat):
        order = list(sides) if rep % 2 == 0 else list(reversed(sides))
        for name in order:
            r = run_measured(sides[name], env=env)
            if not r.ok:
                print(f"{name} failed:\n{r.stderr}", file=sys.stderr)
                return 1
            wall[name].append(r.wall)
            rss[name].append(r.maxrss_mb)
            cpu[name].append(r.cpu)
        print(
            f"[{rep + 1}/{args.repeat}] "
            + "  ".join(f"{n} {wall[n][-1]:.3f} s {rss[n][-1]:.1f} MB" for n in sides),
            file=sys.stderr,
            flush=True,
        )

    label = {
        "floor": 'python -c "import httpx, pydantic"',
        "models": (
            f"import httpx, pydantic + the model classes {args.model} needs (pydantic's cost)"
        ),
        "apigen": f"import github, Client(), client.repos.get() -> {args.model}",
    }
    print(
        f"\n## Import + one call in a fresh process "
        f"({args.repeat} repetitions, interleaved; medians)\n"
    )
    fw, fc, fr = median(wall["floor"]), median(cpu["floor"]), median(rss["floor"])
    rows = [
        [
            label[n],
            fmt(median(wall[n]), " s", 3),
            fmt(median(cpu[n]), " s", 3),
            fmt(median(rss[n]), " MB", 1),
            fmt(ratio(median(wall[n]), fw), "x"),
            fmt(ratio(median(cpu[n]), fc), "x"),
            fmt(ratio(median(rss[n]), fr), "x"),
        ]
        for n in sides
    ]
    print(
        table(
            ["process", "wall", "CPU", "peak RSS", "wall / floor", "CPU / floor", "memory / floor"],
            rows,
            [False] + [True] * 6,
        )
    )
    print("\ntarget: <= 1.30x the floor in time and in memory")
    print(f"\n{load_note()}; python {sys.version.split()[0]}; client: {project}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
