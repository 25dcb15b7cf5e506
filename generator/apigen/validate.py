"""Checking a document against the OpenAPI schema with openapi-spec-validator.

Real-world specs are often slightly off the standard yet perfectly usable, so
findings are warnings by default; ``--strict`` turns them into errors. Only
problems that make a document unusable (bad refs, no paths object) stop a run,
and those are raised by the normaliser, which knows the exact place.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import warnings
from collections import deque
from collections.abc import Callable
from typing import Any, Iterable, Iterator, Literal, Self, SupportsIndex

from .cache import Cache, digest
from .diagnostics import ApigenError, Diagnostic, pointer
from .loader import Document
from .ref_policy import RefPolicy, validator_handlers

MAX_FINDINGS = 50


def _validator_class(data: dict[str, Any]) -> Any:
    import openapi_spec_validator as osv

    if "swagger" in data:
        return _placing(osv.OpenAPIV2SpecValidator)
    if str(data.get("openapi", "")).startswith("3.1"):
        return _placing(osv.OpenAPIV31SpecValidator)
    return _placing(osv.OpenAPIV30SpecValidator)


# Set on a finding by the keyword validator that yielded it: the path (as the
# validator walked it, through $refs) of the part it checked.
_WALKED = "_apigen_walked"


@functools.cache
def _placing(validator_class: Any) -> Any:
    """The spec validator whose keyword validators say which part each finding is about.

    openapi-spec-validator checks schemas, parameters and operations one part at a
    time; a finding from such a check carries a path relative to that part (or
    none), so on its own it would be reported at the document's first line.
    """
    known = getattr(validator_class, "keyword_validators", None)
    if not isinstance(known, dict) or not all(
        callable(getattr(c, "__call__", None)) for c in known.values()
    ):
        return validator_class  # not the layout of 0.8 to 0.9: findings as the validator gives them
    keywords = {name: _placing_keyword(cls, name == "default") for name, cls in known.items()}
    return type(validator_class.__name__, (validator_class,), {"keyword_validators": keywords})


def _placing_keyword(cls: Any, checks_default: bool) -> Any:
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        paths = (a for a in args if hasattr(a, "parts") and hasattr(a, "read_value"))
        walked = next((tuple(a.parts) for a in paths), None)
        if walked is not None and checks_default:
            walked += ("default",)  # the value checked is the schema's (or parameter's) default
        for error in cls.__call__(self, *args, **kwargs):
            if walked is not None and not hasattr(error, _WALKED):
                if not isinstance(error, OpenAPIValidationError):
                    # what the spec validator would wrap it in (dropping our mark)
                    error = OpenAPIValidationError.create_from(error)
                setattr(error, _WALKED, walked)
            yield error

    return type(cls.__name__, (cls,), {"__call__": __call__})


def _through_refs(data: Any, node: Any, where: list[Any]) -> tuple[Any, list[Any]]:
    """Follow local ``$ref``s from ``node``; the pointer moves to where each one leads."""
    from .spec_walk import resolve_pointer

    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#"):
            break
        if ref in seen:
            break
        seen.add(ref)
        try:
            node = resolve_pointer(data, ref)
        except (KeyError, IndexError, ValueError, TypeError):
            break
        where = [t.replace("~1", "/").replace("~0", "~") for t in ref[1:].split("/")[1:]]
    return node, where


def document_path(data: Any, walked: tuple[Any, ...]) -> list[Any]:
    """The path from the document root of a part the validator reached by ``walked``.

    The validator steps through ``$ref``s as if they were not there; a finding
    belongs where the referenced part is written (``/components/schemas/Pet``),
    not under the reference. A reference into another file keeps the place of
    the reference.
    """
    node: Any = data
    where: list[Any] = []
    for i, token in enumerate(walked):
        node, where = _through_refs(data, node, where)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and isinstance(token, int) and 0 <= token < len(node):
            node = node[token]
        else:
            return where + list(walked[i:])
        where = where + [token]
    return _through_refs(data, node, where)[1]


def _pointer_of(data: Any, error: Any) -> str:
    relative = list(getattr(error, "absolute_path", None) or ())
    walked = getattr(error, _WALKED, None)
    if walked is None:
        return pointer(*relative)  # the whole document was checked: the path is absolute
    return pointer(*document_path(data, walked), *relative)


class _SeenIds(list[int]):
    """A list whose membership test is a set look-up.

    openapi-spec-validator's schema walker records the schemas it has seen in
    plain lists and asks ``id in list`` on every visit: quadratic in the number
    of schemas. On GitHub's description (about 2,000 schemas, 46,660 visits)
    that was a third of the whole validation time. Every mutating list method
    keeps the set in step, so whatever upstream calls, membership stays exact
    (a stale set would skip schemas and lose findings silently).
    """

    def __init__(self, values: Iterable[int] = ()) -> None:
        super().__init__(values)
        self._set: set[int] = set(self)

    def _resync(self) -> None:
        self._set = set(self)

    def append(self, value: int) -> None:
        super().append(value)
        self._set.add(value)

    def extend(self, values: Iterable[int]) -> None:
        super().extend(values)
        self._resync()

    def insert(self, index: SupportsIndex, value: int) -> None:
        super().insert(index, value)
        self._set.add(value)

    def remove(self, value: int) -> None:
        super().remove(value)
        self._resync()

    def pop(self, index: SupportsIndex = -1) -> int:
        value = super().pop(index)
        self._resync()
        return value

    def clear(self) -> None:
        super().clear()
        self._set.clear()

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._resync()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._resync()

    def __iadd__(self, values: Iterable[int]) -> Self:  # type: ignore[override,misc]
        self.extend(values)
        return self

    def __imul__(self, factor: SupportsIndex) -> Self:
        super().__imul__(factor)
        self._resync()
        return self

    def __contains__(self, value: object) -> bool:
        return value in self._set


_PATCHED_ATTRIBUTES = ("visited_schema_ids", "meta_checked_schema_ids")


def _speed_up(validator: Any) -> bool:
    """Give the schema walker set-backed seen-lists (same findings, linear time).

    Patches only what it recognises: the schema keyword validator of
    openapi-spec-validator 0.8.1 to 0.9, with both seen-lists present, empty and
    plain lists. Anything else is left as it is and reported by the return value
    (False), so an upstream change costs speed, never findings.
    """
    registry = getattr(validator, "keyword_validators_registry", None)
    if registry is None or "schema" not in getattr(registry, "keyword_validators", {}):
        return False
    walker = registry["schema"]
    current = [getattr(walker, attr, None) for attr in _PATCHED_ATTRIBUTES]
    if any(type(value) is not list or value for value in current):
        return False
    for attr in _PATCHED_ATTRIBUTES:
        setattr(walker, attr, _SeenIds())
    collect = getattr(walker, "_collect_properties", None)
    if callable(collect):
        walker._collect_properties = _memoized_by_schema(collect)
    _remember_meta_checks(walker)
    return True


def _remember_meta_checks(walker: Any) -> None:
    """The walker's check of each schema against the OpenAPI 3.0 dialect, with one
    validator for all of them that checks each distinct part once (and the same error:
    ``check_schema`` raises the first finding of the dialect's validator)."""
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]
    from jsonschema.validators import validator_for  # type: ignore[import-untyped]

    from openapi_spec_validator.validation import keywords

    # 0.9 has the dialect's own walker class; 0.8.1 does not: the stock check runs there
    dialect_walker = getattr(keywords, "OpenAPIV30SchemaValidator", None)
    if (
        dialect_walker is None
        or not isinstance(walker, dialect_walker)
        or not callable(getattr(walker, "_get_schema_checker", None))
    ):
        return
    dialect = type(walker).schema_validator_cls
    meta = getattr(dialect, "META_SCHEMA", None)
    try:
        checking = validator_for(meta, default=dialect)
        validator = _remembering_validator(
            checking(schema=meta, format_checker=checking.FORMAT_CHECKER)
        )
    except Exception:  # another layout: the stock check
        return
    if validator is None:
        return

    def check(schema_value: Any) -> None:
        for error in validator.iter_errors(schema_value):
            raise SchemaError.create_from(error)

    setattr(walker, "_get_schema_checker", lambda schema, schema_value: check)


