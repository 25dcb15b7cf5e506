#!/usr/bin/env python3
"""openapi-spec-validator with and without one of apigen's speed-ups, side by side.

The validator's schema walker records the schemas it has visited in plain lists
(``id in list`` on every visit: quadratic); ``apigen.validate._speed_up`` gives it
set-backed lists. For each spec this validates the loaded document twice in this
process, with the speed-up and without, in alternating order, and prints both
times (medians) and whether the findings are the same (they must be).

    python bench/validator_speedup.py                        # GitHub, 3 repetitions
    python bench/validator_speedup.py --sample 150 --repeat 1 # 150 random corpus specs

``--remember`` toggles the other speed-up instead: each distinct part checked once
(findings remembered by content), in the document-schema check
(``apigen.validate._remembering``) and the walker's dialect checks
(``_remember_meta_checks``). Times are CPU seconds of this process (the machine's load
moves them less).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import default_spec, median  # noqa: E402

from apigen import validate as validation  # noqa: E402
from apigen.loader import load  # noqa: E402


REMEMBER = ("_remembering", "_remember_meta_checks")


def timed(doc, fast: bool, parts: tuple[str, ...] = ("_speed_up",)):  # type: ignore[no-untyped-def]
    real = {part: getattr(validation, part) for part in parts}
    if not fast:
        for part in parts:
            setattr(validation, part, lambda validator: None)
    try:
        start = time.process_time()
        findings = validation.validate(doc)
        return time.process_time() - start, findings
    finally:
        for part, function in real.items():
            setattr(validation, part, function)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "specs", nargs="*", type=Path, help="spec files (default: GitHub's description)"
    )
    ap.add_argument(
        "--sample", type=int, default=0, help="this many random specs of the corpus instead"
    )
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--remember",
        action="store_true",
        help="toggle the checks of distinct parts once (by content), not the seen-lists",
    )
    args = ap.parse_args()
    specs = list(args.specs)
    if args.sample:
        from corpus import DEFAULT_CORPUS, list_specs

        specs = random.Random(args.seed).sample(list_specs(DEFAULT_CORPUS, None), args.sample)
    elif not specs:
        specs = [default_spec("github")]
    total = {True: 0.0, False: 0.0}
    differ = 0
    for spec in specs:
        doc = load(str(spec))
        times: dict[bool, list[float]] = {True: [], False: []}
        found: dict[bool, list[object]] = {}
        for rep in range(args.repeat):
            for fast in (True, False) if rep % 2 == 0 else (False, True):
                seconds, found[fast] = timed(
                    doc, fast, REMEMBER if args.remember else ("_speed_up",)
                )
                times[fast].append(seconds)
        same = found[True] == found[False]
        differ += not same
        for fast in (True, False):
            total[fast] += median(times[fast])
        if len(specs) <= 10 or not same:
            print(
                f"{spec.name}: with {median(times[True]):.2f} s, "
                f"without {median(times[False]):.2f} s, {len(found[True])} findings, "
                f"{'same' if same else 'DIFFERENT'}"
            )
    print(
        f"\n{len(specs)} specs: with the speed-up {total[True]:.1f} s, "
        f"without {total[False]:.1f} s; findings differ for {differ}"
    )
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
