#!/usr/bin/env python3
"""The models stage on groups of schemas writes what one library run writes: the ten
integrations, each generated three ways and compared file by file.

  one run   datamodel-code-generator once over all schemas (grouping off)
  groups    the schemas in groups, the groups in forked processes (the default)
  in turn   the same groups one after the other in one process (APIGEN_FORK=off,
            as on macOS and Windows)

Each way runs in a fresh process with the cache off; printed per spec: the groups
(their sizes), whether the groups were merged or left to one run, the files, and
whether all three trees are byte-identical; the process's CPU time per way.

    python bench/models_groups.py                    # the ten integrations (specs/real)
    python bench/models_groups.py --only github --only stripe
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REAL = REPO / "specs" / "real"
TEN = {
    "github": "api.github.com.json.gz",
    "stripe": "stripe.com.json.gz",
    "openai": "openai-openapi.json.gz",
    "twilio": "twilio.com.api.json.gz",
    "slack": "slack.com.json.gz",
    "sendgrid": "sendgrid.com.json.gz",
    "zoom": "zoom.us.json.gz",
    "box": "box.com.json.gz",
    "asana": "asana.com.json.gz",
    "digitalocean": "digitalocean.com.json.gz",
}

# One way in a fresh process: the files as JSON, the groups and whether they merged.
ONE_WAY = """
import json, resource, sys
from apigen import models
from apigen.cache import Cache
from apigen.pipeline import render_package
if sys.argv[2] == "one":
    models.GROUPS = 1
seen = {}
merged = models._merged
def spy(parts):
    result = merged(parts)
    seen["merged"] = result is not None
    return result
models._merged = spy
grouping = models.schema_groups
def groups(defs):
    found = grouping(defs)
    seen["groups"] = [len(g) for g in found]
    return found
models.schema_groups = groups
files = render_package(sys.argv[1], cache=Cache(None)).files
usage = resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
seen["cpu"] = usage.ru_utime + usage.ru_stime
seen["children_cpu"] = children.ru_utime + children.ru_stime
json.dump({"files": files, "seen": seen}, open(sys.argv[3], "w"))
"""


def run(spec: Path, way: str, out: Path) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "APIGEN_CACHE_DIR": "off"}
    if way == "in turn":
        env["APIGEN_FORK"] = "off"
    else:
        env.pop("APIGEN_FORK", None)
    mode = "one" if way == "one run" else "groups"
    subprocess.run([sys.executable, "-c", ONE_WAY, str(spec), mode, str(out)], env=env, check=True)
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--only", action="append", choices=sorted(TEN), help="this spec (repeatable)")
    args = ap.parse_args()
    names = args.only or list(TEN)
    print("| spec | groups | merged | files | identical | CPU one run / groups / in turn |")
    print("| --- | --- | --- | ---: | --- | --- |")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="apigen-groups-") as scratch:
        for name in names:
            spec = Path(scratch) / TEN[name].removesuffix(".gz")
            spec.write_bytes(gzip.decompress((REAL / TEN[name]).read_bytes()))
            results = {
                way: run(spec, way, Path(scratch) / f"{name}-{i}.json")
                for i, way in enumerate(("one run", "groups", "in turn"))
            }
            reference = results["one run"]["files"]
            same = all(r["files"] == reference for r in results.values())
            failures += not same
            grouped = results["groups"]["seen"]
            cpu = " / ".join(
                f"{r['seen']['cpu']:.1f}+{r['seen']['children_cpu']:.1f} s"
                for r in results.values()
            )
            print(
                f"| {name} | {grouped.get('groups')} | {grouped.get('merged', '-')} | "
                f"{len(reference)} | {'yes' if same else 'NO'} | {cpu} |",
                flush=True,
            )
            if not same:
                for way, r in results.items():
                    differing = sorted(
                        k
                        for k in set(r["files"]) | set(reference)
                        if r["files"].get(k) != reference.get(k)
                    )
                    if differing:
                        print(f"  {way}: {len(differing)} files differ, e.g. {differing[:5]}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
