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
# Optional extras of a generated package: imported only inside the function that needs them.
OPTIONAL_LAZY = {"redis", "opentelemetry"}


def _lazy_import_lines(path: Path) -> set[int]:
    """Lines of the imports that sit inside a function body (run only when called)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {
        inner.lineno
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for inner in ast.walk(node)
        if isinstance(inner, (ast.Import, ast.ImportFrom))
    }


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
        lazy = _lazy_import_lines(f)
        for line, module, level in _top_level_imports(f):
            if level > 0:
                if level != 1:
                    bad.append(
                        f"{f.name}:{line} relative import leaves the runtime (level {level})"
                    )
                continue
            top = module.split(".")[0]
            if top in OPTIONAL_LAZY and line in lazy:
                continue
            if top not in stdlib and top not in ALLOWED_THIRD_PARTY:
                bad.append(f"{f.name}:{line} imports {module}")
    assert not bad, bad
    assert not any(RUNTIME.glob("*/")) or all(
        p.name == "__pycache__" for p in RUNTIME.iterdir() if p.is_dir()
    )


# The shape of what the generator emits (client.py + a resource), used to check that
# the runtime's contract type-checks and works from inside a package.
SAMPLE_CLIENT = """
from __future__ import annotations

from typing import Any, Mapping

import httpx
import pydantic

from ._runtime import (
    DEFAULT_TIMEOUT, APIKeyScheme, AsyncAPIClient, AsyncPaginator, CircuitBreaker, Endpoint,
    HTTPBasicScheme, HTTPBearerScheme, Hooks, OAuth2Scheme, Pagination, RateLimit, RequestOptions,
    ResponseType, RetryPolicy, SecurityScheme, SyncAPIClient, SyncPaginator,
)


class Pet(pydantic.BaseModel):
    id: int
    name: str


_GET_PET: Endpoint[Pet] = Endpoint(
    "GET", "/pets/{petId}", "get_pet", responses={"200": ResponseType("json", Pet)}
)
_LIST_PETS: Endpoint[list[Pet]] = Endpoint(
    "GET", "/pets", "list_pets", responses={"200": ResponseType("json", list[Pet])},
    pagination=Pagination("offset", offset_param="offset", limit_param="limit"),
)
_SCHEMES: dict[str, SecurityScheme] = {
    "api_key": APIKeyScheme(location="header", name="X-API-Key", env="PKG_API_KEY"),
    "bearer": HTTPBearerScheme(env="PKG_BEARER"),
    "basic": HTTPBasicScheme(env="PKG_BASIC"),
    "oauth": OAuth2Scheme(token_url="https://x/token", refresh_url=None, scopes=("read",),
                          flows=("clientCredentials",), env="PKG_OAUTH"),
}


class PetsResource:
    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def get_pet(self, pet_id: int, *, options: RequestOptions | None = None) -> Pet:
        return self._client.request(_GET_PET, path={"petId": pet_id}, options=options)

    def list_pets(
        self, *, limit: int | None = None, options: RequestOptions | None = None
    ) -> SyncPaginator[Pet]:
        query = {"limit": limit}
        return self._client.paginate(_LIST_PETS, item_type=Pet, query=query, options=options)


class AsyncPetsResource:
    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def get_pet(self, pet_id: int) -> Pet:
        return await self._client.request(_GET_PET, path={"petId": pet_id})

    def list_pets(self, *, limit: int | None = None) -> AsyncPaginator[Pet]:
        return self._client.paginate(_LIST_PETS, item_type=Pet, query={"limit": limit})


class Client(SyncAPIClient):
    def __init__(self, base_url: str | None = None, *, api_key: str | None = None,
                 timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT, max_retries: int = 2,
                 retry: RetryPolicy | None = None, rate_limit: RateLimit | None = None,
                 circuit_breaker: CircuitBreaker | None = CircuitBreaker(),
                 headers: Mapping[str, str] | None = None, http_client: httpx.Client | None = None,
                 auth: httpx.Auth | None = None, hooks: Hooks | None = None) -> None:
        super().__init__(
            base_url=base_url or "https://petstore.example/v1", package="pkg", version="1.0.0",
            security_schemes=_SCHEMES, credentials={"api_key": api_key},
            default_security=(("api_key",),),
            timeout=timeout, max_retries=max_retries, retry=retry, rate_limit=rate_limit,
            circuit_breaker=circuit_breaker, headers=headers, http_client=http_client, auth=auth,
            hooks=hooks)
        self.pets = PetsResource(self)


