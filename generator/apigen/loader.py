"""Reading a spec from a file or URL into plain data, keeping a way back to lines.

YAML goes through the safe loader only. Line numbers are looked up lazily by
re-composing the text into YAML nodes (JSON is YAML), so big JSON specs pay for
it only when a message needs a line.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from .diagnostics import ApigenError, Diagnostic

try:  # the C loader is ~10x faster on big specs
    _SafeLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _SafeLoader = yaml.SafeLoader

MAX_SPEC_BYTES = 64 * 1024 * 1024  # a downloaded spec, or a file a remote $ref pulls in
MAX_URL_BYTES = MAX_SPEC_BYTES
DEFAULT_FETCH_DEADLINE = 60.0  # seconds for a whole download
RATE_WINDOW = 5.0  # seconds ...
MIN_RATE_BYTES = 1024  # ... in which a download must make this much progress


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
        line = self.line_of(pointer)
        return Diagnostic(severity, message, pointer, self.source, line)  # type: ignore[arg-type]


def _compose(text: str) -> Any:
    try:
        return yaml.compose(text, Loader=_SafeLoader)
    except yaml.YAMLError:
        return None


def _walk_nodes(root: Any) -> Iterator[tuple[Any, str]]:
    """``(node, pointer)`` of every node, each node once: an alias is not walked again
    (its lines are those of the anchor), so an alias bomb costs what its text costs."""
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, ptr = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        yield node, ptr
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((value, f"{ptr}/{_token(key)}"))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, f"{ptr}/{i}"))


def _token(key: Any) -> str:
    return str(key.value).replace("~", "~0").replace("/", "~1")


def _line_index(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for node, ptr in _walk_nodes(_compose(text)):
        lines.setdefault(ptr, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, _ in node.value:
                lines.setdefault(f"{ptr}/{_token(key)}", key.start_mark.line + 1)
    return lines


MERGE_TAG = "tag:yaml.org,2002:merge"


def duplicate_keys(text: str, source: str) -> list[Diagnostic]:
    """One error per key that a mapping repeats, naming the lines of both."""
    found: list[Diagnostic] = []
    for node, ptr in _walk_nodes(_compose(text)):
        if not isinstance(node, yaml.MappingNode):
            continue
        first: dict[tuple[str, str], Any] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == MERGE_TAG:
                continue
            earlier = first.setdefault((key.tag, key.value), key)
            if earlier is not key:
                found.append(
                    Diagnostic(
                        "error",
                        f"duplicate key {str(key.value)!r}: first at {source}:"
                        f"{_place(earlier, key)}, again here; only one of the two would be kept",
                        f"{ptr}/{_token(key)}",
                        source,
                        key.start_mark.line + 1,
                    )
                )
    found.sort(key=lambda d: d.line or 0)
    return found[:MAX_REPORTED]


MAX_REPORTED = 50


def _place(earlier: Any, later: Any) -> str:
    """``line``, or ``line:column`` when both keys stand on one line (minified JSON)."""
    line = earlier.start_mark.line + 1
    same = earlier.start_mark.line == later.start_mark.line
    return f"{line}:{earlier.start_mark.column + 1}" if same else str(line)


def _pointer_at_line(text: str, line: int) -> str:
    """The JSON pointer of the value that starts on ``line`` (for constructor errors)."""
    best = ""
    for ptr, at in _line_index(text).items():
        if at == line and len(ptr) > len(best):
            best = ptr
    return best


class _InputLimit(Exception):
    """The text asks for more than apigen reads (aliases, expanded size)."""


class _GuardedLoader(_SafeLoader):  # type: ignore[misc]
    """The safe loader, counting what aliases and merge keys make it build again,
    and noticing repeated keys (reported, with lines, by ``duplicate_keys``)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_uses = 0
        self.merged_pairs = 0
        self.repeated_key = False

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            self.alias_uses += 1
            if self.alias_uses > MAX_YAML_ALIASES:
                raise _InputLimit(
                    f"more than {MAX_YAML_ALIASES} YAML alias uses (the limit; an alias bomb?)"
                )
        return super().construct_object(node, deep)

    def flatten_mapping(self, node: Any) -> None:
        super().flatten_mapping(node)
        self.merged_pairs += len(node.value)
        if self.merged_pairs > MAX_EXPANDED_NODES:
            raise _InputLimit(
                f"YAML merge keys expand to more than {MAX_EXPANDED_NODES} entries (the limit)"
            )

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        pairs = node.value
        if len(pairs) > 1 and not self.repeated_key and isinstance(node, yaml.MappingNode):
            scalars = [k.value for k, _ in pairs if isinstance(k, yaml.ScalarNode)]
            if len(set(scalars)) != len(
                scalars
            ):  # a repeat, or the same text with two tags: look closer
                keys = [
                    (k.tag, k.value)
                    for k, _ in pairs
                    if isinstance(k, yaml.ScalarNode) and k.tag != MERGE_TAG
                ]
                self.repeated_key = len(set(keys)) != len(keys)
        return super().construct_mapping(node, deep)