def _memoized_by_schema(collect: Any) -> Any:
    """The walker's property collection, once per schema.

    For each allOf it collects the properties of every member, through the members'
    own allOf: quadratic in a chain's depth (a 300-deep chain: 45,000 collections,
    most of the validation's 40 s). The schema value is kept with its result, so
    its id cannot be reused by another while the memo lives.
    """
    memo: dict[int, tuple[Any, set[str]]] = {}

    def collect_once(schema: Any) -> set[str]:
        value = schema.read_value()
        hit = memo.get(id(value))
        if hit is None:
            hit = memo[id(value)] = (value, set(collect(schema)))
        return set(hit[1])

    return collect_once


def _json_key(value: Any) -> str:
    return f"{type(value).__name__}:{value!r}"  # YAML can hold dates: a key, not JSON


def _fresh(error: Any) -> Any:
    """A copy of a finding its callers may extend (they prepend their paths) without
    changing the remembered one."""
    copied = copy.copy(error)
    copied.path = copied.relative_path = deque(error.relative_path)
    copied.schema_path = copied.relative_schema_path = deque(error.relative_schema_path)
    return copied


def _remembering(spec_validator: Any) -> Any | None:
    """The document-schema validator of ``spec_validator``, checking each distinct part
    once (``_remembering_validator``); None when it is not one that can."""
    validator = getattr(spec_validator, "schema_validator", None)
    return _remembering_validator(getattr(validator, "__wrapped__", validator))