class AsyncClient(AsyncAPIClient):
    def __init__(self, base_url: str | None = None, *, api_key: str | None = None,
                 http_client: httpx.AsyncClient | None = None, hooks: Hooks | None = None) -> None:
        super().__init__(
            base_url=base_url or "https://petstore.example/v1", package="pkg", version="1.0.0",
            security_schemes={
                "api_key": APIKeyScheme(location="header", name="X-API-Key", env="PKG_API_KEY"),
                "oauth": OAuth2Scheme(token_url="/token", refresh_url=None, scopes=(),
                                      flows=("clientCredentials",), env="PKG_OAUTH"),
            },
            credentials={"api_key": api_key}, default_security=(("api_key",),),
            http_client=http_client, hooks=hooks)
        self.pets = AsyncPetsResource(self)


def _handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/v1/pets":
        offset = int(request.url.params.get("offset", "0"))
        page = [{"id": i, "name": "p"} for i in range(offset, min(offset + 2, 5))]
        return httpx.Response(200, json=page)
    return httpx.Response(200, json={"id": 1, "name": request.headers.get("x-api-key", "")})


def demo() -> list[Any]:
    http_client = httpx.Client(transport=httpx.MockTransport(_handler))
    with Client(api_key="k", http_client=http_client) as api:
        return [api.pets.get_pet(1), [p.id for p in api.pets.list_pets(limit=2)]]
"""


def _make_package(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    shutil.copytree(RUNTIME, pkg / "_runtime", ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "__init__.py").write_text("")
    (pkg / "py.typed").write_text("")
    (pkg / "client.py").write_text(SAMPLE_CLIENT)
    return pkg


def test_copied_runtime_imports_without_apigen(tmp_path: Path) -> None:
    _make_package(tmp_path)
    code = (
        "import sys, json\n"
        "import pkg._runtime as rt\n"
        "assert rt.SyncAPIClient.__module__ == 'pkg._runtime.client'\n"
        "from pkg.client import demo\n"
        "pet, ids = demo()\n"
        "assert (pet.id, pet.name, ids) == (1, 'k', [0, 1, 2, 3, 4]), (pet, ids)\n"
        "loaded = [m for m in sys.modules if m == 'apigen' or m.startswith('apigen.')]\n"
        "print(json.dumps(sorted(loaded)))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"}
    # -I: isolated mode, so neither PYTHONPATH nor the current directory can leak apigen in.
    proc = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_public_surface_used_by_generated_code() -> None:
    import apigen.runtime as rt

    names = """SyncAPIClient AsyncAPIClient Endpoint ResponseType ParamStyle Pagination
    RequestOptions RetryPolicy RateLimit CircuitBreaker Hooks SyncPaginator AsyncPaginator Page
    APIKeyScheme HTTPBearerScheme HTTPBasicScheme OAuth2Scheme OAuth2ClientCredentials
    OAuth2RefreshToken DEFAULT_TIMEOUT APIError APIConnectionError APITimeoutError APIStatusError
    BadRequestError AuthenticationError PermissionDeniedError NotFoundError ConflictError
    UnprocessableEntityError RateLimitError InternalServerError CircuitOpenError""".split()
    missing = [n for n in names if not hasattr(rt, n)]
    assert not missing
    assert set(names) <= set(rt.__all__)
    assert issubclass(rt.APITimeoutError, rt.APIConnectionError) and issubclass(
        rt.APIConnectionError, rt.APIError
    )
    assert issubclass(rt.InternalServerError, rt.APIStatusError) and issubclass(
        rt.CircuitOpenError, rt.APIError
    )


def test_import_stays_light() -> None:
    code = (
        "import sys, httpx, pydantic; before = set(sys.modules); import apigen.runtime; "
        "print(sorted(set(sys.modules) - before))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=RUNTIME.parents[1],
    )
    assert proc.returncode == 0, proc.stderr
    added = proc.stdout
    for heavy in ("'email.utils'", "'inspect'", "'multiprocessing'", "'concurrent.futures'"):
        assert heavy not in added, added


def test_mypy_strict_passes_on_runtime_and_generated_shape(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    _make_package(tmp_path)
    (tmp_path / "mypy.ini").write_text("[mypy]\n")  # keep the repository's config out of it
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file",
            "mypy.ini",
            "pkg",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
