"""Plain measures of apigen's own code: module sizes, the longest functions, long lines,
the import graph between apigen's modules (and any cycle in it), tests per stage and per
module, and whether README's layout section names every module.

    python bench/code_health.py [--top 15] [--no-collect]

Reads the source with ``ast`` only (nothing is imported), so it runs in any checkout;
the test items (parametrized cases counted) come from ``pytest --collect-only``, which
``--no-collect`` leaves out.
Every import is an edge, inside functions and under ``if TYPE_CHECKING:`` too: a module
typed against another depends on it as much as one that calls it (``--runtime-only``
leaves the TYPE_CHECKING ones out).
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "generator" / "apigen"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """ids of nodes under ``if TYPE_CHECKING:``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                skipped.update(id(n) for n in ast.walk(inner))
    return skipped


def imports_of(path: Path, tree: ast.AST, runtime_only: bool) -> set[str]:
    """apigen modules this module imports (relative imports resolved)."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    skipped = _type_checking_blocks(tree) if runtime_only else set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("apigen"):
                continue
            for alias in node.names:  # `from . import paging` names a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("apigen"))
    return {m for m in found if m in MODULES and m != module_name(path)}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_files() -> dict[str, tuple[int, set[str]]]:
    """Each test file (relative to the repository): its test functions and the apigen
    modules it imports (a test file importing a module tests it)."""
    out: dict[str, tuple[int, set[str]]] = {}
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text())
        tests = sum(
            1
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_")
        )
        used = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("apigen"):
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    used.add(candidate if candidate in MODULES else node.module)
            elif isinstance(node, ast.Import):
                used.update(a.name for a in node.names if a.name.startswith("apigen"))
        out[str(path.relative_to(REPO))] = (tests, used & MODULES.keys())
    return out


def tests_per_module(files: dict[str, tuple[int, set[str]]]) -> dict[str, int]:
    """Test functions per apigen module, by what each test file imports from apigen."""
    counts: dict[str, int] = defaultdict(int)
    for tests, used in files.values():
        for module in used:
            counts[module] += tests
    return counts


# The stages of DESIGN.md's data flow (and the commands beside it), by module. Every module
# is in one; a module not listed here is reported.
STAGES: dict[str, tuple[str, ...]] = {
    "load": ("loader", "ref_policy"),
    "validate": ("validate",),
    "normalize": (
        "normalize",
        "swagger2_shape",
        "swagger2_upgrade",
        "bundle",
        "ref_check",
        "schema_dialect",
        "spec_walk",
    ),
    "build (IR)": (
        "build",
        "ir",
        "naming",
        "surface",
        "schemas",
        "context",
        "media",
        "paging",
        "envelope",
        "events",
        "idempotency",
        "webhooks",
        "bodyfields",
        "auth_names",
        "customize",
    ),
    "models": ("models", "split", "parallel"),
    "render": ("render",),
    "format": ("formatting", "layout", "package_format"),
    "write": ("writer", "cache"),
    "run and command line": ("pipeline", "cli", "config", "console", "diagnostics", "__main__"),
    "diff": ("diff",),
    "mock and contract": ("mockspec", "mockserver", "contract"),
    "runtime": ("runtime",),
}


def stage_of(module: str) -> str | None:
    short = module.removeprefix("apigen.")
    if short == "runtime" or short.startswith("runtime."):
        return "runtime"
    return next((stage for stage, members in STAGES.items() if short in members), None)


def collected_items() -> dict[str, int] | None:
    """Test items per test file as pytest collects them (parametrized cases counted)."""
    try:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    counts: dict[str, int] = defaultdict(int)
    for line in run.stdout.splitlines():
        if "::" in line:
            counts[line.split("::", 1)[0]] += 1
    return dict(counts) if counts else None


def tests_per_stage(
    files: dict[str, tuple[int, set[str]]], items: dict[str, int] | None
) -> dict[str, tuple[int, int, int | None]]:
    """stage -> (test files, test functions, collected items) of the files importing one of
    its modules (a file importing several stages counts for each)."""
    out: dict[str, tuple[int, int, int | None]] = {}
    for stage in STAGES:
        chosen = [f for f, (_, used) in files.items() if any(stage_of(m) == stage for m in used)]
        functions = sum(files[f][0] for f in chosen)
        collected = sum(items.get(f, 0) for f in chosen) if items is not None else None
        out[stage] = (len(chosen), functions, collected)
    return out


def readme_layout_gaps() -> list[str]:
    """Modules of generator/apigen/ the layout section of README.md does not name."""
    text = (REPO / "README.md").read_text()
    match = re.search(r"^## Layout\n(.*?)^## ", text, re.S | re.M)
    block = match.group(1) if match else ""
    top, _, runtime = block.partition("\n  runtime/")
    named_top = set(re.findall(r"[\w]+\.py", top))
    named_runtime = set(re.findall(r"[\w]+\.py", runtime))
    gaps = []
    for name, path in MODULES.items():
        in_runtime = path.parent.name == "runtime"
        if path.name not in (named_runtime if in_runtime else named_top):
            gaps.append(str(path.relative_to(REPO)))
    return gaps


MODULES: dict[str, Path] = {
    module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument(
        "--no-collect", action="store_true", help="skip pytest --collect-only (test items)"
    )
    parser.add_argument(
        "--runtime-only",
        action="store_true",
        help="leave imports under `if TYPE_CHECKING:` out of the graph",
    )
    args = parser.parse_args()

    sizes: list[tuple[int, str]] = []
    functions: list[tuple[int, str]] = []
    long_lines = total_lines = 0
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        text = path.read_text()
        lines = text.splitlines()
        total_lines += len(lines)
        long_lines += sum(1 for line in lines if len(line) > 100)
        sizes.append((len(lines), name))
        tree = ast.parse(text)
        graph[name] = imports_of(path, tree, args.runtime_only)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                functions.append((length, f"{name}.{node.name}"))

    print(
        f"{len(MODULES)} modules, {total_lines} lines; lines over 100 characters: "
        f"{long_lines} ({100 * long_lines / max(total_lines, 1):.1f}%)"
    )
    print("\nlargest modules (lines):")
    for length, name in sorted(sizes, reverse=True)[: args.top]:
        print(f"  {length:5d}  {name}")
    print("\nlongest functions (lines):")
    for length, name in sorted(functions, reverse=True)[: args.top]:
        print(f"  {length:5d}  {name}")
    print("\nimport graph (apigen modules each imports):")
    for name in sorted(graph):
        targets = ", ".join(sorted(re.sub(r"^apigen\.", "", t) for t in graph[name])) or "-"
        print(f"  {re.sub(r'^apigen[.]?', '', name) or 'apigen'}: {targets}")
    found = cycles(graph)
    print(f"\nimport cycles: {len(found)}")
    for component in found:
        print("  " + " <-> ".join(component))
    files = test_files()
    items = None if args.no_collect else collected_items()
    unstaged = sorted(m for m in MODULES if m != "apigen" and stage_of(m) is None)
    print("\ntests per stage (test files importing one of its modules; a file counts for each):")
    print(f"  {'stage':<22} {'files':>5} {'functions':>9} {'items':>6}")
    for stage, (count, functions, collected) in tests_per_stage(files, items).items():
        shown = "-" if collected is None else str(collected)
        print(f"  {stage:<22} {count:5d} {functions:9d} {shown:>6}")
    total_items = "-" if items is None else str(sum(items.values()))
    total_functions = sum(n for n, _ in files.values())
    print(f"  {'all tests':<22} {len(files):5d} {total_functions:9d} {total_items:>6}")
    if unstaged:
        print("  modules in no stage: " + ", ".join(unstaged))
    print("\ntests per module (test functions in files importing it):")
    counts = tests_per_module(files)
    for name in sorted(MODULES):
        print(f"  {counts.get(name, 0):4d}  {name}")
    gaps = readme_layout_gaps()
    print(f"\nREADME layout: {len(MODULES) - len(gaps)} of {len(MODULES)} modules named")
    for gap in gaps:
        print(f"  not named: {gap}")


if __name__ == "__main__":
    main()
