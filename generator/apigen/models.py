"""Pydantic v2 models from the IR's schema table, by datamodel-code-generator.

The one module that talks to that library: its input is prepared here, and its
output is changed only by edits at positions of its syntax tree (renamed
invented classes, open enum bases, literal aliases), never by text search.

The IR has already named every class, so the input handed over is a flat JSON
Schema ``$defs`` table and the class names that come back are the IR's. The
output is checked for that: a class the IR named but the library did not emit is
an error, never a silent loss.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from .diagnostics import ApigenError, Diagnostic
from .formatting import alias_block, format_python, string_literal
from .naming import NameScope, env_identifier, pascal, snake_identifier
from .render import clean_text

ROOT_PLACEHOLDER = "ApigenUnusedRoot"


def library_version() -> str:
    """The version of datamodel-code-generator (part of what decides the output)."""
    from datamodel_code_generator import get_version

    return str(get_version())


# Formats whose pydantic types need extra packages (EmailStr) or reject values real
# APIs send (AnyUrl for "about:blank" defaults); they stay plain strings.
KEPT_FORMATS = frozenset(
    {"date-time", "date", "uuid", "binary", "int32", "int64", "float", "double"}
)


CONSTRAINT_KEYS = frozenset(
    {
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
    }
)


def field_name(wire: str) -> str | None:
    """The Python name apigen wants for a property, when the library's own would be wrong.

    Non-ASCII names become their ASCII transliteration (Python would NFKC-normalise
    them and let distinct wire names collide); ``model_*`` names would clash with
    pydantic's own methods.
    """
    name = snake_identifier(wire, "field")
    if name.startswith("model_"):
        return "field_" + name
    if wire.isascii():
        return None
    return name


def _library_field_names(wires: list[str]) -> set[str]:
    """The names datamodel-code-generator gives these ASCII properties of one class."""
    try:
        from datamodel_code_generator import PythonVersion
        from datamodel_code_generator.model.field_name import PydanticFieldNameResolver
    except ImportError:  # another layout: apigen's own spelling is the best guess
        return {snake_identifier(w, "field") for w in wires}
    resolver = PydanticFieldNameResolver(
        snake_case_field=True, target_python_version=PythonVersion.PY_310
    )
    names: set[str] = set()
    for wire in wires:
        names.add(resolver.get_valid_field_name_and_alias(wire, excludes=set(names))[0])
    return names


def _families(defs: dict[str, Any]) -> list[list[str]]:
    """Classes joined by allOf inheritance (a field name must be unique along it)."""
    leader: dict[str, str] = {name: name for name in defs}

    def find(name: str) -> str:
        while leader[name] != name:
            leader[name] = leader[leader[name]]
            name = leader[name]
        return name

    for name, schema in defs.items():
        for parent in _allof_parents(schema):
            if parent in leader:
                leader[find(parent)] = find(name)
    groups: dict[str, list[str]] = {}
    for name in defs:
        groups.setdefault(find(name), []).append(name)
    return list(groups.values())


def colliding_field_names(defs: dict[str, Any]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Per-class names for properties whose Python names would collide.

    A property apigen names itself (non-ASCII: its transliteration; ``model_*``)
    can meet another property of the same class or inheritance line on one
    name: fullwidth ``ｎａｍｅ`` and ``name``, ``näme`` and ``nàme``. The library
    would stop; instead the later-coming name gets a number (``name_2``), under a
    ``Class.property`` alias, and a note says so. Returns those aliases and notes.
    """
    aliases: dict[str, str] = {}
    notes: list[tuple[str, str]] = []
    for family in _families(defs):
        own = {name: list(_own_fields(defs[name])[0]) for name in family}
        taken: set[str] = set()
        for name in family:
            taken |= _library_field_names([w for w in own[name] if field_name(w) is None])
        taken |= {t + "_" for t in taken}  # the library's suffix for names that shadow a type
        chosen: dict[str, str] = {}
        clashes = False
        for name in family:
            for wire in own[name]:
                wanted = field_name(wire)
                if wanted is None or wire in chosen:
                    continue
                if wanted in taken or wanted in chosen.values():
                    clashes = True
                chosen[wire] = wanted
        if not clashes:
            continue
        claimed = set(taken)
        for wire, wanted in chosen.items():
            python = wanted
            n = 2
            while python in claimed or python + "_" in claimed:
                python, n = f"{wanted}_{n}", n + 1
            claimed.add(python)
            chosen[wire] = python
            for name in family:
                if wire in own[name]:
                    aliases[f"{name}.{wire}"] = python
                    if python != wanted:
                        notes.append(
                            (
                                f"schema {name}",
                                (
                                    f"property {wire!r} is the field {python}: another of its "
                                    f"properties is {wanted!r} in Python (the names differ only "
                                    "in Unicode form or spelling)"
                                ),
                            )
                        )
    return aliases, notes


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _default_fits(schema: dict[str, Any], value: Any) -> bool:
    """A default the schema's own type contradicts (``type: string, default: false``) is dropped."""
    if any(k in schema for k in ("oneOf", "anyOf", "allOf", "$ref")):
        return False  # the library would copy it into every variant, where it may not fit
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
    if not kinds:
        return True
    if isinstance(value, bool) and "boolean" not in kinds:
        return False
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        return False
    return any(isinstance(value, _JSON_TYPES.get(k, ())) for k in kinds)


