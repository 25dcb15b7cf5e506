"""Formatting generated Python with black, in-process."""

from __future__ import annotations

import black

from .diagnostics import ApigenError

_MODE = black.Mode(target_versions={black.TargetVersion.PY310}, line_length=100)


def format_python(source: str, path: str) -> str:
    try:
        return black.format_str(source, mode=_MODE)
    except Exception as exc:  # black's InvalidInput and friends: a generator bug, not a spec problem
        raise ApigenError(f"internal error: generated {path} is not valid Python ({exc.__class__.__name__}: {str(exc)[:200]})") from None
