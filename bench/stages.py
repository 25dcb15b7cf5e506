#!/usr/bin/env python3
"""Where one cold generation goes: wall time and resident memory after each stage.

Runs the stages of ``apigen.pipeline.render_package`` one after another in this
process, without the cache, without overlapping validation with the rest (as the
pipeline does for big specs), and prints, per stage, its wall time, its CPU time
(this process and the children it waited for: on a loaded machine the figure to
compare) and the process's resident set afterwards (letting the document go before
model generation and giving freed memory back after it, as the pipeline does).
``--serial`` formats the files in this process only, so that stage's wall time is its
CPU time. For a profile of a stage, run this under ``python -m cProfile -s cumulative``.

    python bench/stages.py                  # GitHub's description (@octokit/openapi)
    python bench/stages.py --spec PATH
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import default_spec  # noqa: E402

from apigen.build import build_api  # noqa: E402
from apigen.cache import Cache  # noqa: E402
from apigen import package_format  # noqa: E402
from apigen.layout import format_models_for_split  # noqa: E402
from apigen.package_format import format_files, formatting_modes  # noqa: E402
from apigen.loader import load  # noqa: E402
from apigen.models import generate_models  # noqa: E402
from apigen.normalize import normalize  # noqa: E402
from apigen.parallel import return_free_memory  # noqa: E402
from apigen.pipeline import spec_hash  # noqa: E402
from apigen.render import Renderer  # noqa: E402
from apigen.split import split_models  # noqa: E402
from apigen.validate import validate  # noqa: E402


def cpu_seconds() -> float:
    """CPU time of this process and of its children that ended (forked workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def resident_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        return int(fh.read().split("VmRSS:")[1].split()[0]) // 1024


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--spec", type=Path, help="spec file (default: GitHub's api.github.com.json)")
    ap.add_argument(
        "--serial",
        action="store_true",
        help="format the files in this process only (wall time = CPU time)",
    )
    args = ap.parse_args()
    if args.serial:
        package_format.PARALLEL_THRESHOLD = float("inf")  # type: ignore[assignment]
    source = str(args.spec or default_spec("github"))
    print(f"{'stage':<22} {'wall':>8} {'CPU':>8} {'resident':>9}")

    def stage(name, work):  # type: ignore[no-untyped-def]
        start, cpu = time.perf_counter(), cpu_seconds()
        result = work()
        wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        print(f"{name:<22} {wall:7.2f}s {cpu:7.2f}s {resident_mb():7d} MB", flush=True)
        return result

    print(f"{'imports':<22} {'':>8} {'':>8} {resident_mb():7d} MB")
    doc = stage("load", lambda: load(source))
    stage("validate", lambda: validate(doc))
    spec = stage("normalize", lambda: normalize(doc))
    api = stage("build (IR)", lambda: build_api(spec, source=source, doc=doc))
    renderer = Renderer(api, spec_hash(doc.text), None)
    doc = spec = None  # let both go, as the pipeline does before model generation
    stage("let the document go", gc.collect)
    made = stage(
        "models (dcg)", lambda: generate_models(api.models, literal_aliases=api.literal_aliases)
    )
    stage("return free memory", return_free_memory)
    formatted = stage(
        "format models", lambda: format_models_for_split(made.source, made.black_made)
    )
    header = renderer.common["header"] + '\n"""Models of the API (generated)."""\n\n'
    models = stage("split models", lambda: split_models(formatted.source, header, formatted))
    rendered = stage("render", lambda: renderer.files(models))
    exact, stable = formatting_modes(rendered.origins, rendered.overridden)
    stage("format files", lambda: format_files(rendered.files, Cache(None), stable, exact))
    print(
        f"{len(api.operations)} operations, {len(api.models)} schemas, "
        f"{sum(t.count(chr(10)) for t in rendered.files.values()):,} lines"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
