"""Hostile specs (tests/fixtures/hostile/) produce safe code: it compiles, imports only what a
client needs, runs nothing at import time, keeps every string's value, and every file lands
inside the output folder."""

from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from apigen.cli import main

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
SPECS = sorted(p.name for p in HOSTILE.iterdir() if p.suffix in (".json", ".yaml"))

ALLOWED_IMPORTS = {
    "__future__",
    "typing",
    "datetime",
    "uuid",
    "enum",
    "functools",
    "httpx",
    "pydantic",
    "decimal",
}
LAZY_LOADER = (
    "models",
    "__init__.py",
)  # the one module that imports by name (importlib), from its own index
ALLOWED_CALLS = {
    "Endpoint",
    "ResponseType",
    "Pagination",
    "ParamStyle",
    "APIKeyScheme",
    "HTTPBearerScheme",
    "HTTPBasicScheme",
    "OAuth2Scheme",
    "CircuitBreaker",
    "Field",
    "ConfigDict",
    "model_rebuild",
    "TypeVar",
    "lazy_model",  # a model module's stand-in: (__package__, "module", "Class") literals only
}
FORBIDDEN_NAMES = {"os", "system", "eval", "exec", "__import__", "subprocess", "open", "compile"}
CODE_MARKERS = ("os.system", "__import__", "import os")
WINDOWS_DEVICES = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}


@dataclass
class Generated:
    spec: str
    out: Path
    package: str
    code: int
    stderr: str

    @property
    def package_dir(self) -> Path:
        return self.out / self.package

    def modules(self) -> list[Path]:
        """Every generated .py except the verbatim runtime copy."""
        return sorted(
            p
            for p in self.package_dir.rglob("*.py")
            if "_runtime" not in p.relative_to(self.package_dir).parts
        )


def _listing(folder: Path, skip: Path | None = None) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if skip is None or not (p == skip or p.is_relative_to(skip))
    }


def _git_status() -> set[str]:
    proc = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return set(proc.stdout.splitlines())


