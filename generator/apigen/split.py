"""Splitting the models module into one module per group of mutually dependent classes.

A client of GitHub's API has thousands of models; one module of them takes
seconds to import. A field's reference to another model goes through a stand-in
(runtime/lazy.py) that imports it when a value needs it; what a class needs when
its module runs (bases, discriminated unions, root models, enums) is imported.
Each strongly connected component of that run-time graph becomes its own module,
so the module graph is acyclic and importing a model imports little else.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

from .formatting import LINE_LENGTH, from_import
from .layout import FormattedModels
from .naming import WINDOWS_DEVICE_NAMES, NameScope, file_safe_name, snake_identifier


SPLIT_ORIGIN = "split.py"  # where a model module comes from (render.RenderedFiles.origins)


@dataclass(frozen=True)
class SplitModels:
    modules: dict[str, str]  # module name -> source
    module_of: dict[str, str]  # class name -> module name


def _strongly_connected(graph: dict[str, set[str]], order: list[str]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (recursion would overflow on long chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in order:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result


def _merge_imports(lines: list[str]) -> list[str]:
    """``from m import a`` + ``from m import b`` -> ``from m import a, b``."""
    grouped: dict[str, list[str]] = {}
    plain = []
    for line in lines:
        if line.startswith("from "):
            module, _, name = line[5:].partition(" import ")
            grouped.setdefault(module, []).append(name)
        else:
            plain.append(line)
    return plain + [from_import(m, sorted(ns)) for m, ns in sorted(grouped.items())]


def _quoted(name: str) -> str:
    """A string literal of an identifier, in black's double quotes."""
    return f'"{name}"'


def _all_list(names: list[str]) -> str:
    """``__all__ = [...]`` as black lays it out: one line, or one name per line."""
    line = f"__all__ = [{', '.join(_quoted(n) for n in names)}]"
    if len(line) <= LINE_LENGTH:
        return line
    return "__all__ = [\n" + "".join(f"    {_quoted(n)},\n" for n in names) + "]"


def _uses(node: ast.AST, classes: Mapping[str, ast.AST], whole: bool = False) -> set[str]:
    """The names a class uses: identifiers its code reads, and class names quoted in its
    annotations (forward references). A string anywhere else (a default, a
    description, an alias, a ``Literal`` value) is data, never a dependency. ``whole``:
    ``node`` is itself a type expression (an annotation, or a base such as
    ``RootModel["A"]``).

    A value inside ``Literal[...]`` is data even where it reads like a class name (an
    enum's alias, a tag value); taking it for a use made an enum depend on the models
    that use the enum (a cycle). One walk over the tree, each node with whether it is
    inside an annotation and inside a ``Literal`` (the splitter's most frequent step).
    """
    used: set[str] = set()
    AST, Name, Constant, Store = ast.AST, ast.Name, ast.Constant, ast.Store
    stack: list[tuple[ast.AST, bool, bool]] = [(node, whole, False)]
    while stack:
        n, in_annotation, in_literal = stack.pop()
        if isinstance(n, Name):
            if not isinstance(n.ctx, Store):
                used.add(n.id)  # not a name it defines (an enum's member ``VPC = "VPC"``)
            continue
        if isinstance(n, Constant):
            value = n.value
            if in_annotation and not in_literal and isinstance(value, str) and value in classes:
                used.add(value)
            continue
        annotation = n.annotation if isinstance(n, (ast.AnnAssign, ast.arg)) else None
        literal = (
            n.slice
            if isinstance(n, ast.Subscript)
            and isinstance(n.value, Name)
            and n.value.id == "Literal"
            else None
        )
        for field in n._fields:
            value = getattr(n, field, None)
            for child in value if isinstance(value, list) else (value,):
                if isinstance(child, AST):
                    stack.append(
                        (
                            child,
                            in_annotation or child is annotation,
                            in_literal or child is literal,
                        )
                    )
    return used


def _has_discriminator(node: ast.AST) -> bool:
    return any(isinstance(n, ast.keyword) and n.arg == "discriminator" for n in ast.walk(node))


