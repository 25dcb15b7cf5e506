"""Time to generate a client from an N-deep allOf inheritance chain (issue 16, item 3).

Each schema S<i> is ``allOf: [$ref S<i+1>, {properties: {f<i>: string}}]``. Runs
``apigen generate`` in a subprocess with the cache off and prints wall-clock and
CPU seconds per depth; the bound is 10 s for 300.

    .venv/bin/python bench/deep_allof.py [DEPTH ...]      # default: 100 300 600
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


def chain_spec(depth: int) -> dict[str, object]:
    schemas = {}
    for i in range(depth):
        parts: list[object] = [{"$ref": f"#/components/schemas/S{i + 1}"}] if i + 1 < depth else []
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
    depths = [int(a) for a in sys.argv[1:]] or [100, 300, 600]
    print("depth  status  wall_s  cpu_s")
    for depth in depths:
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "deep.json"
            spec.write_text(json.dumps(chain_spec(depth)), encoding="utf-8")
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
            print(f"{depth:5d}  {status:6s}  {wall:6.1f}  {cpu:5.1f}")


if __name__ == "__main__":
    main()
