"""Problems found in a spec, each tied to a place a person can find again.

A diagnostic names the file, the JSON pointer and (when known) the line. Fatal
problems travel as ``ApigenError`` so the CLI can print them and exit non-zero
without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    message: str
    pointer: str = ""
    file: str = ""
    line: int | None = None

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
        if self.pointer:
            place += f" at {self.pointer}"
        return (
            f"{place}: {self.severity}: {self.message}"
            if place
            else f"apigen: {self.severity}: {self.message}"
        )


class ApigenError(Exception):
    """A run cannot go on; carries the diagnostics that explain why."""

    def __init__(self, diagnostics: Iterable[Diagnostic] | Diagnostic | str) -> None:
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic("error", diagnostics)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def escape_pointer_token(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: object) -> str:
    """Build a JSON pointer (RFC 6901) from path tokens."""
    return "".join("/" + escape_pointer_token(t) for t in tokens) if tokens else ""
