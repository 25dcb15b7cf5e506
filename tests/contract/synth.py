"""Values that satisfy a JSON Schema, synthesised deterministically (no randomness).

Works on a *prepared* OpenAPI document (see ``SpecSchemas``): every internal
``$ref`` rewritten to the absolute ``urn:spec#/...`` so that any sub-schema, or a
schema assembled from pieces (allOf merges), validates with jsonschema's
referencing registry without knowing where it came from.

Covered: ``$ref`` (with siblings), ``const``, ``enum``, ``allOf`` (merged),
``oneOf``/``anyOf`` (first branch whose value validates against the whole schema,
discriminator values filled in), type lists (3.1 nullable), string formats
(date-time, date, time, uuid, email, uri, ipv4/6, byte, binary...), ``pattern``
(a small generator over ``re._parser``), length / item / property counts, numeric
bounds and ``multipleOf``, ``additionalProperties``, readOnly / writeOnly per
direction, and recursion (optional properties are dropped below a depth, required
ones keep going up to a hard limit).
"""

from __future__ import annotations

import copy
import json
import math
import re
import urllib.parse
from typing import Any, Iterable

try:  # Python 3.11+: the regex parser moved
    import re._parser as sre_parse  # type: ignore[import-not-found]
    import re._constants as sre_constants  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

import jsonschema
import referencing
import referencing.jsonschema

