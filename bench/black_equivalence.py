#!/usr/bin/env python3
"""Is every generated file exactly what black makes of it? Whole files, many specs.

apigen lets black see only what it must (generator/apigen/formatting.py); the unit
suite holds the golden clients and a sample of the GitHub, Stripe and Twilio files
to black's output. This script checks every generated ``.py``/``.pyi`` file (not the
runtime copy in ``_runtime/``, apigen's own hand-written code) of the clients of
the given specs, or of a seeded random sample of the corpus, and prints the files
black would change (none is the expected result).

    python bench/black_equivalence.py SPEC...               # these specs
    python bench/black_equivalence.py --sample 40 --seed 3  # 40 random corpus specs
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apigen.cache import Cache  # noqa: E402
from apigen.diagnostics import ApigenError  # noqa: E402
from apigen.formatting import format_python  # noqa: E402
from apigen.pipeline import render_package  # noqa: E402

from corpus import DEFAULT_CORPUS, list_specs  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("specs", nargs="*", type=Path)
    ap.add_argument(
        "--sample", type=int, default=0, help="this many random specs of the corpus as well"
    )
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    specs = list(args.specs)
    if args.sample:
        specs += random.Random(args.seed).sample(list_specs(DEFAULT_CORPUS, None), args.sample)
    checked = changed = failed = 0
    for spec in specs:
        try:
            files = render_package(str(spec), "pkg", cache=Cache(None)).files
        except ApigenError as exc:
            print(f"{spec}: generation failed: {str(exc).splitlines()[0]}")
            failed += 1
            continue
        # the runtime copy is apigen's own hand-written code, not generated: not black's layout
        generated = {
            path: text
            for path, text in files.items()
            if path.endswith((".py", ".pyi")) and "/_runtime/" not in path
        }
        bad = [
            path for path, text in sorted(generated.items()) if format_python(text, path) != text
        ]
        python_files = len(generated)
        checked += python_files
        changed += len(bad)
        examples = ": " + ", ".join(bad[:5]) if bad else ""
        print(f"{spec.name}: {python_files} files, {len(bad)} changed by black{examples}")
    print(
        f"\n{len(specs)} specs, {checked} files: {changed} changed by black, "
        f"{failed} specs failed to generate"
    )
    return 1 if changed or failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
