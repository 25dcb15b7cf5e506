"""Formatting and compiling every file of a package, on every core when there is much.

Files the templates wrote in black's layout go through ``layout.format_stable``,
model modules already in it stay as they are, every other file (client, package
init, custom templates) is formatted whole, each distinct content once (cached by
content and black's version). Every module is then compiled: black's own AST check
is skipped (fast mode).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from .cache import Cache, digest
from .diagnostics import ApigenError
from .formatting import format_python, style_key
from .layout import format_stable
from .parallel import can_fork, cores, gc_frozen
from .split import SPLIT_ORIGIN

PARALLEL_THRESHOLD = 400_000  # characters of unformatted code before a process pool pays off

# Which files need which formatting, by where they came from (render.RenderedFiles.origins):
# black's output already are the model modules split.py put together from classes black
# formatted, and the models index and stub of the built-in templates; the built-in resource
# template writes black's layout but for long lines; everything else, and whatever a template
# from --templates wrote, black formats whole.
_EXACT_ORIGINS = frozenset({SPLIT_ORIGIN, "models_index.py.jinja", "models_init.pyi.jinja"})
_STABLE_ORIGINS = frozenset({"resource.py.jinja"})


def formatting_modes(
    origins: dict[str, str], overridden: frozenset[str] = frozenset()
) -> tuple[frozenset[str], frozenset[str]]:
    """``(exact, stable)`` for ``format_files``: the paths already in black's layout, and
    those in it but for long lines. ``overridden``: templates the user replaced."""
    exact = frozenset(p for p, o in origins.items() if o in _EXACT_ORIGINS - overridden)
    stable = frozenset(p for p, o in origins.items() if o in _STABLE_ORIGINS - overridden)
    return exact, stable


def compile_check(source: str, path: str) -> None:
    """Raise when generated code does not compile (black's fast mode does not check)."""
    try:
        compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ApigenError(
            f"internal error: generated {path} does not compile: {exc.msg} (line {exc.lineno})"
        ) from None


def _finish(path: str, source: str, how: str) -> str:
    """One file formatted as ``how`` says (``exact``: as it is; ``stable``; ``black``), compiled."""
    if how == "stable":
        source = format_stable(source, path)
    elif how == "black":
        source = format_python(source, path)
    if path.endswith(".py"):
        compile_check(source, path)
    return source


def _finish_batch(batch: list[tuple[str, str, str]]) -> list[tuple[str, str, str | None]]:
    """``_finish`` over a batch in a worker: (path, text, error message or None)."""
    out: list[tuple[str, str, str | None]] = []
    for path, source, how in batch:
        try:
            out.append((path, _finish(path, source, how), None))
        except ApigenError as exc:  # its message crosses the process boundary, not the object
            out.append((path, "", str(exc)))
    return out


_INHERITED: list[list[tuple[str, str, str]]] = []  # the batches, as forked workers find them


def _finish_inherited(index: int) -> list[tuple[str, str, str | None]]:
    return _finish_batch(_INHERITED[index])


def _in_workers(
    batches: list[list[tuple[str, str, str]]], workers: int
) -> list[list[tuple[str, str, str | None]]]:
    """``_finish_batch`` of each batch, in ``workers`` processes (this one among them), any order.

    Forked workers find the batches in their copy of this module, so only the
    results are pickled (``parallel.gc_frozen`` around the forks). Only where
    ``parallel.can_fork()``.
    """
    import multiprocessing

    global _INHERITED
    _INHERITED = batches
    try:
        # this process does its share too: one worker fewer to fork
        with (
            gc_frozen(),
            ProcessPoolExecutor(
                max_workers=workers - 1, mp_context=multiprocessing.get_context("fork")
            ) as pool,
        ):
            futures = [
                pool.submit(_finish_inherited, i) for i in range(len(batches)) if i % workers
            ]
            here = [_finish_batch(batches[i]) for i in range(0, len(batches), workers)]
            return here + [future.result() for future in futures]
    finally:
        _INHERITED = []


def format_files(
    files: dict[str, str],
    cache: Cache,
    stable: frozenset[str] = frozenset(),
    exact: frozenset[str] = frozenset(),
    compiled: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """Format and compile every ``.py``/``.pyi`` entry of ``files`` (others untouched): a new dict.

    Paths in ``exact`` are black's output already and stay as they are; paths in
    ``stable`` are in black's style but for long lines and go through ``format_stable``.
    For the others the cache is keyed by each file's text, so a spec that changed in
    one operation re-formats only what it touches.
    Every ``.py`` result is compiled (``compile_check``), but for the ``exact`` ones
    in ``compiled`` (an earlier run compiled the same text). When there is much to do
    the files are spread over a process pool, biggest first, dealt round-robin so
    the workers finish together.
    """
    out = dict(files)
    jobs: list[tuple[str, str, str]] = []  # (path, text, how)
    keys: dict[str, str] = {}  # path -> cache key, of the files black formats whole
    for path, source in files.items():
        if not path.endswith((".py", ".pyi")):
            continue
        if path in exact and path in compiled:
            continue
        if path in exact or path in stable:
            jobs.append((path, source, "exact" if path in exact else "stable"))
            continue
        key = digest("black", style_key(), path.endswith(".pyi") and "pyi" or "py", source)
        hit = cache.get("black", key)
        if isinstance(hit, str):
            jobs.append((path, hit, "exact"))
        else:
            jobs.append((path, source, "black"))
            keys[path] = key
    total = sum(len(text) for _, text, _ in jobs)
    workers = min(cores(), 8)
    if total >= PARALLEL_THRESHOLD and workers > 1 and len(jobs) > 1 and can_fork():
        ordered = sorted(jobs, key=lambda job: -len(job[1]))
        batches = [ordered[i :: workers * 4] for i in range(workers * 4)]
        results = [
            item for batch in _in_workers([b for b in batches if b], workers) for item in batch
        ]
    else:
        results = _finish_batch(jobs)
    errors = sorted(error for _, _, error in results if error is not None)
    if errors:
        raise ApigenError(errors[0])
    for path, text, _ in results:
        if path in keys:
            cache.put("black", keys[path], text)
        out[path] = text
    return out