def _remembering_validator(validator: Any) -> Any | None:
    """A jsonschema validator like ``validator`` that checks each distinct part once.

    The OpenAPI schema checks every schema, parameter and response object through a
    reference to its definition, and the walker checks each schema against the
    schema dialect, nested schemas through references too; GitHub's description
    repeats the same inline schemas (43 % of its bytes are copies of a part seen
    before), and each copy was checked again. A part's findings depend only on its
    content and the definition, so they are remembered by both, relative to the
    part, and each copy gets fresh ones. Only for draft 4 (OpenAPI 3.0 and Swagger
    2.0: no dynamic scope) and the jsonschema layout of 4.18 to 4.x; None otherwise.
    """
    import attrs

    cls: Any = type(validator)
    schema = getattr(validator, "schema", None)
    descend = getattr(cls, "descend", None)
    if (
        not isinstance(schema, dict)
        or "draft-04" not in str(schema.get("$schema"))
        or not callable(descend)
        or not attrs.has(cls)
    ):
        return None
    memo: dict[tuple[int, bytes], tuple[Any, list[Any]]] = {}

    def remembered(
        self: Any,
        instance: Any,
        schema: Any,
        path: Any = None,
        schema_path: Any = None,
        resolver: Any = None,
    ) -> Iterator[Any]:
        if resolver is None or path is not None or schema_path is not None:
            yield from descend(self, instance, schema, path, schema_path, resolver)
            return
        if not isinstance(instance, dict) or not isinstance(schema, dict):
            yield from descend(self, instance, schema, path, schema_path, resolver)
            return
        # the digest of the part's text, not the text: the memo stays small
        text = json.dumps(instance, default=_json_key).encode("utf-8", "surrogatepass")
        key = (id(schema), hashlib.blake2b(text, digest_size=16).digest())
        hit = memo.get(key)
        if hit is None:
            errors = list(descend(self, instance, schema, path, schema_path, resolver))
            memo[key] = (schema, [_fresh(e) for e in errors])  # schema kept: its id stays its own
            yield from errors
        else:
            yield from (_fresh(e) for e in hit[1])

    try:
        with warnings.catch_warnings():  # jsonschema frowns on subclasses; this one only remembers
            warnings.simplefilter("ignore", DeprecationWarning)
            remembering = type(cls.__name__, (cls,), {"descend": remembered})
        fields = {f.alias: getattr(validator, f.name) for f in attrs.fields(cls) if f.init}
        return remembering(**fields)
    except Exception:  # another jsonschema layout: the stock validator, never fewer findings
        return None


