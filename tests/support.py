"""Helpers shared by tests that use generated packages."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
GENERATED = REPO / "generated"


def configured_clients() -> list[tuple[str, str, Path]]:
    from apigen.config import load_clients

    return [(c.name, c.spec, c.output) for c in load_clients(REPO / "pyproject.toml")]


def import_generated(name: str, root: Path | None = None):  # type: ignore[no-untyped-def]
    """Import a generated package from its project folder (default: generated/<name>)."""
    folder = str(root or GENERATED / name)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def iter_modules(package_dir: Path, package: str) -> Iterator[str]:
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir).with_suffix("")
        parts = [package, *rel.parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts)


def changed_by_black(paths: list[Path], root: Path) -> list[str]:
    """The files (relative to ``root``) black would change: generated code is black's output."""
    from apigen.formatting import format_python

    changed = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if format_python(text, path.name) != text:
            changed.append(path.relative_to(root).as_posix())
    return changed
