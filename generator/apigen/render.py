"""Rendering the IR into source files with Jinja2, escaping per output context.

Templates see the IR and a handful of filters; every spec string reaches the
output through one of them: ``pyrepr`` for string literals, ``docstring`` for
docstrings, ``toml`` for pyproject values, ``md`` for README text. Identifiers
in the IR are already sanitised. Undefined template variables are errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from . import __version__, webhooks as webhook_ir
from .ir import Api, PyType, Resource
from .formatting import (
    black_docstring,
    call_layout,
    dict_argument,
    from_import,
    parameter,
    pyrepr,
)
from .split import SPLIT_ORIGIN, SplitModels

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ufeff]")
_PEP440 = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")


def templates_dir() -> Path:
    """Templates ship inside the wheel as apigen/templates; in a checkout they are at the top."""
    packaged = Path(__file__).parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "templates"


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def doc_body(text: str) -> str:
    """Text that is safe inside a triple-quoted docstring: no escape, no terminator."""
    return clean_text(text).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def docstring(parts: list[str] | str, indent: int = 0) -> str:
    """A complete docstring literal from paragraphs of untrusted text."""
    if isinstance(parts, str):
        parts = [parts]
    paragraphs = [doc_body(p) for p in parts if p and clean_text(p)]
    if not paragraphs:
        paragraphs = ["(no description in the spec)"]
    pad = " " * indent
    lines = "\n\n".join(paragraphs).split("\n")
    if len(lines) == 1:
        return black_docstring(f'"""{lines[0]}"""', indent)
    text = "\n".join((pad + line) if line.strip() else "" for line in lines[1:])
    return black_docstring(f'"""{lines[0]}\n{text}\n{pad}"""', indent)


def toml_string(value: str) -> str:
    out = ['"']
    for ch in clean_text(value):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def md(text: str) -> str:
    """README text: one line, markup characters neutralised."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|])", r"\\\1", clean_text(text).replace("\n", " "))


def package_version(spec_version: str) -> str:
    return spec_version if _PEP440.match(spec_version) else "0.1.0"


@dataclass(frozen=True)
class RenderedFiles:
    """Every generated file but the runtime copy, and where each came from."""

    files: dict[str, str]  # path relative to the output folder -> text
    origins: dict[str, str]  # path -> its template, SPLIT_ORIGIN, or "" (py.typed)
    overridden: frozenset[str]  # the templates a --templates folder replaced


def _imports(types: list[PyType]) -> list[str]:
    """Import lines for standard types (``module:name`` pairs) used by some annotations."""
    by_module: dict[str, set[str]] = {}
    for t in types:
        for item in t.imports:
            if item == "typing:Any":  # every module imports it already
                continue
            module, _, name = item.partition(":")
            by_module.setdefault(module, set()).add(name)
    return [f"from {m} import {', '.join(sorted(names))}" for m, names in sorted(by_module.items())]


