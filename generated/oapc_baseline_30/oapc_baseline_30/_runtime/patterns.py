"""A spec's regular expressions (``pattern``), matched in time linear in the text.

Python's ``re`` backtracks: BeezUP's ``([\\/\\w \\.-]*)*`` took the mock more than half an
hour on one 120-character URL, so a spec (untrusted) could hang a mock, ``apigen mock`` or
``apigen contract``. Patterns are matched by pydantic-core's engine (Rust's ``regex``,
no backtracking, the engine that checks the generated models' own ``pattern``
constraints), with search semantics as JSON Schema's ``pattern`` has. A pattern that
engine does not take (a lookaround, a back-reference, ``\\Z``) goes to ``re`` only when
no repeat in it holds another repeat or an alternation (what makes backtracking
exponential) and the text is short; otherwise the answer is "cannot tell".
"""

from __future__ import annotations

import functools
import re
import re._parser as regex_parser  # type: ignore[import-not-found,unused-ignore]
from re._constants import (  # type: ignore[import-not-found,unused-ignore]
    BRANCH,
    CATEGORY_DIGIT,
    CATEGORY_SPACE,
    CATEGORY_WORD,
    MAX_REPEAT,
    MIN_REPEAT,
)
from typing import Any

from pydantic_core import SchemaError, SchemaValidator, ValidationError, core_schema

__all__ = [
    "CATEGORY_DIGIT",
    "CATEGORY_SPACE",
    "CATEGORY_WORD",
    "pattern_found",
    "pattern_search",
    "regex_parser",
]

MAX_BACKTRACKING_TEXT = 1_000  # longer texts are not given to ``re``'s backtracking engine


@functools.lru_cache(maxsize=2048)
def _linear(pattern: str) -> SchemaValidator | None:
    try:
        return SchemaValidator(core_schema.str_schema(pattern=pattern))
    except SchemaError:  # not a pattern the engine reads, or over its size limit
        return None


def _nested(items: Any, inside_repeat: bool) -> bool:
    """A repeat holding a repeat or an alternation somewhere below it."""
    for op, arg in items:
        if op in (MAX_REPEAT, MIN_REPEAT):
            low, high, body = arg
            if inside_repeat and high != low:
                return True
            if _nested(body, inside_repeat or high > 1):
                return True
        elif op is BRANCH:
            if inside_repeat:
                return True
            if any(_nested(branch, inside_repeat) for branch in arg[1]):
                return True
        elif isinstance(arg, (list, tuple)):
            parts = [a for a in arg if isinstance(a, regex_parser.SubPattern)]
            if any(_nested(part, inside_repeat) for part in parts):
                return True
    return False


@functools.lru_cache(maxsize=2048)
def _backtracking(pattern: str) -> re.Pattern[str] | None:
    """``re``'s compiled pattern when its backtracking stays polynomial, else None."""
    try:
        if _nested(regex_parser.parse(pattern), False):
            return None
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError, ValueError, TypeError):
        return None


def pattern_search(pattern: str, text: str) -> bool | None:
    """Whether ``pattern`` finds a match in ``text``; None when that cannot be told safely
    (a pattern neither engine reads, or one ``re`` would backtrack on without end)."""
    linear = _linear(pattern)
    if linear is not None:
        try:
            linear.validate_python(text)
        except ValidationError:
            return False
        return True
    if len(text) > MAX_BACKTRACKING_TEXT:
        return None
    compiled = _backtracking(pattern)
    return None if compiled is None else compiled.search(text) is not None


def pattern_found(pattern: str, text: str) -> str:
    """The part of ``text`` the pattern finds; "" when none, or when ``re`` may not run it."""
    if len(text) > MAX_BACKTRACKING_TEXT:
        return ""
    compiled = _backtracking(pattern)
    hit = compiled.search(text) if compiled is not None else None
    return hit.group(0) if hit else ""