def _lazy_candidates(node: ast.AST, classes: Mapping[str, ast.AST]) -> set[str]:
    """Names a class uses only in the annotations of its fields, where a stand-in can
    take the real class's place (runtime/lazy.py). A discriminated union needs the
    real member classes to build, so its names never are candidates."""
    if not isinstance(node, ast.ClassDef):
        return set()
    candidates: set[str] = set()
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and not _has_discriminator(statement):
            candidates |= _uses(statement.annotation, classes, whole=True)
    fixed = set()  # names used anywhere else: bases, defaults, discriminated fields
    for base in node.bases:
        fixed |= _uses(base, classes, whole=True)
    for part in (*node.keywords, *node.decorator_list):
        fixed |= _uses(part, classes)
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign):
            fixed |= _uses(statement.value, classes) if statement.value else set()
            if _has_discriminator(statement):
                fixed |= _uses(statement.annotation, classes, whole=True)
        else:
            fixed |= _uses(statement, classes)
    return candidates - fixed


def _model_classes(classes: Mapping[str, ast.AST]) -> set[str]:
    """The pydantic models among the classes (not enums, not ``Any`` aliases)."""
    models: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, node in classes.items():
            if name in models or not isinstance(node, ast.ClassDef):
                continue
            for base in node.bases:
                head = base.value if isinstance(base, ast.Subscript) else base
                if isinstance(head, ast.Name) and (
                    head.id in ("BaseModel", "RootModel") or head.id in models
                ):
                    models.add(name)
                    changed = True
                    break
    return models


def _root_models(classes: Mapping[str, ast.AST], models: set[str]) -> set[str]:
    """Models whose value is not an object (``RootModel`` and its subclasses): a stand-in
    cannot tell their values apart from other branches without loading them."""
    roots: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name in models - roots:
            node = classes[name]
            assert isinstance(node, ast.ClassDef)
            for base in node.bases:
                head = base.value if isinstance(base, ast.Subscript) else base
                if isinstance(head, ast.Name) and (head.id == "RootModel" or head.id in roots):
                    roots.add(name)
                    changed = True
                    break
    return roots


def _stand_in(name: str, module: str) -> str:
    """``Name = lazy_model(__package__, "module", "Name")`` as black lays it out (indented)."""
    args = ["__package__", _quoted(module), _quoted(name)]
    line = f"    {name} = lazy_model({', '.join(args)})"
    if len(line) <= LINE_LENGTH:
        return line + "\n"
    inner = f"        {', '.join(args)}"
    if len(inner) <= LINE_LENGTH:
        return f"    {name} = lazy_model(\n{inner}\n    )\n"
    return f"    {name} = lazy_model(\n" + "".join(f"        {a},\n" for a in args) + "    )\n"


def _lazy_block(lazy: dict[str, set[str]]) -> str:
    """Real imports for type checkers, stand-ins at run time (runtime/lazy.py)."""
    pairs = sorted((module, name) for module, names in lazy.items() for name in names)
    checking = "".join(from_import(f".{m}", [n], indent=4) + "\n" for m, n in pairs)
    stand_ins = "".join(_stand_in(n, m) for m, n in pairs)
    return (
        f"\nif TYPE_CHECKING:\n{checking}else:\n"
        f"    from .._runtime.lazy import lazy_model\n\n{stand_ins}"
    )


def _type_checking_alias(node: ast.AST) -> tuple[str, str] | None:
    """``(alias, class)`` for the block ``if TYPE_CHECKING: A: TypeAlias = C | ... else: A = C``
    (the models stage writes one after each open enum)."""
    if not (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    ):
        return None
    if len(node.orelse) != 1 or not isinstance(node.orelse[0], ast.Assign):
        return None
    runtime = node.orelse[0]
    if (
        len(runtime.targets) == 1
        and isinstance(runtime.targets[0], ast.Name)
        and isinstance(runtime.value, ast.Name)
    ):
        return runtime.targets[0].id, runtime.value.id
    return None


