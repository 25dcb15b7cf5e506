"""A small JSON Schema subset: checking values and synthesising them, for the mock API.

Only what a fake of an API needs, without a JSON Schema library (the generated
package depends on httpx and pydantic only): types (3.1 type lists and 3.0
``nullable``), enum, const, properties / required / additionalProperties, items /
prefixItems, lengths, counts, numeric bounds (3.0 boolean and 3.1 numeric
exclusive bounds), multipleOf, pattern, allOf / anyOf / oneOf and local
``#/components/schemas/...`` references. ``readOnly`` properties are not required
in requests, ``writeOnly`` ones are not synthesised in responses. Unknown keywords
are accepted (a mock must not reject what the real API takes).
"""

from __future__ import annotations

import datetime
import math
import random
import uuid
from typing import Any, Mapping

from .patterns import CATEGORY_DIGIT as _DIGIT
from .patterns import CATEGORY_SPACE as _SPACE
from .patterns import CATEGORY_WORD as _WORD
from .patterns import pattern_found, pattern_search, regex_parser as _regex_parser

SCHEMA_REF = "#/components/schemas/"
MAX_DEPTH = 40  # deeper than this, a value is accepted as it is
OPTIONAL_DEPTH = 3  # optional properties are synthesised down to this object depth
MINIMAL_DEPTH = 4  # a recursive schema's minimal value fills required properties this deep

FORMATS: dict[str, str] = {
    "date-time": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "time": "03:04:05Z",
    "duration": "P1D",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "email": "user@example.com",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "uri-reference": "https://example.com/resource",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "aGVsbG8=",
    "binary": "binary-data",
}


def _is_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _is_datetime(text: str) -> bool:
    try:
        datetime.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
    except ValueError:
        return False
    return "T" in text.upper() or " " in text


def _is_uuid(text: str) -> bool:
    """What the client's models read as a UUID: the standard library also takes hyphens
    anywhere (Linode's example "E1AF5EEC-526F-487D-B317EBEB34C87D71"), pydantic does not."""
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    core = text.strip().removeprefix("urn:").removeprefix("uuid:").strip("{}")
    return "-" not in core or [len(g) for g in core.split("-")] == [8, 4, 4, 4, 12]


# formats the generated models parse into a type (date, datetime, UUID): others are text
TYPED_FORMATS = {"date": _is_date, "date-time": _is_datetime, "uuid": _is_uuid}

# other spellings of a typed format's value, tried when a schema's pattern or lengths
# refuse the first: loket's UUIDs of pattern [0-9A-F] (upper case), unicourt's date-times
# of exactly 25 characters ("+00:00"); padding or a pattern's own text would not parse
FORMAT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "uuid": (
        FORMATS["uuid"],
        FORMATS["uuid"].upper(),
        FORMATS["uuid"].replace("-", ""),
        FORMATS["uuid"].replace("-", "").upper(),
    ),
    "date-time": tuple(
        f"2024-01-02T03:04:05{fraction}{zone}"
        for zone in ("Z", "+00:00", "")
        for fraction in ("", ".000", ".000000")
    ),
}


def _textual_member(types: list[str] | None, enum: list[Any], value: Any) -> bool:
    """Zoom's ``type: string, enum: [1, 2]``: no member has the declared type, so the text
    of a member stands for it (a mock must not refuse what the real API takes)."""
    if not types or not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return False
    if any(_kind(m) in types or (_kind(m) == "integer" and "number" in types) for m in enum):
        return False
    return str(value) in {str(m) for m in enum}


def _own_member(types: list[str] | None, enum: list[Any], value: Any) -> bool:
    """apptigent's ``type: string, enum: [true, false]``: no member has the declared type,
    and the models take the members as they are, so a member as it is passes too."""
    if not types or any(
        _kind(m) in types or (_kind(m) == "integer" and "number" in types) for m in enum
    ):
        return False
    kind = _kind(value)
    return any(_kind(m) == kind and m == value for m in enum)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _types(schema: Mapping[str, Any]) -> list[str] | None:
    declared = schema.get("type")
    if isinstance(declared, str):
        out = [declared]
    elif isinstance(declared, list):
        out = [t for t in declared if isinstance(t, str)]
    else:
        return None
    if schema.get("nullable") is True and "null" not in out:
        out.append("null")
    return out


