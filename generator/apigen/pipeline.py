"""The whole run, stage by stage: load, validate, normalise, IR, models, render, format, write."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .build import build_api
from .diagnostics import ApigenError, Diagnostic
from .formatting import format_python
from .ir import Api, Skipped
from .loader import load
from .models import generate_models
from .naming import snake_identifier
from .normalize import normalize
from .render import Renderer
from .validate import validate
from .writer import write_atomically

RUNTIME_DIR = Path(__file__).parent / "runtime"


@dataclass
class Summary:
    package: str
    output: Path
    operations: int
    resources: int
    models: int
    skipped: list[Skipped] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def runtime_files(package: str) -> dict[str, str]:
    """The runtime core, verbatim, as ``<package>/_runtime/*.py``."""
    return {
        f"{package}/_runtime/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted(RUNTIME_DIR.glob("*.py"))
    }


def spec_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check(source: str, strict: bool = False, allow_remote_refs: bool = False) -> tuple[list[Diagnostic], Api | None]:
    """Load, validate and build the IR; what ``apigen validate`` reports."""
    doc = load(source)
    diagnostics = validate(doc, strict=strict)
    if strict and diagnostics:
        raise ApigenError(diagnostics)
    spec = normalize(doc, allow_remote_refs=allow_remote_refs)
    return diagnostics, build_api(spec, source=source, doc=doc)


def render_package(source: str, package: str | None = None, strict: bool = False, allow_remote_refs: bool = False, template_dirs: list[Path] | None = None) -> tuple[dict[str, str], Api, list[Diagnostic]]:
    doc = load(source)
    diagnostics = validate(doc, strict=strict)
    if strict and diagnostics:
        raise ApigenError(diagnostics)
    spec = normalize(doc, allow_remote_refs=allow_remote_refs)
    api = build_api(spec, package=package, source=source, doc=doc)
    renderer = Renderer(api, spec_hash(doc.text), template_dirs)
    models = generate_models(api.models)
    files = renderer.files(models.source)
    for rel, text in files.items():
        if rel.endswith(".py"):
            files[rel] = format_python(text, rel)
    files.update(runtime_files(api.package))
    return files, api, diagnostics


def generate(source: str, output: Path | None = None, package: str | None = None, strict: bool = False, allow_remote_refs: bool = False, force: bool = False, template_dirs: list[Path] | None = None) -> Summary:
    if package is not None:
        cleaned = snake_identifier(package, "client")
        if cleaned != package:
            raise ApigenError(f"--name {package!r} is not a valid package name (try {cleaned!r})")
    files, api, diagnostics = render_package(source, package, strict, allow_remote_refs, template_dirs)
    target = output if output is not None else Path("generated") / api.package
    write_atomically(target, files, force=force)
    return Summary(api.package, target, len(api.operations), len(api.resources), len(api.models), list(api.skipped), diagnostics)


@dataclass
class Drift:
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.stale or self.missing or self.extra)


def drift(files: dict[str, str], output: Path) -> Drift:
    """Compare freshly rendered files with what is on disk (hand edits show up as stale)."""
    result = Drift()
    on_disk = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file() and "__pycache__" not in p.parts} if output.is_dir() else set()
    for rel, text in sorted(files.items()):
        path = output / rel
        if rel not in on_disk:
            result.missing.append(rel)
        elif path.read_bytes() != text.encode("utf-8"):
            result.stale.append(rel)
    result.extra = sorted(on_disk - set(files))
    return result
