#!/usr/bin/env python3
"""What the lazy model stand-ins (runtime/lazy.py) cost per call once everything is loaded.

A model's validator is built with a stand-in for every model its fields refer to that
was not loaded yet; the stand-in validates that part through a Python function. This
compares, in one process, the validator of a response type built that way (the first
call's) with the one built once the referenced classes are loaded (a validator built
later inlines them, as the eager models before issue 17 did everywhere):

  pets  list[Pet] of generated/petstore, 10,000 pets with category and tags
  repo  FullRepository of bench/.out/github, GitHub's full-repository example (24 KB)

Printed: median time per validate_json of each (loops alternating, --repeat rounds)
and the ratio lazy / inlined.

    python bench/lazy_models.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH,
    REPO,
    default_spec,
    ensure_generated,
    fmt,
    load_note,
    median,
    ratio,
    table,
)


def _pets() -> tuple[Any, bytes]:
    sys.path.insert(0, str(REPO / "generated" / "petstore"))
    from petstore.models import Pet

    pet = {
        "id": 1,
        "category": {"id": 2, "name": "dogs"},
        "name": "doggie",
        "photoUrls": ["u"],
        "tags": [{"id": 3, "name": "t"}],
        "status": "available",
    }
    return list[Pet], json.dumps([pet] * 10_000).encode()


def _repo() -> tuple[Any, bytes]:
    spec = default_spec("github")
    project = ensure_generated(spec, "github")
    extract = (
        f"import sys; sys.path.insert(0, {str(BENCH)!r}); "
        "from pathlib import Path; import _common; "
        f"print(_common.github_example(Path({str(spec)!r})))"
    )
    example = subprocess.run(
        [sys.executable, "-c", extract], check=True, capture_output=True, text=True
    ).stdout.strip()
    sys.path.insert(0, str(project))
    from github.models import FullRepository

    return FullRepository, Path(example).read_bytes()


def _loop(validate: Any, body: bytes, n: int) -> float:
    t = time.process_time()
    for _ in range(n):
        validate(body)
    return (time.process_time() - t) / n


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--case", action="append", choices=["pets", "repo"])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    import pydantic

    rows = []
    for case in args.case or ["pets", "repo"]:
        tp, body = _pets() if case == "pets" else _repo()
        lazy = pydantic.TypeAdapter(tp)
        lazy.validate_json(body)  # loads the classes the data needs
        inner = tp.__args__[0] if case == "pets" else tp
        # rebuilt now, the model's schema takes the loaded classes in place of their stand-ins
        inner.model_rebuild(force=True)
        inlined = pydantic.TypeAdapter(tp)
        assert inlined.validate_json(body) == lazy.validate_json(body)
        n = max(1, int(0.2 / max(_loop(lazy.validate_json, body, 1), 1e-6)))
        times: dict[str, list[float]] = {"lazy": [], "inlined": []}
        for rep in range(args.repeat):
            order = ["lazy", "inlined"] if rep % 2 == 0 else ["inlined", "lazy"]
            for side in order:
                adapter = lazy if side == "lazy" else inlined
                times[side].append(_loop(adapter.validate_json, body, n))
        lz, il = median(times["lazy"]), median(times["inlined"])
        rows.append(
            [case, fmt(lz * 1000, " ms", 3), fmt(il * 1000, " ms", 3), fmt(ratio(lz, il), "x")]
        )
    print(
        "\n## validate_json: the first call's validator (stand-ins) "
        "vs one built with the classes loaded\n"
    )
    print(table(["case", "with stand-ins", "classes inlined", "ratio"], rows))
    print(f"\n{load_note()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