def _where(path: str) -> str:
    return path or "value"


class Schemas:
    """The named schemas of one API, and checks and values over them."""

    def __init__(self, named: Mapping[str, Any]) -> None:
        self.named = named

    def resolve(self, schema: Any) -> Any:
        """The schema a local reference names (siblings of ``$ref`` are kept as an allOf)."""
        hops = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and hops < 32:
            ref: str = schema["$ref"]
            target = (
                self.named.get(ref[len(SCHEMA_REF) :], {}) if ref.startswith(SCHEMA_REF) else {}
            )
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {"allOf": [target, siblings]} if siblings else target
            hops += 1
        return schema

    # ------------------------------------------------------------------ checks
    def problems(
        self,
        schema: Any,
        value: Any,
        path: str = "",
        request: bool = True,
        depth: int = 0,
        known: frozenset[str] = frozenset(),
    ) -> list[str]:
        """Why ``value`` does not satisfy ``schema``; each problem names where (``a.b[0]``).

        ``known``: property names an ``allOf`` around this schema declares. allOf reads as
        the models read it, as inheritance: ``additionalProperties: false`` in a part
        (Azure's Resource) or around the parts refuses only names none of them declares.
        """
        schema = self.resolve(schema)
        if schema is False:
            return [f"{_where(path)}: not allowed"]
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return []
        out: list[str] = []
        types = _types(schema)
        kind = _kind(value)
        listed = _list(schema, "enum")
        if (
            types is not None
            and kind not in types
            and not (kind == "integer" and "number" in types)
            # Visual Studio's type: integer, enum: ["0 (User)", ...]: no member has the
            # type, so a member is what the API takes
            and not (value in listed and _textual_member(types, listed, value))
            and not _own_member(types, listed, value)
        ):
            if not (value is None and schema.get("nullable") is True):
                return [f"{_where(path)}: expected {' or '.join(types)}, got {kind}"]
        if value is None and schema.get("nullable") is True:
            return []
        enum = schema.get("enum")
        if (
            isinstance(enum, list)
            and enum
            and value not in enum
            and not _textual_member(types, enum, value)
            and not _items_enum(types, enum)
        ):
            shown = ", ".join(repr(v) for v in enum[:8]) + (", ..." if len(enum) > 8 else "")
            out.append(f"{_where(path)}: {value!r} is not one of {shown}")
        if "const" in schema and value != schema["const"]:
            out.append(f"{_where(path)}: must be {schema['const']!r}")
        parts = schema.get("allOf") or []
        if parts and kind == "object":
            known = known | frozenset(_dict(self._merged(schema), "properties"))
        for part in parts:
            out += self.problems(part, value, path, request, depth + 1, known)
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                found = [self.problems(b, value, path, request, depth + 1) for b in branches]
                if all(found):
                    best = min(found, key=len)
                    out.append(f"{_where(path)}: matches none of {key} ({'; '.join(best[:2])})")
        if kind == "string":
            out += self._string(schema, value, path)
        elif kind in ("integer", "number"):
            out += self._number(schema, value, path)
        elif kind == "array":
            out += self._array(schema, value, path, request, depth)
        elif kind == "object":
            if schema.get("additionalProperties") is False:
                # closed around a oneOf (Jira's CustomFieldContextDefaultValue): the names its
                # branches declare are its own, as the models read it
                for key in ("anyOf", "oneOf"):
                    for branch in _list(schema, key):
                        node = self._merged(self.resolve(branch))
                        if isinstance(node, dict):
                            known = known | frozenset(_dict(node, "properties"))
            out += self._object(schema, value, path, request, depth, known)
        return out

    def _string(self, schema: Mapping[str, Any], value: str, path: str) -> list[str]:
        out = []
        low, high = schema.get("minLength"), schema.get("maxLength")
        if isinstance(low, int) and len(value) < low:
            out.append(f"{_where(path)}: shorter than {low} characters")
        if isinstance(high, int) and len(value) > high:
            out.append(f"{_where(path)}: longer than {high} characters")
        fmt = schema.get("format")
        listed = value in (schema.get("enum") or ())  # Sendgrid's send_at: a date-time or "now"
        checked = isinstance(fmt, str) and fmt in TYPED_FORMATS and not listed
        if checked and not TYPED_FORMATS[str(fmt)](value):
            out.append(f"{_where(path)}: {value[:40]!r} is not a {fmt}")
        pattern = schema.get("pattern")
        # a pattern no engine can run safely is not the caller's fault: not reported
        if isinstance(pattern, str) and pattern_search(pattern, value) is False:
            out.append(f"{_where(path)}: does not match the pattern {pattern!r}")
        return out

    def _number(self, schema: Mapping[str, Any], value: float, path: str) -> list[str]:
        out = []
        low, high, xlow, xhigh = _bounds(schema)
        if low is not None and value < low:
            out.append(f"{_where(path)}: below the minimum {schema.get('minimum')}")
        if high is not None and value > high:
            out.append(f"{_where(path)}: above the maximum {schema.get('maximum')}")
        if xlow is not None and value <= xlow:
            out.append(f"{_where(path)}: must be above {xlow}")
        if xhigh is not None and value >= xhigh:
            out.append(f"{_where(path)}: must be below {xhigh}")
        step = _float(schema.get("multipleOf"))
        if step is not None and step > 0 and abs(value / step - round(value / step)) > 1e-9:
            out.append(f"{_where(path)}: not a multiple of {step}")
        return out

    def _array(
        self, schema: Mapping[str, Any], value: list[Any], path: str, request: bool, depth: int
    ) -> list[str]:
        out = []
        low, high = schema.get("minItems"), schema.get("maxItems")
        if isinstance(low, int) and len(value) < low:
            out.append(f"{_where(path)}: fewer than {low} items")
        if isinstance(high, int) and len(value) > high:
            out.append(f"{_where(path)}: more than {high} items")
        prefix = _list(schema, "prefixItems")
        items = schema.get("items")
        for i, item in enumerate(value):
            sub = prefix[i] if i < len(prefix) else items
            if sub is not None:
                out += self.problems(sub, item, f"{path}[{i}]", request, depth + 1)
        return out

    def _object(
        self,
        schema: Mapping[str, Any],
        value: dict[str, Any],
        path: str,
        request: bool,
        depth: int,
        known: frozenset[str] = frozenset(),
    ) -> list[str]:
        out = []
        props = _dict(schema, "properties")
        dot = f"{path}." if path else ""
        for name in schema.get("required") or []:
            if not isinstance(name, str) or name in value:
                continue
            sub = self.resolve(props.get(name, {}))
            skip = "readOnly" if request else "writeOnly"
            if isinstance(sub, dict) and sub.get(skip) is True:
                continue
            out.append(f"{dot}{name}: required property is missing")
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in props:
                out += self.problems(props[name], item, f"{dot}{name}", request, depth + 1)
            elif name in known:
                continue  # declared by another part of the allOf around: checked there
            elif extra is False and not schema.get("patternProperties"):
                out.append(f"{dot}{name}: unknown property (additionalProperties is false)")
            elif isinstance(extra, dict):
                out += self.problems(extra, item, f"{dot}{name}", request, depth + 1)
        return out

    # ------------------------------------------------------------------ values
    def value(
        self,
        schema: Any,
        rng: random.Random,
        request: bool = False,
        depth: int = 0,
        seen: tuple[int, ...] = (),
    ) -> Any:
        """A value satisfying ``schema`` (as far as this subset can tell), chosen by ``rng``."""
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            marker = id(self.named.get(str(schema["$ref"])[len(SCHEMA_REF) :]))
            if seen.count(marker) > 1 or depth > 12:
                return self._minimal(self.resolve(schema))
            seen = seen + (marker,)
        schema = self._merged(self.resolve(schema))
        if not isinstance(schema, dict):
            return None
        if (
            "example" in schema
            and depth > 0
            and not self.problems(schema, schema["example"], "", request)
            and _of_its_kind(schema, schema["example"])
        ):
            return schema["example"]
        if "const" in schema:
            return schema["const"]
        enum = [v for v in schema.get("enum") or [] if v is not None]
        if enum and not _items_enum(_types(schema), enum):
            return enum[rng.randrange(len(enum))]
        for key in ("oneOf", "anyOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                branch = branches[0]
                rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
                if any(k in rest for k in ("properties", "required", "items")):
                    # the object's own properties under the branch's constraints: GitHub's
                    # and DigitalOcean's anyOf of {required: [...]} only
                    branch = {"allOf": [rest, branch]}
                chosen = self.value(branch, rng, request, depth, seen)
                return self._tagged(schema, branches[0], chosen)
        types = [t for t in (_types(schema) or [_guess(schema)]) if t != "null"]
        kind = types[0] if types else "null"
        if kind == "boolean":
            return False  # False: a synthesised "has_more" ends a pagination
        if kind in ("integer", "number"):
            return self._number_value(schema, rng, kind == "integer")
        if kind == "string":
            return self._string_value(schema, rng)
        if kind == "array":
            items = schema.get("items", {})
            prefix = _list(schema, "prefixItems")
            low = _int(schema, "minItems")
            count = max(low, len(prefix), 1 if depth < 8 else 0)
            return [
                self.value(prefix[i] if i < len(prefix) else items, rng, request, depth + 1, seen)
                for i in range(count)
            ]
        if kind == "object":
            return self._object_value(schema, rng, request, depth, seen)
        return None if kind == "null" else "value"

    def complete(self, schema: Any, value: Any, rng: random.Random, depth: int = 0) -> Any:
        """An example with the required properties it leaves out filled in from the schema."""
        schema = self._merged(self.resolve(schema))
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return value
        branches = [*_list(schema, "anyOf"), *_list(schema, "oneOf")]
        if branches and isinstance(value, (dict, list)):  # completed as the closest branch

            def fit(branch: Any) -> tuple[bool, int]:
                node = self._merged(self.resolve(branch))
                types = _types(node) if isinstance(node, dict) else None
                wrong = types is not None and _kind(value) not in types
                return wrong, len(self.problems(branch, value, "", False))

            best = min(branches, key=fit)
            return self.complete(best, value, rng, depth + 1)
        types, kind = _types(schema), _kind(value)
        if types is None and value is not None and _guess(schema) in ("object", "array"):
            types = [_guess(schema)]  # Azure's Operation: properties, no type; a list example
        widened = kind == "integer" and types is not None and "number" in types
        if types is not None and kind not in types and not widened:  # Zoom: an object, not a list
            return self.value(schema, rng, False, depth + 1)
        if isinstance(value, dict):
            props = _dict(schema, "properties")
            out = dict(value)
            for name in _list(schema, "required"):
                if isinstance(name, str) and name not in out:
                    out[name] = self.value(props.get(name, {}), rng, False, depth + 1)
            extra = schema.get("additionalProperties")
            for name, sub in value.items():
                if name in props:
                    out[name] = self.complete(props[name], sub, rng, depth + 1)
                elif isinstance(extra, dict):  # a map's entries too (Mist's routing_policies)
                    out[name] = self.complete(extra, sub, rng, depth + 1)
            return out
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            return [self.complete(schema["items"], item, rng, depth + 1) for item in value]
        if not isinstance(value, (dict, list)) and self.problems(schema, value, "", False):
            return self.value(schema, rng, False, depth + 1)  # an example its schema refuses
        return value

    def _merged(self, schema: Any) -> Any:
        """allOf folded into one schema (properties and required united)."""
        if not isinstance(schema, dict) or not isinstance(schema.get("allOf"), list):
            return schema
        out: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = self._merged(self.resolve(part))
            if not isinstance(part, dict):
                continue
            for key, sub in part.items():
                if key == "properties" and isinstance(sub, dict):
                    out["properties"] = {**(out.get("properties") or {}), **sub}
                elif key == "required" and isinstance(sub, list):
                    out["required"] = list(dict.fromkeys([*(out.get("required") or []), *sub]))
                else:
                    out.setdefault(key, sub)
        return out

    def _tagged(self, schema: Mapping[str, Any], branch: Any, value: Any) -> Any:
        """Fill in the discriminator's property with the tag naming the chosen branch."""
        disc = schema.get("discriminator")
        if not isinstance(disc, dict) or not isinstance(value, dict):
            return value
        prop = disc.get("propertyName")
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if not isinstance(prop, str):
            return value
        if isinstance(ref, str):
            for key, target in (disc.get("mapping") or {}).items():
                if target == ref or (isinstance(target, str) and ref.endswith("/" + target)):
                    return {**value, prop: key}
        node = self._merged(self.resolve(branch))
        sub = self.resolve(_dict(node, "properties").get(prop)) if isinstance(node, dict) else None
        if isinstance(sub, dict) and ("enum" in sub or "const" in sub):
            # its own value is the tag, as the models read it (exavault's "account"), also
            # where a branch inline leaves it optional (Mailchimp's condition_type "Aim")
            own = sub["const"] if "const" in sub else next(iter(_list(sub, "enum")), None)
            return value if prop in value or own is None else {**value, prop: own}
        return {**value, prop: ref.rsplit("/", 1)[-1]} if isinstance(ref, str) else value

    def _number_value(self, schema: Mapping[str, Any], rng: random.Random, integer: bool) -> Any:
        low, high, xlow, xhigh = _bounds(schema)
        nudge = 1.0 if integer else 0.5
        lo = low if low is not None else (xlow + nudge if xlow is not None else 1.0)
        hi = high if high is not None else (xhigh - nudge if xhigh is not None else lo + 999)
        hi = max(hi, lo)
        step = _float(schema.get("multipleOf"))
        if step is not None and step > 0:
            first = math.ceil(lo / step)
            count = max(int((hi - first * step) // step), 0)
            picked = (first + rng.randint(0, count)) * step
            return int(picked) if integer else float(picked)
        if integer:
            return rng.randint(math.ceil(lo), max(math.floor(hi), math.ceil(lo)))
        return round(rng.uniform(lo, hi), 2)

    def _string_value(self, schema: Mapping[str, Any], rng: random.Random) -> str:
        fmt = schema.get("format")
        text = FORMATS.get(fmt) if isinstance(fmt, str) else None
        if text is None:
            text = f"string-{rng.randrange(1000)}"
        pattern = schema.get("pattern")
        valid = TYPED_FORMATS.get(fmt) if isinstance(fmt, str) else None
        if valid is not None and isinstance(fmt, str):
            for spelling in FORMAT_SPELLINGS.get(fmt, (text,)):
                if _within(spelling, schema) and valid(spelling):
                    return spelling
        if not isinstance(pattern, str):
            return _sized(text, schema, ["x"])
        # GitHub's 40-character sha of pattern ^[0-9a-fA-F]+$: padded with a character
        # the pattern takes (its last one again, as a repeat at its end would); AWS's
        # [0-9]+ of at most 3: the part of "string-123" the pattern found; AWS's
        # (^$)|(^arn:...) of minLength 1: its second alternative
        if _matches(pattern, text):
            sized = _sized(text, schema, ["x", text[-1:], "0", "a"])
            if _matches(pattern, sized):
                return sized
        bases = _pattern_texts(pattern) + [_found(pattern, text), text]
        sized_all = [_sized(b, schema, ["x", b[-1:], "0", "a"]) for b in bases]
        return next((t for t in sized_all if _matches(pattern, t)), sized_all[0])

    def _object_value(
        self,
        schema: Mapping[str, Any],
        rng: random.Random,
        request: bool,
        depth: int,
        seen: tuple[int, ...],
    ) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        skip = "readOnly" if request else "writeOnly"
        out: dict[str, Any] = {}
        for name, sub in props.items():
            resolved = self.resolve(sub)
            if name not in required and (depth >= OPTIONAL_DEPTH or sub is False):
                continue
            if isinstance(resolved, dict) and resolved.get(skip) is True and name not in required:
                continue
            out[name] = self.value(sub, rng, request, depth + 1, seen)
        if request and not out and not required:
            # an empty object in a form body is not sent at all (Stripe's phases[0].items
            # [{}] arrives as no items): a request's object gets its first property
            for name, sub in props.items():
                resolved = self.resolve(sub)
                if sub is not False and not (isinstance(resolved, dict) and resolved.get(skip)):
                    out[name] = self.value(sub, rng, request, depth + 1, seen)
                    break
        extra = schema.get("additionalProperties")
        if request and not out and not props and isinstance(extra, dict) and depth < 8:
            # a map sent empty is not sent at all (a form-exploded query map: AWS's required
            # Attributes): a request's map gets one entry
            out["key"] = self.value(extra, rng, request, depth + 1, seen)
        for name in required:
            if name not in out:
                out[name] = self.value(
                    extra if isinstance(extra, dict) else {}, rng, request, depth + 1, seen
                )
        return out

    def _minimal(self, schema: Any, depth: int = 0) -> Any:
        """The smallest value of a schema met again while recursing: an object with its
        required properties only (Dracoon's nodes: children [{id, ...}]), a few levels."""
        schema = self._merged(self.resolve(schema))
        if not isinstance(schema, dict):
            return None
        types = _types(schema) or [_guess(schema)]
        if "null" in types:
            return None
        enum = [v for v in _list(schema, "enum") if v is not None]
        if enum:
            return enum[0]
        kind = types[0]
        if kind == "object" and depth < MINIMAL_DEPTH:
            props = _dict(schema, "properties")
            required = [n for n in _list(schema, "required") if isinstance(n, str)]
            return {n: self._minimal(props.get(n, {}), depth + 1) for n in required}
        fmt = schema.get("format")
        if kind == "string" and isinstance(fmt, str) and fmt in FORMATS:
            return FORMATS[fmt]
        return {"array": [], "object": {}, "string": "", "boolean": False}.get(kind, 0)


def _within(text: str, schema: Mapping[str, Any]) -> bool:
    """``text`` is of the schema's lengths and matches its pattern, as it is."""
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(text) < low or isinstance(high, int) and len(text) > high:
        return False
    pattern = schema.get("pattern")
    return not isinstance(pattern, str) or _matches(pattern, text)


def _sized(text: str, schema: Mapping[str, Any], fills: list[str]) -> str:
    """``text`` within minLength and maxLength: padded with the first of ``fills`` that keeps
    the pattern (the first one when none does), or cut."""
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(text) < low:
        pattern = schema.get("pattern")
        padded = [text + c * (low - len(text)) for c in fills if c]
        fitting = [t for t in padded if not isinstance(pattern, str) or _matches(pattern, t)]
        text = (fitting or padded)[0]
    if isinstance(high, int) and len(text) > high:
        text = text[:high]
    return text


def _items_enum(types: list[str] | None, enum: list[Any]) -> bool:
    """An array's enum of scalars (id4i's ``type``): its items' enum, said once more at
    the wrong level; no array equals a scalar, so it is not read there."""
    return types == ["array"] and not any(isinstance(v, list) for v in enum)


def _list(schema: Mapping[str, Any], key: str) -> list[Any]:
    value = schema.get(key)
    return value if isinstance(value, list) else []


def _dict(schema: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = schema.get(key)
    return value if isinstance(value, dict) else {}


def _int(schema: Mapping[str, Any], key: str) -> int:
    value = schema.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, ...]:
    """(minimum, maximum, exclusive minimum, exclusive maximum), 3.0 booleans read as 3.1."""
    low, high = _float(schema.get("minimum")), _float(schema.get("maximum"))
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    xlow_v = low if xlow is True else _float(xlow)
    xhigh_v = high if xhigh is True else _float(xhigh)
    return (None if xlow is True else low, None if xhigh is True else high, xlow_v, xhigh_v)


def _guess(schema: Mapping[str, Any]) -> str:
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
        return "string"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
        return "number"
    return "any"


def _matches(pattern: str, text: str) -> bool:
    return pattern_search(pattern, text) is not False


def _of_its_kind(schema: Mapping[str, Any], value: Any) -> bool:
    """False for an object's or array's example of another kind (microcks: an object's
    example written as JSON text, where the schema has properties and no type)."""
    if _types(schema) is not None or value is None:
        return True
    guessed = _guess(schema)
    return guessed not in ("object", "array") or _kind(value) == guessed


def _found(pattern: str, text: str) -> str:
    """The part of ``text`` the pattern finds ("" when none, or not one to run safely)."""
    return pattern_found(pattern, text)


def _for_pattern(pattern: str) -> str | None:
    """A string matching ``pattern``, built from the stdlib's parse of it; None if none found."""
    found = _pattern_texts(pattern, 1)
    return found[0] if found else None


def _pattern_texts(pattern: str, most: int = 4) -> list[str]:
    """Up to ``most`` distinct strings matching ``pattern``: repeats at their minimum (+ an
    extra one where the minimum is 0), each alternative of ``a|b`` in turn."""
    try:
        parsed = _regex_parser.parse(pattern)
    except Exception:  # noqa: BLE001 - not a Python pattern (or a parser of another version)
        return []
    out: list[str] = []
    for choice in range(4):
        for extra in (1, 0, 2):
            groups: dict[int, str] = {}
            ahead: list[str] = []  # what the lookaheads at the start want: put first
            try:
                text = _emit(parsed, extra, groups, 0, ahead, choice)
            except (ValueError, TypeError, IndexError, RecursionError):
                continue
            for candidate in (text, "".join(ahead) + text):
                if candidate not in out and _matches(pattern, candidate):
                    out.append(candidate)
                    break
            if len(out) >= most:
                return out
    return out


_CATEGORY_CHAR = {str(_DIGIT): "1", str(_WORD): "a", str(_SPACE): " "}
MAX_REPEAT_EMITTED = 64  # a pattern's minimum count beyond this is not synthesised


def _char_in(items: Any) -> str:
    """A character of a class ``[...]`` (the first one it allows; negated classes: a letter)."""
    negated = any(str(op) == "NEGATE" for op, _ in items)
    if negated:
        banned = {chr(av) for op, av in items if str(op) == "LITERAL"}
        return next(c for c in "aA1-_x" if c not in banned)
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            return chr(av)
        if name == "RANGE":
            low, high = av
            for c in "a1A":  # a readable member when the range has one
                if low <= ord(c) <= high:
                    return c
            return chr(low)
        if name == "CATEGORY":
            return _CATEGORY_CHAR.get(str(av), "a")
    return "a"


def _emit(
    parsed: Any,
    extra: int,
    groups: dict[int, str],
    depth: int,
    ahead: list[str] | None = None,
    choice: int = 0,
) -> str:
    if depth > 40:
        raise ValueError("pattern too deep")
    out: list[str] = []
    for op, av in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(av) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_char_in(av))
        elif name == "CATEGORY":
            out.append(_CATEGORY_CHAR.get(str(av), "a"))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, item = av
            count = low if low > 0 else min(extra, high)
            if count > MAX_REPEAT_EMITTED:
                raise ValueError("repeat too long")
            out.extend(_emit(item, extra, groups, depth + 1, None, choice) for _ in range(count))
        elif name == "SUBPATTERN":
            group, item = av[0], av[-1]
            text = _emit(item, extra, groups, depth + 1, None, choice)
            if group is not None:
                groups[group] = text
            out.append(text)
        elif name == "ATOMIC_GROUP":
            out.append(_emit(av, extra, groups, depth + 1, None, choice))
        elif name == "BRANCH":
            branches = av[1]
            picked = branches[min(choice, len(branches) - 1)]
            out.append(_emit(picked, extra, groups, depth + 1, None, choice))
        elif name == "GROUPREF":
            out.append(groups.get(av, ""))
        elif name == "ASSERT" and ahead is not None and av[0] == 1 and not out:
            # Azure's passwords: ^(?=.*[a-z])(?=.*[A-Z])...: a lookahead before anything
            # else is met by what it looks for, put at the start
            ahead.append(_emit(av[1], 0, groups, depth + 1))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:
            raise ValueError(f"pattern element {name}")
    return "".join(out)
