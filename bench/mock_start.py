"""Start time of ``apigen mock`` on a spec: from process start to the "ready" line.

    .venv/bin/python bench/mock_start.py specs/real/api.github.com.json.gz [--runs 3]

A gzipped spec is decompressed to a temporary file first (not timed).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def start_time(spec: Path) -> float:
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "apigen", "mock", str(spec), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - began
        if "operations on http://" not in line:
            raise SystemExit(f"unexpected first line: {line!r}")
        return elapsed
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = args.spec
        if spec.suffix == ".gz":
            spec = Path(tmp) / spec.stem
            spec.write_bytes(gzip.decompress(args.spec.read_bytes()))
        times = [start_time(spec) for _ in range(args.runs)]
    print(
        f"{args.spec.name}: apigen mock ready in median {statistics.median(times):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)})"
    )


if __name__ == "__main__":
    main()