def validate(doc: Document, strict: bool = False) -> list[Diagnostic]:
    """Return the document's schema violations as diagnostics (warnings unless strict)."""
    severity: Literal["error", "warning"] = "error" if strict else "warning"
    findings: list[Diagnostic] = []
    try:
        with warnings.catch_warnings():  # the validator warns about regexes; keep that to us
            warnings.simplefilter("ignore")
            base_uri = (doc.base_dir / "_").as_uri() if doc.base_dir is not None else ""
            # whatever it follows, the validator reads only what the ref rules allow
            handlers = validator_handlers(
                RefPolicy.for_source(doc.source, doc.base_dir, allow_remote=False)
            )
            base = _validator_class(doc.data)
            parts: dict[str, Any] = {"resolver_handlers": handlers}
            remembering = _remembering(base)
            if remembering is not None:
                parts["schema_validator"] = remembering
            guarded = type("GuardedValidator", (base,), parts)
            validator = guarded(doc.data, base_uri=base_uri)
            _speed_up(validator)
            for error in validator.iter_errors():
                where = _pointer_of(doc.data, error)
                message = str(getattr(error, "message", error)).splitlines()[0]
                if len(message) > 300:
                    message = message[:297] + "..."
                findings.append(doc.diagnostic(severity, message, where))
                if len(findings) >= MAX_FINDINGS:
                    findings.append(
                        Diagnostic(
                            severity,
                            f"more than {MAX_FINDINGS} findings; the rest are not shown",
                            "",
                            doc.source,
                        )
                    )
                    break
    except Exception as exc:  # the validator itself gives up on some broken documents
        detail = str(exc).splitlines()[0] if str(exc) else ""
        detail = detail if len(detail) <= 200 else detail[:197] + "..."
        findings.append(
            doc.diagnostic(severity, f"validator stopped: {exc.__class__.__name__}: {detail}")
        )
    return findings


