"""What changes for users of a generated client between two versions of a spec.

``apigen diff`` compares what build produced, the IR: the Python surface (resources,
method names, arguments, client keyword arguments, auth) and the schemas the models
are generated from (fields of request and response models), so it reports what a
caller of the generated client notices rather than every edit of the YAML. Each change
says whether it breaks existing callers, so CI can gate a regeneration on it (oasdiff
does the same for HTTP clients in general; this is the Python-client view).

Rules of thumb: a request may accept more and a response may return less without
breaking anyone; the reverse breaks. "Less" is what a client generated from the
old spec reads without a problem: its enums are open (a new or undeclared value
is kept), its models keep unknown fields, and an optional field already reads as
None, so none of these break; a response field that may now be missing or null
where the old model requires a value, or a new type, does. Names (methods,
arguments, client keyword arguments) are API in Python, so renaming one is breaking.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Iterable, TextIO

from .build import build_api
from .console import say_lines
from .diagnostics import escape_pointer_token
from .ir import Api, Operation, Parameter, Response
from .loader import load
from .normalize import normalize

MAX_DEPTH = 32  # schema nesting followed; deeper differences are not reported
FORMATS = ("text", "markdown", "json")

# kind -> what it means; the breaking flag is decided per change (see the rules above)
KINDS: dict[str, str] = {
    "base-url-changed": "the default base URL of the client changed",
    "security-scheme-added": "the Client gained an optional credential argument",
    "security-scheme-removed": "a credential argument of the Client is gone",
    "security-scheme-changed": "a credential changed kind, name or place",
    "operation-added": "a new method",
    "operation-removed": "a method is gone",
    "operation-renamed": "a method has a new Python name (usually a new operationId)",
    "operation-moved": "a method moved to another resource attribute of the client (new first tag)",
    "operation-security-changed": "the credentials an operation needs changed",
    "parameter-added-required": "a new required argument",
    "parameter-added-optional": "a new optional argument",
    "parameter-removed": "an argument is gone",
    "parameter-renamed": "an argument has a new Python name",
    "parameter-retyped": "an argument has a new type",
    "parameter-became-required": "an optional argument is now required",
    "parameter-became-optional": "a required argument is now optional",
    "request-body-added": "the method gained a body argument",
    "request-body-removed": "the body argument is gone",
    "request-body-retyped": "the body has a new type",
    "request-body-became-required": "the body argument is now required",
    "request-field-added-required": "a new required field in a request model",
    "request-field-added-optional": "a new optional field in a request model",
    "request-field-removed": "a field of a request model is gone",
    "request-field-retyped": "a field of a request model has a new type",
    "request-field-became-required": "an optional request field is now required",
    "request-enum-value-added": "a request enum accepts a new value",
    "request-enum-value-removed": "a request enum no longer accepts a value",
    "response-retyped": "the method returns a different type",
    "response-field-added": "a new field in a response model",
    "response-field-removed": "a field of a response model is gone",
    "response-field-retyped": "a field of a response model has a new type",
    "response-field-became-optional": "a response field may now be missing (None)",
    "response-enum-value-added": "a response enum has a new value",
    "response-enum-value-removed": "a response enum no longer has a value",
}


@dataclass(frozen=True)
class Change:
    """One difference a user of the generated client can notice."""

    kind: str
    operation: str  # "GET /pets"; "" for the client as a whole
    location: str  # JSON-pointer-ish, relative to the operation
    message: str
    breaking: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_DEFS = "#/$defs/"  # how the IR's schemas refer to Api.models


@dataclass(frozen=True)
class _Side:
    """One version, as build produced it: its IR, and its operations by endpoint."""

    api: Api
    ops: dict[tuple[str, str], tuple[str, Operation]]  # (METHOD, path, {} holes) -> (res, op)

    @property
    def models(self) -> dict[str, Any]:
        return self.api.models


def _path_key(path: str) -> str:
    # a renamed path template variable is the same endpoint on the wire
    return re.sub(r"\{[^}]*\}", "{}", path)


def _side(api: Api) -> _Side:
    ops = {
        (op.method, _path_key(op.path)): (res.dotted, op)
        for res in api.resources
        for op in res.operations
    }
    return _Side(api, ops)


def load_spec(source: str) -> dict[str, Any]:
    """Load and normalise a spec (path or URL); ApigenError on bad input, as elsewhere."""
    return normalize(load(source))


def diff_apis(old: Api, new: Api) -> list[Change]:
    """Changes between two IRs, API-level first, then by operation."""
    return _Differ(_side(old), _side(new)).run()


def diff_specs(old_spec: dict[str, Any], new_spec: dict[str, Any]) -> list[Change]:
    """Changes between two normalised specs: each built into its IR, then compared."""
    return diff_apis(build_api(old_spec), build_api(new_spec))


def diff_sources(old: str, new: str) -> list[Change]:
    return diff_specs(load_spec(old), load_spec(new))


# --------------------------------------------------------------------------- schemas


def _types(schema: dict[str, Any]) -> frozenset[str]:
    """A schema's shape as type tokens ('string:date-time', 'integer:enum', 'null', 'any').

    Names of model classes are deliberately not part of it: they follow from
    operationIds and context, and a rename alone changes nothing a caller does.
    """
    union = [m for m in (schema.get("oneOf") or schema.get("anyOf") or []) if isinstance(m, dict)]
    if union:
        out: set[str] = set()
        for member in union:
            out |= _types(member)
        return frozenset(out)
    kind = schema.get("type")
    kinds = (
        [str(k) for k in kind]
        if isinstance(kind, list)
        else [str(kind)]
        if isinstance(kind, str)
        else []
    )
    enum = schema.get("enum")
    has_enum = isinstance(enum, list) and any(v is not None for v in enum)
    if not kinds:
        if "properties" in schema or "additionalProperties" in schema:
            kinds = ["object"]
        elif "items" in schema:
            kinds = ["array"]
        elif has_enum:
            assert isinstance(enum, list)
            kinds = sorted(
                {
                    "string"
                    if isinstance(v, str)
                    else "boolean"
                    if isinstance(v, bool)
                    else "integer"
                    if isinstance(v, int)
                    else "number"
                    for v in enum
                    if v is not None
                }
            )
        elif "$ref" in schema:
            kinds = ["object"]  # an unresolvable or cyclic reference: assume a model
        else:
            return frozenset({"any"})
    tokens = set()
    for k in kinds:
        token = k
        if k == "string" and schema.get("format") in ("date-time", "date", "uuid", "binary"):
            token += ":" + str(schema["format"])
        if has_enum and k in ("string", "integer", "number", "boolean"):
            token += ":enum"
        tokens.add(token)
    return frozenset(tokens)


def _within(narrow: frozenset[str], wide: frozenset[str]) -> bool:
    """Whether every value of ``narrow`` is a value of ``wide`` (an int is a valid float)."""
    if "any" in wide:
        return True
    for token in narrow:
        if token in wide or token.split(":")[0] in wide:
            continue
        if token.split(":")[0] == "integer" and "number" in wide:
            continue
        return False
    return True


def _readable(types: frozenset[str]) -> frozenset[str]:
    """What a generated model of these types reads without a problem: its enums are open,
    so an enum of strings (or integers) takes any string (or integer)."""
    return frozenset(t.removesuffix(":enum") for t in types)


def _show(types: frozenset[str]) -> str:
    return " | ".join(sorted(types, key=lambda t: (t == "null", t)))


def _enum_values(schema: dict[str, Any]) -> list[Any]:
    enum = schema.get("enum")
    return [v for v in enum if v is not None] if isinstance(enum, list) else []


# --------------------------------------------------------------------------- comparing


def _alternatives(security: tuple[tuple[str, ...], ...]) -> set[frozenset[str]]:
    return {frozenset(a) for a in security} or {frozenset()}


def _show_security(alts: set[frozenset[str]]) -> str:
    return " or ".join(sorted(" + ".join(sorted(a)) or "no auth" for a in alts))


class _Differ:
    def __init__(self, old: _Side, new: _Side) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self.label = ""

    def add(self, kind: str, location: str, message: str, breaking: bool) -> None:
        assert kind in KINDS, kind
        self.changes.append(Change(kind, self.label, location, message, breaking))

    def run(self) -> list[Change]:
        self.client()
        for key in sorted(set(self.old.ops) | set(self.new.ops), key=lambda k: (k[1], k[0])):
            old, new = self.old.ops.get(key), self.new.ops.get(key)
            if old and new:
                self.operation(old, new)
            elif old:
                self.label = f"{old[1].method} {old[1].path}"
                self.add(
                    "operation-removed", "", f"method {old[0]}.{old[1].py_name} was removed", True
                )
            elif new:
                self.label = f"{new[1].method} {new[1].path}"
                self.add("operation-added", "", f"new method {new[0]}.{new[1].py_name}", False)
        return self.changes

    # -------------------------------------------------------------- client level

    def client(self) -> None:
        self.label = ""
        old_api, new_api = self.old.api, self.new.api
        if old_api.base_url != new_api.base_url:
            self.add(
                "base-url-changed",
                "/servers/0/url",
                f"default base URL changed from {old_api.base_url!r} to {new_api.base_url!r}",
                False,
            )
        old_schemes = {s.name: s for s in old_api.security_schemes}
        new_schemes = {s.name: s for s in new_api.security_schemes}
        for name in sorted(set(old_schemes) | set(new_schemes)):
            where = "/components/securitySchemes/" + escape_pointer_token(name)
            before, after = old_schemes.get(name), new_schemes.get(name)
            if before and not after:
                self.add(
                    "security-scheme-removed",
                    where,
                    f"security scheme {name!r} was removed: "
                    f"Client({before.py_name}=...) is no longer accepted",
                    True,
                )
            elif after and not before:
                self.add(
                    "security-scheme-added",
                    where,
                    f"security scheme {name!r} ({after.kind}) was added: "
                    f"Client accepts {after.py_name}=...",
                    False,
                )
            elif before and after:
                if (before.py_name, before.kind, before.location, before.param_name) != (
                    after.py_name,
                    after.kind,
                    after.location,
                    after.param_name,
                ):
                    breaking = before.py_name != after.py_name or before.kind != after.kind
                    self.add(
                        "security-scheme-changed",
                        where,
                        f"security scheme {name!r} changed from {before.kind} {before.py_name}= "
                        f"to {after.kind} {after.py_name}=",
                        breaking,
                    )

    # -------------------------------------------------------------- operations

    def operation(self, old: tuple[str, Operation], new: tuple[str, Operation]) -> None:
        (old_res, old_op), (new_res, new_op) = old, new
        self.label = f"{new_op.method} {new_op.path}"
        if old_res != new_res:
            self.add(
                "operation-moved",
                "",
                f"method moved from client.{old_res}.{old_op.py_name} "
                f"to client.{new_res}.{new_op.py_name}",
                True,
            )
        if old_op.py_name != new_op.py_name:
            why = (
                f" (operationId {old_op.operation_id!r} -> {new_op.operation_id!r})"
                if old_op.operation_id != new_op.operation_id
                else ""
            )
            self.add(
                "operation-renamed",
                "",
                f"method {new_res}.{old_op.py_name} is now {new_res}.{new_op.py_name}{why}",
                True,
            )
        self.parameters(old_op, new_op)
        self.body(old_op, new_op)
        self.responses(old_op, new_op)
        old_sec = _alternatives(
            old_op.security if old_op.security is not None else self.old.api.default_security
        )
        new_sec = _alternatives(
            new_op.security if new_op.security is not None else self.new.api.default_security
        )
        if old_sec != new_sec:
            # breaking unless every old way of authenticating is still enough
            breaking = not all(any(n <= o for n in new_sec) for o in old_sec)
            self.add(
                "operation-security-changed",
                "/security",
                f"security changed from {_show_security(old_sec)} to {_show_security(new_sec)}",
                breaking,
            )

    def parameters(self, old_op: Operation, new_op: Operation) -> None:
        old_left = {(p.location, p.name): p for p in old_op.parameters}
        new_left = {(p.location, p.name): p for p in new_op.parameters}
        pairs = [(old_left.pop(k), new_left.pop(k)) for k in list(old_left) if k in new_left]
        # a path variable renamed in the template: same position, same endpoint
        holes_old = re.findall(r"{([^}]+)}", old_op.path)
        holes_new = re.findall(r"{([^}]+)}", new_op.path)
        for before_name, after_name in zip(holes_old, holes_new):
            if ("path", before_name) in old_left and ("path", after_name) in new_left:
                pairs.append(
                    (old_left.pop(("path", before_name)), new_left.pop(("path", after_name)))
                )
        # the wire name changed but the Python argument did not
        for key, before in list(old_left.items()):
            match = next(
                (
                    k
                    for k, p in new_left.items()
                    if p.location == before.location and p.py_name == before.py_name
                ),
                None,
            )
            if match is not None:
                pairs.append((old_left.pop(key), new_left.pop(match)))
        for p in old_left.values():
            self.add(
                "parameter-removed",
                _param_loc(p),
                f"argument {p.py_name} ({p.location} parameter {p.name!r}) was removed",
                True,
            )
        for p in new_left.values():
            if p.required:
                self.add(
                    "parameter-added-required",
                    _param_loc(p),
                    f"new required argument {p.py_name}: {p.type.expr} "
                    f"({p.location} parameter {p.name!r})",
                    True,
                )
            else:
                self.add(
                    "parameter-added-optional",
                    _param_loc(p),
                    f"new optional argument {p.py_name}: {p.type.expr} "
                    f"({p.location} parameter {p.name!r})",
                    False,
                )
        for before, after in pairs:
            where = _param_loc(after)
            if before.py_name != after.py_name:
                self.add(
                    "parameter-renamed",
                    where,
                    f"argument {before.py_name} is now {after.py_name}",
                    True,
                )
            if not before.required and after.required:
                self.add(
                    "parameter-became-required",
                    where,
                    f"argument {after.py_name} is now required",
                    True,
                )
            elif before.required and not after.required:
                self.add(
                    "parameter-became-optional",
                    where,
                    f"argument {after.py_name} is now optional",
                    False,
                )
            self.schema(
                _param_schema(before),
                _param_schema(after),
                "request",
                where,
                "parameter-retyped",
                f"argument {after.py_name}",
            )

    def body(self, old_op: Operation, new_op: Operation) -> None:
        before, after = old_op.body, new_op.body
        if before is None and after is None:
            return
        if before is None and after is not None:
            kind = "request-body-added"
            self.add(
                kind,
                "/requestBody",
                f"new {'required' if after.required else 'optional'} argument "
                f"{after.py_name}: {after.type.expr}",
                after.required,
            )
            return
        if after is None and before is not None:
            self.add(
                "request-body-removed",
                "/requestBody",
                f"argument {before.py_name} was removed",
                True,
            )
            return
        assert before is not None and after is not None
        if before.py_name != after.py_name:
            self.add(
                "parameter-renamed",
                "/requestBody",
                f"argument {before.py_name} is now {after.py_name}",
                True,
            )
        if not before.required and after.required:
            self.add(
                "request-body-became-required",
                "/requestBody",
                f"argument {after.py_name} is now required",
                True,
            )
        if before.kind != after.kind and not {before.kind, after.kind} <= {"form", "multipart"}:
            self.add(
                "request-body-retyped",
                "/requestBody",
                f"body changed from {before.kind} ({before.type.expr}) "
                f"to {after.kind} ({after.type.expr})",
                True,
            )
            return
        self.schema(
            before.schema or {},
            after.schema or {},
            "request",
            "/requestBody",
            "request-body-retyped",
            f"argument {after.py_name}",
        )

    def responses(self, old_op: Operation, new_op: Operation) -> None:
        old_ok, new_ok = _success(old_op), _success(new_op)
        pairs = [(old_ok.pop(s), new_ok.pop(s)) for s in list(old_ok) if s in new_ok]
        if (
            len(old_ok) == 1 and len(new_ok) == 1
        ):  # e.g. 200 became 201: still the one success response
            pairs.append((old_ok.popitem()[1], new_ok.popitem()[1]))
        if old_ok or new_ok:
            if old_op.return_type.expr != new_op.return_type.expr:
                self.add(
                    "response-retyped",
                    "/responses",
                    f"return type changed from {old_op.return_type.expr} "
                    f"to {new_op.return_type.expr}",
                    True,
                )
        for before, after in pairs:
            where = "/responses/" + after.status
            if before.kind != after.kind:
                self.add(
                    "response-retyped",
                    where,
                    f"response changed from {before.kind} to {after.kind} "
                    f"(return type {old_op.return_type.expr} -> {new_op.return_type.expr})",
                    True,
                )
            elif before.kind == "json":
                self.schema(
                    before.schema or {},
                    after.schema or {},
                    "response",
                    where,
                    "response-retyped",
                    "return value",
                )

    # -------------------------------------------------------------- schemas

    def schema(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        direction: str,
        where: str,
        root_kind: str,
        what: str,
    ) -> None:
        self._walk(old, new, direction, where, root_kind, what, 0, frozenset())

    def _walk(
        self,
        old: Any,
        new: Any,
        direction: str,
        where: str,
        retype_kind: str,
        what: str,
        depth: int,
        seen: frozenset[tuple[str, str]],
        optional: bool = False,
    ) -> None:
        """Compare two schemas; ``optional``: an optional field (its model type admits None)."""
        if depth > MAX_DEPTH:
            return
        old_models, new_models = self.old.models, self.new.models
        old_schema, old_ref = _resolve(old_models, old)
        new_schema, new_ref = _resolve(new_models, new)
        old_schema, old_ref = _unwrap_nullable(
            old_models, _merge_all_of(old_models, old_schema), old_ref
        )
        new_schema, new_ref = _unwrap_nullable(
            new_models, _merge_all_of(new_models, new_schema), new_ref
        )
        if old_ref or new_ref:
            pair = (old_ref, new_ref)
            if pair in seen:  # a recursive schema: this pair is already being compared further up
                return
            seen = seen | {pair}
        old_types, new_types = _types(old_schema), _types(new_schema)
        if old_types != new_types:
            # a request may accept more, a response may return less than a deployed
            # client reads: its enums are open, and an optional field takes None
            if direction == "request":
                ok = _within(old_types, new_types)
            else:
                ok = _within(new_types, _readable(old_types) | ({"null"} if optional else set()))
            self.add(
                retype_kind,
                where,
                f"{what}: type changed from {_show(old_types)} to {_show(new_types)}",
                not ok,
            )
        self._enums(old_schema, new_schema, direction, where, what)
        shared = {t.split(":")[0] for t in old_types} & {t.split(":")[0] for t in new_types}
        # an element type is part of the type of whatever holds it: same kind of change
        if "array" in shared:
            self._walk(
                old_schema.get("items") or {},
                new_schema.get("items") or {},
                direction,
                where + "/[]",
                retype_kind,
                f"items of {what}",
                depth + 1,
                seen,
            )
        if "object" not in shared:
            return
        if isinstance(old_schema.get("additionalProperties"), dict) and isinstance(
            new_schema.get("additionalProperties"), dict
        ):
            self._walk(
                old_schema["additionalProperties"],
                new_schema["additionalProperties"],
                direction,
                where + "/{}",
                retype_kind,
                f"values of {what}",
                depth + 1,
                seen,
            )
        self._fields(old_schema, new_schema, direction, where, depth, seen)

    def _fields(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        direction: str,
        where: str,
        depth: int,
        seen: frozenset[tuple[str, str]],
    ) -> None:
        old_props, new_props = _props(old), _props(new)
        old_req, new_req = _required(old), _required(new)
        names = list(old_props) + [n for n in new_props if n not in old_props]
        for name in names:
            at = where + "/" + escape_pointer_token(name)
            if name not in new_props:
                if direction == "response" and name not in old_req:
                    # deployed clients read None, as the field's type always allowed
                    self.add(
                        "response-field-removed",
                        at,
                        f"optional field {name!r} was removed: it reads as None",
                        False,
                    )
                else:
                    self.add(f"{direction}-field-removed", at, f"field {name!r} was removed", True)
            elif name not in old_props:
                if direction == "response":
                    self.add("response-field-added", at, f"new field {name!r}", False)
                elif name in new_req:
                    self.add(
                        "request-field-added-required", at, f"new required field {name!r}", True
                    )
                else:
                    self.add(
                        "request-field-added-optional", at, f"new optional field {name!r}", False
                    )
            else:
                if direction == "request" and name in new_req and name not in old_req:
                    self.add(
                        "request-field-became-required", at, f"field {name!r} is now required", True
                    )
                elif direction == "response" and name in old_req and name not in new_req:
                    self.add(
                        "response-field-became-optional",
                        at,
                        f"field {name!r} is no longer required: it may be None",
                        True,
                    )
                self._walk(
                    old_props[name],
                    new_props[name],
                    direction,
                    at,
                    f"{direction}-field-retyped",
                    f"field {name!r}",
                    depth + 1,
                    seen,
                    name not in old_req,
                )

    def _enums(
        self, old: dict[str, Any], new: dict[str, Any], direction: str, where: str, what: str
    ) -> None:
        before, after = _enum_values(old), _enum_values(new)
        if not before or not after:
            return  # gaining or losing the enum itself shows as a type change
        for value in after:
            if value not in before:
                note = (
                    ": potentially breaking for exhaustive matches on the enum"
                    if direction == "response"
                    else ""
                )
                self.add(
                    f"{direction}-enum-value-added",
                    where,
                    f"{what}: new enum value {value!r}{note}",
                    False,
                )
        for value in before:
            if value not in after:
                self.add(
                    f"{direction}-enum-value-removed",
                    where,
                    f"{what}: enum value {value!r} was removed",
                    direction == "request",
                )


def _success(op: Operation) -> dict[str, Response]:
    ok = {r.status: r for r in op.responses if r.is_success}
    return ok or {r.status: r for r in op.responses if r.status == "default"}


def _param_loc(p: Parameter) -> str:
    return f"/parameters/{p.location}/{escape_pointer_token(p.name)}"


def _param_schema(p: Parameter) -> dict[str, Any]:
    """A parameter's schema; one declaring none is a string (its argument is a ``str``)."""
    return p.schema if p.schema is not None else {"type": "string"}


