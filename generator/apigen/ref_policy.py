"""Which documents a spec may pull in through ``$ref``: the one place that decides.

The bundler and the validator both ask here before they read anything, so a
spec cannot make apigen read a file or fetch a URL the user did not allow:

* a document fetched from a URL may reference only its own origin (scheme, host,
  port), and only with ``--allow-remote-refs``; never a local path or ``file://``.
  Its relative refs resolve against its own URL;
* a local document may reference only files under its own folder, symlinks
  resolved; ``--allow-remote-refs`` also allows other folders and http(s) URLs;
* anything a remote document references is remote too: a local file is never
  read on the word of a document that came over the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .loader import is_url

FLAG = "--allow-remote-refs"


class RefRefused(Exception):
    """A ``$ref`` target the rules do not allow (the message says which rule)."""


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


@dataclass(frozen=True)
class RefPolicy:
    """The rules for one run: where the root document came from, and what the user allowed.

    ``root`` is the URL of a remote document, or the resolved path of a local one.
    """

    root: str
    allow_remote: bool = False

    @classmethod
    def for_source(cls, source: str, base_dir: Path | None, allow_remote: bool) -> "RefPolicy":
        if is_url(source):
            return cls(source, allow_remote)
        folder = base_dir if base_dir is not None else Path.cwd().resolve()
        name = Path(source).name or "spec"
        return cls(str(folder / name), allow_remote)

    @property
    def remote_root(self) -> bool:
        return is_url(self.root)

    def locate(self, ref_target: str, current: str) -> str:
        """Where ``ref_target`` (the part of a ref before ``#``) points, seen from ``current``.

        ``current`` is the URL or absolute path of the document the ref stands in.
        """
        if is_url(current):
            return urljoin(current, ref_target)  # relative to the remote document's own URL
        if is_url(ref_target) or _scheme(ref_target):
            return ref_target
        return str((Path(current).parent / ref_target).resolve())

    def check(self, location: str, current: str) -> str:
        """The location to read (a URL or a resolved path), or RefRefused saying why not."""
        scheme = _scheme(location)
        if self.remote_root or is_url(current):
            if not is_url(location):
                what = (
                    "a file:// URL"
                    if scheme == "file"
                    else f"a {scheme}: URL"
                    if scheme
                    else "a local path"
                )
                raise RefRefused(
                    f"a document fetched from a URL may not reference {what}: "
                    "local files are never read for it"
                )
            if self.remote_root and origin(location) != origin(self.root):
                raise RefRefused(
                    "a document fetched from a URL may reference only its own origin "
                    f"({_show_origin(self.root)})"
                )
            if not self.allow_remote:
                raise RefRefused(
                    f"remote $ref not fetched (pass {FLAG} to fetch it from the same origin)"
                )
            return location
        if is_url(location):
            if not self.allow_remote:
                raise RefRefused(f"remote $ref not fetched (pass {FLAG})")
            return location
        if scheme == "file":
            location = unquote(urlsplit(location).path)
        elif scheme:
            raise RefRefused(f"$ref with a {scheme}: URL is not supported")
        resolved = Path(location).resolve()
        folder = Path(self.root).parent
        if not self.allow_remote and not resolved.is_relative_to(folder):
            raise RefRefused(
                f"points outside the spec's folder {folder} (symlinks resolved; pass {FLAG})"
            )
        return str(resolved)


def _scheme(location: str) -> str:
    """The URL scheme of ``location`` ('' for a path; a one-letter scheme is a drive)."""
    scheme = urlsplit(location).scheme
    return scheme.lower() if len(scheme) > 1 else ""


def _show_origin(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


class _EveryScheme(dict[str, object]):
    """Resolver handlers for openapi-spec-validator that send every scheme to ``read``
    (its retriever falls back to urllib for a scheme it has no handler for)."""

    def __init__(self, read: object) -> None:
        super().__init__()
        self._read = read

    def __contains__(self, scheme: object) -> bool:
        return True

    def __getitem__(self, scheme: str) -> object:
        return self._read

    def get(self, scheme: str, default: object = None) -> object:
        return self._read


def validator_handlers(policy: RefPolicy) -> dict[str, object]:
    """What the validator may read while it follows ``$ref``s: what ``policy`` allows, through
    apigen's own bounded reader, and nothing else."""
    from .loader import parse_text, read_source

    def read(uri: str) -> object:
        location = uri
        if location.startswith("file:"):
            location = unquote(urlsplit(location).path)
        allowed = policy.check(location, policy.root)
        text, _ = read_source(allowed, lambda url: _refuse_unless_allowed(policy, url, allowed))
        return parse_text(text, allowed)

    return _EveryScheme(read)


def _refuse_unless_allowed(policy: RefPolicy, url: str, current: str) -> None:
    policy.check(url, current)
