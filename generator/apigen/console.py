"""Everything apigen prints goes through ``say``: spec text cannot drive the terminal or CI.

A spec's strings reach apigen's own output in summaries, diagnostics and diff
reports. Printed raw, an ESC sequence would repaint or hide the terminal and a
line starting with ``::`` would be a GitHub Actions workflow command
(``::error``, ``::add-mask``, ``::stop-commands``). So every line printed is
escaped here, at the one place output leaves apigen: control characters (C0,
DEL, C1), bidirectional overrides, zero-width and line-separator characters
become visible ``\\xNN`` / ``\\uNNNN`` escapes, and a line that would start with
``::`` gets its first colon escaped.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import warnings
from typing import Iterator, TextIO

_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_line(line: str) -> str:
    """``line`` safe to show on a terminal and in a CI log (one line, no commands)."""
    line = _UNPRINTABLE.sub(_escape_char, line)
    stripped = line.lstrip()
    if stripped.startswith("::"):
        indent = len(line) - len(stripped)
        line = line[:indent] + "\\x3a" + stripped[1:]
    return line


def say(text: object = "", err: bool = False, stream: TextIO | None = None) -> None:
    """Print ``text`` as one line, escaped (a newline inside it is shown, not obeyed)."""
    out = stream if stream is not None else sys.stderr if err else sys.stdout
    out.write(escape_line(str(text)) + "\n")


def say_lines(text: str, err: bool = False, stream: TextIO | None = None) -> None:
    """Print a report of several lines (apigen's own newlines), every line escaped."""
    out = stream if stream is not None else sys.stderr if err else sys.stdout
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    out.write("".join(escape_line(line) + "\n" for line in lines))


class _EscapingHandler(logging.Handler):
    """The last-resort handler of ``logging``, escaped like the rest (libraries log spec text)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            say(f"{record.name}: {record.levelname.lower()}: {record.getMessage()}", err=True)
        except Exception:  # a logging call never stops apigen
            self.handleError(record)


@contextlib.contextmanager
def library_output_escaped() -> Iterator[None]:
    """While apigen runs, Python warnings and unhandled log records of the libraries it
    calls are printed through ``say`` too (they may quote the spec)."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        say(f"apigen: warning: {category.__name__}: {message}", err=True)

    saved = warnings.showwarning, logging.lastResort
    warnings.showwarning = show
    logging.lastResort = _EscapingHandler(logging.WARNING)
    try:
        yield
    finally:
        warnings.showwarning, logging.lastResort = saved
