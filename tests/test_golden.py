"""The golden record: generated/ is exactly what apigen makes of specs/ today.

Regenerating in memory and comparing byte for byte with what an earlier process
wrote proves determinism and that the committed clients are current; mypy --strict and
importing every module prove the output is typed and loads.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from apigen.cache import Cache
from apigen.pipeline import drift, render_package

from support import GENERATED, configured_clients, import_generated, iter_modules

CLIENTS = configured_clients()


@pytest.mark.parametrize("name,spec,output", CLIENTS, ids=[c[0] for c in CLIENTS])
def test_generated_matches_spec(name, spec, output):
    """Also the determinism check: generated/ was written by another process, with
    another string hash seed, at another time; this render must equal it byte for byte."""
    files = render_package(spec, name, cache=Cache(None)).files
    result = drift(files, output)
    assert result.clean, (
        f"generated/{name} is out of date; run `apigen generate` and commit. "
        f"stale={result.stale} missing={result.missing} extra={result.extra}"
    )


def test_every_spec_in_specs_is_a_configured_client():
    from support import REPO

    specs = {
        p.resolve() for p in (REPO / "specs").iterdir() if p.suffix in (".json", ".yaml", ".yml")
    }
    configured = {__import__("pathlib").Path(spec).resolve() for _, spec, _ in CLIENTS}
    assert specs == configured


def test_mypy_strict_passes_on_generated_packages():
    packages = [str(GENERATED / name / name) for name, _, _ in CLIENTS]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            *packages,
        ],
        capture_output=True,
        text=True,
        cwd=GENERATED,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize("name", [c[0] for c in CLIENTS])
def test_every_generated_module_imports(name):
    package = import_generated(name)
    for module in iter_modules(GENERATED / name / name, name):
        importlib.import_module(module)
    assert package.Client is not None and package.AsyncClient is not None


def test_import_and_client_construction_are_lazy():
    """Building a Client loads neither resources nor models; first use loads one resource."""
    code = (
        "import sys; sys.path.insert(0, {root!r});"
        "import petstore; c = petstore.Client(api_key='k', allow_insecure_http=True);"
        "loaded = sorted(m for m in sys.modules if m.startswith('petstore.'));"
        "eager = [m for m in loaded if m.startswith('petstore.resources.')];"
        "assert not eager and 'petstore.models' not in loaded, loaded;"
        "c.pet;"
        "assert 'petstore.resources.pet' in sys.modules;"
        "assert 'petstore.resources.store' not in sys.modules;"
        "print('ok')"
    ).format(root=str(GENERATED / "petstore"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
