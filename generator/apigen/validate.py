"""Checking a document against the OpenAPI schema with openapi-spec-validator.

Real-world specs are often slightly off the standard yet perfectly usable, so
findings are warnings by default; ``--strict`` turns them into errors. Only
problems that make a document unusable (bad refs, no paths object) stop a run,
and those are raised by the normaliser, which knows the exact place.
"""

from __future__ import annotations

from typing import Any

from .diagnostics import Diagnostic, pointer
from .loader import Document

MAX_FINDINGS = 50


def _validator_class(data: dict[str, Any]) -> Any:
    import openapi_spec_validator as osv

    if "swagger" in data:
        return osv.OpenAPIV2SpecValidator
    if str(data.get("openapi", "")).startswith("3.1"):
        return osv.OpenAPIV31SpecValidator
    return osv.OpenAPIV30SpecValidator


def validate(doc: Document, strict: bool = False) -> list[Diagnostic]:
    """Return the document's schema violations as diagnostics (warnings unless strict)."""
    severity = "error" if strict else "warning"
    findings: list[Diagnostic] = []
    import warnings

    try:
        warnings.filterwarnings("ignore", module="openapi_schema_validator")
        warnings.filterwarnings("ignore", category=FutureWarning)
        base_uri = (doc.base_dir / "_").as_uri() if doc.base_dir is not None else ""
        validator = _validator_class(doc.data)(doc.data, base_uri=base_uri)
        for error in validator.iter_errors():
            where = pointer(*error.absolute_path) if getattr(error, "absolute_path", None) else ""
            message = str(getattr(error, "message", error)).splitlines()[0]
            if len(message) > 300:
                message = message[:297] + "..."
            findings.append(doc.diagnostic(severity, message, where))
            if len(findings) >= MAX_FINDINGS:
                findings.append(Diagnostic(severity, f"more than {MAX_FINDINGS} findings; the rest are not shown", "", doc.source))
                break
    except Exception as exc:  # the validator itself gives up on some broken documents
        detail = str(exc).splitlines()[0] if str(exc) else ""
        detail = detail if len(detail) <= 200 else detail[:197] + "..."
        findings.append(doc.diagnostic(severity, f"validator stopped: {exc.__class__.__name__}: {detail}"))
    return findings


def validate_incremental(doc: Document, cache: Any, strict: bool = False) -> list[Diagnostic] | None:
    """Validate only the path items that changed since an earlier run, or None.

    Findings are cached per path item, keyed together with everything outside
    ``paths`` (components, info, servers ...). When a few operations changed, a
    document holding just those path items (and the rest unchanged) is validated;
    when nothing is known yet, None tells the caller to validate the whole thing.
    """
    import json

    from .cache import digest

    data = doc.data
    paths = data.get("paths") if isinstance(data, dict) else None
    if strict or not isinstance(paths, dict) or len(paths) < 20:
        return None  # strict runs always validate the whole document
    rest = {k: v for k, v in data.items() if k != "paths"}
    base = digest("validation", str(strict), json.dumps(rest, sort_keys=True, default=str))
    keys = {p: digest(base, p, json.dumps(item, sort_keys=True, default=str)) for p, item in paths.items()}
    known = {p: cache.get("validation", k) for p, k in keys.items()}
    changed = [p for p, v in known.items() if not isinstance(v, list)]
    unattributed = cache.get("validation", digest(base, "unattributed"))
    if len(changed) == len(paths) or len(changed) > len(paths) // 4 or not isinstance(unattributed, list):
        return None
    # findings the validator gave no place for: kept from the last full run (warnings
    # only; a strict run validates everything again)
    def here(d: dict[str, Any]) -> Diagnostic:
        return Diagnostic(**{**d, "file": doc.source})  # findings name this run's file

    findings: list[Diagnostic] = [here(d) for d in unattributed]
    for p in paths:
        if p not in changed:
            findings += [here(d) for d in known[p]]  # type: ignore[union-attr]
    if changed:
        from .loader import Document as _Doc

        partial = _Doc({**rest, "paths": {p: paths[p] for p in changed}}, doc.source, doc.text, doc.base_dir)
        partial._lines = doc._lines
        fresh = validate(partial, strict=strict)
        by_path: dict[str, list[dict[str, Any]]] = {p: [] for p in changed}
        prefix = {pointer("paths", p): p for p in changed}
        for finding in fresh:
            owner = next((p for pre, p in prefix.items() if finding.pointer == pre or finding.pointer.startswith(pre + "/")), None)
            line = doc.line_of(finding.pointer) if finding.pointer else finding.line
            finding = Diagnostic(finding.severity, finding.message, finding.pointer, finding.file, line)
            findings.append(finding)
            if owner is not None:
                by_path[owner].append(vars(finding))
        for p in changed:
            cache.put("validation", keys[p], by_path[p])
    return findings


def record_validation(doc: Document, findings: list[Diagnostic], cache: Any, strict: bool = False) -> None:
    """After a full validation, remember each path item's findings for later runs."""
    import json

    from .cache import digest

    data = doc.data
    paths = data.get("paths") if isinstance(data, dict) else None
    if strict or not isinstance(paths, dict) or len(paths) < 20:
        return
    rest = {k: v for k, v in data.items() if k != "paths"}
    base = digest("validation", str(strict), json.dumps(rest, sort_keys=True, default=str))
    cache.put("validation", digest(base, "unattributed"), [vars(f) for f in findings if not f.pointer.startswith("/paths/")])
    for p, item in paths.items():
        pre = pointer("paths", p)
        mine = [vars(f) for f in findings if f.pointer == pre or f.pointer.startswith(pre + "/")]
        cache.put("validation", digest(base, p, json.dumps(item, sort_keys=True, default=str)), mine)