ESCAPE_CANDIDATES = [
    Path("/abs"),
    Path("/escape"),
    ROOT / "escape",
    ROOT / "abs",
    ROOT.parent / "escape",
    Path("/tmp/escape"),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Generate every hostile spec once (cwd: a scratch folder); record what changed around it."""
    base = tmp_path_factory.mktemp("hostile")
    work = base / "cwd"
    work.mkdir()
    outs = base / "deep" / "er" / "out"
    outs.mkdir(parents=True)
    existing = {p for p in ESCAPE_CANDIDATES if p.exists()}
    git_before = _git_status()
    base_before = _listing(base)
    parent_before = {p.name for p in base.parent.iterdir()}
    results: dict[str, Generated] = {}
    old_cwd = os.getcwd()
    os.chdir(work)
    try:
        for spec in SPECS:
            out = outs / spec.replace(".", "_")
            summary = out.parent / f"{out.name}.summary.json"
            import contextlib

            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(
                    [
                        "generate",
                        str(HOSTILE / spec),
                        "--output",
                        str(out),
                        "--summary-json",
                        str(summary),
                        "-q",
                    ]
                )
            package = (
                json.loads(summary.read_text(encoding="utf-8"))["package"] if code == 0 else ""
            )
            summary.unlink(missing_ok=True)
            results[spec] = Generated(spec, out, package, code, err.getvalue())
    finally:
        os.chdir(old_cwd)
    return {
        "results": results,
        "base": base,
        "outs": outs,
        "work": work,
        "new_in_base": _listing(base) - base_before,
        "new_in_parent": {p.name for p in base.parent.iterdir()} - parent_before,
        "git_new": _git_status() - git_before,
        "escaped": {p for p in ESCAPE_CANDIDATES if p.exists()} - existing,
    }


@pytest.fixture(params=SPECS)
def gen(request: pytest.FixtureRequest, hostile: dict[str, Any]) -> Generated:
    result: Generated = hostile["results"][request.param]
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


# ------------------------------------------------------------ (a) compiles


def test_every_module_compiles(gen: Generated) -> None:
    files = list(gen.package_dir.rglob("*.py"))
    assert len(files) > 5
    for path in files:
        compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)


# ------------------------------------------------- (b) static safety (AST)


def _calls_outside_function_bodies(tree: ast.Module) -> list[ast.Call]:
    calls: list[ast.Call] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for part in (
                *node.decorator_list,
                node.args,
                node.returns,
            ):  # evaluated when the module runs
                if part is not None:
                    visit(part)
            return
        if isinstance(node, ast.Lambda):
            visit(node.args)
            return
        if isinstance(node, ast.Call):
            calls.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return calls


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ast.dump(func)


def test_imports_only_from_allowlist(gen: Generated) -> None:
    for path in gen.modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    lazy_loader = top == "importlib" and path.parts[-2:] == LAZY_LOADER
                    assert top in ALLOWED_IMPORTS or top == gen.package or lazy_loader, (
                        f"{path}: import {alias.name}"
                    )
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    continue
                top = (node.module or "").split(".")[0]
                assert top in ALLOWED_IMPORTS or top == gen.package, (
                    f"{path}: from {node.module} import ..."
                )


def test_no_calls_at_import_time_except_known_constructors(gen: Generated) -> None:
    for path in gen.modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _calls_outside_function_bodies(tree):
            assert _call_name(call) in ALLOWED_CALLS, (
                f"{path}:{call.lineno}: {ast.unparse(call)[:200]}"
            )
            if _call_name(call) == "lazy_model":
                first, *rest = call.args
                assert (
                    isinstance(first, ast.Name) and first.id == "__package__" and not call.keywords
                )
                assert len(rest) == 2 and all(
                    isinstance(a, ast.Constant)
                    and isinstance(a.value, str)
                    and a.value.isidentifier()
                    for a in rest
                ), ast.unparse(call)


def test_no_dangerous_names_anywhere(gen: Generated) -> None:
    for path in gen.modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Name):
                names.append(node.id)
            elif isinstance(node, ast.Attribute):
                names.append(node.attr)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
            elif isinstance(node, ast.arg):
                names.append(node.arg)
            elif isinstance(node, ast.keyword) and node.arg:
                names.append(node.arg)
            elif isinstance(node, ast.alias):
                names.extend(n for n in (node.name.split(".")[0], node.asname) if n)
            for name in names:
                assert name not in FORBIDDEN_NAMES, f"{path}:{getattr(node, 'lineno', '?')}: {name}"


def test_code_like_text_only_inside_string_literals(gen: Generated) -> None:
    """'os.system' / '__import__' only in string constants and docstrings, not code or comments."""
    for path in gen.modules():
        source = path.read_text(encoding="utf-8")
        outside_strings: list[str] = []
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING:
                continue
            outside_strings.append(tok.string)
            if tok.type == tokenize.COMMENT:
                for marker in CODE_MARKERS:
                    assert marker not in tok.string, (
                        f"{path}:{tok.start[0]}: spec text in a comment: {tok.string!r}"
                    )
        code = " ".join(outside_strings)
        for pattern in (
            r"\b__import__\s*\(",
            r"\bos\s*\.\s*system\b",
            r"\bimport\s+os\b",
            r"\bsystem\s*\(",
        ):
            assert not re.search(pattern, code), f"{path}: {pattern} outside a string literal"


def test_no_raw_control_characters_in_generated_text(gen: Generated) -> None:
    """Docstrings have control characters neutralised; string literals escape them."""
    for path in gen.modules():
        text = path.read_bytes().decode("utf-8")
        bad = sorted(
            {
                c
                for c in text
                if (ord(c) < 32 and c not in "\n\t") or ord(c) == 127 or c in "\u2028\u2029\x85"
            }
        )
        assert not bad, f"{path.relative_to(gen.out)}: raw {[hex(ord(c)) for c in bad]}"


def test_identifiers_are_ascii(gen: Generated) -> None:
    """naming.py's contract: only ASCII letters, digits and underscores reach code as names
    (non-ASCII names are NFKC-normalised by Python, so 'ﬁ' and 'fi' would silently collide)."""
    for path in gen.modules():
        source = path.read_text(encoding="utf-8")
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME:
                assert tok.string.isascii(), (
                    f"{path.relative_to(gen.out)}:{tok.start[0]}: identifier {tok.string!r}"
                )


# ------------------------------------------- (c) import has no side effects

IMPORT_PROBE = textwrap.dedent(
    r"""
    import importlib, json, os, pkgutil, sys
    sys.dont_write_bytecode = True
    sys.path.insert(0, sys.argv[2])
    events = []
    WATCH = {"os.system", "subprocess.Popen", "socket.connect", "socket.bind", "os.exec",
             "os.posix_spawn", "os.spawn", "os.fork", "os.remove", "os.rename", "os.rmdir",
             "os.mkdir", "shutil.rmtree", "os.chmod", "os.truncate", "webbrowser.open",
             "urllib.Request", "ctypes.dlopen"}
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def hook(event, args):
        if event in WATCH:
            events.append([event, repr(args)[:200]])
        elif event == "open":
            path, mode, flags = (list(args) + [None, None, None])[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & WRITE_FLAGS)
            if writing:
                events.append([event, repr(args)[:200]])

    sys.addaudithook(hook)
    package = sys.argv[1]
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = [package, package + ".client"]
        for name in names:
            importlib.import_module(name)
        for sub in ("models", "resources"):
            try:
                mod = importlib.import_module(f"{package}.{sub}")
            except ModuleNotFoundError:
                continue
            names.append(mod.__name__)
            if hasattr(mod, "__path__"):
                names += [f"{mod.__name__}.{m.name}" for m in pkgutil.iter_modules(mod.__path__)]
        for name in names:
            importlib.import_module(name)
    import_warnings = [f"{w.category.__name__}: {w.message}"[:300] for w in caught]

    import enum, pydantic
    models = {}
    modules = [sys.modules[n] for n in names if n.split(".")[-1] == "models" or ".models." in n]
    for module in modules:
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, enum.Enum) and obj is not enum.Enum:
                models[obj.__name__] = {"enum": [m.value for m in obj]}
            elif (isinstance(obj, type) and issubclass(obj, pydantic.BaseModel)
                  and obj.__module__ == module.__name__):
                fields = {}
                for fname, info in obj.model_fields.items():
                    default = info.default
                    if isinstance(default, enum.Enum):
                        default = default.value
                    try:
                        json.dumps(default)
                    except TypeError:
                        default = repr(default)
                    fields[fname] = {"alias": info.alias, "default": default}
                models[obj.__name__] = {"fields": fields}
    client = sys.modules[package + ".client"]
    print(json.dumps({
        "events": events, "imported": names, "models": models,
        "servers": list(getattr(client, "SERVERS", ())), "warnings": import_warnings,
    }))
    """
)


@pytest.fixture(scope="module")
def imported(hostile: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for spec, result in hostile["results"].items():
        if result.code != 0:
            continue
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "APIGEN"))}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        proc = subprocess.run(
            [sys.executable, "-I", "-c", IMPORT_PROBE, result.package, str(result.out)],
            cwd=result.out,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        found[spec] = {
            "code": proc.returncode,
            "stderr": proc.stderr,
            "data": json.loads(proc.stdout) if proc.returncode == 0 else None,
        }
    return found


def test_import_has_no_side_effects(gen: Generated, imported: dict[str, dict[str, Any]]) -> None:
    probe = imported[gen.spec]
    assert probe["code"] == 0, probe["stderr"]
    data = probe["data"]
    assert data["events"] == [], data["events"]
    resources = [n for n in data["imported"] if ".resources." in n]
    assert resources, data["imported"]
    assert any(n.endswith(".models") or ".models." in n for n in data["imported"])
    assert not list(gen.package_dir.rglob("__pycache__"))


def test_import_emits_no_warnings(gen: Generated, imported: dict[str, dict[str, Any]]) -> None:
    """A user importing the client sees no warnings (pydantic: field names in 'model_' space)."""
    probe = imported[gen.spec]
    assert probe["code"] == 0, probe["stderr"]
    assert probe["data"]["warnings"] == []


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key not in (
                "example",
                "examples",
                "default",
                "enum",
                "x-apigen-pagination",
                "servers",
            ):
                yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _load_spec(spec: str) -> Any:
    import yaml

    text = (HOSTILE / spec).read_text(encoding="utf-8")
    return json.loads(text) if spec.endswith(".json") else yaml.safe_load(text)


@pytest.mark.parametrize(
    "spec", ["injection-strings.json", "injection-strings.yaml", "identifiers.json"]
)
def test_string_values_round_trip(spec: str, imported: dict[str, dict[str, Any]]) -> None:
    """Property names (aliases), string enum values and string defaults keep their exact value."""
    probe = imported[spec]
    assert probe["code"] == 0, probe["stderr"]
    models = probe["data"]["models"]
    aliases = {
        name if f["alias"] is None else f["alias"]
        for m in models.values()
        for name, f in m.get("fields", {}).items()
    }
    enum_values = {json.dumps(v) for m in models.values() for v in m.get("enum", [])}
    defaults = {
        json.dumps(f["default"]) for m in models.values() for f in m.get("fields", {}).values()
    }
    data = _load_spec(spec)
    checked = 0
    for node in _walk({"paths": data.get("paths"), "components": data.get("components")}):
        for prop, sub in (
            (node.get("properties") or {}).items()
            if isinstance(node.get("properties"), dict)
            else ()
        ):
            assert prop in aliases, f"property {prop!r} lost"
            checked += 1
            if isinstance(sub, dict) and isinstance(sub.get("default"), str):
                assert json.dumps(sub["default"]) in defaults, (
                    f"default {sub['default']!r} of {prop!r} changed"
                )
        if (
            "type" in node
            and isinstance(node.get("enum"), list)
            and all(isinstance(v, str) for v in node["enum"])
        ):
            for value in node["enum"]:
                assert json.dumps(value) in enum_values, f"enum value {value!r} lost"
    assert checked >= 3


def test_server_urls_round_trip(imported: dict[str, dict[str, Any]]) -> None:
    data = _load_spec("injection-strings.json")
    servers = imported["injection-strings.json"]["data"]["servers"]
    plain = [s["url"] for s in data["servers"] if "{" not in s["url"]]
    assert servers[: len(plain)] == plain


# ------------------------------------------------ (d) nothing written outside


def test_files_stay_inside_output_folder(gen: Generated) -> None:
    root = gen.out.resolve()
    for path in gen.out.rglob("*"):
        assert not path.is_symlink(), path
        assert path.resolve().is_relative_to(root), path
    assert gen.package.isidentifier() and gen.package.isascii()
    assert sorted(p.name for p in gen.out.iterdir()) == sorted(
        ["README.md", "apigen-manifest.json", "pyproject.toml", gen.package]
    )


def test_nothing_written_outside_the_output_folders(hostile: dict[str, Any]) -> None:
    outs: Path = hostile["outs"]
    base: Path = hostile["base"]
    expected_outs = {s.replace(".", "_") for s in SPECS}
    assert {
        p.name for p in outs.iterdir()
    } == expected_outs  # no staging or backup leftovers, no extra folder
    rel_outs = outs.relative_to(base).as_posix()
    stray = {
        p for p in hostile["new_in_base"] if not (p == rel_outs or p.startswith(rel_outs + "/"))
    }
    # only the folders leading to the outputs are new; the scratch cwd stays empty
    assert stray <= {"deep", "deep/er"} or stray == set(), stray
    assert list(hostile["work"].iterdir()) == []
    assert hostile["new_in_parent"] == set()
    assert hostile["escaped"] == set()


def test_repo_untouched(hostile: dict[str, Any]) -> None:
    """Others edit the repo concurrently, so only look for paths this run could have produced."""
    suspicious = [
        line
        for line in hostile["git_new"]
        if any(
            w in line.lower()
            for w in (
                "escape",
                "abs",
                "evil",
                "injection",
                "identifier",
                "yaml_injection",
                "con.py",
            )
        )
    ]
    assert suspicious == []


def test_no_windows_device_names(gen: Generated) -> None:
    """Tags like 'con' must not become con.py: such a package cannot be checked out on Windows."""
    for path in gen.out.rglob("*"):
        stem = path.name.split(".")[0].lower()
        assert stem not in WINDOWS_DEVICES, path.relative_to(gen.out)


@pytest.mark.parametrize(
    "name", ["../x", "../../escape", "/abs/path", "a/b", "..", ".", "x y", "import", "C:\\evil", ""]
)
def test_bad_package_name_is_refused(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        ["generate", str(HOSTILE / "path-traversal.json"), "--output", str(out), "--name", name]
    )
    captured = capsys.readouterr()
    assert code == 1, captured.out
    assert "--name" in captured.err and "Traceback" not in captured.err
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "x").exists() and not (tmp_path.parent / "escape").exists()


@pytest.mark.parametrize(
    "spec, package",
    [
        ("title-dotdot.json", None),
        ("title-abs-path.json", "abs_path"),
        ("path-traversal.json", "escape"),
    ],
)
def test_traversal_titles_become_plain_package_names(
    spec: str, package: str | None, hostile: dict[str, Any]
) -> None:
    result: Generated = hostile["results"][spec]
    assert result.code == 0
    assert "/" not in result.package and "." not in result.package and result.package.isidentifier()
    if package is not None:
        assert result.package == package
    resources = sorted(p.name for p in (result.package_dir / "resources").iterdir())
    for name in resources:
        assert name.endswith(".py") and name[:-3].isidentifier(), name


# ----------------------------------------- (e) keyword/builtin names work


@pytest.fixture(scope="module")
def identifiers_client(hostile: dict[str, Any]) -> Any:
    result: Generated = hostile["results"]["identifiers.json"]
    assert result.code == 0, result.stderr
    sys.path.insert(0, str(result.out))
    try:
        import importlib

        module = importlib.import_module(result.package)
        yield module
    finally:
        sys.path.remove(str(result.out))
        for name in [
            n for n in sys.modules if n == result.package or n.startswith(result.package + ".")
        ]:
            del sys.modules[name]


def _client(module: Any, seen: list[httpx.Request], payload: Any = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={} if payload is None else payload)

    http = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://ids.example.com")
    return module.Client(base_url="https://ids.example.com", http_client=http, max_retries=0)


def test_keyword_operations_call_the_right_path(identifiers_client: Any) -> None:
    seen: list[httpx.Request] = []
    api = _client(identifiers_client, seen)
    # keyword and builtin names: PEP 8's trailing underscore for resources, context for
    # methods (a method never ends with an underscore, nor reads as a builtin)
    api.import_.import_call()
    api.class_.class_call()
    api.print_.print_call()
    api.eval_.eval_call()
    assert [(r.method, r.url.path) for r in seen] == [
        ("GET", "/kw/import"),
        ("GET", "/kw/class"),
        ("GET", "/kw/print"),
        ("GET", "/kw/eval"),
    ]
    assert all(r.url.host == "ids.example.com" for r in seen)


def test_keyword_parameters_are_sent_under_their_spec_names(identifiers_client: Any) -> None:
    seen: list[httpx.Request] = []
    api = _client(identifiers_client, seen)
    api.import_.retrieve_things(
        class_="c/..",
        param_1st=1,
        a_b="x y",
        a_b_query="q1",
        from_="f",
        self_query="s",
        client="cl",
        timeout_query=2.5,
        headers="h",
        nandu="n",
        a_b_param="ab",
        import_os_system_x="evil",
        class__header="ch",
    )
    (request,) = seen
    # path parameters percent-encoded per segment: no traversal
    raw_path = request.url.raw_path.split(b"?")[0]
    assert raw_path in (b"/things/c%2F../1/x%20y", b"/things/c%2F%2E%2E/1/x%20y"), raw_path
    assert b".." not in raw_path.split(b"/")
    query = dict(request.url.params.multi_items())
    assert query == {
        "a_b": "q1",
        "from": "f",
        "self": "s",
        "client": "cl",
        "timeout": "2.5",
        "headers": "h",
        "ñandú": "n",
        "a b": "ab",
        "__import__('os').system('x')": "evil",
    }
    assert request.headers["class"] == "ch"