def _deref(models: dict[str, Any], node: Any) -> Any:
    return _resolve(models, node)[0]


def _resolve(models: dict[str, Any], node: Any) -> tuple[Any, str]:
    """Follow a chain of ``$ref``s into the models; the target and the last ref followed."""
    ref = ""
    for _ in range(MAX_DEPTH):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            break
        ref = node["$ref"]
        node = models.get(ref[len(_DEFS) :]) if ref.startswith(_DEFS) else None
        if node is None:
            return {}, ref
    return (node if isinstance(node, dict) else {}), ref


def _merge_all_of(models: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """allOf members folded into one object schema: the fields a model ends up with."""
    members = schema.get("allOf")
    if not isinstance(members, list) or depth > MAX_DEPTH:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    props: dict[str, Any] = {}
    required: list[str] = []
    for member in members:
        part = _merge_all_of(models, _deref(models, member), depth + 1)
        props.update(_props(part))
        required += _required(part)
        for key, value in part.items():
            if key not in ("properties", "required"):
                merged.setdefault(key, value)
    props.update(_props(schema))
    required += _required(schema)
    if props:
        merged["properties"] = props
    if required:
        merged["required"] = sorted(set(required))
    return merged


def _unwrap_nullable(
    models: dict[str, Any], schema: dict[str, Any], ref: str
) -> tuple[dict[str, Any], str]:
    """``anyOf: [X, {type: null}]`` (3.0's nullable $ref, normalised) compares as X plus null.

    Returns the schema and the ref it stands for (X's, when X is a reference), so
    cycles through nullable references are caught too.
    """
    for key in ("anyOf", "oneOf"):
        members = schema.get(key)
        if not isinstance(members, list):
            continue
        real = [m for m in members if not (isinstance(m, dict) and m.get("type") == "null")]
        if len(real) == 1 and len(members) == 2:
            target, target_ref = _resolve(models, real[0])
            inner = _merge_all_of(models, target)
            kinds = sorted({t.split(":")[0] for t in _types(inner)} - {"null", "any"})
            return ({**inner, "type": kinds + ["null"]} if kinds else inner), target_ref or ref
    return schema, ref


def _props(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    return {str(k): v for k, v in props.items()} if isinstance(props, dict) else {}


def _required(schema: dict[str, Any]) -> list[str]:
    req = schema.get("required")
    return [str(r) for r in req] if isinstance(req, list) else []


# --------------------------------------------------------------------------- output


def counts(changes: Iterable[Change]) -> dict[str, int]:
    changes = list(changes)
    breaking = sum(1 for c in changes if c.breaking)
    return {"breaking": breaking, "non_breaking": len(changes) - breaking, "total": len(changes)}


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _clean(text: str) -> str:
    """Spec strings are untrusted: no control characters reach a terminal or a comment."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _md(text: str) -> str:
    """Markdown table cell text, specials escaped: a spec cannot inject markup into a PR comment."""
    text = _clean(text)
    return re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", text)


def format_text(changes: list[Change]) -> str:
    if not changes:
        return "No changes for users of the generated client.\n"
    n = counts(changes)
    lines = [
        f"{n['breaking']} breaking, {n['non_breaking']} other changes "
        "for users of the generated client"
    ]
    for title, group in (
        ("Breaking changes", [c for c in changes if c.breaking]),
        ("Other changes", [c for c in changes if not c.breaking]),
    ):
        if not group:
            continue
        lines += ["", f"{title} ({len(group)}):"]
        for c in group:
            lines.append(
                f"  {_clean(c.operation or 'client')}: {_clean(c.message)}  "
                f"[{c.kind} at {_clean(c.location) or '/'}]"
            )
    return "\n".join(lines) + "\n"


def format_markdown(changes: list[Change]) -> str:
    n = counts(changes)
    if not changes:
        return "**apigen diff**: no changes for users of the generated client.\n"
    breaking, other = n["breaking"], n["non_breaking"]
    lines = [
        f"**apigen diff**: {breaking} breaking change{'s' if breaking != 1 else ''}, "
        f"{other} other change{'s' if other != 1 else ''}"
    ]
    for title, group in (
        ("Breaking changes", [c for c in changes if c.breaking]),
        ("Other changes", [c for c in changes if not c.breaking]),
    ):
        if not group:
            continue
        lines += [
            "",
            f"### {title}",
            "",
            "| Operation | Change | Location | Details |",
            "| --- | --- | --- | --- |",
        ]
        for c in group:
            lines.append(
                f"| {_md(c.operation) or 'client'} | {c.kind} | {_md(c.location) or '/'} "
                f"| {_md(c.message)} |"
            )
    return "\n".join(lines) + "\n"


def format_json(changes: list[Change]) -> str:
    return (
        json.dumps({"counts": counts(changes), "changes": [c.as_dict() for c in changes]}, indent=2)
        + "\n"
    )


def render(changes: list[Change], fmt: str = "text") -> str:
    return {"text": format_text, "markdown": format_markdown, "json": format_json}[fmt](changes)


def run(
    old: str, new: str, fmt: str = "text", fail_on_breaking: bool = False, out: TextIO | None = None
) -> int:
    """The ``apigen diff`` command: print the report; 1 when asked to fail and something breaks."""
    changes = diff_sources(old, new)
    say_lines(render(changes, fmt), stream=out)
    return 1 if fail_on_breaking and any(c.breaking for c in changes) else 0
