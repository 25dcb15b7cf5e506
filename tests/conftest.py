"""Suite-wide setup: generation caches live in a temporary folder, never in ~/.cache."""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_apigen_cache():
    previous = os.environ.get("APIGEN_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="apigen-test-cache-") as folder:
        if previous is None:
            os.environ["APIGEN_CACHE_DIR"] = folder
        yield
        if previous is None:
            os.environ.pop("APIGEN_CACHE_DIR", None)
