"""Formatting generated Python with black, in-process, per file, in parallel, cached.

Black is the slowest stage on big APIs, so each file is formatted once per
distinct content (the cache is keyed by the unformatted text and black's version)
and the misses are spread over the machine's cores. Black's own AST safety
check is skipped (fast mode): every file is compiled before it is written.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import black

from .cache import Cache, digest
from .diagnostics import ApigenError

_MODE = black.Mode(target_versions={black.TargetVersion.PY310}, line_length=100)
PARALLEL_THRESHOLD = 400_000  # characters of unformatted code before a process pool pays off


def format_python(source: str, path: str = "<generated>") -> str:
    try:
        mode = _MODE if not path.endswith(".pyi") else black.Mode(target_versions=_MODE.target_versions, line_length=_MODE.line_length, is_pyi=True)
        return black.format_file_contents(source, fast=True, mode=mode)
    except black.NothingChanged:
        return source
    except Exception as exc:  # black's InvalidInput and friends: a generator bug, not a spec problem
        raise ApigenError(f"internal error: generated {path} is not valid Python ({exc.__class__.__name__}: {str(exc)[:200]})") from None


def _format_batch(batch: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(path, format_python(source, path)) for path, source in batch]


def format_files(files: dict[str, str], cache: Cache) -> dict[str, str]:
    """Format every ``.py`` entry of ``files`` (others untouched); returns a new dict."""
    out = dict(files)
    todo: list[tuple[str, str, str]] = []
    for path, source in files.items():
        if not path.endswith((".py", ".pyi")):
            continue
        key = digest("black", black.__version__, str(_MODE), source)
        hit = cache.get("black", key)
        if isinstance(hit, str):
            out[path] = hit
        else:
            todo.append((path, source, key))
    total = sum(len(source) for _, source, _ in todo)
    workers = min(os.cpu_count() or 1, 8)
    if total >= PARALLEL_THRESHOLD and workers > 1 and len(todo) > 1:
        # biggest first, dealt round-robin, so the workers finish together
        ordered = sorted(todo, key=lambda t: -len(t[1]))
        batches = [[(p, s) for p, s, _ in ordered[i::workers * 4]] for i in range(workers * 4)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = [pair for batch in pool.map(_format_batch, [b for b in batches if b]) for pair in batch]
    else:
        results = _format_batch([(p, s) for p, s, _ in todo])
    keys = {path: key for path, _, key in todo}
    for path, formatted in results:
        out[path] = formatted
        cache.put("black", keys[path], formatted)
    return out
