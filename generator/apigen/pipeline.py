"""The whole run, stage by stage: load, validate, normalise, IR, models, render, format, write."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .build import build_api
from .customize import Options, apply_options
from .diagnostics import ApigenError, Diagnostic
from .cache import Cache, digest
from .layout import format_models_for_split
from .package_format import format_files, formatting_modes
from .ir import Api, Skipped
from .loader import load
from .mockspec import TESTING_SPEC, mock_spec_json
from .models import generate_models
from .naming import shadowed_module, snake_identifier
from .bundle import has_external_ref
from .normalize import normalize
from .parallel import return_free_memory
from .render import Renderer
from .split import SplitModels, split_models
from .validate import RunValidation, raise_if_strict, validate
from . import __version__
from .writer import MANIFEST, hand_edits, manifest, real_output, recover, write_atomically

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
    written: bool = False  # False: the folder already held exactly these files
    notes: list[str] = field(default_factory=list)  # leftovers of interrupted runs cleaned up
    notices: list[Skipped] = field(default_factory=list)  # decisions to know (auth, http)


def runtime_files(package: str) -> dict[str, str]:
    """The runtime core, verbatim, as ``<package>/_runtime/*.py``."""
    return {
        f"{package}/_runtime/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted(RUNTIME_DIR.glob("*.py"))
    }


def spec_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check(
    source: str, strict: bool = False, allow_remote_refs: bool = False
) -> tuple[list[Diagnostic], Api | None]:
    """Load, validate and build the IR; what ``apigen validate`` reports."""
    doc = load(source)
    diagnostics = raise_if_strict(validate(doc, strict=strict), strict)
    spec = normalize(doc, allow_remote_refs=allow_remote_refs)
    return diagnostics, build_api(spec, source=source, doc=doc)


@dataclass
class Rendered:
    """Every file of a package (runtime included), and what the summary reports."""

    files: dict[str, str]
    package: str
    operations: int
    resources: int
    models: int
    skipped: list[Skipped]
    diagnostics: list[Diagnostic]
    from_cache: bool = False
    notices: list[Skipped] = field(default_factory=list)


def _inputs_digest(template_dirs: list[Path] | None) -> str:
    return _inputs_digest_cached(tuple(template_dirs or ()))


@functools.lru_cache(maxsize=8)
def _inputs_digest_cached(template_dirs: tuple[Path, ...]) -> str:
    """What, besides the spec, decides the output: versions, templates, runtime."""
    import black

    from . import __version__
    from .models import library_version
    from .render import templates_dir

    parts: list[str] = [__version__, black.__version__, library_version()]
    # the generator's own code too: a development checkout changes without a version bump
    for folder in [*(template_dirs or []), templates_dir(), Path(__file__).parent]:
        for path in sorted(Path(folder).rglob("*")):
            if (
                path.is_file()
                and path.suffix in (".py", ".jinja", ".pyi", "")
                and "__pycache__" not in path.parts
            ):
                parts += [path.name, path.read_text(encoding="utf-8")]
    return digest(*parts)


@dataclass(frozen=True)
class RunSettings:
    """Everything besides the spec that decides a run's output: part of its cache key."""

    package: str | None = None
    strict: bool = False
    allow_remote_refs: bool = False
    template_dirs: tuple[Path, ...] = ()
    options: Options = field(default_factory=Options)

    def key(self, source: str, sha: str, inlined: str) -> str:
        return digest(
            "run",
            _inputs_digest(list(self.template_dirs)),
            source,
            sha,
            inlined,
            self.package or "",
            str(self.strict),
            str(self.allow_remote_refs),
            self.options.key(),
        )


@dataclass
class _Models:
    """The models' source, what the model generator could not type, and its notes."""

    source: str
    untyped: list[str]
    notes: list[list[str]]
    formatted: Any = None  # black's split-ready output, when made in this run

    def skipped(self) -> list[Skipped]:
        untyped = [
            Skipped(f"schema {name}", "datamodel-code-generator made no class of it; typed as Any")
            for name in self.untyped
        ]
        return untyped + [Skipped(where, what) for where, what in self.notes]


def render_package(
    source: str,
    package: str | None = None,
    strict: bool = False,
    allow_remote_refs: bool = False,
    template_dirs: list[Path] | None = None,
    cache: Cache | None = None,
    options: Options | None = None,
) -> Rendered:
    """Every file of the package for ``source``: from the run cache, or made in named steps."""
    settings = RunSettings(
        package, strict, allow_remote_refs, tuple(template_dirs or ()), options or Options()
    )
    cache = cache if cache is not None else Cache.default()
    doc = load(source)
    spec = None
    inlined = ""
    if has_external_ref(doc.data):  # the referenced files decide the output too
        spec = normalize(doc, allow_remote_refs=allow_remote_refs)
        inlined = json.dumps(spec, sort_keys=True)
    sha = spec_hash(doc.text)
    run_key = settings.key(source, sha, inlined)  # the source is part of it: diagnostics name it
    hit = cache.get("runs", run_key)
    if isinstance(hit, dict):
        return _rendered_from_cache(hit, strict)
    with RunValidation(doc, cache, strict) as validation:
        if spec is None:
            spec = normalize(doc, allow_remote_refs=allow_remote_refs)
        spec, excluded = apply_options(spec, settings.options)
        api = build_api(spec, package=package, source=source, doc=doc)
        testing_spec = mock_spec_json(spec, api)  # what <package>.testing's MockAPI answers from
        # the document is not needed past the IR: let it go before the model
        # generator, the stage that needs most memory (about 90 MB on GitHub)
        validation.release()
        del doc, spec
        renderer = Renderer(api, sha, template_dirs)
        models_key = digest(
            "models",
            _inputs_digest(None),
            json.dumps([api.models, api.literal_aliases], sort_keys=True),
        )
        models = _generated_models(api, cache, models_key, validation.beside())
        files = _formatted_files(api, renderer, models, cache, models_key)
        diagnostics = validation.result()
    files.update(runtime_files(api.package))
    files[f"{api.package}/{TESTING_SPEC}"] = testing_spec
    files[MANIFEST] = manifest(files, sha, __version__)
    skipped = excluded + list(api.skipped) + models.skipped()
    rendered = Rendered(
        files,
        api.package,
        len(api.operations),
        len(api.resources),
        len(api.models),
        skipped,
        diagnostics,
        notices=list(api.notices),
    )
    cache.put(
        "runs",
        run_key,
        {
            "files": files,
            "package": api.package,
            "operations": rendered.operations,
            "resources": rendered.resources,
            "models": rendered.models,
            "skipped": [vars(s) for s in skipped],
            "diagnostics": [vars(d) for d in diagnostics],
            "notices": [vars(s) for s in api.notices],
        },
    )
    return rendered


def _rendered_from_cache(hit: dict[str, Any], strict: bool) -> Rendered:
    diagnostics = raise_if_strict([Diagnostic(**d) for d in hit["diagnostics"]], strict)
    return Rendered(
        hit["files"],
        hit["package"],
        hit["operations"],
        hit["resources"],
        hit["models"],
        [Skipped(**s) for s in hit["skipped"]],
        diagnostics,
        True,
        [Skipped(**s) for s in hit.get("notices", [])],
    )


def _generated_models(
    api: Api, cache: Cache, models_key: str, children_wait: Callable[[], None] | None = None
) -> _Models:
    """The models' source: datamodel-code-generator's output formatted by black, or cached."""
    cached = cache.get("models", models_key)
    if isinstance(cached, dict):
        return _Models(
            cached["source"], list(cached["untyped"]), [list(n) for n in cached.get("notes", [])]
        )
    made = generate_models(
        api.models, literal_aliases=api.literal_aliases, children_wait=children_wait
    )
    return_free_memory()
    formatted = format_models_for_split(made.source, made.black_made)
    models = _Models(formatted.source, list(made.untyped), [list(n) for n in made.notes], formatted)
    cache.put(
        "models",
        models_key,
        {"source": models.source, "untyped": models.untyped, "notes": models.notes},
    )
    return models


def _formatted_files(
    api: Api, renderer: Renderer, models: _Models, cache: Cache, models_key: str
) -> dict[str, str]:
    """Resources, client and model modules, formatted; the split model modules are cached."""
    header = renderer.common["header"] + '\n"""Models of the API (generated)."""\n\n'
    # the model modules of the same models, split and compiled by an earlier run:
    # one cache entry (the header is the same for all of them: stored once)
    split_key = digest("split", models_key, header)
    cached_split = cache.get("split", split_key)
    if isinstance(cached_split, dict):
        split = SplitModels(
            {m: header + body for m, body in cached_split["modules"].items()},
            cached_split["module_of"],
        )
        compiled = frozenset(f"{api.package}/models/{m}.py" for m in split.modules)
    else:
        split = split_models(models.source, header, models.formatted)
        compiled = frozenset()
    rendered = renderer.files(split)
    exact, stable = formatting_modes(rendered.origins, rendered.overridden)
    files = format_files(rendered.files, cache, stable, exact, compiled)
    if not isinstance(cached_split, dict):  # only now: these modules compiled
        cache.put(
            "split",
            split_key,
            {
                "modules": {m: text[len(header) :] for m, text in split.modules.items()},
                "module_of": split.module_of,
            },
        )
    return files


def generate(
    source: str,
    output: Path | None = None,
    package: str | None = None,
    strict: bool = False,
    allow_remote_refs: bool = False,
    force: bool = False,
    template_dirs: list[Path] | None = None,
    options: Options | None = None,
) -> Summary:
    if package is not None:
        check_package_name(package)
    rendered = render_package(
        source, package, strict, allow_remote_refs, template_dirs, options=options
    )
    target = output if output is not None else Path("generated") / rendered.package
    folder = real_output(target)
    notes = recover(folder)
    # the manifest hashes every file: the same manifest and no hand edits means the
    # folder already holds exactly these files (one read of the folder, not two)
    recorded = folder / MANIFEST
    current = (
        recorded.is_file()
        and recorded.read_text(encoding="utf-8") == rendered.files[MANIFEST]
        and not hand_edits(folder)
    )
    if not current:
        notes += write_atomically(folder, rendered.files, force=force)
    return Summary(
        rendered.package,
        target,
        rendered.operations,
        rendered.resources,
        rendered.models,
        rendered.skipped,
        rendered.diagnostics,
        written=not current,
        notes=notes,
        notices=rendered.notices,
    )


def check_package_name(package: str) -> None:
    """Refuse a package name that is no identifier, or that would shadow a module."""
    cleaned = snake_identifier(package, "client")
    if cleaned != package:
        raise ApigenError(f"--name {package!r} is not a valid package name (try {cleaned!r})")
    shadows = shadowed_module(package)
    if shadows:
        raise ApigenError(
            f"--name {package!r} would shadow {shadows} ({package!r}): importing either would "
            f"break; choose another name (e.g. {package + '_client'!r})"
        )


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
    on_disk = (
        {
            p.relative_to(output).as_posix()
            for p in output.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        if output.is_dir()
        else set()
    )
    for rel, text in sorted(files.items()):
        path = output / rel
        if rel not in on_disk:
            result.missing.append(rel)
        elif path.read_bytes() != text.encode("utf-8"):
            result.stale.append(rel)
    result.extra = sorted(on_disk - set(files))
    return result
