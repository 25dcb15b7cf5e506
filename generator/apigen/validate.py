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