class Renderer:
    def __init__(self, api: Api, spec_hash: str, template_dirs: list[Path] | None = None) -> None:
        self.api = api
        self.overridden = frozenset(
            p.name for d in template_dirs or [] for p in Path(d).glob("*.jinja") if p.is_file()
        )
        loaders = [jinja2.FileSystemLoader(str(d)) for d in (template_dirs or [])]
        loaders.append(jinja2.FileSystemLoader(str(templates_dir())))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            pyrepr=pyrepr, docstring=docstring, toml=toml_string, md=md, from_import=from_import
        )
        # black's layout of the long statements the resource template writes most
        self.env.globals.update(
            call_layout=call_layout, dict_argument=dict_argument, parameter=parameter
        )
        self.common: dict[str, Any] = {
            "api": api,
            "apigen_version": __version__,
            "spec_hash": spec_hash,
            "package_version": package_version(api.version),
            # the same line in every file of every run: a spec that changed in one
            # operation changes the files that operation touches, not all of them
            # (the spec's hash is in apigen-manifest.json)
            "header": f"# Generated by apigen {__version__}. Do not edit by hand.",
        }

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**self.common, **context)

    def resource(self, resource: Resource, module_of: dict[str, str]) -> str:
        types = [t for op in resource.operations for t in op.types]
        by_module: dict[str, list[str]] = {}
        for name in sorted({m for op in resource.operations for m in op.models}):
            by_module.setdefault(module_of[name], []).append(name)
        models = sorted(by_module.items())

        def grouped(names: set[str]) -> list[tuple[str, list[str]]]:
            out: dict[str, list[str]] = {}
            for name in sorted(names):
                out.setdefault(module_of[name], []).append(name)
            return sorted(out.items())

        # models each operation needs at run time: its response types (loaded by a
        # cached function on first call) and a paginator's item type (imported in the method)
        op_models = {
            op.const_name: grouped(
                {m for r in op.responses for t in (r.type, r.event_type) if t for m in t.models}
            )
            for op in resource.operations
        }
        page_models = {
            op.const_name: grouped(set(op.pagination.item_type.models)) if op.pagination else []
            for op in resource.operations
        }
        # a dict body's keys are mapped to wire names with the body's model (loaded on first call)
        body_models = {
            op.const_name: grouped(set(op.body.model.models)) if op.body and op.body.model else []
            for op in resource.operations
        }
        names = {"AsyncAPIClient", "Endpoint", "RequestOptions", "ResponseType", "SyncAPIClient"}
        if any(op.envelope for op in resource.operations):
            names.add("ErrorEnvelope")
        if any(op.pagination for op in resource.operations):
            names |= {"AsyncPaginator", "Pagination", "SyncPaginator"}
            names.add("async_pages_to_raw_response")
        if any(not op.pagination for op in resource.operations):
            names |= {"async_to_raw_response", "async_to_streamed_response", "to_streamed_response"}
        if resource.operations:
            names.add("to_raw_response")
        if any(op.body and op.body.fields for op in resource.operations):
            names |= {"OMIT", "Omit"}
        streaming = [op for op in resource.operations if op.events]
        if streaming:
            names |= {"AsyncStream", "Stream", "StreamingEndpoint"}
        if any("ServerSentEvent" in op.events.expr.split(" | ") for op in streaming if op.events):
            names.add("ServerSentEvent")
        if streaming and len(streaming) == len(resource.operations):
            names.discard("Endpoint")
        if any(op.stream_switch for op in streaming):
            types.append(PyType("", imports=frozenset({"typing:Literal", "typing:overload"})))
        if any(
            p.style is not None or p.explode is not None
            for op in resource.operations
            for p in op.parameters
        ) or any(op.body and op.body.styles for op in resource.operations):
            names.add("ParamStyle")
        return self.render(
            "resource.py.jinja",
            resource=resource,
            models=models,
            std_imports=_imports(types),
            runtime_names=sorted(names),
            op_models=op_models,
            page_models=page_models,
            body_models=body_models,
        )

    def webhooks(self) -> str:
        """The package's ``webhooks.py``: the signature scheme, the event union and table."""
        sig = self.api.webhook_signature
        assert sig is not None
        union: list[str] = []
        others: dict[str, str] = {}  # payload types that are not one model class: expr -> qualified
        for hook in self.api.webhooks:
            qualified = webhook_ir.qualified(hook.type)
            if qualified not in union:
                union.append(qualified)
            if hook.type.expr not in hook.type.models:
                others.setdefault(hook.type.expr, qualified)
        return self.render(
            "webhooks.py.jinja",
            sig=sig,
            scheme_class=webhook_ir.SCHEME_CLASSES[sig.scheme],
            scheme_title=webhook_ir.SCHEME_TITLES[sig.scheme],
            scheme_expr=webhook_ir.scheme_expression(sig),
            union=union,
            others=others,
            std_imports=_imports([h.type for h in self.api.webhooks]),
        )

    def files(self, models: SplitModels) -> RenderedFiles:
        """Every generated file except the runtime copy, by path relative to the output folder."""
        pkg = self.api.package
        origins = {
            "pyproject.toml": "pyproject.toml.jinja",
            "README.md": "README.md.jinja",
            f"{pkg}/__init__.py": "package_init.py.jinja",
            f"{pkg}/client.py": "client.py.jinja",
            f"{pkg}/py.typed": "",
            f"{pkg}/resources/__init__.py": "resources_init.py.jinja",
            f"{pkg}/testing.py": "testing.py.jinja",
        }
        out = {
            path: self.render(template) if template else "" for path, template in origins.items()
        }
        if self.api.webhook_signature is not None:
            origins[f"{pkg}/webhooks.py"] = "webhooks.py.jinja"
            out[f"{pkg}/webhooks.py"] = self.webhooks()
        model_names = sorted(models.module_of)
        for name, template in (
            ("__init__.py", "models_init.py.jinja"),
            ("_index.py", "models_index.py.jinja"),
            ("__init__.pyi", "models_init.pyi.jinja"),
        ):
            origins[f"{pkg}/models/{name}"] = template
            out[f"{pkg}/models/{name}"] = self.render(
                template, model_names=model_names, module_of=models.module_of
            )
        for module, source in models.modules.items():
            origins[f"{pkg}/models/{module}.py"] = SPLIT_ORIGIN
            out[f"{pkg}/models/{module}.py"] = source
        for resource in self.api.resources:
            path = f"{pkg}/resources/{resource.py_name}.py"
            origins[path] = "resource.py.jinja"
            out[path] = self.resource(resource, models.module_of)
        return RenderedFiles(out, origins, self.overridden)
