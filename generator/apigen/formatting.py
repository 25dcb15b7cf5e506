"""Formatting generated Python: black's output, with black seeing as little as it must.

Black is the slowest stage on big APIs if it formats everything (GitHub's client
is about 230,000 lines), and its time grows with the lines it sees, so:

* apigen's resource template writes black's layout itself (black's quote and
  docstring rules are called from the template filters). For those files
  (``stable``) only the statements with a code line over the limit go through
  black, each alone inside a stand-in (``format_stable``, ``black_in``).
* datamodel-code-generator's module is mended where it differs from black (quotes,
  class docstrings) and only class members with a long line go through black
  (``format_models_for_split``); the models splitter then assembles the model
  modules in black's layout, so they need nothing more (``exact``).
* Every other file (client, package init, custom templates) is formatted whole,
  each distinct content once (cached by content and black's version).

Every module is compiled after formatting (black's own AST check is skipped: fast
mode), all in forked workers on every core when there is much. tests/test_formatting.py
and the contract tests hold the result to black's output on whole files.
"""

from __future__ import annotations

import ast
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import black
from black.strings import fix_multiline_docstring, normalize_string_quotes, str_width

from .cache import Cache, digest
from .diagnostics import ApigenError
from .parallel import can_fork, cores, gc_frozen