MAX_YAML_ALIASES = 10_000
MAX_EXPANDED_NODES = 2_000_000


def _check_expansion(data: Any) -> None:
    """Refuse data whose aliases nest into itself or expand far beyond its text.

    Sizes are memoised per object, so this costs one pass over the distinct
    objects however large the expansion.
    """
    size: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        children = list(node.values()) if isinstance(node, dict) else node
        if done:
            open_.discard(key)
            size[key] = 1 + sum(size.get(id(c), 1) for c in children)
            if size[key] > MAX_EXPANDED_NODES:
                raise _InputLimit(
                    f"YAML aliases expand to more than {MAX_EXPANDED_NODES} nodes "
                    "(the limit; an alias bomb?)"
                )
            continue
        if key in size:
            continue
        if key in open_:
            raise _InputLimit(
                "a YAML alias refers to a node that contains it (recursive structure)"
            )
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, (dict, list)))


def parse_text(text: str, source: str) -> Any:
    """Parse JSON or YAML text; syntax errors become diagnostics with a line."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        repeated = False

        def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            nonlocal repeated
            mapping = dict(pairs)
            repeated = repeated or len(mapping) != len(pairs)
            return mapping

        try:
            data = json.loads(text, object_pairs_hook=pairs_hook)
        except json.JSONDecodeError as exc:
            if source.endswith(".json"):
                raise ApigenError(
                    Diagnostic(
                        "error",
                        f"invalid JSON: {exc.msg} (column {exc.colno})",
                        "",
                        source,
                        exc.lineno,
                    )
                ) from None
        except RecursionError:
            raise ApigenError(
                Diagnostic("error", "JSON nests too deeply to read", "", source)
            ) from None
        else:
            if repeated:
                raise ApigenError(
                    duplicate_keys(text, source)
                    or [Diagnostic("error", "duplicate keys", "", source)]
                )
            return data
    loader = _GuardedLoader(text)
    try:
        data = loader.get_single_data()
        if loader.alias_uses:
            _check_expansion(data)
    except _InputLimit as exc:
        raise ApigenError(Diagnostic("error", f"invalid YAML: {exc}", "", source)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        where = (
            _pointer_at_line(text, line)
            if isinstance(exc, yaml.constructor.ConstructorError) and line
            else ""
        )
        raise ApigenError(
            Diagnostic("error", f"invalid YAML: {what}", where, source, line)
        ) from None
    except yaml.YAMLError as exc:
        raise ApigenError(Diagnostic("error", f"invalid YAML: {exc}", "", source)) from None
    except RecursionError:
        raise ApigenError(
            Diagnostic("error", "YAML nests too deeply to read", "", source)
        ) from None
    finally:
        loader.dispose()
    if loader.repeated_key:
        raise ApigenError(
            duplicate_keys(text, source) or [Diagnostic("error", "duplicate keys", "", source)]
        )
    return data


def read_source(
    source: str, redirect_check: Callable[[str], None] | None = None
) -> tuple[str, Path | None]:
    """Return the text behind a path or URL, and the folder relative refs resolve against."""
    if is_url(source):
        return fetch_text(source, redirect_check=redirect_check), None
    path = Path(source)
    if not path.exists():
        raise ApigenError(Diagnostic("error", "no such file", "", source))
    if path.is_dir():
        raise ApigenError(Diagnostic("error", "is a directory, not a spec file", "", source))
    try:
        return path.read_text(encoding="utf-8-sig"), path.resolve().parent
    except UnicodeDecodeError as exc:
        raise ApigenError(
            Diagnostic("error", f"not UTF-8 text: {exc.reason} at byte {exc.start}", "", source)
        ) from None
    except OSError as exc:
        raise ApigenError(Diagnostic("error", f"cannot read: {exc.strerror}", "", source)) from None


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


def fetch_deadline() -> float:
    """Seconds a whole download may take (``APIGEN_FETCH_DEADLINE``, default 60)."""
    raw = os.environ.get("APIGEN_FETCH_DEADLINE", "")
    try:
        value = float(raw) if raw else DEFAULT_FETCH_DEADLINE
    except ValueError:
        raise ApigenError(f"APIGEN_FETCH_DEADLINE={raw!r} is not a number of seconds") from None
    return value if value > 0 and math.isfinite(value) else DEFAULT_FETCH_DEADLINE


def fetch_text(
    url: str,
    max_bytes: int | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    redirect_check: Callable[[str], None] | None = None,
) -> str:
    """Download ``url`` as text, bounded in size and time while it streams.

    The size cap counts decoded bytes (a gzip bomb stops at the cap too); the
    deadline covers the whole download, since a per-read timeout lets a server
    that trickles a byte at a time hold the run forever. A server that sends
    less than ``MIN_RATE_BYTES`` within any ``RATE_WINDOW`` is given up sooner.
    Each redirect is shown to ``redirect_check`` first (it raises to refuse it).
    """
    import httpx

    limit = MAX_SPEC_BYTES if max_bytes is None else max_bytes
    budget = fetch_deadline() if deadline is None else deadline
    start = clock()

    def fail(reason: str) -> ApigenError:
        return ApigenError(Diagnostic("error", f"cannot fetch spec: {reason}", "", url))

    def remaining() -> float:
        left = budget - (clock() - start)
        if left <= 0:
            raise fail(
                f"download took longer than the {budget:g} s deadline (APIGEN_FETCH_DEADLINE)"
            )
        return left

    def body(response: httpx.Response) -> str:
        if response.status_code != 200:
            raise fail(f"HTTP {response.status_code}")
        declared = response.headers.get("content-length", "")
        if (
            declared.isdigit()
            and int(declared) > limit
            and "content-encoding" not in response.headers
        ):
            raise fail(f"spec is larger than {_mib(limit)} (Content-Length {declared})")
        chunks: list[bytes] = []
        size = 0
        window_start, window_bytes = clock(), 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise fail(f"spec is larger than {_mib(limit)}")
            chunks.append(chunk)
            remaining()
            now = clock()
            window_bytes += len(chunk)
            if now - window_start >= RATE_WINDOW:
                if window_bytes < MIN_RATE_BYTES:
                    raise fail(
                        f"server too slow: less than {MIN_RATE_BYTES} bytes in {RATE_WINDOW:g} s"
                    )
                window_start, window_bytes = now, 0
        encoding = response.encoding or "utf-8"
        try:
            return b"".join(chunks).decode(encoding, errors="strict").lstrip("\ufeff")
        except (UnicodeDecodeError, LookupError) as exc:
            raise fail(f"not {encoding} text: {exc}") from None

    try:
        # no byte for RATE_WINDOW is the slowest a server can be: the read timeout
        with httpx.Client(
            timeout=httpx.Timeout(min(RATE_WINDOW, remaining())), follow_redirects=False
        ) as client:
            target = url
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", target) as response:
                    following = response.next_request if response.is_redirect else None
                    if following is None:
                        return body(response)
                target = str(following.url)
                if redirect_check is not None:
                    redirect_check(target)
                remaining()
    except httpx.HTTPError as exc:
        raise fail(f"{exc.__class__.__name__}: {exc}") from None
    raise fail(f"more than {MAX_REDIRECTS} redirects")


MAX_REDIRECTS = 10


def load(source: str) -> Document:
    text, base_dir = read_source(source)
    data = parse_text(text, source)
    doc = Document(data=data, source=source, text=text, base_dir=base_dir)
    if not isinstance(data, dict) or not ("openapi" in data or "swagger" in data):
        raise ApigenError(
            doc.diagnostic(
                "error",
                "not an OpenAPI document: expected a mapping with an 'openapi' or 'swagger' field",
            )
        )
    version = str(data.get("openapi") or data.get("swagger"))
    if not (version.startswith("2.") or version.startswith("3.0") or version.startswith("3.1")):
        key = "/openapi" if "openapi" in data else "/swagger"
        raise ApigenError(
            doc.diagnostic(
                "error",
                f"unsupported OpenAPI version {version!r} (2.0, 3.0 and 3.1 are supported)",
                key,
            )
        )
    if not isinstance(data.get("paths", {}), dict):
        raise ApigenError(doc.diagnostic("error", "'paths' must be a mapping", "/paths"))
    return doc
