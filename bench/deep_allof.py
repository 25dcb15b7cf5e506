"""Time to generate a client from deep allOf inheritance (issue 16, item 3).

A chain: each schema S<i> is ``allOf: [$ref S<i+1>, {properties: {f<i>: string}}]``;
a lattice (``latticeN``): each extends the next two. Runs ``apigen generate`` in a
subprocess with the cache off and prints wall-clock and CPU seconds per shape; the
bound is 10 s for a 300-deep chain.

    .venv/bin/python bench/deep_allof.py [DEPTH | latticeDEPTH ...]  # 100 300 600 lattice200
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def chain_spec(depth: int, parents: int = 1) -> dict[str, object]:
    schemas = {}
    for i in range(depth):
        above = [j for j in range(i + 1, i + 1 + parents) if j < depth]
        parts: list[object] = [{"$ref": f"#/components/schemas/S{j}"} for j in above]
        parts.append({"type": "object", "properties": {f"f{i}": {"type": "string"}}})
        schemas[f"S{i}"] = {"allOf": parts}
    ok = {
        "200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S0"}}},
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "deep", "version": "1"},
        "paths": {"/x": {"get": {"operationId": "getX", "responses": ok}}},
        "components": {"schemas": schemas},
    }


def main() -> None:
    shapes = sys.argv[1:] or ["100", "300", "600", "lattice200"]
    print("shape        status  wall_s  cpu_s")
    for shape in shapes:
        depth, parents = int(shape.removeprefix("lattice")), 2 if shape.startswith("lattice") else 1
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "deep.json"
            spec.write_text(json.dumps(chain_spec(depth, parents)), encoding="utf-8")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.monotonic()
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "apigen",
                    "generate",
                    str(spec),
                    "--output",
                    str(Path(tmp) / "out"),
                    "-q",
                ],
                env={**os.environ, "APIGEN_CACHE_DIR": "off"},
                capture_output=True,
                text=True,
            )
            wall = time.monotonic() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            status = "ok" if result.returncode == 0 else f"exit {result.returncode}"
            print(f"{shape:11s}  {status:6s}  {wall:6.1f}  {cpu:5.1f}")


if __name__ == "__main__":
    main()
