"""Black's adapter: the one module of apigen that talks to black.

Whole files through black (``format_python``), black's rules called piecemeal where
apigen writes black's layout itself (docstrings, quotes, imports, literals), and one
statement at a time inside a stand-in block (``black_in``). What goes through black
when is decided in ``layout`` (black seeing as little as it must); formatting and
compiling a package's files, on every core, in ``package_format``.
"""

from __future__ import annotations

import re
from typing import Any

import black
from black.strings import fix_multiline_docstring, normalize_string_quotes, str_width

from .diagnostics import ApigenError


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
_STUB_MODE = black.Mode(
    target_versions={black.TargetVersion.PY310}, line_length=LINE_LENGTH, is_pyi=True
)


def format_python(source: str, path: str = "<generated>") -> str:
    try:
        return black.format_file_contents(
            source, fast=True, mode=_STUB_MODE if path.endswith(".pyi") else _MODE
        )
    except black.NothingChanged:
        return source
    except (
        Exception
    ) as exc:  # black's InvalidInput and friends: a generator bug, not a spec problem
        raise ApigenError(
            f"internal error: generated {path} is not valid Python "
            f"({exc.__class__.__name__}: {str(exc)[:200]})"
        ) from None


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
    if (
        len(lines) > 1
        and last + 3 > LINE_LENGTH
        and indent + 3 <= LINE_LENGTH
        and not trailing_backslash
    ):
        return '"""' + body + "\n" + pad + '"""'
    return '"""' + body + '"""'


def from_import(module: str, names: list[str], indent: int = 0) -> str:
    """``from module import names`` as black lays it out: one line, or one name per line."""
    pad = " " * indent
    line = f"{pad}from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    return (
        f"{pad}from {module} import (\n"
        + "".join(f"{pad}    {name},\n" for name in names)
        + f"{pad})"
    )


def _fit(line: str) -> bool:
    return display_width(line) <= LINE_LENGTH


def call_layout(indent: int, head: str, argument: str) -> str:
    """``head(argument)`` at column ``indent`` as black lays it out, for a ``head`` such as
    ``self.name = function`` and a dotted-name ``argument``: one line, or the argument on its
    own line. When neither fits, the one line, for black to lay out (``layout.format_stable``).
    """
    pad = " " * indent
    line = f"{pad}{head}({argument})"
    if _fit(line) or not (_fit(f"{pad}{head}(") and _fit(f"{pad}    {argument}")):
        return line
    return f"{pad}{head}(\n{pad}    {argument}\n{pad})"


def dict_argument(indent: int, keyword: str, keys: list[str], values: list[str]) -> str:
    """``keyword={key: value, ...},``, an argument of a call black keeps one argument a line
    (magic trailing comma), at column ``indent``: keys are literals, values names. Black writes
    it on one line or, when that is too long, one item a line; with one item, or an item
    that does not fit either, the one line is left for black (``layout.format_stable``).
    """
    pad = " " * indent
    items = list(zip(keys, values, strict=True))
    line = f"{pad}{keyword}={{{', '.join(f'{k}: {v}' for k, v in items)}}},"
    exploded = [f"{pad}    {k}: {v}," for k, v in items]
    if _fit(line) or len(items) < 2 or not all(_fit(item) for item in exploded):
        return line
    return "\n".join([f"{pad}{keyword}={{", *exploded, f"{pad}}},"])


def _top_level_union(annotation: str) -> list[str] | None:
    """The members of ``a | b | ...`` split at its top-level bars (None: no bar, or not a
    plain type expression: a string, or a comma outside brackets)."""
    members: list[str] = []
    depth = start = 0
    for index, char in enumerate(annotation):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char in "\"'" or (char == "," and depth == 0) or depth < 0:
            return None
        elif char == "|" and depth == 0:
            members.append(annotation[start:index].strip())
            start = index + 1
    members.append(annotation[start:].strip())
    return members if len(members) > 1 and depth == 0 else None


