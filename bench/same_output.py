#!/usr/bin/env python3
"""Does this checkout generate the same bytes as another revision? File by file, per spec.

For a change meant to be output-neutral (a faster formatter, a cheaper splitter): each
spec is generated in memory (``render_package``, no cache) by this checkout and by
``git archive REV`` of the same repository, each in its own process, and the files'
SHA-256 are compared. Prints, per spec, the number of files and those that differ.

    python bench/same_output.py                     # the ten integrations, against main
    python bench/same_output.py --against 739b466 specs/real/stripe.com.json.gz
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO  # noqa: E402

_HASHES = """
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
import apigen
assert apigen.__file__.startswith(sys.argv[1]), apigen.__file__
from apigen.cache import Cache
from apigen.pipeline import render_package
files = render_package(sys.argv[2], cache=Cache(None)).files
print(json.dumps({p: hashlib.sha256(t.encode()).hexdigest() for p, t in files.items()}))
"""


def _hashes(generator: Path, spec: Path) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-c", _HASHES, str(generator), str(spec)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out))


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("specs", nargs="*", type=Path, help="default: specs/real/*.json.gz")
    ap.add_argument("--against", default="main", help="the revision to compare with")
    args = ap.parse_args()
    specs = args.specs or sorted((REPO / "specs" / "real").glob("*.json.gz"))
    with tempfile.TemporaryDirectory(prefix="same-output-") as tmp:
        other = Path(tmp) / "other"
        other.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", args.against, "generator", "templates"],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(other, filter="data")
        differing = 0
        for spec in specs:
            if spec.suffix == ".gz":  # the loader reads text: unpack beside the other side
                plain = Path(tmp) / spec.stem
                plain.write_bytes(gzip.decompress(spec.read_bytes()))
                spec = plain
            here = _hashes(REPO / "generator", spec)
            there = _hashes(other / "generator", spec)
            diff = sorted(p for p in set(here) | set(there) if here.get(p) != there.get(p))
            differing += bool(diff)
            print(
                f"{spec.name}: {len(here)} files, "
                + (f"{len(diff)} differ: {diff[:5]}" if diff else "identical"),
                flush=True,
            )
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