def enum_member_names(values: list[Any]) -> list[str]:
    scope = NameScope()
    names = []
    for value in values:
        base = env_identifier(str(value)) if str(value) else "EMPTY"
        if base[0].isdigit():
            base = "V" + base
        names.append(scope.claim(base, base + "_VALUE"))
    return names


def prepare_schema(node: Any, aliases: dict[str, str]) -> Any:
    """Copy a schema for the library: plain formats, clean text, decided names."""
    if isinstance(node, list):
        return [prepare_schema(v, aliases) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "format" and isinstance(value, str) and value not in KEPT_FORMATS:
            continue
        if key in CONSTRAINT_KEYS:
            # Value constraints stay with the server, which validates requests. On the
            # client they break parsing of real responses that drift from their spec,
            # pydantic-core rejects some regexes Python accepts, and the model library
            # turns constrained union members into classes of its own that take the
            # names apigen chose.
            continue
        if key == "default" and not _default_fits(node, value):
            continue
        if key in ("example", "examples"):
            # Sample values stay in the spec: as ``Field(examples=[...])`` they made a
            # model harder to read (GitHub's URL fields each carried one), its module
            # bigger, and most of the lines black had to wrap. Descriptions stay.
            continue
        if key in ("description", "title") and isinstance(value, str):
            out[key] = clean_text(value)
        elif key in ("default", "enum", "const"):
            out[key] = value
        elif key == "properties" and isinstance(value, dict):
            for wire in value:
                wanted = field_name(str(wire))
                if wanted:
                    aliases[str(wire)] = wanted
            out[key] = {k: prepare_schema(v, aliases) for k, v in value.items()}
        elif isinstance(value, (dict, list)):
            out[key] = prepare_schema(value, aliases)
        else:
            out[key] = value
    _adapt_tuples_and_mixed_enums(node, out)
    enum = out.get("enum")
    if (
        isinstance(enum, list)
        and enum
        and all(isinstance(v, str) for v in enum if v is not None)
        and "x-enum-varnames" not in out
    ):
        values = [v for v in enum if v is not None]
        if values:
            out["x-enum-varnames"] = enum_member_names(values)
            if None in enum:  # the library names members of non-null values only
                out["enum"] = values
                kinds = out.get("type")
                out["type"] = kinds if isinstance(kinds, list) else [kinds or "string", "null"]
    return out


def _adapt_tuples_and_mixed_enums(node: dict[str, Any], out: dict[str, Any]) -> None:
    """A closed 3.1 tuple becomes ``tuple[A, B]``; a mixed enum a ``Literal``.

    The library writes a tuple only for an array whose ``minItems`` is its
    length (constraints are dropped above, so it is set again here). An enum of
    several JSON types would be an ``Enum`` in which ``True`` is ``1``; as a
    ``Literal`` each value keeps its type (floats, which a ``Literal`` cannot
    spell, leave the enum to its ``type``).
    """
    from .schemas import closed_tuple, is_mixed_enum, literal_values

    if closed_tuple(node):
        out["minItems"] = len(node["prefixItems"])
    if is_mixed_enum(node):
        kept, floats = literal_values(node["enum"])
        if floats:
            out.pop("enum", None)
        else:
            out["x-enum-field-as-literal"] = True
            if None in node["enum"] and isinstance(out.get("type"), str):
                out["type"] = [out["type"], "null"]


@dataclass(frozen=True)
class ModelsModule:
    source: str
    classes: frozenset[str]
    untyped: tuple[str, ...] = ()  # IR names the library made no class for (aliases of Any)
    notes: tuple[tuple[str, str], ...] = ()  # (where, what): schemas adapted, for the summary
    # statements of ``source`` that are black's output already (the enums' alias blocks):
    # formatting the module need not send them through black again
    black_made: frozenset[str] = frozenset()


def _strip_placeholder(source: str, tree: ast.Module) -> str:
    """Drop the root class the library insists on emitting; keep the text as it is."""
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == ROOT_PLACEHOLDER and node.end_lineno:
            start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            del lines[start - 1 : node.end_lineno]
            break
    return "".join(lines)


_Parts = tuple[dict[str, Any], list[str]]


def _object_parts(
    schema: Any,
    defs: dict[str, Any],
    seen: frozenset[str] = frozenset(),
    memo: dict[str, _Parts] | None = None,
) -> _Parts:
    """Properties and required names of a schema, through refs and allOf.

    With ``memo``, each definition is walked once: an allOf lattice (every class
    extending the next two) has exponentially many paths to its roots.
    """
    if not isinstance(schema, dict):
        return {}, []
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref[len("#/$defs/") :]
        if memo is not None and name in memo:
            return memo[name]
        if name in seen or name not in defs:
            return {}, []
        found = _object_parts(defs[name], defs, seen | {name}, memo)
        if memo is not None:
            memo[name] = found
        return found
    props: dict[str, Any] = {}
    required: list[str] = []
    for part in schema.get("allOf") or []:
        p, r = _object_parts(part, defs, seen, memo)
        props.update(p)
        required += [x for x in r if x not in required]
    props.update(schema.get("properties") or {})
    required += [x for x in schema.get("required") or [] if x not in required]
    return props, required


def flatten_conflicting_allof(defs: dict[str, Any]) -> dict[str, Any]:
    """Inline an allOf parent whose properties the child redeclares.

    The library makes the child a subclass; a redeclared property with another
    type (a narrower enum, an inline object) is an incompatible override that
    mypy rejects. A flat class with the child's declaration winning is what the
    spec means and type-checks.
    """
    out = dict(defs)
    memo: dict[str, _Parts] = {}
    for name, schema in defs.items():
        parts = schema.get("allOf") if isinstance(schema, dict) else None
        if not isinstance(parts, list):
            continue
        own: set[str] = set((schema.get("properties") or {}))
        for part in parts:
            if isinstance(part, dict) and "$ref" not in part:
                own |= set(_object_parts(part, defs, memo=memo)[0])
        new_parts = []
        changed = False
        for part in parts:
            if isinstance(part, dict) and "$ref" in part:
                inherited, required = _object_parts(part, defs, frozenset({name}), memo)
                if own & set(inherited):
                    new_parts.append(
                        {
                            "type": "object",
                            "properties": inherited,
                            **({"required": required} if required else {}),
                        }
                    )
                    changed = True
                    continue
            new_parts.append(part)
        if changed:
            out[name] = {**schema, "allOf": new_parts}
        merged = _merge_conflicting_parts(out[name])
        if merged is not None:
            out[name] = merged
    return out


# Inheritance deeper than this is cut: the library linearises every class's bases
# again and again (C3), so a 300-deep allOf chain took it 100 s; 48 levels cost it
# nothing noticeable.
MAX_INHERITANCE_DEPTH = 48
# What cutting may copy in all (a 2,000-deep chain would copy a million fields)
MAX_COPIED_FIELDS = 50_000


def _allof_parents(schema: Any) -> list[str]:
    """The classes a schema extends: its allOf members that are references."""
    parts = schema.get("allOf") if isinstance(schema, dict) else None
    names = []
    for part in parts if isinstance(parts, list) else []:
        ref = part.get("$ref") if isinstance(part, dict) else None
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            names.append(ref[len("#/$defs/") :])
    return names


def _own_fields(schema: Any) -> tuple[dict[str, Any], list[str]]:
    """Properties and required names a schema declares itself (its inline allOf parts too)."""
    props: dict[str, Any] = {}
    required: list[str] = []
    todo = [schema]
    while todo:
        node = todo.pop(0)
        if not isinstance(node, dict) or "$ref" in node:
            continue
        todo[:0] = list(node.get("allOf") or []) if isinstance(node.get("allOf"), list) else []
        if isinstance(node.get("properties"), dict):
            props.update(node["properties"])
        required += [
            r for r in node.get("required") or [] if isinstance(r, str) and r not in required
        ]
    return props, required


def _inherited_fields(name: str, defs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Every field of ``name`` with its ancestors', later declarations winning (no recursion)."""
    order: list[str] = []
    seen: set[str] = set()
    stack: list[tuple[str, bool]] = [(name, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in seen or node not in defs:
            continue
        seen.add(node)
        stack.append((node, True))
        parents = reversed(_allof_parents(defs[node]))
        stack.extend((parent, False) for parent in parents if parent not in seen)
    props: dict[str, Any] = {}
    required: list[str] = []
    for node in order:
        own, own_required = _own_fields(defs[node])
        props.update(own)
        required += [r for r in own_required if r not in required]
    return props, required


def _topological(defs: dict[str, Any]) -> list[str]:
    """Definitions, each after the classes it extends (cycles broken where met)."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: being visited, 2: done
    for root in defs:
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                state[node] = 2
                order.append(node)
                continue
            if state.get(node) or node not in defs:
                continue
            state[node] = 1
            stack.append((node, True))
            parents = reversed(_allof_parents(defs[node]))
            stack.extend((parent, False) for parent in parents if not state.get(parent))
    return order


def cut_deep_inheritance(defs: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Make every class ``MAX_INHERITANCE_DEPTH`` levels down an allOf chain a flat class.

    The cut class gets its ancestors' fields copied in and no bases; the classes
    below it extend it as before, so no chain the library sees is deeper than the
    limit. Returns the definitions and a note per cut class (for the summary);
    an error when the copies would grow past ``MAX_COPIED_FIELDS``.
    """
    depth: dict[str, int] = {}
    out = dict(defs)
    notes: list[tuple[str, str]] = []
    copied = 0
    for name in _topological(defs):
        parents = [p for p in _allof_parents(out[name]) if p in depth]
        depth[name] = 1 + max((depth[p] for p in parents), default=-1)
        if depth[name] < MAX_INHERITANCE_DEPTH:
            continue
        props, required = _inherited_fields(name, out)
        copied += len(props)
        if copied > MAX_COPIED_FIELDS:
            raise ApigenError(
                Diagnostic(
                    "error",
                    (
                        f"allOf inheritance is too deep to generate: schema {name} has more than "
                        f"{depth[name]} levels of parents and flattening them would copy over "
                        f"{MAX_COPIED_FIELDS} fields"
                    ),
                )
            )
        flat = {k: v for k, v in out[name].items() if k not in ("allOf", "properties", "required")}
        flat["type"] = "object"
        flat["properties"] = props
        if required:
            flat["required"] = required
        out[name] = flat
        depth[name] = 0
        notes.append(
            (
                f"schema {name}",
                f"allOf inheritance {MAX_INHERITANCE_DEPTH} levels deep: "
                "a flat class with its parents' fields, not a subclass",
            )
        )
    return out, notes


def _merge_conflicting_parts(schema: dict[str, Any]) -> dict[str, Any] | None:
    """One object for an allOf of inline objects that give a property two different schemas.

    The library would merge such a property into a class of its own, named after
    the property and numbered (``User3``). The later declaration wins, as for a
    redeclared parent property; the required lists add up.
    """
    parts = schema.get("allOf")
    if not isinstance(parts, list) or not all(
        isinstance(p, dict) and "$ref" not in p and set(p) <= _PLAIN_OBJECT_KEYS for p in parts
    ):
        return None
    seen: dict[str, Any] = {}
    conflict = False
    for part in parts:
        for key, value in (part.get("properties") or {}).items():
            if key in seen and seen[key] != value:
                conflict = True
            seen[key] = value
    if not conflict:
        return None
    required: list[str] = []
    for part in [schema, *parts]:
        required += [r for r in part.get("required") or [] if r not in required]
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    merged["type"] = "object"
    merged["properties"] = {**(schema.get("properties") or {}), **seen}
    if required:
        merged["required"] = required
    return merged


_PLAIN_OBJECT_KEYS = frozenset(
    {"type", "properties", "required", "title", "description", "additionalProperties"}
)


def _nullable_classes(defs: dict[str, Any]) -> set[str]:
    from .schemas import is_class_like, types_of

    found = set()
    for name, schema in defs.items():
        if not isinstance(schema, dict):
            continue
        enum = schema.get("enum")
        nullable_enum = isinstance(enum, list) and None in enum
        if nullable_enum or "null" in types_of(schema):
            stripped = _strip_null(schema)
            if is_class_like(stripped):
                found.add(name)
    return found


def _strip_null(schema: dict[str, Any]) -> dict[str, Any]:
    out = dict(schema)
    kinds = out.get("type")
    if isinstance(kinds, list):
        kept = [k for k in kinds if k != "null"]
        out["type"] = kept[0] if len(kept) == 1 else kept
    if isinstance(out.get("enum"), list):
        out["enum"] = [v for v in out["enum"] if v is not None]
    return out


def _wrap_refs(node: Any, targets: set[str]) -> Any:
    if isinstance(node, list):
        return [_wrap_refs(v, targets) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[len("#/$defs/") :] in targets:
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return {**rest, "anyOf": [{"$ref": ref}, {"type": "null"}]}
    return {
        k: v if k in ("default", "enum", "const", "example", "examples") else _wrap_refs(v, targets)
        for k, v in node.items()
    }


def nullable_classes_at_use_sites(defs: dict[str, Any]) -> dict[str, Any]:
    """A nullable enum or object component is a class that cannot hold None, so
    the null moves to every place that refers to it (``X | None`` there)."""
    targets = _nullable_classes(defs)
    if not targets:
        return defs
    return {
        name: _wrap_refs(_strip_null(schema) if name in targets else schema, targets)
        for name, schema in defs.items()
    }


def name_invented_classes(
    tree: ast.Module, defs: dict[str, Any], reserved: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Context names for the classes datamodel-code-generator makes up on its own.

    When allOf members give one property two different object types, the library
    merges them into a new class named after the property, numbered on repeats
    (GitHub's webhooks: ``User3``, ``Owner1``). Such a class is renamed after the
    first class and field that use it (``WebhookIssueCommentDeletedIssueUser``).
    The library's unnumbered names (after a field) are readable and stay.
    ``tree`` is the library's module as parsed. Returns the renames (made by
    ``rename_edits``).
    """
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    invented = {n.name for n in classes if n.name[-1].isdigit()} - set(defs) - {ROOT_PLACEHOLDER}
    if not invented:
        return {}
    wanted: dict[str, str] = {}
    for owner in classes:
        for statement in owner.body:
            if not (
                isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
            ):
                continue
            for node in ast.walk(statement.annotation):
                if isinstance(node, ast.Name) and node.id in invented and node.id not in wanted:
                    wanted[node.id] = owner.name + pascal(statement.target.id)
        for base in owner.bases:  # used only as a base class: named after the subclass
            if isinstance(base, ast.Name) and base.id in invented and base.id not in wanted:
                wanted[base.id] = owner.name + "Base"
    taken = {n.name for n in classes} | set(defs) | reserved
    position = {c.name: i for i, c in enumerate(classes)}
    renames: dict[str, str] = {}
    for old in sorted(invented, key=position.__getitem__):
        new = wanted.get(old)
        if not new or new in taken:
            continue  # nothing better to call it than the library did
        taken.add(new)
        renames[old] = new
    return renames


Edit = tuple[int, int, int, str]  # (line, start column, end column in UTF-8 bytes, new text)


def apply_edits(source: str, edits: list[Edit]) -> str:
    """Replace the spans the syntax tree located; nothing else of the text changes.

    Columns are the parser's, counted in UTF-8 bytes of their line.
    """
    lines = source.splitlines(keepends=True)
    by_line: dict[int, list[Edit]] = {}
    for edit in edits:
        by_line.setdefault(edit[0], []).append(edit)
    for number, line_edits in by_line.items():
        raw = lines[number - 1].encode("utf-8")
        for _, start, end, text in sorted(line_edits, key=lambda e: e[1], reverse=True):
            raw = raw[:start] + text.encode("utf-8") + raw[end:]
        lines[number - 1] = raw.decode("utf-8")
    return "".join(lines)


def _class_name_span(source_lines: list[str], node: ast.ClassDef) -> tuple[int, int, int]:
    """Where a class statement spells its name (the tree gives only the ``class`` keyword)."""
    raw = source_lines[node.lineno - 1].encode("utf-8")
    match = re.compile(rb"class\s+(" + re.escape(node.name.encode()) + rb")\b").match(
        raw, node.col_offset
    )
    if match is None:
        raise ApigenError(f"internal error: class {node.name} not found where the parser put it")
    return node.lineno, match.start(1), match.end(1)


def rename_edits(source: str, tree: ast.Module, renames: dict[str, str]) -> list[Edit]:
    """Edits that rename classes: their statements and every name that refers to them.

    Only identifiers change; a string literal that spells a class name (a field's
    ``alias="User3"``, a description) is data and stays as it is.
    """
    if not renames:
        return []
    lines = source.splitlines(keepends=True)
    edits: list[Edit] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in renames and node.end_col_offset is not None:
            edits.append((node.lineno, node.col_offset, node.end_col_offset, renames[node.id]))
        elif isinstance(node, ast.ClassDef) and node.name in renames:
            edits.append((*_class_name_span(lines, node), renames[node.name]))
    return edits


ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum"})


def _enum_values(node: ast.ClassDef) -> list[Any] | None:
    """The member values of an enum class the library wrote, or None for another class."""
    if (
        len(node.bases) != 1
        or not isinstance(node.bases[0], ast.Name)
        or node.bases[0].id not in ENUM_BASES
    ):
        return None
    values = []
    for statement in node.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
            values.append(statement.value.value)
    return values


OPEN_BASES = {"str": "OpenStrEnum", "int": "OpenIntEnum"}
OPEN_ENUMS_IMPORT = "from .._runtime.enums import OpenIntEnum, OpenStrEnum\n"
ALIAS_IMPORTS = "from typing import TYPE_CHECKING, Literal, TypeAlias\n"


def _value_kind(values: list[Any]) -> str | None:
    if values and all(isinstance(v, str) for v in values):
        return "str"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    return None


def literal_alias_block(alias: str, enum: str, values: list[Any]) -> str:
    """``alias``: for type checkers the enum or one of its values as a literal; at run
    time the enum itself, so pydantic validates into the (open) enum class."""
    literals = [string_literal(v) if isinstance(v, str) else repr(v) for v in values]
    laid_out = alias_block(alias, enum, literals)  # black's layout, written directly
    if laid_out is not None:
        return laid_out
    return format_python(
        f"if TYPE_CHECKING:\n    {alias}: TypeAlias = {enum} | Literal[{', '.join(literals)}]\n"
        f"else:\n    {alias} = {enum}\n"
    )


def open_enums(
    source: str, tree: ast.Module, aliases: dict[str, str], made: set[str] | None = None
) -> tuple[str, set[str]]:
    """Make the library's enums open, and let model fields take their plain values.

    Each ``class X(Enum)`` of string or integer values gets the runtime's open base
    (unknown values kept, members equal to their wire values). ``aliases`` maps such
    a class to the name of its alias (``X | Literal[...]`` for type checkers); the
    alias follows the class, and model fields annotated with the class use it.
    All edits are made at positions the syntax tree gives. Returns the source and
    the aliases it defined; ``made`` receives the alias blocks (black's layout already).
    """
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    opened: dict[str, list[Any]] = {}
    edits: list[Edit] = []
    for node in classes:
        values = _enum_values(node)
        kind = _value_kind(values) if values is not None else None
        if kind is None:
            continue
        base = node.bases[0]
        assert base.end_col_offset is not None
        edits.append((base.lineno, base.col_offset, base.end_col_offset, OPEN_BASES[kind]))
        opened[node.name] = values or []
    if not opened:
        return source, set()
    used = {name: aliases[name] for name in opened if name in aliases}
    for node in classes:
        if node.name in opened:
            continue
        # field annotations, and the type argument of a RootModel[...] base, which
        # must stay the type of its ``root`` field
        typed = [s.annotation for s in node.body if isinstance(s, ast.AnnAssign)]
        typed += [b.slice for b in node.bases if isinstance(b, ast.Subscript)]
        for annotation in typed:
            for sub in ast.walk(annotation):
                if isinstance(sub, ast.Name) and sub.id in used and sub.end_col_offset is not None:
                    edits.append((sub.lineno, sub.col_offset, sub.end_col_offset, used[sub.id]))
    blocks: dict[int, str] = {}  # line after which a block goes -> the block
    for node in classes:
        if node.name in used and node.end_lineno:
            block = literal_alias_block(used[node.name], node.name, opened[node.name])
            blocks[node.end_lineno] = "\n\n" + block
            if made is not None:
                made.add(block)
    last_import = max(
        (
            n.end_lineno or n.lineno
            for n in tree.body
            if isinstance(n, (ast.Import, ast.ImportFrom))
        ),
        default=0,
    )
    blocks[last_import] = (
        blocks.get(last_import, "") + OPEN_ENUMS_IMPORT + (ALIAS_IMPORTS if used else "")
    )
    source = apply_edits(source, edits)
    lines = source.splitlines(keepends=True)
    for number in sorted(blocks, reverse=True):
        lines.insert(number, blocks[number])
    return "".join(lines), set(used.values())


def _literal_of(annotation: ast.expr) -> ast.expr | None:
    """The ``Literal[...]`` of ``Literal[...]`` or ``Literal[...] | None``, else None."""
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
        return annotation if annotation.value.id == "Literal" else None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = (annotation.left, annotation.right)
        nones = [s for s in sides if isinstance(s, ast.Constant) and s.value is None]
        others = [s for s in sides if s not in nones]
        return _literal_of(others[0]) if len(nones) == 1 and len(others) == 1 else None
    return None


def _defaults_to_none(value: ast.expr | None) -> bool | None:
    """True for ``= None`` / ``Field(None, ...)``, False for a required field, None for
    another default."""
    if value is None:
        return False
    if isinstance(value, ast.Constant):
        return True if value.value is None else None
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "Field"
    ):
        default = (
            value.args[0]
            if value.args
            else next((k.value for k in value.keywords if k.arg == "default"), None)
        )
        if default is None or (isinstance(default, ast.Constant) and default.value is Ellipsis):
            return False
        return True if isinstance(default, ast.Constant) and default.value is None else None
    return None


def keep_inherited_literals(source: str) -> str:
    """A subclass field that redeclares a parent's ``Literal`` field keeps the literal
    (``inherited_literal_edits``)."""
    edits = inherited_literal_edits(source, ast.parse(source))
    return apply_edits(source, edits) if edits else source


def inherited_literal_edits(source: str, tree: ast.Module) -> list[Edit]:
    """The edits by which a subclass field that redeclares a parent's ``Literal`` field
    keeps the literal (``tree``: the parse of ``source``).

    The library narrows the tag field of each variant of a discriminated union to a
    ``Literal`` (OpenAI's ``role: Literal["assistant"]``), but an allOf that extends such
    a variant and lists the field in its own ``required`` gets the field again with the
    property's enum, a wider type: mypy rejects that as an incompatible override, and
    the subclass is still that variant. Edits are at the tree's positions.
    """
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}

    def fields(node: ast.ClassDef) -> dict[str, ast.AnnAssign]:
        return {
            s.target.id: s
            for s in node.body
            if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
        }

    def literal_above(node: ast.ClassDef, name: str, seen: frozenset[str]) -> ast.expr | None:
        """The literal an ancestor types the field with; a declaration between without
        any literal is one this function rewrites too, so the search goes past it."""
        for base in node.bases:
            if not (isinstance(base, ast.Name) and base.id in classes and base.id not in seen):
                continue
            parent = classes[base.id]
            declared = fields(parent).get(name)
            if declared is not None and has_literal(declared.annotation):
                return _literal_of(declared.annotation)
            found = literal_above(parent, name, seen | {base.id})
            if found is not None or declared is not None:
                return found
        return None

    def has_literal(annotation: ast.expr) -> bool:
        return any(isinstance(n, ast.Name) and n.id == "Literal" for n in ast.walk(annotation))

    edits: list[Edit] = []
    for node in classes.values():
        for name, statement in fields(node).items():
            annotation = statement.annotation
            if has_literal(annotation):
                continue  # already a literal (perhaps a narrower one)
            literal = literal_above(node, name, frozenset({node.name}))
            optional = _defaults_to_none(statement.value)
            if literal is None or optional is None or annotation.end_col_offset is None:
                continue
            if annotation.lineno != annotation.end_lineno:
                continue  # the library writes annotations on one line (no formatter)
            text = ast.get_source_segment(source, literal) or ""
            edits.append(
                (
                    annotation.lineno,
                    annotation.col_offset,
                    annotation.end_col_offset,
                    text + (" | None" if optional else ""),
                )
            )
    return edits


MIN_GROUPED = 400  # definitions before the library runs on independent groups of them
MIN_GROUP = 100  # the smallest group worth a process of its own
GROUPS = 2  # how many: the output depends on the groups, never on the cores of a machine


def _referenced(node: Any, found: set[str]) -> set[str]:
    """Every definition a schema names: ``$ref`` values and discriminator mappings alike
    (any string that points into ``$defs``; one too many only joins two groups)."""
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
        elif isinstance(item, str) and item.startswith("#/$defs/"):
            found.add(item[len("#/$defs/") :])
    return found


def _on_cycles(graph: dict[str, set[str]]) -> list[str]:
    """The nodes of ``graph`` on a cycle, or leading to one (what is left once every node
    that leads nowhere is taken away, again and again)."""
    edges = {name: targets & graph.keys() for name, targets in graph.items()}
    into: dict[str, set[str]] = {name: set() for name in edges}
    for name, targets in edges.items():
        for target in targets:
            into[target].add(name)
    leaves = [name for name, targets in edges.items() if not targets]
    while leaves:
        leaf = leaves.pop()
        for source in into.pop(leaf):
            edges[source].discard(leaf)
            if not edges[source]:
                leaves.append(source)
        del edges[leaf]
    return sorted(edges)


def schema_groups(defs: dict[str, Any]) -> list[list[str]]:
    """The definitions in groups that share no reference, each in the table's order.

    The library's output for a class depends on the definitions it can reach and
    those that reach it (a discriminated union narrows its variants), and, for the
    models on or leading into a reference cycle, on all such models (which it orders
    and quotes together); so those stay in one group, and separate runs over the
    groups write the same classes as one run over all (``_merged`` checks the rest).
    The connected components are dealt, biggest first, to the lightest of ``GROUPS``
    groups; one group (all) when the table is small or a group would be too small.
    """
    names = list(defs)
    if len(names) < MIN_GROUPED:
        return [names]
    leader = {name: name for name in names}

    def find(name: str) -> str:
        while leader[name] != name:
            leader[name] = leader[leader[name]]
            name = leader[name]
        return name

    targets = {name: _referenced(defs[name], set()) & leader.keys() for name in names}
    for name in names:
        for target in targets[name]:
            leader[find(target)] = find(name)
    # The library orders and spells the models of reference cycles (and those that lead
    # into one) from all such models of its input at once: they stay in one group.
    cyclic = _on_cycles(targets)
    for name in cyclic:
        leader[find(name)] = find(cyclic[0])
    components: dict[str, list[str]] = {}
    for name in names:
        components.setdefault(find(name), []).append(name)
    bins: list[list[str]] = [[] for _ in range(GROUPS)]
    for component in sorted(components.values(), key=len, reverse=True):
        min(bins, key=len).extend(component)
    position = {name: i for i, name in enumerate(names)}
    groups = [sorted(b, key=position.__getitem__) for b in bins if b]
    if len(groups) < 2 or min(len(g) for g in groups) < MIN_GROUP:
        return [names]
    return sorted(groups, key=lambda g: position[g[0]])


@dataclass(frozen=True)
class _Part:
    """One run of the library over a group, with apigen's edits made."""

    source: str
    classes: frozenset[str]
    defined: frozenset[str]  # the literal aliases it defined
    black_made: frozenset[str] = frozenset()  # its statements in black's layout already


def _library_part(
    schema: dict[str, Any],
    aliases: dict[str, str],
    defs: dict[str, Any],
    literal_aliases: dict[str, str],
) -> _Part:
    """The library over ``schema`` (a ``$defs`` table), its invented classes renamed,
    inherited literals kept, its enums opened. ``defs`` are all the IR's definitions."""
    from datamodel_code_generator import DataModelType, InputFileType, PythonVersion, generate

    from datamodel_code_generator.format import DatetimeClassType

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source = generate(
                schema,
                input_file_type=InputFileType.JsonSchema,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_python_version=PythonVersion.PY_310,
                class_name=ROOT_PLACEHOLDER,
                formatters=[],
                disable_timestamp=True,
                use_schema_description=True,
                use_field_description=True,
                use_standard_collections=True,
                use_union_operator=True,
                collapse_root_models=True,
                snake_case_field=True,
                allow_population_by_field_name=True,
                allow_extra_fields=True,
                use_double_quotes=True,
                capitalise_enum_members=True,
                aliases=aliases,
                field_constraints=True,
                set_default_enum_member=True,
                use_tuple_for_closed_arrays=True,
                output_datetime_class=DatetimeClassType.Datetime,
                custom_file_header='"""Models of the API, generated by apigen from its schemas."""',
            )
    except Exception as exc:  # the library's own errors: report, don't crash
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ApigenError(
            Diagnostic("error", f"model generation failed: {exc.__class__.__name__}: {first}")
        ) from None
    if not isinstance(source, str):
        raise ApigenError("model generation returned several modules; expected one")
    tree = ast.parse(source)
    renames = name_invented_classes(tree, defs, frozenset(literal_aliases.values()))
    source = _strip_placeholder(apply_edits(source, rename_edits(source, tree, renames)), tree)
    renamed = ast.parse(source)
    edits = inherited_literal_edits(source, renamed)
    if edits:  # otherwise the parse holds for the enums' step too (a parse is 0.3 s on GitHub)
        source = apply_edits(source, edits)
        renamed = ast.parse(source)
    made: set[str] = set()
    source, defined = open_enums(source, renamed, dict(literal_aliases), made)
    classes = frozenset(
        renames.get(n.name, n.name)
        for n in tree.body
        if isinstance(n, ast.ClassDef) and n.name != ROOT_PLACEHOLDER
    )
    return _Part(source, classes, frozenset(defined), frozenset(made))


def _header_end(lines: list[str]) -> int:
    """How many lines the module's docstring and imports take (the library writes them
    first, one line each, and its first class next)."""
    return next((i for i, line in enumerate(lines) if line.startswith("class ")), len(lines))


def _bindings(line: str) -> list[tuple[str, str]]:
    """``(module.name, bound name)`` of each name a one-line import statement binds."""
    statement = ast.parse(line).body[0]
    assert isinstance(statement, (ast.Import, ast.ImportFrom))
    prefix = f"{'.' * getattr(statement, 'level', 0)}{getattr(statement, 'module', '') or ''}."
    if isinstance(statement, ast.Import):
        prefix = ""
    return [(prefix + a.name, a.asname or a.name) for a in statement.names]


def _merged(parts: list[_Part]) -> _Part | None:
    """One module of the groups' modules: the first one's header, the others' import
    lines it lacks, then every group's classes in turn. None when two groups define
    one name (two invented classes the library numbered alike), or two classes of
    different groups would ask for one module file: one run must decide those."""
    from .naming import file_safe_name

    owner: dict[str, int] = {}  # class name -> its group
    file_groups: dict[str, set[int]] = {}  # module file (any case) -> the groups asking for it
    claims: dict[str, int] = {}
    for index, part in enumerate(parts):
        for name in part.classes | part.defined:
            if owner.setdefault(name, index) != index:
                return None
            file = file_safe_name(snake_identifier(name, "model")).lower()
            file_groups.setdefault(file, set()).add(index)
            claims[file] = claims.get(file, 0) + 1
    if any(len(groups) > 1 for groups in file_groups.values()):
        return None
    for file, count in claims.items():  # the second claim of a file gets a suffix
        if count > 1 and any(
            other.startswith(file + "_model") and groups != file_groups[file]
            for other, groups in file_groups.items()
        ):
            return None
    header: list[str] = []
    bodies: list[str] = []
    bound: dict[str, str] = {}  # module.name imported -> the name it is bound to
    for part in parts:
        lines = part.source.splitlines(keepends=True)
        end = _header_end(lines)
        if not header:
            header = lines[:end]
        for line in lines[:end]:
            if line.strip() and not line.startswith(('"""', "from ", "import ")):
                return None  # not the library's one-line imports: leave it to one run
            if not line.startswith(("from ", "import ")):
                continue
            for imported, local in _bindings(line):
                # the library renames an import the whole module over when one field
                # shadows it (``datetime as datetime_aliased``): one run must decide
                if bound.setdefault(imported, local) != local:
                    return None
            if line not in header:
                header.append(line)
        bodies.append("".join(lines[end:]).strip("\n") + "\n")
    return _Part(
        "".join(header) + "\n\n" + "\n\n\n".join(bodies),
        frozenset().union(*(p.classes for p in parts)),
        frozenset().union(*(p.defined for p in parts)),
        frozenset().union(*(p.black_made for p in parts)),
    )


def generate_models(
    defs: dict[str, Any],
    header: str = "",
    literal_aliases: dict[str, str] | None = None,
    children_wait: Callable[[], None] | None = None,
) -> ModelsModule:
    """The models of every definition, as one module.

    datamodel-code-generator runs once over all definitions, or on a big table once
    per group of definitions that share no reference (``schema_groups``), the
    groups in forked processes where apigen may fork (``parallel.run_tasks``) and
    one after the other elsewhere: the same groups either way, so the same output.
    A child calls ``children_wait`` first (``parallel.run_tasks``).
    """
    if not defs:
        return ModelsModule(f'{header}"""Models: this API declares no schemas."""\n', frozenset())
    from .parallel import run_tasks

    aliases: dict[str, str] = {}
    literal_aliases = dict(literal_aliases or {})
    shallow, notes = cut_deep_inheritance(defs)
    adapted = nullable_classes_at_use_sites(flatten_conflicting_allof(shallow))
    prepared = prepare_schema(adapted, aliases)
    scoped, renamed = colliding_field_names(adapted)
    aliases.update(scoped)
    notes += renamed

    def part_of(names: list[str]) -> Callable[[], _Part]:
        def run() -> _Part:
            schema = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$defs": prepared
                if len(names) == len(prepared)
                else {n: prepared[n] for n in names},
            }
            return _library_part(schema, aliases, defs, literal_aliases)

        return run

    groups = schema_groups(prepared)
    # the biggest group runs here, the others in children (results back in group order)
    by_size = sorted(range(len(groups)), key=lambda i: -len(groups[i]))
    done = run_tasks([part_of(groups[i]) for i in by_size], children_wait)
    parts = [done[by_size.index(i)] for i in range(len(groups))]
    merged = parts[0] if len(parts) == 1 else _merged(parts)
    if merged is None:
        merged = part_of(list(prepared))()
    source, classes, defined = merged.source, merged.classes, merged.defined
    missing = sorted(set(defs) - classes)
    lost: list[str] = []
    if missing:
        # Collapsed aliases (RootModel of a list, a union ...) need no class; the IR
        # never imports them. Report the others.
        from .schemas import is_class_like

        lost = [m for m in missing if is_class_like(defs[m])]
    # The library folded these schemas into the fields that use them; the IR still
    # names them, so they become aliases of Any (reported, not dropped). An enum
    # alias the IR named whose class did not come out open is the class itself.
    plain = {
        a: e for e, a in literal_aliases.items() if a not in defined and (e in classes or e in lost)
    }
    if lost or plain:
        source += "\n" + "".join(f"{name}: TypeAlias = Any\n" for name in lost)
        source += "".join(f"{alias}: TypeAlias = {enum}\n" for alias, enum in sorted(plain.items()))
        # split_models gives each module only the imports it uses, so a repeated name is harmless
        source = source.replace(
            "from __future__ import annotations\n",
            "from __future__ import annotations\n\nfrom typing import Any, TypeAlias\n",
            1,
        )
    return ModelsModule(
        header + source, classes | frozenset(lost), tuple(lost), tuple(notes), merged.black_made
    )