BASE = "urn:spec"
OPTIONAL_DEPTH = 3  # optional properties are filled in up to this object depth
HARD_DEPTH = 12  # required properties beyond this depth get a minimal value
ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "xml",
        "example",
        "examples",
        "default",
        "readOnly",
        "writeOnly",
        "deprecated",
        "externalDocs",
        "discriminator",
        "nullable",
        "format",
        "$comment",
        "contentMediaType",
        "contentEncoding",
    }
)


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#"):
                out[k] = BASE + v
            else:
                out[k] = _rewrite_refs(v)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class SpecSchemas:
    """The prepared document, ref resolution and cached Draft 2020-12 validation."""

    def __init__(self, normalized: dict[str, Any]) -> None:
        self.doc: dict[str, Any] = _rewrite_refs(normalized)
        resource = referencing.jsonschema.DRAFT202012.create_resource(self.doc)
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resource(
            BASE, resource
        )
        self._validators: dict[int, tuple[Any, jsonschema.protocols.Validator]] = {}

    # ------------------------------------------------------------------ refs
    def pointer(self, ptr: str) -> Any:
        node: Any = self.doc
        for token in ptr.lstrip("/").split("/") if ptr not in ("", "/") else ():
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def deref(self, node: Any, limit: int = 50) -> Any:
        """Follow ``$ref`` chains of objects that are only a reference (OpenAPI objects)."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and limit:
            ref = node["$ref"]
            if not ref.startswith(BASE + "#"):
                break
            # a fragment is percent-decoded into the pointer (RFC 6901, section 6)
            node = self.pointer(urllib.parse.unquote(ref[len(BASE) + 1 :]))
            limit -= 1
        return node

    # ------------------------------------------------------------ validation
    def validator(self, schema: Any) -> jsonschema.protocols.Validator:
        key = id(schema)
        hit = self._validators.get(key)
        if hit is not None and hit[0] is schema:
            return hit[1]
        v = jsonschema.Draft202012Validator(
            schema if isinstance(schema, (dict, bool)) else {}, registry=self.registry
        )
        self._validators[key] = (schema, v)
        return v

    def errors(self, schema: Any, value: Any) -> list[str]:
        try:
            errs = list(self.validator(schema).iter_errors(value))
        except (
            jsonschema.exceptions.SchemaError,
            referencing.exceptions.Unresolvable,
            RecursionError,
        ) as exc:
            return [f"schema unusable for validation: {type(exc).__name__}: {str(exc)[:200]}"]
        out = []
        for e in errs[:3]:
            where = "/".join(str(p) for p in e.absolute_path)
            out.append(f"at /{where}: {_short(e.message)}")
        return out

    def is_valid(self, schema: Any, value: Any) -> bool:
        try:
            return bool(self.validator(schema).is_valid(value))
        except (
            jsonschema.exceptions.SchemaError,
            referencing.exceptions.Unresolvable,
            RecursionError,
        ):
            return False


def _short(text: str, n: int = 240) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# --------------------------------------------------------------------- regex

_CATEGORY_CHAR = {
    sre_constants.CATEGORY_DIGIT: "0",
    sre_constants.CATEGORY_NOT_DIGIT: "a",
    sre_constants.CATEGORY_SPACE: " ",
    sre_constants.CATEGORY_NOT_SPACE: "a",
    sre_constants.CATEGORY_WORD: "a",
    sre_constants.CATEGORY_NOT_WORD: "-",
}


def _regex_in(items: list[Any]) -> str:
    negate = any(op == sre_constants.NEGATE for op, _ in items)
    if negate:
        excluded: set[str] = set()
        for op, av in items:
            if op == sre_constants.LITERAL:
                excluded.add(chr(av))
            elif op == sre_constants.RANGE:
                excluded.update(chr(c) for c in range(av[0], min(av[1], av[0] + 300) + 1))
        for c in "aA0xz_-.":
            if c not in excluded:
                return c
        return "~"
    for op, av in items:
        if op == sre_constants.LITERAL:
            return chr(av)
        if op == sre_constants.RANGE:
            lo, hi = av
            for c in "a0A":
                if lo <= ord(c) <= hi:
                    return c
            return chr(lo)
        if op == sre_constants.CATEGORY:
            return _CATEGORY_CHAR.get(av, "a")
    return "a"


def _regex_gen(parsed: Iterable[Any], groups: dict[int, str]) -> str:
    out: list[str] = []
    for op, av in parsed:
        if op == sre_constants.LITERAL:
            out.append(chr(av))
        elif op == sre_constants.NOT_LITERAL:
            out.append("a" if chr(av) != "a" else "b")
        elif op == sre_constants.ANY:
            out.append("a")
        elif op == sre_constants.IN:
            out.append(_regex_in(av))
        elif op in (
            sre_constants.MAX_REPEAT,
            sre_constants.MIN_REPEAT,
            getattr(sre_constants, "POSSESSIVE_REPEAT", None),
        ):
            lo, hi, sub = av
            n = lo if lo > 0 else (1 if hi != 0 else 0)
            if hi is not sre_constants.MAXREPEAT and n > hi:
                n = hi
            out.append("".join(_regex_gen(sub, groups) for _ in range(n)))
        elif op == sre_constants.SUBPATTERN:
            gid, _, _, sub = av
            text = _regex_gen(sub, groups)
            if gid:
                groups[gid] = text
            out.append(text)
        elif op == getattr(sre_constants, "ATOMIC_GROUP", None):
            out.append(_regex_gen(av, groups))
        elif op == sre_constants.BRANCH:
            out.append(_regex_gen(av[1][0], groups))
        elif op == sre_constants.GROUPREF:
            out.append(groups.get(av, ""))
        elif op == sre_constants.CATEGORY:
            out.append(_CATEGORY_CHAR.get(av, "a"))
        # AT (anchors), ASSERT, ASSERT_NOT: nothing to emit
    return "".join(out)


def string_for_pattern(pattern: str) -> str | None:
    try:
        text = _regex_gen(sre_parse.parse(pattern), {})
        if re.search(pattern, text):
            return text
    except Exception:  # noqa: BLE001 - an unusual pattern: the caller falls back
        pass
    return None


# ------------------------------------------------------------------- values

FORMATS: dict[str, Any] = {
    "date-time": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "time": "03:04:05Z",
    "duration": "P1D",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "iri": "https://example.com/resource",
    "uri-reference": "https://example.com/resource",
    "uri-template": "https://example.com/{id}",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "aGVsbG8=",
    "binary": "binary-data",
    "password": "secret-password",
    "int32": "1",
    "int64": "1",
    "decimal": "1.5",
    "json-pointer": "/a/b",
    "regex": "^a$",
}


class Synth:
    """``value(schema)`` -> a JSON value valid for ``schema`` (as far as it can)."""

    def __init__(
        self,
        spec: SpecSchemas,
        direction: str = "response",
        binary_as_bytes: bool = False,
        nonempty_objects: bool = False,
    ) -> None:
        self.spec = spec
        # Form and multipart bodies cannot express an empty object (a[b]=... has no form for {}):
        # give such objects one property so that a required one is not lost on the wire.
        self.nonempty_objects = nonempty_objects
        self.direction = (
            direction  # "request" skips optional readOnly, "response" optional writeOnly
        )
        self.binary_as_bytes = binary_as_bytes
        self.optional_depth = OPTIONAL_DEPTH

    # -------------------------------------------------------------- schemas
    def _resolve(
        self, schema: Any, stack: tuple[str, ...]
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """A schema without a leading ``$ref`` (siblings merged), and the refs followed."""
        hops = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and hops < 50:
            ref = schema["$ref"]
            target = self.spec.deref({"$ref": ref})
            if not isinstance(target, dict) or target is schema:
                break
            siblings = {
                k: v
                for k, v in schema.items()
                if k != "$ref" and k not in ANNOTATIONS and not k.startswith("x-")
            }
            stack = stack + (ref,)
            schema = self._merge([target, siblings]) if siblings else target
            hops += 1
        if schema is True or schema is None:
            return {}, stack
        if schema is False or not isinstance(schema, dict):
            return {"not": {}}, stack
        return schema, stack

    def _flatten_all_of(
        self, schema: dict[str, Any], stack: tuple[str, ...], depth: int = 0
    ) -> dict[str, Any]:
        parts = schema.get("allOf")
        if not isinstance(parts, list) or depth > 20:
            return schema
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        flat = [rest]
        for part in parts:
            resolved, _ = self._resolve(part, stack)
            flat.append(self._flatten_all_of(resolved, stack, depth + 1))
        return self._merge(flat)

    def _merge(self, schemas: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for s in schemas:
            if not isinstance(s, dict):
                continue
            for k, v in s.items():
                if k == "properties" and isinstance(v, dict):
                    props = dict(out.get("properties") or {})
                    for name, sub in v.items():
                        if name in props and props[name] is not sub:
                            props[name] = {"allOf": [props[name], sub]}
                        else:
                            props[name] = sub
                    out["properties"] = props
                elif k == "required" and isinstance(v, list):
                    out["required"] = list(dict.fromkeys([*(out.get("required") or []), *v]))
                elif k == "type" and "type" in out:
                    a = out["type"] if isinstance(out["type"], list) else [out["type"]]
                    b = v if isinstance(v, list) else [v]
                    both = [t for t in a if t in b or (t == "integer" and "number" in b)]
                    both += [t for t in b if t == "integer" and "number" in a and t not in both]
                    out["type"] = (both[0] if len(both) == 1 else both) if both else v
                elif k == "allOf" and "allOf" in out:
                    out["allOf"] = [*out["allOf"], *v]
                elif k in ("oneOf", "anyOf") and k in out:
                    out.setdefault("allOf", []).append({k: v})
                elif k == "enum" and "enum" in out and isinstance(v, list):
                    common = [x for x in out["enum"] if x in v]
                    out["enum"] = common or v
                else:
                    out[k] = v
        return out

    # --------------------------------------------------------------- values
    def value(self, schema: Any, depth: int = 0, stack: tuple[str, ...] = ()) -> Any:
        schema, stack = self._resolve(schema, stack)
        if "allOf" in schema:
            schema = self._flatten_all_of(schema, stack)
            schema, stack = self._resolve(schema, stack)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            for v in enum:
                if v is not None:
                    return copy.deepcopy(v)
            return None
        for key in ("oneOf", "anyOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                return self._choice(schema, key, branches, depth, stack)
        kind = self._type(schema)
        if kind == "null":
            return None
        if kind == "boolean":
            return True
        if kind == "integer":
            return self._number(schema, integer=True)
        if kind == "number":
            return self._number(schema, integer=False)
        if kind == "string":
            return self._string(schema)
        if kind == "array":
            return self._array(schema, depth, stack)
        if kind == "object":
            return self._object(schema, depth, stack)
        return "value"  # {}: anything goes

    def _type(self, schema: dict[str, Any]) -> str | None:
        t = schema.get("type")
        if isinstance(t, list):
            non_null = [x for x in t if x != "null"]
            t = non_null[0] if non_null else ("null" if t else None)
        if isinstance(t, str):
            return t
        if "properties" in schema or "additionalProperties" in schema or "required" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return "array"
        if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
            return "string"
        if any(
            k in schema
            for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
        ):
            return "number"
        return None

    def _choice(
        self,
        schema: dict[str, Any],
        key: str,
        branches: list[Any],
        depth: int,
        stack: tuple[str, ...],
    ) -> Any:
        base = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
        disc = (
            schema.get("discriminator") if isinstance(schema.get("discriminator"), dict) else None
        )
        ordered = [
            b
            for b in branches
            if not (isinstance(b, dict) and b.get("type") == "null" and len(b) == 1)
        ]
        ordered += [b for b in branches if b not in ordered]
        last: Any = None
        saved = self.optional_depth
        # First with optional properties, then with required ones only at this level
        # (oneOf branches that differ only in `required` match several otherwise).
        for optional_depth in (saved, min(saved, depth)):
            self.optional_depth = optional_depth
            try:
                for branch in ordered:
                    part: Any = branch
                    if base:
                        resolved, _ = self._resolve(branch, stack)
                        part = self._merge([base, resolved])
                    try:
                        candidate = self.value(part, depth, stack)
                    except RecursionError:
                        continue
                    if (
                        disc
                        and isinstance(candidate, dict)
                        and isinstance(disc.get("propertyName"), str)
                    ):
                        tag = self._discriminator_value(disc, branch)
                        if tag is not None:
                            candidate[disc["propertyName"]] = tag
                    last = candidate
                    if self.spec.is_valid(schema, _jsonish(candidate)):
                        return candidate
            finally:
                self.optional_depth = saved
        return last

    def _discriminator_value(self, disc: dict[str, Any], branch: Any) -> str | None:
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if not isinstance(ref, str):
            return None
        mapping = disc.get("mapping") if isinstance(disc.get("mapping"), dict) else {}
        for tag, target in mapping.items():
            target_abs = (
                BASE + target if isinstance(target, str) and target.startswith("#") else target
            )
            if target_abs == ref or (isinstance(target, str) and ref.endswith("/" + target)):
                return str(tag)
        return ref.rsplit("/", 1)[-1]

    def _number(self, schema: dict[str, Any], integer: bool) -> int | float:
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        xlo = schema.get("exclusiveMinimum")
        xhi = schema.get("exclusiveMaximum")
        step = schema.get("multipleOf")
        cand: float = 1 if integer else 1.5
        if isinstance(lo, (int, float)) and not isinstance(lo, bool):
            cand = max(cand, lo)
        if isinstance(xlo, (int, float)) and not isinstance(xlo, bool) and cand <= xlo:
            cand = xlo + 1 if integer else xlo + 0.5
        if isinstance(hi, (int, float)) and not isinstance(hi, bool) and cand > hi:
            cand = hi
        if isinstance(xhi, (int, float)) and not isinstance(xhi, bool) and cand >= xhi:
            cand = (
                xhi - 1
                if integer
                else (xhi - 0.5 if not isinstance(lo, (int, float)) else (lo + xhi) / 2)
            )
        if isinstance(step, (int, float)) and step and not isinstance(step, bool):
            cand = math.ceil(cand / step) * step
            if integer:
                cand = int(cand)
        if integer:
            return int(math.ceil(cand))
        return float(cand)

    def _string(self, schema: dict[str, Any]) -> Any:
        fmt = schema.get("format")
        if self.binary_as_bytes and (
            fmt == "binary" or schema.get("contentMediaType") == "application/octet-stream"
        ):
            return b"file-content"
        pattern = schema.get("pattern")
        text: str | None = None
        if isinstance(fmt, str) and fmt in FORMATS:
            text = FORMATS[fmt]
        if isinstance(pattern, str):
            if text is None or not _search(pattern, text):
                text = string_for_pattern(pattern) or text
        if text is None:
            text = "string"
        lo = schema.get("minLength")
        hi = schema.get("maxLength")
        if isinstance(lo, int) and len(text) < lo:
            text = text + "x" * (lo - len(text))
        if isinstance(hi, int) and len(text) > hi:
            text = text[:hi]
        return text

    def _array(self, schema: dict[str, Any], depth: int, stack: tuple[str, ...]) -> list[Any]:
        lo = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
        hi = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
        n = max(lo, 1 if depth < HARD_DEPTH else 0, len(prefix))
        if hi is not None:
            n = min(n, hi)
        items = schema.get("items", {})
        out = []
        for i in range(n):
            sub = prefix[i] if i < len(prefix) else items
            if sub is False:
                break
            out.append(self.value(sub, depth + 1, stack))
        if schema.get("uniqueItems") and len(out) > 1:
            seen: list[str] = []
            for i, v in enumerate(out):
                key = json.dumps(_jsonish(v), sort_keys=True)
                if key in seen and isinstance(v, str):
                    out[i] = v + str(i)
                elif key in seen and isinstance(v, int) and not isinstance(v, bool):
                    out[i] = v + i
                seen.append(json.dumps(_jsonish(out[i]), sort_keys=True))
        return out

    def _object(self, schema: dict[str, Any], depth: int, stack: tuple[str, ...]) -> dict[str, Any]:
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        out: dict[str, Any] = {}
        skip_flag = "readOnly" if self.direction == "request" else "writeOnly"
        for name, sub in props.items():
            is_required = name in required
            if not is_required:
                if depth >= self.optional_depth:
                    continue
                resolved, sub_stack = self._resolve(sub, stack)
                if resolved.get(skip_flag) is True or (
                    isinstance(sub, dict) and sub.get(skip_flag) is True
                ):
                    continue
                ref = sub.get("$ref") if isinstance(sub, dict) else None
                if ref is not None and ref in stack:  # recursion through an optional property: stop
                    continue
                if sub is False:
                    continue
            if depth >= HARD_DEPTH:
                out[name] = self._minimal(sub, stack)
                continue
            out[name] = self.value(sub, depth + 1, stack)
        if not out and self.nonempty_objects and props and depth < HARD_DEPTH:
            for name, sub in props.items():
                resolved, _ = self._resolve(sub, stack)
                if resolved.get("readOnly") is not True and sub is not False:
                    out[name] = self.value(sub, depth + 1, stack)
                    break
        for name in required:
            if name not in out:
                extra = schema.get("additionalProperties")
                out[name] = self.value(extra if isinstance(extra, dict) else {}, depth + 1, stack)
        extra = schema.get("additionalProperties")
        if not props and isinstance(extra, dict) and extra and depth < self.optional_depth:
            out.setdefault("key1", self.value(extra, depth + 1, stack))
        lo = schema.get("minProperties")
        if isinstance(lo, int):
            i = 0
            while len(out) < lo:
                out[f"key{i}"] = self.value(
                    extra if isinstance(extra, dict) else {}, depth + 1, stack
                )
                i += 1
        return out

    def _minimal(self, schema: Any, stack: tuple[str, ...]) -> Any:
        resolved, _ = self._resolve(schema, stack)
        kind = self._type(resolved)
        t = resolved.get("type")
        if isinstance(t, list) and "null" in t:
            return None
        if kind == "array":
            return []
        if kind == "object":
            return {}
        return self.value(resolved, HARD_DEPTH, stack) if kind not in (None,) else None


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True


def _jsonish(value: Any) -> Any:
    """Bytes (file parts) as text, so a synthesised request can be validated as JSON data."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict):
        return {k: _jsonish(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonish(v) for v in value]
    return value
