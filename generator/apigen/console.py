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

import re
import sys
from typing import TextIO

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")


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
