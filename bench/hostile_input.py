"""Hostile inputs from issue 16 through the real command line, with apigen's defaults.

Each case runs ``python -m apigen`` in a child process against a file or a loopback
server and prints the wall time, the exit status, the child's peak memory (max RSS)
and the first line of its error. Every case must end in under 10 s with exit 1.

    python bench/hostile_input.py            # every case
    python bench/hostile_input.py --case trickle
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from loopback import endless, gzip_bomb, serve, trickle  # noqa: E402


def _alias_bomb(folder: Path) -> list[str]:
    lines = [
        "openapi: 3.0.0",
        "info: {title: t, version: '1'}",
        "paths: {}",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]")
    spec = folder / "bomb.yaml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["generate", str(spec), "-o", str(folder / "out")]


def _ref_chain(folder: Path) -> list[str]:
    schemas: dict[str, object] = {
        f"S{i}": {"$ref": f"#/components/schemas/S{i + 1}"} for i in range(2000)
    }
    schemas["S2000"] = {"type": "object", "properties": {"a": {"type": "string"}}}
    ok = {
        "200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S0"}}},
        }
    }
    spec = folder / "chain.json"
    spec.write_text(
        json.dumps(
            {
                "openapi": "3.0.0",
                "info": {"title": "t", "version": "1"},
                "paths": {"/a": {"get": {"operationId": "g", "responses": ok}}},
                "components": {"schemas": schemas},
            }
        ),
        encoding="utf-8",
    )
    return ["generate", str(spec), "-o", str(folder / "out")]


def _remote_local_ref(folder: Path, url: str, *flags: str) -> list[str]:
    return ["generate", url + "/leak.json", "-o", str(folder / "out"), *flags]


def run_case(name: str, argv: list[str], limit: float = 300.0) -> dict[str, object]:
    env = {**os.environ, "APIGEN_CACHE_DIR": "off"}
    env.pop("APIGEN_FETCH_DEADLINE", None)  # the defaults
    with tempfile.TemporaryFile("w+") as err_file:
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "apigen", *argv],
            stdout=subprocess.DEVNULL,
            stderr=err_file,
            env=env,
        )
        guard = threading.Timer(limit, child.kill)  # a regression must not hang the benchmark
        guard.start()
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        guard.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read()
    first = next(
        (line for line in err.splitlines() if "error" in line),
        err.strip().splitlines()[0] if err.strip() else "",
    )
    return {
        "case": name,
        "seconds": round(elapsed, 2),
        "exit": child.returncode,
        "max_rss_MiB": round(usage.ru_maxrss / 1024, 1),
        "error": first[:160],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--case", help="only this case")
    parser.add_argument(
        "--limit",
        type=float,
        default=300.0,
        help="kill a case after this many seconds (default 300)",
    )
    args = parser.parse_args()
    sent: dict[str, int] = {}
    server_gen = serve(
        {
            "/big.yaml": endless("big", sent, at_most=192 << 20),
            "/gzip.yaml": gzip_bomb(1 << 30),
            "/trickle.yaml": trickle(byte_every=1.0, for_at_most=120.0),
        }
    )
    server = next(server_gen)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "secret.yaml").write_text(
            "Secret: {type: object, properties: {leaked: {type: string}}}\n"
        )
        ok = {
            "200": {
                "description": "ok",
                "content": {
                    "application/json": {"schema": {"$ref": f"{folder}/secret.yaml#/Secret"}}
                },
            }
        }
        file_ok = {
            "200": {
                "description": "ok",
                "content": {
                    "application/json": {"schema": {"$ref": f"file://{folder}/secret.yaml#/Secret"}}
                },
            }
        }
        server.routes["/leak-file/leak.json"] = json.dumps(
            {
                "openapi": "3.0.0",
                "info": {"title": "t", "version": "1"},
                "paths": {"/a": {"get": {"operationId": "g", "responses": file_ok}}},
            }
        ).encode()
        server.routes["/leak.json"] = json.dumps(
            {
                "openapi": "3.0.0",
                "info": {"title": "t", "version": "1"},
                "paths": {"/a": {"get": {"operationId": "g", "responses": ok}}},
            }
        ).encode()
        cases: dict[str, Callable[[], list[str]]] = {
            "yaml-alias-bomb": lambda: _alias_bomb(folder),
            "ref-chain-2000": lambda: _ref_chain(folder),
            "url-192MiB": lambda: ["validate", server.url + "/big.yaml"],
            "url-gzip-bomb-1GiB": lambda: ["validate", server.url + "/gzip.yaml"],
            "trickle": lambda: ["validate", server.url + "/trickle.yaml"],
            "remote-spec-local-path-ref": lambda: _remote_local_ref(folder, server.url),
            "remote-spec-file-url-ref": lambda: _remote_local_ref(
                folder, server.url.replace("/leak", "") + "/leak-file", "--allow-remote-refs"
            ),
        }
        for name, make in cases.items():
            if args.case and args.case != name:
                continue
            row = run_case(name, make(), args.limit)
            if name == "url-192MiB":
                row["server_sent_MiB"] = round(sent.get("big", 0) / (1 << 20), 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
    try:
        next(server_gen)
    except StopIteration:
        pass
    bad = [r for r in rows if r["exit"] != 1 or float(r["seconds"]) >= 10]  # type: ignore[arg-type]
    print(f"{len(rows) - len(bad)} of {len(rows)} cases ended with exit 1 in under 10 s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