def split_models(source: str, header: str, formatted: FormattedModels | None = None) -> SplitModels:
    """``source`` (the formatted models module) split into modules; ``formatted``, when
    given, is where ``source`` came from and saves parsing it again."""
    if formatted is not None:
        tree, lines, texts = formatted.tree, formatted.lines, formatted.class_texts
    else:
        tree, lines, texts = ast.parse(source), source.splitlines(keepends=True), {}
    classes: dict[str, ast.ClassDef] = {}
    rebuilds: dict[str, list[str]] = {}  # class -> the rebuilds that follow the module's classes
    alias_of: dict[str, str] = {}  # alias -> the class it stands for
    alias_text: dict[str, str] = {}  # alias -> its block (written right after its class)
    imports: dict[str, str] = {}  # imported name -> "from x import" prefix
    extra_uses: dict[str, set[str]] = {}  # class -> names the statements that follow it use

    def segment(node: ast.AST) -> str:
        name = getattr(node, "name", None)
        if name is not None and name in texts:
            return texts[name]
        text = "".join(lines[node.lineno - 1 : node.end_lineno])  # type: ignore[attr-defined]
        return text if text.endswith("\n") else text + "\n"  # the module's last line may have none

    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                imports[alias.asname or alias.name] = (
                    f"from {'.' * node.level}{node.module or ''} import {alias.name}"
                    + (f" as {alias.asname}" if alias.asname else "")
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imports[alias.asname or alias.name] = f"import {alias.name}" + (
                    f" as {alias.asname}" if alias.asname else ""
                )
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            classes[node.target.id] = node  # type: ignore[assignment]  # `Name: TypeAlias = Any`
        elif (pair := _type_checking_alias(node)) is not None and pair[1] in classes:
            alias_of[pair[0]] = pair[1]
            alias_text[pair[0]] = segment(node)
            extra_uses.setdefault(pair[1], set()).update(_uses(node, classes))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in classes
            ):
                rebuilds.setdefault(func.value.id, []).append(segment(node))
    names_used: dict[str, set[str]] = {}
    graph: dict[str, set[str]] = {}  # the imports a module needs at run time
    lazy_of: dict[str, set[str]] = {}  # class -> models its fields refer to through stand-ins
    models = _model_classes(classes)
    objects = models - _root_models(classes, models)
    for name, node in classes.items():
        used = _uses(node, classes) | extra_uses.get(name, set())
        if isinstance(node, ast.ClassDef):
            used |= set().union(*(_uses(b, classes, whole=True) for b in node.bases))
        names_used[name] = used
        lazy_of[name] = (
            (_lazy_candidates(node, classes) & objects) - {name} - extra_uses.get(name, set())
        )
        graph[name] = {
            alias_of.get(u, u) for u in used - lazy_of[name] if alias_of.get(u, u) in classes
        } - {name}
    order = list(classes)
    position = {name: i for i, name in enumerate(order)}
    components = [sorted(c, key=position.__getitem__) for c in _strongly_connected(graph, order)]
    scope = NameScope(WINDOWS_DEVICE_NAMES | {"__init__", "_index"})
    module_of: dict[str, str] = {}
    for component in sorted(components, key=lambda c: position[c[0]]):
        base = file_safe_name(snake_identifier(component[0], "model"))  # it becomes a file name
        module = scope.claim(base, base + "_model")
        for name in component:
            module_of[name] = module
    members: dict[str, list[str]] = {}
    for name in order:
        members.setdefault(module_of[name], []).append(name)
    for alias_name, owner in alias_of.items():
        module_of[alias_name] = module_of[owner]
        members[module_of[owner]].insert(members[module_of[owner]].index(owner) + 1, alias_name)
    modules: dict[str, str] = {}
    for module, names in members.items():
        used = set().union(*(names_used[n] for n in names if n in names_used))
        # a name some class of the module needs at run time is imported for all of them
        lazy_here = set().union(*(lazy_of.get(n, set()) for n in names))
        lazy_here -= set().union(*(names_used[n] - lazy_of[n] for n in names if n in names_used))
        deps: dict[str, set[str]] = {}
        lazy: dict[str, set[str]] = {}
        for u in used:
            if u in module_of and module_of[u] != module:
                (lazy if u in lazy_here else deps).setdefault(module_of[u], set()).add(u)
        wanted = {imports[u] for u in used if u in imports}
        if lazy:
            wanted.add("from typing import TYPE_CHECKING")
        std = _merge_imports(sorted(wanted))
        parts = [header, "from __future__ import annotations\n\n", *(line + "\n" for line in std)]
        parts += [from_import(f".{dep}", sorted(ns)) + "\n" for dep, ns in sorted(deps.items())]
        if lazy:
            parts.append(_lazy_block(lazy))
        # black's layout: two blank lines around classes, one newline at the end
        parts.append("\n" + _all_list(names) + "\n\n\n")
        # an alias right after its enum: a class below it that uses the alias is complete
        # when created, and so are its subclasses in other modules (pydantic resolves
        # inherited annotations in the subclass's module, where the alias is not)
        parts.append(
            "\n\n".join(
                segment(classes[name]) if name in classes else alias_text[name]
                for name in names
                if name in classes or name in alias_text
            )
        )
        rebuild_lines = [r for name in names for r in rebuilds.get(name, [])]
        if rebuild_lines:
            parts.append("\n\n" + "".join(rebuild_lines))
        modules[module] = "".join(parts)
    return SplitModels(modules, module_of)