class ValidationMemo:
    """Validation findings remembered per path item: a regeneration re-validates only what changed.

    Each path item's findings are keyed together with everything outside
    ``paths`` (components, info, servers ...). Findings the validator gives no
    place for are kept from the last full run; they are warnings only, because a
    strict run always validates the whole document. The per-item keys are
    computed at most once per run, and only when needed: for a look-up when the
    last full run is known, and for the recording (in the validation process,
    when validation runs beside the generation).
    """

    MIN_PATHS = 20

    def __init__(self, doc: Document, cache: Cache, strict: bool) -> None:
        self.doc: Document | None = doc
        self.source = doc.source
        self.cache = cache
        data = doc.data
        paths = data.get("paths") if isinstance(data, dict) else None
        self.usable = (
            not strict
            and cache.root is not None
            and isinstance(paths, dict)
            and len(paths) >= self.MIN_PATHS
        )
        self.paths: dict[str, Any] = paths if self.usable else {}  # type: ignore[assignment]
        self.rest = {k: v for k, v in data.items() if k != "paths"} if self.usable else {}
        self.base = (
            digest("validation", json.dumps(self.rest, sort_keys=True, default=str))
            if self.usable
            else ""
        )
        self.unattributed_key = digest(self.base, "unattributed")
        self._keys: dict[str, str] | None = None

    @property
    def keys(self) -> dict[str, str]:
        """Each path item's key: the item and everything outside ``paths``."""
        if self._keys is None:
            assert self.doc is not None, (
                "the keys come from the document: compute them before release()"
            )
            self._keys = {
                p: digest(self.base, p, json.dumps(item, sort_keys=True, default=str))
                for p, item in self.paths.items()
            }
        return self._keys

    def _here(self, d: dict[str, Any]) -> Diagnostic:
        return Diagnostic(**{**d, "file": self.source})  # findings name this run's file

    def release(self) -> None:
        """Drop the references into the document (after ``record``, or when the
        validation process records)."""
        self.doc = None
        self.paths = dict.fromkeys(self.paths)
        self.rest = {}

    @staticmethod
    def _owner(finding: Diagnostic, prefixes: dict[str, str]) -> str | None:
        head = "/".join(finding.pointer.split("/")[:3])  # /paths/<escaped path>
        return prefixes.get(head)

    def _rest_reachable_from(self, items: dict[str, Any]) -> dict[str, Any]:
        """Everything outside ``paths``, with only the reusable parts the changed items reach.

        Validating a changed path item with all of ``components`` walks every schema
        of the API again (seconds on GitHub); the parts it cannot reach add nothing
        to its findings, and their own findings are known from the last full run.
        Parts are kept whole (``components/<kind>/<name>``; Swagger 2's
        ``definitions/<name>``, ``parameters/<name>``, ``responses/<name>``). A
        reference anywhere else keeps everything, as before.
        """
        kept: dict[tuple[str, ...], Any] = {}
        todo: list[Any] = [items]

        def keep(ref: str) -> bool:
            """Keep the part ``ref`` points into; False when it is not such a part."""
            if not ref.startswith("#/"):
                return False  # another file, or the whole document
            tokens = [t.replace("~1", "/").replace("~0", "~") for t in ref[2:].split("/")]
            depth = 3 if tokens[0] == "components" else 2
            if (
                tokens[0] not in ("components", "definitions", "parameters", "responses")
                or len(tokens) < depth
            ):
                return False
            key = tuple(tokens[:depth])
            if key not in kept:
                part: Any = self.rest
                for token in key:
                    part = part.get(token) if isinstance(part, dict) else None
                if part is None:
                    return False  # a dangling reference: the validator's to report, as before
                kept[key] = part
                todo.append(part)
            return True

        while todo:
            node = todo.pop()
            if isinstance(node, list):
                todo.extend(node)
                continue
            if not isinstance(node, dict):
                continue
            refs = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            mapping = (
                node.get("discriminator", {}).get("mapping")
                if isinstance(node.get("discriminator"), dict)
                else None
            )
            if isinstance(mapping, dict):
                refs += [v for v in mapping.values() if isinstance(v, str) and v.startswith("#")]
            if not all(keep(ref) for ref in refs):
                return self.rest
            todo.extend(v for k, v in node.items() if k != "$ref")
        reduced = {
            k: v
            for k, v in self.rest.items()
            if k not in ("components", "definitions", "parameters", "responses")
        }
        components = self.rest.get("components")
        if (
            isinstance(components, dict) and "securitySchemes" in components
        ):  # named, not referenced
            reduced["components"] = {"securitySchemes": components["securitySchemes"]}
        for key, part in kept.items():
            parent = reduced
            for token in key[:-1]:
                parent = parent.setdefault(token, {})
            parent[key[-1]] = part
        return reduced

    def incremental(self) -> list[Diagnostic] | None:
        """The findings, validating only changed path items; None when a full run is due."""
        if not self.usable:
            return None
        unattributed = self.cache.get("validation", self.unattributed_key)
        if not isinstance(unattributed, list):
            return None  # no full run with this document's components: no item keys needed
        known = {p: self.cache.get("validation", k) for p, k in self.keys.items()}
        changed = {p for p, v in known.items() if not isinstance(v, list)}
        if len(changed) == len(self.paths) or len(changed) > len(self.paths) // 4:
            return None
        findings = [self._here(d) for d in unattributed]
        for p in self.paths:
            if p not in changed:
                findings += [self._here(d) for d in known[p]]
        if changed:
            assert self.doc is not None, "incremental() runs before release()"
            items = {p: self.paths[p] for p in self.paths if p in changed}
            partial = Document(
                {**self._rest_reachable_from(items), "paths": items},
                self.doc.source,
                self.doc.text,
                self.doc.base_dir,
            )
            partial._lines = self.doc._lines
            prefixes = {pointer("paths", p): p for p in changed}
            by_path: dict[str, list[dict[str, Any]]] = {p: [] for p in changed}
            seen = {(d.pointer, d.message) for d in findings}
            for finding in validate(partial):
                owner = self._owner(finding, prefixes)
                if owner is not None:
                    by_path[owner].append(vars(finding))
                elif (finding.pointer, finding.message) in seen:
                    continue  # outside the changed items: known from the last full run
                findings.append(finding)
            for p in changed:
                self.cache.put("validation", self.keys[p], by_path[p])
        return findings

    def record(self, findings: list[Diagnostic]) -> None:
        """After a full validation, remember each path item's findings for later runs."""
        if not self.usable:
            return
        prefixes = {pointer("paths", p): p for p in self.paths}
        by_path: dict[str, list[dict[str, Any]]] = {p: [] for p in self.paths}
        unattributed = []
        for finding in findings:
            owner = self._owner(finding, prefixes)
            if owner is None:
                unattributed.append(vars(finding))
            else:
                by_path[owner].append(vars(finding))
        self.cache.put("validation", self.unattributed_key, unattributed)
        for p, key in self.keys.items():
            self.cache.put("validation", key, by_path[p])