def parameter(indent: int, name: str, annotation: str, default: str | None = None) -> str:
    """``name: annotation = default,``, a parameter of a signature black keeps one parameter a
    line, at column ``indent``, as black lays it out when it is too long: a union annotation
    in parentheses, on one line or one member a line. Only for a union whose last member is a
    plain name; otherwise, or when that does not fit either, the one line is left for black.
    """
    pad = " " * indent
    tail = f" = {default}," if default is not None else ","
    line = f"{pad}{name}: {annotation}{tail}"
    members = _top_level_union(annotation)
    if (
        _fit(line)
        or members is None
        or not all(m and (m[0].isalpha() or m[0] == "_") for m in members)
        or not members[-1].replace("_", "a").isalnum()
        or not (_fit(f"{pad}{name}: (") and _fit(f"{pad}){tail}"))
    ):
        return line
    inner = [f"{pad}    {' | '.join(members)}"]
    if not _fit(inner[0]):
        inner = [f"{pad}    {members[0]}", *(f"{pad}    | {m}" for m in members[1:])]
        if not all(_fit(member) for member in inner):
            return line
    return "\n".join([f"{pad}{name}: (", *inner, f"{pad}){tail}"])


def alias_block(alias: str, enum: str, literals: list[str]) -> str | None:
    """``if TYPE_CHECKING: alias: TypeAlias = enum | Literal[...] else: alias = enum`` as black
    lays it out (``literals``: the values' literals), or None where black must decide (an
    alias too long for ``alias: TypeAlias = (``, a line that fits nowhere)."""
    member = f"Literal[{', '.join(literals)}]"
    first = f"    {alias}: TypeAlias = {enum} | {member}"
    if not _fit(first):
        if not _fit(f"    {alias}: TypeAlias = ("):
            return None
        inner = [f"        {enum} | {member}"]
        if not _fit(inner[0]):
            inner = [f"        {enum}", f"        | {member}"]
            if not _fit(inner[1]):  # the values on a line of their own, or one a line
                values = [f"            {', '.join(literals)}"]
                if not _fit(values[0]):
                    values = [f"            {value}," for value in literals]
                inner[1:] = ["        | Literal[", *values, "        ]"]
            if not all(_fit(line) for line in inner):
                return None
        first = "\n".join([f"    {alias}: TypeAlias = (", *inner, "    )"])
    second = f"    {alias} = {enum}"
    if not _fit(second):
        second = f"    {alias} = (\n        {enum}\n    )"
        if not (_fit(f"    {alias} = (") and _fit(f"        {enum}")):
            return None
    return f"if TYPE_CHECKING:\n{first}\nelse:\n{second}\n"


# a string literal: triple-quoted (left alone), or one-line in either quote
_STRING = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')


_NEEDS_ESCAPES = re.compile(r"[\\'\"]")


def string_literal(value: str) -> str:
    """A Python literal of ``value`` (any text: it comes from a spec), in black's quotes.

    Text that repr leaves as it is (printable, no quote, no backslash) is quoted
    directly: black's quote rule would turn repr's single quotes into double ones.
    """
    if value.isprintable() and not _NEEDS_ESCAPES.search(value):
        return f'"{value}"'
    return str(normalize_string_quotes(repr(value)))


def requote_strings(text: str) -> str:
    """Black's quotes for the one-line strings of the model library's code (it has no comments)."""
    return _STRING.sub(
        lambda m: normalize_string_quotes(m.group(0)) if m.group(0)[0] == "'" else m.group(0), text
    )


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
        raise ApigenError(
            f"internal error: black changed the stand-in around a statement of {path}"
        )
    return text[len(opening) :]


def display_width(line: str) -> int:
    """Columns ``line`` takes as black counts them (wide characters count two)."""
    return len(line) if line.isascii() else int(str_width(line))


def style_key() -> str:
    """What decides black's output besides the text: its version and apigen's mode."""
    return f"{black.__version__}|{_MODE}"
