"""Plain measures of apigen's own code: module sizes, the longest functions, long lines,
the import graph between apigen's modules (and any cycle in it), and tests per module.

    python bench/code_health.py [--top 15]

Reads the source with ``ast`` only (nothing is imported), so it runs in any checkout.
Every import is an edge, inside functions and under ``if TYPE_CHECKING:`` too: a module
typed against another depends on it as much as one that calls it (``--runtime-only``
leaves the TYPE_CHECKING ones out).
"""

from __future__ import annotations

import argparse
import ast
import re
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


def tests_per_module() -> dict[str, int]:
    """Test functions per apigen module, by what each test file imports from apigen."""
    counts: dict[str, int] = defaultdict(int)
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
        for module in used & MODULES.keys():
            counts[module] += tests
    return counts


MODULES: dict[str, Path] = {
    module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=15)
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
    print("\ntests per module (test functions in files importing it):")
    counts = tests_per_module()
    for name in sorted(MODULES):
        print(f"  {counts.get(name, 0):4d}  {name}")


if __name__ == "__main__":
    main()
