"""Black's layout with black seeing as little as it must.

Black is the slowest stage on big APIs if it formats everything (GitHub's client
is about 230,000 lines), and its time grows with the lines it sees, so:

* apigen's resource template writes black's layout itself (black's quote and
  docstring rules are called from the template filters; the long statements it writes
  most are laid out as black would: ``formatting.call_layout``, ``dict_argument``,
  ``parameter``). For those files (``stable``) only the statements with a code line
  over the limit go through black, each alone inside a stand-in (``format_stable``,
  ``formatting.black_in``).
* datamodel-code-generator's module is mended where it differs from black (quotes,
  class docstrings) and only class members with a long line go through black
  (``format_models_for_split``); the models splitter then assembles the model
  modules in black's layout, so they need nothing more (``exact``).

tests/test_formatting.py and the contract tests hold the result to black's output on
whole files.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .diagnostics import ApigenError
from .formatting import (
    LINE_LENGTH,
    requote_strings,
    black_docstring,
    black_in,
    display_width,
    format_python,
)


# a string element, or a keyword set to a string, alone on its line: black leaves it long
_UNSPLITTABLE = re.compile(r'^ +(\w+=)?"[^"\\]*"(: "[^"\\]*")?,\n$')


def _fits(lines: list[str], first: int = 0, exempt: frozenset[int] = frozenset()) -> bool:
    """No line over the limit but the ``exempt`` ones (docstrings: black never wraps them)."""
    for number, line in enumerate(lines, first):
        width = display_width(line.rstrip("\n"))
        if width > LINE_LENGTH and number not in exempt and not _UNSPLITTABLE.match(line):
            return False
    return True


def _docstring_lines(tree: ast.Module) -> frozenset[int]:
    """0-based numbers of the lines of string statements: docstrings, attribute docstrings too."""
    owners: list[ast.AST] = [tree]
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            owners.append(node)
            owners += [
                n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            ]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            owners.append(node)
    numbers: set[int] = set()
    for owner in owners:
        body = getattr(owner, "body", [])
        for statement in body if isinstance(owner, ast.ClassDef) else body[:1]:
            if (
                isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                numbers.update(
                    range(statement.lineno - 1, statement.end_lineno or statement.lineno)
                )
    return frozenset(numbers)


def _start(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    return min([node.lineno, *(d.lineno for d in decorators)]) if decorators else node.lineno


def _splice(lines: list[str], replacements: list[tuple[int, int, str]]) -> str:
    """``lines`` joined, each 0-based [start, end) range of ``replacements`` by its text."""
    out: list[str] = []
    position = 0
    for start, end, text in sorted(replacements):
        out += lines[position:start]
        out.append(text)
        position = end
    return "".join(out + lines[position:])


_STAND_IN_BODY = (
    "        pass\n"  # black never joins ``pass`` to its ``def`` line (it would ``...``)
)


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
        if (
            body_start <= method.lineno - 1
            or lines[body_start][:8] != " " * 8
            or lines[body_start][8] == " "
        ):
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
        methods = (
            [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            if isinstance(node, ast.ClassDef)
            else []
        )
        if (
            isinstance(node, ast.ClassDef)
            and methods
            and all(
                isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                for n in node.body[node.body.index(methods[0]) :]
            )
        ):
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

    replacements = (
        black_each(top, "")
        + black_each(whole, "class _:\n")
        + black_each(statements, _STAND_IN_METHOD)
    )
    for a, b in signatures:
        formatted = black_in("".join(lines[a:b]) + _STAND_IN_BODY, "class _:\n", path)
        if not formatted.endswith(_STAND_IN_BODY):
            raise ApigenError(
                f"internal error: black moved the stand-in body of a method in {path}"
            )
        replacements.append((a, b, formatted[: -len(_STAND_IN_BODY)]))
    return _splice(lines, replacements) if replacements else source


def _long_members(text: str, lines: list[str]) -> list[tuple[int, int]] | None:
    """The line ranges of the members of this one class that have a long code line.

    None when black must see the whole class (a long class line, or not one class).
    """
    tree = ast.parse(text)
    docstrings = _docstring_lines(tree)  # docstrings may run long: black never wraps them
    node = tree.body[0]
    if (
        len(tree.body) != 1
        or not isinstance(node, ast.ClassDef)
        or not _fits(lines[: node.body[0].lineno - 1])
    ):
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


def format_models(source: str, black_made: frozenset[str] = frozenset()) -> str:
    """Black's output for datamodel-code-generator's module (see ``format_models_for_split``)."""
    return format_models_for_split(source, black_made).source


# classes black has a part of before the models' formatting is shared with a forked worker
PARALLEL_MODEL_CLASSES = 200


def _black_class(job: tuple[str, list[tuple[int, int]] | None]) -> str:
    """One class in black's layout: its members with a long line each through black
    (``ranges``), or the whole class when ``ranges`` is None."""
    text, ranges = job
    if ranges is None:
        return format_python(text)
    lines = text.splitlines(keepends=True)
    return _splice(lines, [(a, b, black_in("".join(lines[a:b]), "class _:\n")) for a, b in ranges])


def _black_classes(jobs: list[tuple[str, list[tuple[int, int]] | None]]) -> list[str]:
    """``_black_class`` of every job, in order; half of them in a forked worker when there
    are many (``parallel.run_tasks``: the same results, here alone where apigen may not fork).
    The classes are dealt alternately, so both halves hold long and short ones alike."""
    if len(jobs) < PARALLEL_MODEL_CLASSES:
        return [_black_class(job) for job in jobs]
    from .parallel import run_tasks

    halves = run_tasks(
        [lambda: [_black_class(job) for job in jobs[0::2]]]
        + [lambda: [_black_class(job) for job in jobs[1::2]]]
    )
    out: list[str] = [""] * len(jobs)
    out[0::2], out[1::2] = halves
    return out


def format_models_for_split(
    source: str, black_made: frozenset[str] = frozenset()
) -> FormattedModels:
    """Black's output for datamodel-code-generator's module, black seeing only what it must.

    dcg writes black's layout but for three things, which are mended here: its quotes,
    its class docstrings (black strips and re-indents them, then puts a blank line
    after), and lines over the limit (the class members with one go through black,
    each alone: ``black_in``; on two cores when there are many, ``_black_classes``).
    Statements other than classes (imports, the enums' alias blocks) go through black,
    a run of them together, but for one alone that is in ``black_made``: black's output
    already (``models.ModelsModule.black_made``), which black would give back unchanged.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    statements: list[str] = []
    plain: list[str] = []  # consecutive statements other than classes, formatted together
    jobs: list[tuple[str, list[tuple[int, int]] | None]] = []  # classes black has a part of
    job_at: list[int] = []  # index in statements of each job's class

    def flush() -> None:
        if plain:
            text = "".join(plain)
            statements.append(
                text if len(plain) == 1 and text in black_made else format_python(text)
            )
            plain.clear()

    previous_end = 0
    class_at: dict[int, str] = {}  # index in statements -> class name
    for node in tree.body:
        start, end = _start(node) - 1, node.end_lineno or node.lineno
        previous_end, end_before = end, previous_end
        if not isinstance(node, ast.ClassDef):
            plain.append(
                "".join(lines[end_before if plain else start : end])
            )  # blank lines between them too
            continue
        flush()
        class_at[len(statements)] = node.name
        segment = lines[start:end]
        first = node.body[0]
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            a, b = first.lineno - 1 - start, (first.end_lineno or first.lineno) - start
            literal = "".join(segment[a:b]).strip()
            if literal.startswith('"""') and literal.endswith('"""') and len(literal) >= 6:
                fixed = "    " + black_docstring(literal, 4) + "\n"
                segment[a:b] = [fixed] + (
                    ["\n"] if len(node.body) > 1 and segment[b : b + 1] != ["\n"] else []
                )
        text = requote_strings("".join(segment))
        body_lines = text.splitlines(keepends=True)
        if not _fits(body_lines):
            job_at.append(len(statements))
            jobs.append((text, _long_members(text, body_lines)))
        statements.append(text)
    flush()
    for index, formatted in zip(job_at, _black_classes(jobs), strict=True):
        statements[index] = formatted
    texts = {name: statements[index].rstrip("\n") + "\n" for index, name in class_at.items()}
    return FormattedModels(
        "\n\n".join(part.rstrip("\n") + "\n" for part in statements if part.strip()),
        tree,
        lines,
        texts,
    )
