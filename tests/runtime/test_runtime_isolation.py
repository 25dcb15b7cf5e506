"""The runtime must work when copied into a generated package: stdlib, httpx, pydantic
and relative imports only, importable without apigen, and clean under mypy --strict."""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[2] / "generator" / "apigen" / "runtime"
ALLOWED_THIRD_PARTY = {"httpx", "pydantic", "pydantic_core"}


def _top_level_imports(path: Path) -> list[tuple[int, str, int]]:
    """(line, module, level) for every import in the file, including nested ones."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, node.module or "", node.level))
    return found


def test_runtime_imports_only_stdlib_httpx_pydantic_and_itself() -> None:
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    files = sorted(RUNTIME.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "endpoint.py", "client.py"}
    bad = []
    for f in files:
        for line, module, level in _top_level_imports(f):
            if level > 0:
                if level != 1:
                    bad.append(f"{f.name}:{line} relative import leaves the runtime (level {level})")
                continue
            top = module.split(".")[0]
            if top not in stdlib and top not in ALLOWED_THIRD_PARTY:
                bad.append(f"{f.name}:{line} imports {module}")
    assert not bad, bad
    assert not any(RUNTIME.glob("*/")) or all(p.name == "__pycache__" for p in RUNTIME.iterdir() if p.is_dir())


def test_copied_runtime_imports_without_apigen(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(RUNTIME, pkg / "_runtime", ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "__init__.py").write_text("")
    code = (
        "import sys, json\n"
        "import pkg._runtime as rt\n"
        "assert rt.SyncAPIClient.__module__ == 'pkg._runtime.client'\n"
        "c = rt.SyncAPIClient(base_url='https://x', package='pkg', version='1')\n"
        "c.close()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'apigen' or m.startswith('apigen.'))))\n"
    )
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"}
    proc = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + code],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_public_surface_used_by_generated_code() -> None:
    import apigen.runtime as rt

    names = """SyncAPIClient AsyncAPIClient Endpoint ResponseType ParamStyle Pagination RequestOptions RetryPolicy
    RateLimit CircuitBreaker Hooks SyncPaginator AsyncPaginator Page APIKeyScheme HTTPBearerScheme HTTPBasicScheme
    OAuth2Scheme OAuth2ClientCredentials OAuth2RefreshToken DEFAULT_TIMEOUT APIError APIConnectionError
    APITimeoutError APIStatusError BadRequestError AuthenticationError PermissionDeniedError NotFoundError
    ConflictError UnprocessableEntityError RateLimitError InternalServerError CircuitOpenError""".split()
    missing = [n for n in names if not hasattr(rt, n)]
    assert not missing
    assert set(names) <= set(rt.__all__)
    assert issubclass(rt.APITimeoutError, rt.APIConnectionError) and issubclass(rt.APIConnectionError, rt.APIError)
    assert issubclass(rt.InternalServerError, rt.APIStatusError) and issubclass(rt.CircuitOpenError, rt.APIError)


def test_import_stays_light() -> None:
    code = "import sys, httpx, pydantic; before = set(sys.modules); import apigen.runtime; " \
           "print(sorted(set(sys.modules) - before))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=RUNTIME.parents[1])
    assert proc.returncode == 0, proc.stderr
    added = proc.stdout
    for heavy in ("'email.utils'", "'inspect'", "'multiprocessing'", "'concurrent.futures'"):
        assert heavy not in added, added


def test_mypy_strict_passes_on_runtime() -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file", "/dev/null", "apigen/runtime"],
        capture_output=True, text=True, cwd=RUNTIME.parents[1], timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