class BackgroundValidation:
    """Validation of a big document in a forked process, while this one generates.

    The child inherits the parsed document (nothing is pickled or parsed again)
    and this process keeps only a pipe (``parallel.gc_frozen`` around the fork).
    Only where ``parallel.can_fork()``. If the child dies (killed, out of
    memory), ``result`` says so in a finding instead of waiting for ever. With a
    ``memo``, the child records the findings for later runs itself.
    """

    def __init__(self, doc: Document, strict: bool, memo: ValidationMemo | None = None) -> None:
        import multiprocessing

        from .parallel import gc_frozen

        self.source = doc.source
        self.strict = strict
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        with gc_frozen():
            self._process = context.Process(
                target=_validate_and_send, args=(doc, strict, send, memo), daemon=True
            )
            self._process.start()
        send.close()  # the child has its copy of the document; the caller may let it go

    def result(self) -> list[Diagnostic]:
        try:
            findings: list[Diagnostic] = self._receive.recv()
        except EOFError:
            severity: Literal["error", "warning"] = "error" if self.strict else "warning"
            findings = [
                Diagnostic(
                    severity,
                    "the validation process ended without a result; the document was not validated",
                    "",
                    self.source,
                )
            ]
        self._process.join()
        return findings

    def wait(self) -> None:
        """Until the validation process has ended (callable from a sibling forked later,
        which inherits the process's sentinel)."""
        from multiprocessing.connection import wait

        wait([self._process.sentinel])

    def close(self) -> None:
        self._receive.close()
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()


def _validate_and_send(doc: Document, strict: bool, send: Any, memo: ValidationMemo | None) -> None:
    findings = validate(doc, strict=strict)
    send.send(findings)
    send.close()
    if memo is not None:  # after sending: the keys cost this process time, not the generation's
        memo.record(findings)


BIG_SPEC = 1_000_000  # characters; validating these in a second process overlaps with generation


def raise_if_strict(diagnostics: list[Diagnostic], strict: bool) -> list[Diagnostic]:
    """The findings, unless ``strict`` turns any finding into a failed run."""
    if strict and diagnostics:
        raise ApigenError(diagnostics)
    return diagnostics


class RunValidation:
    """The one way a generation run validates its document.

    Findings remembered by an earlier run for the same paths come back at once; a big
    document on a machine that can fork is validated in a second process while this one
    generates; anything else is validated now, before the IR is built. In strict mode a
    finding raises ``ApigenError`` as soon as it is known.
    """

    def __init__(self, doc: Document, cache: Cache, strict: bool) -> None:
        from .parallel import can_fork, cores

        self.strict = strict
        self.memo = ValidationMemo(doc, cache, strict)
        self._background: BackgroundValidation | None = None
        self._findings = self.memo.incremental()
        if self._findings is None and len(doc.text) >= BIG_SPEC and cores() > 1 and can_fork():
            self._background = BackgroundValidation(doc, strict, self.memo)
        elif self._findings is None:
            self._findings = validate(doc, strict=strict)
            self.memo.record(self._findings)
        if self._findings is not None:
            raise_if_strict(self._findings, strict)

    def release(self) -> None:
        """Let go of the document (the background process keeps its own copy)."""
        self.memo.release()

    def beside(self) -> Callable[[], None] | None:
        """What a process forked to work beside this run's validation should wait for
        first, on two cores: the validation's end (the cores are busy anyway, and the
        two processes' memory is not held at the same time). None: nothing to wait for."""
        from .parallel import cores

        if self._background is None or cores() > 2:
            return None
        return self._background.wait

    def result(self) -> list[Diagnostic]:
        """Every finding; waits for the background process if there is one."""
        if self._findings is None and self._background is not None:
            self._findings = raise_if_strict(self._background.result(), self.strict)
        return self._findings or []

    def close(self) -> None:
        if self._background is not None:
            self._background.close()

    def __enter__(self) -> RunValidation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
