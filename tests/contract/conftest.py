"""Fixtures of the contract tests: the real specs, generated once per session."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contract_paths import REAL, REAL_SPECS


@pytest.fixture(scope="session")
def real_clients(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, Path]]:
    """name -> (decompressed spec, project folder of the generated client), generated in parallel.

    The apigen cache lives in pytest's cache folder, so a rerun with an unchanged
    generator reuses the rendered files instead of generating again.
    """
    root = tmp_path_factory.mktemp("contract-real")
    cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    cache_dir = cache.mkdir("apigen-contract-cache") if cache is not None else root / "cache"
    env = {**os.environ, "APIGEN_CACHE_DIR": str(cache_dir)}
    procs = {}
    out: dict[str, tuple[Path, Path]] = {}
    for name, gz in REAL_SPECS.items():
        spec = root / gz[: -len(".gz")]
        spec.write_bytes(gzip.decompress((REAL / gz).read_bytes()))
        target = root / name
        cmd = [
            sys.executable,
            "-m",
            "apigen",
            "generate",
            str(spec),
            "--output",
            str(target),
            "--name",
            name,
            "-q",
        ]
        procs[name] = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        out[name] = (spec, target)
    errors = []
    for name, proc in procs.items():
        stdout, _ = proc.communicate(timeout=900)
        if proc.returncode != 0:
            errors.append(
                f"{name}: apigen generate exited {proc.returncode}\n"
                f"{stdout.decode(errors='replace')[-3000:]}"
            )
    if errors:
        pytest.fail("\n".join(errors))
    return out
