"""Reading a spec from a file or URL into plain data, keeping a way back to lines.

YAML goes through the safe loader only. Line numbers are looked up lazily by
re-composing the text into YAML nodes (JSON is YAML), so big JSON specs pay for
it only when a message needs a line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import ApigenError, Diagnostic

try:  # the C loader is ~10x faster on big specs
    _SafeLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _SafeLoader = yaml.SafeLoader

MAX_URL_BYTES = 64 * 1024 * 1024


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


@dataclass
class Document:
    """A loaded spec: its data, where it came from, and its text for line look-ups."""

    data: Any
    source: str
    text: str
    base_dir: Path | None = None
    _lines: dict[str, int] | None = field(default=None, repr=False)

    def line_of(self, pointer: str) -> int | None:
        """1-based line of the node at ``pointer`` (or its nearest ancestor)."""
        if self._lines is None:
            self._lines = _line_index(self.text)
        probe = pointer
        while True:
            if probe in self._lines:
                return self._lines[probe]
            if not probe:
                return 1  # an empty document: its first line
            probe = probe.rsplit("/", 1)[0]

    def diagnostic(self, severity: str, message: str, pointer: str = "") -> Diagnostic:
        return Diagnostic(severity, message, pointer, self.source, self.line_of(pointer))  # type: ignore[arg-type]


def _line_index(text: str) -> dict[str, int]:
    try:
        root = yaml.compose(text, Loader=_SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, ptr = stack.pop()
        if node is None:
            continue
        lines.setdefault(ptr, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                token = str(key.value).replace("~", "~0").replace("/", "~1")
                lines[f"{ptr}/{token}"] = key.start_mark.line + 1
                stack.append((value, f"{ptr}/{token}"))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, f"{ptr}/{i}"))
    return lines


def _pointer_at_line(text: str, line: int) -> str:
    """The JSON pointer of the value that starts on ``line`` (for constructor errors)."""
    best = ""
    for ptr, at in _line_index(text).items():
        if at == line and len(ptr) > len(best):
            best = ptr
    return best


def parse_text(text: str, source: str) -> Any:
    """Parse JSON or YAML text; syntax errors become diagnostics with a line."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            if source.endswith(".json"):
                raise ApigenError(
                    Diagnostic("error", f"invalid JSON: {exc.msg} (column {exc.colno})", "", source, exc.lineno)
                ) from None
    try:
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        where = _pointer_at_line(text, line) if isinstance(exc, yaml.constructor.ConstructorError) and line else ""
        raise ApigenError(Diagnostic("error", f"invalid YAML: {what}", where, source, line)) from None
    except yaml.YAMLError as exc:
        raise ApigenError(Diagnostic("error", f"invalid YAML: {exc}", "", source)) from None


def read_source(source: str) -> tuple[str, Path | None]:
    """Return the text behind a path or URL, and the folder relative refs resolve against."""
    if is_url(source):
        import httpx

        try:
            response = httpx.get(source, follow_redirects=True, timeout=30.0)
        except httpx.HTTPError as exc:
            raise ApigenError(Diagnostic("error", f"cannot fetch spec: {exc.__class__.__name__}: {exc}", "", source)) from None
        if response.status_code != 200:
            raise ApigenError(Diagnostic("error", f"cannot fetch spec: HTTP {response.status_code}", "", source))
        if len(response.content) > MAX_URL_BYTES:
            raise ApigenError(Diagnostic("error", "spec is larger than 64 MiB", "", source))
        return response.text, None
    path = Path(source)
    if not path.exists():
        raise ApigenError(Diagnostic("error", "no such file", "", source))
    if path.is_dir():
        raise ApigenError(Diagnostic("error", "is a directory, not a spec file", "", source))
    try:
        return path.read_text(encoding="utf-8-sig"), path.resolve().parent
    except UnicodeDecodeError as exc:
        raise ApigenError(Diagnostic("error", f"not UTF-8 text: {exc.reason} at byte {exc.start}", "", source)) from None
    except OSError as exc:
        raise ApigenError(Diagnostic("error", f"cannot read: {exc.strerror}", "", source)) from None


def load(source: str) -> Document:
    text, base_dir = read_source(source)
    data = parse_text(text, source)
    doc = Document(data=data, source=source, text=text, base_dir=base_dir)
    if not isinstance(data, dict) or not ("openapi" in data or "swagger" in data):
        raise ApigenError(
            doc.diagnostic("error", "not an OpenAPI document: expected a mapping with an 'openapi' or 'swagger' field")
        )
    version = str(data.get("openapi") or data.get("swagger"))
    if not (version.startswith("2.") or version.startswith("3.0") or version.startswith("3.1")):
        key = "/openapi" if "openapi" in data else "/swagger"
        raise ApigenError(doc.diagnostic("error", f"unsupported OpenAPI version {version!r} (2.0, 3.0 and 3.1 are supported)", key))
    if not isinstance(data.get("paths", {}), dict):
        raise ApigenError(doc.diagnostic("error", "'paths' must be a mapping", "/paths"))
    return doc