def pyrepr(value: Any) -> str:
    """A Python literal for a str/int/bool/None/tuple value, quoted as black quotes it.

    repr is escape-complete; black's own quote rule then picks the quotes.
    """
    if isinstance(value, str):
        return string_literal(value)
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(pyrepr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    raise TypeError(f"no literal for {type(value).__name__}")


LINE_LENGTH = 100
_MODE = black.Mode(target_versions={black.TargetVersion.PY310}, line_length=LINE_LENGTH)
_STUB_MODE = black.Mode(target_versions={black.TargetVersion.PY310}, line_length=LINE_LENGTH, is_pyi=True)
PARALLEL_THRESHOLD = 400_000  # characters of unformatted code before a process pool pays off


def format_python(source: str, path: str = "<generated>") -> str:
    try:
        return black.format_file_contents(source, fast=True, mode=_STUB_MODE if path.endswith(".pyi") else _MODE)
    except black.NothingChanged:
        return source
    except Exception as exc:  # black's InvalidInput and friends: a generator bug, not a spec problem
        raise ApigenError(f"internal error: generated {path} is not valid Python ({exc.__class__.__name__}: {str(exc)[:200]})") from None


_BACKSLASH_NEWLINE = re.compile(r"\\\s*\n")


def black_docstring(literal: str, indent: int) -> str:
    """The docstring literal black would write for ``literal`` at column ``indent``.

    The steps of black's docstring handling (linegen's visit_STRING), with black's
    own helpers: strip, re-indent, pad quotes, closing quotes on their own line
    when the last line would be too long.
    """
    if _BACKSLASH_NEWLINE.search(literal):
        return literal  # black leaves these alone
    body = literal[3:-3]
    started_empty = not body
    trailing_backslash = False
    pad = " " * indent
    body = fix_multiline_docstring(body, pad) if "\n" in literal else body.strip()
    if body:
        if body[0] == '"':
            body = " " + body
        if body[-1] == '"':
            body += " "
        if body[-1] == "\\" and (len(body) - len(body.rstrip("\\"))) % 2:
            body += " "
            trailing_backslash = True
    elif not started_empty:
        body = " "
    lines = body.splitlines()
    last = len(lines[-1]) if body and not body.endswith("\n") else 0
    if len(lines) > 1 and last + 3 > LINE_LENGTH and indent + 3 <= LINE_LENGTH and not trailing_backslash:
        return '"""' + body + "\n" + pad + '"""'
    return '"""' + body + '"""'


def from_import(module: str, names: list[str], indent: int = 0) -> str:
    """``from module import names`` as black lays it out: one line, or one name per line."""
    pad = " " * indent
    line = f"{pad}from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    return f"{pad}from {module} import (\n" + "".join(f"{pad}    {name},\n" for name in names) + f"{pad})"


# a string element, or a keyword set to a string, alone on its line: black leaves it long
_UNSPLITTABLE = re.compile(r'^ +(\w+=)?"[^"\\]*"(: "[^"\\]*")?,\n$')


def _fits(lines: list[str], first: int = 0, exempt: frozenset[int] = frozenset()) -> bool:
    """No line over the limit; ``exempt`` line numbers (docstrings: black never wraps them) aside."""
    for number, line in enumerate(lines, first):
        width = len(line) - 1 if line.isascii() else str_width(line.rstrip("\n"))
        if width > LINE_LENGTH and number not in exempt and not _UNSPLITTABLE.match(line):
            return False
    return True


def _docstring_lines(tree: ast.Module) -> frozenset[int]:
    """0-based numbers of the lines of string statements: docstrings, and attribute docstrings in classes."""
    owners: list[ast.AST] = [tree]
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            owners.append(node)
            owners += [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            owners.append(node)
    numbers: set[int] = set()
    for owner in owners:
        body = getattr(owner, "body", [])
        for statement in body if isinstance(owner, ast.ClassDef) else body[:1]:
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str):
                numbers.update(range(statement.lineno - 1, statement.end_lineno or statement.lineno))
    return frozenset(numbers)


def _start(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    return min([node.lineno, *(d.lineno for d in decorators)]) if decorators else node.lineno


def _splice(lines: list[str], replacements: list[tuple[int, int, str]]) -> str:
    """``lines`` joined, each 0-based [start, end) range of ``replacements`` replaced by its text."""
    out: list[str] = []
    position = 0
    for start, end, text in sorted(replacements):
        out += lines[position:start]
        out.append(text)
        position = end
    return "".join(out + lines[position:])


_STAND_IN_BODY = "        pass\n"  # black never joins ``pass`` to its ``def`` line (it would ``...``)
_STAND_IN_METHOD = "class _:\n    def _(self):\n"


def format_stable(source: str, path: str = "<generated>") -> str:
    """Black's output for code that is already in black's style except for long lines.

    What has a line over the limit goes through black, as black would lay it out on
    its own: a top-level statement; in the methods of a top-level class, the
    signature and each statement of the body, each inside a stand-in
    (``black_in``); the lines between them are kept as they are.
    """
    lines = source.splitlines(keepends=True)
    if _fits(lines):
        return source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ApigenError(f"internal error: generated {path} is not valid Python ({exc})") from None
    docstrings = _docstring_lines(tree)
    # the chunks with a long line, by the stand-in black sees them in: 0-based [start, end)
    top: list[tuple[int, int]] = []  # top-level statements
    whole: list[tuple[int, int]] = []  # methods black sees whole
    signatures: list[tuple[int, int]] = []  # decorators and def lines of methods
    statements: list[tuple[int, int]] = []  # statements of method bodies

    def long(start: int, end: int) -> bool:
        return not _fits(lines[start:end], start, docstrings)

    def collect_method(method: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A method of a top-level class: its signature and its body's statements apart.

        Black lays out a signature whatever the body, and each statement of a body on
        its own; a method's docstring, most of its text, then never goes through black.
        """
        start, end = _start(method) - 1, method.end_lineno or method.lineno
        if not long(start, end):
            return
        body_start = method.body[0].lineno - 1
        if body_start <= method.lineno - 1 or lines[body_start][:8] != " " * 8 or lines[body_start][8] == " ":
            whole.append((start, end))  # not laid out as the template lays out methods
            return
        if long(start, body_start):
            signatures.append((start, body_start))
        for statement in method.body:
            a, b = _start(statement) - 1, statement.end_lineno or statement.lineno
            if long(a, b):
                statements.append((a, b))

    for node in tree.body:
        start, end = _start(node) - 1, node.end_lineno or node.lineno
        methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] if isinstance(node, ast.ClassDef) else []
        if isinstance(node, ast.ClassDef) and methods and all(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in node.body[node.body.index(methods[0]):]):
            first = node.body.index(methods[0])
            header_end = (node.body[first - 1].end_lineno if first else node.lineno) or node.lineno
            if long(start, header_end):
                top.append((start, header_end))  # the class line and docstring
            for method in methods:
                collect_method(method)
        elif long(start, end):
            top.append((start, end))

    def black_each(ranges: list[tuple[int, int]], opening: str) -> list[tuple[int, int, str]]:
        return [(a, b, black_in("".join(lines[a:b]), opening, path)) for a, b in ranges]

    replacements = black_each(top, "") + black_each(whole, "class _:\n") + black_each(statements, _STAND_IN_METHOD)
    for a, b in signatures:
        formatted = black_in("".join(lines[a:b]) + _STAND_IN_BODY, "class _:\n", path)
        if not formatted.endswith(_STAND_IN_BODY):
            raise ApigenError(f"internal error: black moved the stand-in body of a method in {path}")
        replacements.append((a, b, formatted[: -len(_STAND_IN_BODY)]))
    return _splice(lines, replacements) if replacements else source


def compile_check(source: str, path: str) -> None:
    """Raise when generated code does not compile (black's fast mode does not check)."""
    try:
        compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ApigenError(f"internal error: generated {path} does not compile: {exc.msg} (line {exc.lineno})") from None


def _finish(path: str, source: str, how: str) -> str:
    """One file formatted as ``how`` says (``exact``: as it is; ``stable``; ``black``), then compiled."""
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


def _in_workers(batches: list[list[tuple[str, str, str]]], workers: int) -> list[list[tuple[str, str, str | None]]]:
    """``_finish_batch`` of each batch, in ``workers`` processes (this one among them), in any order.

    Forked workers find the batches in their copy of this module, so only the
    results are pickled (``parallel.gc_frozen`` around the forks). Only where
    ``parallel.can_fork()``.
    """
    import multiprocessing

    global _INHERITED
    _INHERITED = batches
    try:
        # this process does its share too: one worker fewer to fork
        with gc_frozen(), ProcessPoolExecutor(max_workers=workers - 1, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_finish_inherited, i) for i in range(len(batches)) if i % workers]
            here = [_finish_batch(batches[i]) for i in range(0, len(batches), workers)]
            return here + [future.result() for future in futures]
    finally:
        _INHERITED = []


def format_files(files: dict[str, str], cache: Cache, stable: frozenset[str] = frozenset(), exact: frozenset[str] = frozenset(), compiled: frozenset[str] = frozenset()) -> dict[str, str]:
    """Format and compile every ``.py``/``.pyi`` entry of ``files`` (others untouched); returns a new dict.

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
        key = digest("black", black.__version__, str(_MODE), path.endswith(".pyi") and "pyi" or "py", source)
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
        results = [item for batch in _in_workers([b for b in batches if b], workers) for item in batch]
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


# a string literal: triple-quoted (left alone), or one-line in either quote
_STRING = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')


def string_literal(value: str) -> str:
    """A Python literal of ``value`` (any text: it comes from a spec), in black's quotes."""
    return str(normalize_string_quotes(repr(value)))


def _requote(text: str) -> str:
    """Black's quotes for the one-line strings of datamodel-code-generator's code (it has no comments)."""
    return _STRING.sub(lambda m: normalize_string_quotes(m.group(0)) if m.group(0)[0] == "'" else m.group(0), text)


def black_in(chunk: str, opening: str = "", path: str = "<generated>") -> str:
    """Black's layout of ``chunk`` where it stands after ``opening``, a stand-in block
    (``"class _:\\n"`` for a class member; nothing for a top-level statement).

    Black lays out each statement on its own, so a statement with a long line goes
    through black alone, not the file or class around it: black's time grows with
    the lines it sees. (Several chunks in one call, a comment between them, were
    tried: no faster on models, and a third slower on big resource files.)
    """
    text = format_python(opening + chunk, path)
    if not text.startswith(opening):
        raise ApigenError(f"internal error: black changed the stand-in around a statement of {path}")
    return text[len(opening):]


def _long_members(text: str, lines: list[str]) -> list[tuple[int, int]] | None:
    """The line ranges of the members of this one class that have a long code line.

    None when black must see the whole class (a long class line, or not one class).
    """
    tree = ast.parse(text)
    docstrings = _docstring_lines(tree)  # docstrings may run long: black never wraps them
    node = tree.body[0]
    if len(tree.body) != 1 or not isinstance(node, ast.ClassDef) or not _fits(lines[: node.body[0].lineno - 1]):
        return None
    ranges = []
    for member in node.body:
        start, end = _start(member) - 1, member.end_lineno or member.lineno
        if not _fits(lines[start:end], start, docstrings):
            ranges.append((start, end))
    return ranges


@dataclass(frozen=True)
class FormattedModels:
    """``format_models``' result, with what the models splitter would otherwise parse again."""

    source: str  # the whole module in black's layout
    tree: ast.Module  # the parse of datamodel-code-generator's module (same names, other layout)
    lines: list[str]  # that module's lines
    class_texts: dict[str, str]  # each class in black's layout, as it stands in ``source``


def format_models(source: str) -> str:
    """Black's output for datamodel-code-generator's module (see ``format_models_for_split``)."""
    return format_models_for_split(source).source


def format_models_for_split(source: str) -> FormattedModels:
    """Black's output for datamodel-code-generator's module, black seeing only what it must.

    dcg writes black's layout but for three things, which are mended here: its quotes,
    its class docstrings (black strips and re-indents them, then puts a blank line
    after), and lines over the limit (the class members with one go through black,
    each alone: ``black_in``). Statements
    other than classes are few (imports, rebuild calls) and go through black.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    statements: list[str] = []
    plain: list[str] = []  # consecutive statements other than classes, formatted together

    def flush() -> None:
        if plain:
            statements.append(format_python("".join(plain)))
            plain.clear()

    previous_end = 0
    class_at: dict[int, str] = {}  # index in statements -> class name
    for node in tree.body:
        start, end = _start(node) - 1, node.end_lineno or node.lineno
        previous_end, end_before = end, previous_end
        if not isinstance(node, ast.ClassDef):
            plain.append("".join(lines[end_before if plain else start:end]))  # blank lines between them too
            continue
        flush()
        class_at[len(statements)] = node.name
        segment = lines[start:end]
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            a, b = first.lineno - 1 - start, (first.end_lineno or first.lineno) - start
            literal = "".join(segment[a:b]).strip()
            if literal.startswith('"""') and literal.endswith('"""') and len(literal) >= 6:
                fixed = "    " + black_docstring(literal, 4) + "\n"
                segment[a:b] = [fixed] + (["\n"] if len(node.body) > 1 and segment[b:b + 1] != ["\n"] else [])
        text = _requote("".join(segment))
        body_lines = text.splitlines(keepends=True)
        if _fits(body_lines):
            statements.append(text)
            continue
        ranges = _long_members(text, body_lines)
        if ranges is None:
            statements.append(format_python(text))
        else:
            statements.append(_splice(body_lines, [(a, b, black_in("".join(body_lines[a:b]), "class _:\n")) for a, b in ranges]))
    flush()
    texts = {name: statements[index].rstrip("\n") + "\n" for index, name in class_at.items()}
    return FormattedModels("\n\n".join(part.rstrip("\n") + "\n" for part in statements if part.strip()), tree, lines, texts)
