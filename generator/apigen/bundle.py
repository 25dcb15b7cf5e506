"""External ``$ref`` files bundled into the document, as the ref rules allow.

Files next to a local spec are read; remote and out-of-tree ones only when the caller
allows it (``ref_policy``). A schema found in another file becomes a component schema
of its own (named after its fragment or file), everything else is inlined where it
is referenced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .diagnostics import ApigenError, escape_pointer_token, pointer
from .loader import Document, is_url, parse_text, read_source
from .ref_policy import RefPolicy, RefRefused
from .spec_walk import MAP_KEYS, iter_refs, resolve_pointer, skips_value


def _exists(path: str) -> bool:
    """Whether a local file is there; a name no file can have is not."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


class _Bundler:
    def __init__(self, root: dict[str, Any], doc: Document, allow_remote: bool) -> None:
        self.root = root
        self.doc = doc
        self.policy = RefPolicy.for_source(doc.source, doc.base_dir, allow_remote)
        self.files: dict[str, Any] = {}
        self.hoisted: dict[tuple[str, str], str] = {}
        self.active: set[tuple[str, str]] = set()
        self.filled: set[str] = set()
        components = root.get("components")
        if not isinstance(components, dict):  # validation reports it; bundling needs a home
            components = root["components"] = {}
        schemas = components.get("schemas")
        if not isinstance(schemas, dict):
            schemas = components["schemas"] = {}
        self.schema_names: set[str] = set(schemas)

    def load(self, location: str, where: str) -> Any:
        if location in self.files:
            return self.files[location]
        if not is_url(location) and not _exists(location):
            raise ApigenError(
                self.doc.diagnostic("error", f"$ref file {location!r} does not exist", where)
            )

        def redirect_check(url: str) -> None:  # a redirect is a new location: the same rules
            try:
                self.policy.check(url, location)
            except RefRefused as exc:
                raise ApigenError(
                    self.doc.diagnostic(
                        "error", f"$ref file {location!r} redirects to {url!r}: {exc}", where
                    )
                ) from None

        try:
            text, _ = read_source(location, redirect_check)
            data = parse_text(text, location)
        except ApigenError as exc:
            raise ApigenError(
                [*exc.diagnostics, self.doc.diagnostic("error", "while resolving this $ref", where)]
            ) from None
        self.files[location] = data
        return data

    def locate(self, ref: str, current: str, where: str) -> tuple[str, str]:
        """``(location, fragment)`` of ``ref`` standing in the document at ``current``."""
        target, _, fragment = ref.partition("#")
        if not target:
            return current, fragment
        try:
            return self.policy.locate(target, current), fragment
        except (OSError, ValueError) as exc:  # NUL, lone surrogates, names too long
            raise ApigenError(
                self.doc.diagnostic(
                    "error",
                    f"$ref {ref!r} names a path that cannot exist ({type(exc).__name__})",
                    where,
                )
            ) from None

    def permitted(self, location: str, current: str, ref: str, where: str) -> str:
        """The location to read, or a fatal diagnostic when the ref rules refuse it."""
        try:
            return self.policy.check(location, current)
        except RefRefused as exc:
            raise ApigenError(self.doc.diagnostic("error", f"$ref {ref!r}: {exc}", where)) from None

    def visit(self, node: Any, current: str, where: str, in_map: bool = False) -> Any:
        """``node`` with every external ref (and the refs inside external files) made internal."""
        if isinstance(node, list):
            return [self.visit(v, current, f"{where}/{i}") for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and not in_map and (current != "" or not ref.startswith("#")):
            return self.external(ref, current, where + "/$ref")
        return {
            k: v
            if skips_value(k, in_map)
            else self.visit(
                v, current, f"{where}/{escape_pointer_token(k)}", not in_map and k in MAP_KEYS
            )
            for k, v in node.items()
        }

    def _target(self, ref: str, current: str, where: str) -> tuple[str, str, Any]:
        current = current or self.policy.root
        location, fragment = self.locate(ref, current, where)
        if location != current:
            location = self.permitted(location, current, ref, where)
        content = self.load(location, where)
        try:
            target = resolve_pointer(content, "#" + fragment) if fragment else content
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApigenError(
                self.doc.diagnostic("error", f"$ref {ref!r} does not resolve in {location}", where)
            ) from None
        return location, fragment, target

    def resolve_external(self, ref: str, current: str, where: str) -> Any:
        """The bundled content behind an external ref (for a component that is one)."""
        location, _, target = self._target(ref, current, where)
        return self.visit(target, location, where)

    def external(self, ref: str, current: str, where: str) -> Any:
        location, fragment, target = self._target(ref, current, where)
        key = (location, fragment)
        if _looks_like_schema(target, fragment) or key in self.hoisted:
            if key not in self.hoisted:
                name = _free_name(
                    fragment.rsplit("/", 1)[-1] if fragment else Path(location).stem,
                    self.schema_names,
                )
                self.hoisted[key] = name
                self.root["components"]["schemas"][name] = self.visit(target, location, where)
            elif self.hoisted[key] not in self.filled:
                self.filled.add(self.hoisted[key])
                self.root["components"]["schemas"][self.hoisted[key]] = self.visit(
                    target, location, where
                )
            return {"$ref": "#/components/schemas/" + escape_pointer_token(self.hoisted[key])}
        if key in self.active:
            raise ApigenError(
                self.doc.diagnostic("error", f"circular external $ref {ref!r}", where)
            )
        self.active.add(key)
        try:
            return self.visit(target, location, where)
        finally:
            self.active.discard(key)


def _looks_like_schema(node: Any, fragment: str) -> bool:
    if "/schemas/" in fragment or "/definitions/" in fragment:
        return True
    if not isinstance(node, dict):
        return False
    if "in" in node and "name" in node:  # a parameter
        return False
    if "content" in node or "description" in node and "schema" in node:
        return False
    return bool({"type", "properties", "allOf", "oneOf", "anyOf", "items", "enum"} & set(node))


def _free_name(name: str, taken: set[str]) -> str:
    candidate, n = name or "Schema", 2
    while candidate in taken:
        candidate, n = f"{name}{n}", n + 1
    taken.add(candidate)
    return candidate


def has_external_ref(data: Any) -> bool:
    return any(not ref.startswith("#") for _, ref in iter_refs(data))


def bundle_external_refs(data: dict[str, Any], doc: Document, allow_remote: bool) -> dict[str, Any]:
    if not has_external_ref(data):
        return data
    bundler = _Bundler(data, doc, allow_remote)
    components = data.get("components", {})
    root_file = bundler.policy.root
    schemas = components.get("schemas") or {}
    for name, entry in list(schemas.items()):
        ref = entry.get("$ref") if isinstance(entry, dict) else None
        if isinstance(ref, str) and not ref.startswith("#") and len(entry) == 1:
            # `Pet: {$ref: pet.yaml}`: the bundled schema is Pet itself, not an alias of it
            where = f"/components/schemas/{escape_pointer_token(name)}"
            bundler.hoisted.setdefault(bundler.locate(ref, root_file, where), name)
    for key in list(data):
        if key != "components":
            data[key] = bundler.visit(data[key], "", "/" + escape_pointer_token(key))
    for section, entries in list(components.items()):
        if isinstance(entries, dict):
            for name in list(entries):
                where = pointer("components", section, name)
                ref = entries[name].get("$ref") if isinstance(entries[name], dict) else None
                if (
                    section == "schemas"
                    and isinstance(ref, str)
                    and bundler.hoisted.get(bundler.locate(ref, root_file, where)) == name
                ):
                    if name not in bundler.filled:
                        bundler.filled.add(name)
                        entries[name] = bundler.resolve_external(ref, root_file, where + "/$ref")
                else:
                    entries[name] = bundler.visit(entries[name], "", where)
    return data
