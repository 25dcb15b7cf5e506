"""Naming every schema and turning schemas into Python type expressions.

Component schemas keep their names (sanitised). Inline schemas that need a class
(objects with properties, enums, allOf compositions) are hoisted into named
definitions whose names come from where they stand: property ``category`` of
``Pet`` becomes ``PetCategory``, the JSON body of ``createPet`` becomes
``CreatePetRequest``. The result, ``defs``, is one flat JSON Schema ``$defs``
table that the models stage hands to datamodel-code-generator, so the class names
in generated code are exactly the names decided here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .ir import ANY, NONE, PyType
from .naming import NameScope, class_identifier, is_class_name, pascal
from .spec_walk import resolve_pointer

_COMPONENT_PREFIX = "#/components/schemas/"
_STRING_FORMATS = {
    "date-time": PyType("datetime", imports=frozenset({"datetime:datetime"})),
    "date": PyType("date", imports=frozenset({"datetime:date"})),
    "uuid": PyType("UUID", imports=frozenset({"uuid:UUID"})),
    "binary": PyType("bytes"),
}
_PRIMITIVES = {
    "integer": PyType("int"),
    "number": PyType("float"),
    "boolean": PyType("bool"),
    "null": NONE,
}


def types_of(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return [str(k) for k in kind]
    return [str(kind)] if isinstance(kind, str) else []


def is_null_only(member: Any) -> bool:
    """``{"type": "null"}``: 3.1's member of an anyOf that makes it nullable (None, not Any)."""
    return (
        isinstance(member, dict)
        and types_of(member) == ["null"]
        and not any(k in member for k in ("$ref", "enum", "const", "oneOf", "anyOf", "allOf"))
    )


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "other"


def is_mixed_enum(schema: Any) -> bool:
    """An enum a Python ``Enum`` cannot hold: values of several JSON types, or numbers
    Python finds equal. ``Enum`` would make ``True`` an alias of ``1`` (``True == 1``)."""
    enum = schema.get("enum") if isinstance(schema, dict) else None
    if not isinstance(enum, list):
        return False
    values = [v for v in enum if v is not None]
    kinds = {_json_kind(v) for v in values}
    if "other" in kinds or not kinds:
        return False
    if len(kinds) > 1:
        return True
    return kinds == {"number"} and len(set(values)) < len({(type(v), v) for v in values})


def literal_values(values: list[Any]) -> tuple[list[Any], bool]:
    """The values a ``Literal`` can spell (not floats), and whether floats were left out."""
    kept = [v for v in values if v is not None and not isinstance(v, float)]
    return kept, any(isinstance(v, float) for v in values)


def closed_tuple(schema: Any) -> bool:
    """A 3.1 tuple: ``prefixItems`` and no further items, every position expected."""
    prefix = schema.get("prefixItems") if isinstance(schema, dict) else None
    if not isinstance(prefix, list) or not prefix or schema.get("items") is not False:
        return False
    least = schema.get("minItems")
    return not isinstance(least, int) or isinstance(least, bool) or least >= len(prefix)


def is_class_like(schema: Any) -> bool:
    """Whether the IR names this schema by a class (model or enum), not by its spelled-out type.

    It mirrors what datamodel-code-generator makes a class of. The models stage checks it
    against the library's actual output (a class the IR names that the library did not
    make becomes an alias of Any, reported as untyped), and
    tests/test_models_stage.py holds the pinned versions to it.
    """
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    enum = schema.get("enum")
    if (
        isinstance(enum, list)
        and any(v is not None for v in enum)
        and not ({"object", "array"} & set(types_of(schema)))
    ):
        return not is_mixed_enum(schema)  # a mixed one is a Literal where it is used
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and all_of:
        if len(all_of) == 1 and "properties" not in schema:
            # allOf of one: a $ref is an alias of it (an annotated reference); an inline
            # object is that object's class (Zoom's registrant questions)
            return is_class_like(all_of[0])
        return True
    props = schema.get("properties")
    if isinstance(props, dict) and props:
        return "array" not in types_of(schema)
    # a free-form object ({type: object}) is a model too: it keeps every field
    # (extra="allow") and gives the operation a named return type
    extra = schema.get("additionalProperties")
    return (
        types_of(schema) == ["object"]
        and not isinstance(extra, dict)
        and not any(k in schema for k in ("oneOf", "anyOf"))
    )


def open_enum_kind(schema: Any) -> str | None:
    """``"str"`` or ``"int"`` for an enum whose class is open (keeps unknown values), else None."""
    if not is_class_like(schema) or not isinstance(schema.get("enum"), list):
        return None
    values = [v for v in schema["enum"] if v is not None]
    if values and all(isinstance(v, str) for v in values):
        return "str"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    return None


def _flag(schema: Any, key: str) -> bool:
    """``readOnly`` / ``writeOnly`` on a property, also beside its $ref or in an allOf of one."""
    if not isinstance(schema, dict):
        return False
    if schema.get(key) is True:
        return True
    parts = schema.get("allOf")
    return isinstance(parts, list) and len(parts) == 1 and _flag(parts[0], key)


def _direction_sensitive(schema: Any, reaches: Any) -> bool:
    """Whether a schema differs between requests and responses (``reaches`` answers for refs)."""
    if isinstance(schema, list):
        return any(_direction_sensitive(v, reaches) for v in schema)
    if not isinstance(schema, dict):
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and reaches(ref[len("#/$defs/") :]):
        return True
    props = schema.get("properties")
    if isinstance(props, dict):
        required = schema["required"] if isinstance(schema.get("required"), list) else []
        if any(_flag(p, "readOnly") for p in props.values()):
            return True
        if any(_flag(props.get(r), "writeOnly") for r in required):
            return True
    return any(
        _direction_sensitive(v, reaches)
        for k, v in schema.items()
        if k not in ("default", "enum", "const", "example", "examples", "required", "$ref")
    )


def _without_required_write_only(node: Any) -> Any:
    """A copy of a schema whose objects do not require their writeOnly properties."""
    if isinstance(node, list):
        return [_without_required_write_only(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: v
        if k in ("default", "enum", "const", "example", "examples")
        else _without_required_write_only(v)
        for k, v in node.items()
    }
    props = node.get("properties")
    if isinstance(props, dict) and isinstance(node.get("required"), list):
        kept = [r for r in node["required"] if not _flag(props.get(r), "writeOnly")]
        if len(kept) != len(node["required"]):
            if kept:
                out["required"] = kept
            else:
                del out["required"]
    return out


def _shape(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, default=str)


def _shared_enums(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Inline enums that several operations repeat: shape -> the names they stand under.

    Such an enum gets one class; naming it after the first operation that uses it
    (``ActionsGetActionsCacheListDirection`` for every ``direction``) misleads.
    """
    uses: dict[str, list[tuple[str, str]]] = {}

    def walk(node: Any, key: str, where: str, seen: frozenset[str] = frozenset()) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, key, where, seen)
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str):
            # shared parameters, bodies and responses count at every use; schemas
            # under components are named after themselves
            if not ref.startswith(_COMPONENT_PREFIX) and ref not in seen:
                try:
                    target = resolve_pointer(spec, ref)
                except (KeyError, IndexError, ValueError, TypeError):
                    return
                walk(target, key, where, seen | {ref})
            return
        if isinstance(node.get("enum"), list) and is_class_like(node):
            uses.setdefault(_shape(node), []).append((where, key))
            return
        if isinstance(node.get("name"), str) and isinstance(node.get("schema"), dict):
            key = node["name"]  # a parameter: its enum stands under its name
        for child_key, child in node.items():
            if child_key == "properties" and isinstance(child, dict):
                for prop, sub in child.items():
                    walk(sub, str(prop), where, seen)
            elif child_key in ("oneOf", "anyOf") and isinstance(child, list):
                for member in child:  # a variant is named after what sets it apart, as in hoisting
                    values = member.get("enum") if isinstance(member, dict) else None
                    trait = str(values[0]) or "empty" if isinstance(values, list) and values else ""
                    walk(member, f"{key}_{trait}" if trait else key, where, seen)
            elif child_key not in ("example", "examples", "default", "enum", "const"):
                walk(child, key, where, seen)

    for path, item in (
        (spec.get("paths") or {}).items() if isinstance(spec.get("paths"), dict) else ()
    ):
        if isinstance(item, dict):
            for method, op in item.items():
                walk(op, "", f"{method} {path}" if isinstance(op, dict) else str(path))
    shared = {}
    for shape, found in uses.items():
        if len({where for where, _ in found}) > 1:
            shared[shape] = [key for _, key in found]
    return shared


def _value_words(values: list[Any]) -> str:
    """A class name from a short enum's values: ``AscDesc``, ``OpenClosedAll``; else ""."""
    words = [pascal(str(v)) for v in values if v is not None]
    name = "".join(words)
    return name if 0 < len(words) <= 3 and all(words) and len(name) <= 30 else ""


def _shared_enum_names(keys: list[str], values: list[Any]) -> list[str]:
    """Names for an enum several operations share, most readable first.

    The property or parameter it stands under when that is always the same
    (``Direction``); else its values when they are few and short (``AscDesc``);
    else the name it stands under most often.
    """
    named = [class_identifier(k, "Schema") for k in keys if pascal(k)]
    words = _value_words(values)
    if len(set(named)) == 1:
        if len(values) == 1 and words and not named[0].endswith(words):  # a constant: ObjectList
            return [named[0] + words]
        return [named[0], named[0] + words] if words else [named[0]]
    common = sorted(set(named), key=lambda n: (-named.count(n), n))[:1]
    # isendpro's enum ["1"] under two names: "1" alone names no class; nor does Azure
    # IMDS's ["true"] under Metadata and bypass_cache (`True` is a keyword)
    return [w for w in (words, *common, *(c + words for c in common if words)) if is_class_name(w)]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class SchemaRegistry:
    """Owns the model namespace of one API: component names, hoisted inline schemas."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.scope = NameScope()
        self.defs: dict[str, Any] = {}
        self.component_names: dict[str, str] = {}
        self._ref_cache: dict[str, str] = {}
        self.dropped: list[
            tuple[str, str]
        ] = []  # (where, why): parts of schemas left out, for the summary
        self._annotating: set[str] = set()
        self._hoisted: dict[int, str] = {}  # id(inline schema) -> its class, so it is named once
        # structural key -> class: bundled specs repeat component schemas inline; a
        # copy gets the component's class instead of a second, numbered one
        self._by_shape: dict[str, str] = {}
        self._shared = _shared_enums(spec)
        self.literal_aliases: dict[str, str] = {}  # open enum class -> its `| Literal[...]` alias
        self._request_views: dict[str, str] = {}  # class -> its request view (readOnly left out)
        self._needs_view: dict[str, bool] = {}
        holder = spec.get("components")
        components = holder.get("schemas") if isinstance(holder, dict) else None
        components = components if isinstance(components, dict) else {}
        for key in components:
            base = class_identifier(key, "Schema")
            # `contact-details` and `ContactDetails` both want ContactDetails
            self.component_names[key] = self.scope.claim(base, base + "Schema", base + "Model")
        for key, schema in components.items():
            if is_class_like(schema):
                self._by_shape.setdefault(_shape(schema), self.component_names[key])
        for key, schema in components.items():
            name = self.component_names[key]
            self.defs[name] = self.rewrite(schema, name, top=True)
            self._split_recursive_items(name)

    # ------------------------------------------------------------ rewriting

    def hoist(self, schema: dict[str, Any], context: str) -> str:
        if id(schema) in self._hoisted:
            return self._hoisted[id(schema)]
        shape = _shape(schema)
        if shape in self._by_shape:
            self._hoisted[id(schema)] = self._by_shape[shape]
            return self._by_shape[shape]
        base = class_identifier(context, "Schema")
        suffix = "Enum" if "enum" in schema else "Object"
        if shape in self._shared:  # after what it stands under or its values, not one operation
            name = self.scope.claim(
                *_shared_enum_names(self._shared[shape], list(schema["enum"])), base
            )
        else:
            name = self.scope.claim(base, base + suffix)
        self._hoisted[id(schema)] = name
        self._by_shape[shape] = name
        self.defs[name] = {}  # placeholder: recursion may refer to it
        self.defs[name] = self.rewrite(schema, name, top=True)
        self._split_recursive_items(name)
        return name

    def _ref(self, ref: str, context: str) -> dict[str, Any]:
        if ref.startswith(_COMPONENT_PREFIX) and "/" not in ref[len(_COMPONENT_PREFIX) :]:
            key = ref[len(_COMPONENT_PREFIX) :].replace("~1", "/").replace("~0", "~")
            if key in self.component_names:
                return {"$ref": "#/$defs/" + self.component_names[key]}
        if ref in self._ref_cache:
            return {"$ref": "#/$defs/" + self._ref_cache[ref]}
        try:
            target = resolve_pointer(self.spec, ref)
        except (KeyError, IndexError, ValueError, TypeError):
            return {}  # a ref where check_refs does not look: nothing to type it with
        if not isinstance(target, dict):
            return {}
        last = class_identifier(pascal(ref.rsplit("/", 1)[-1]) or context, "Schema")
        name = self.scope.claim(last, class_identifier(context, "Schema") + last, last + "Object")
        self._ref_cache[ref] = name
        self.defs[name] = {}
        self.defs[name] = self.rewrite(target, name, top=True)
        self._split_recursive_items(name)
        return {"$ref": "#/$defs/" + name}

    def rewrite(self, schema: Any, context: str, top: bool = False) -> Any:
        """Copy ``schema`` with refs pointing into ``$defs`` and inline classes hoisted."""
        if not isinstance(schema, dict):
            return schema
        if "$ref" in schema:
            out = {k: v for k, v in schema.items() if k in ("description", "title")}
            out.update(self._ref(str(schema["$ref"]), context))
            return out
        if not top and is_class_like(schema):
            return {"$ref": "#/$defs/" + self.hoist(schema, context)}
        out = dict(schema)
        if isinstance(schema.get("properties"), dict):
            out["properties"] = {
                k: self.rewrite(v, context + pascal(k)) for k, v in schema["properties"].items()
            }
        if isinstance(schema.get("items"), dict):
            out["items"] = self.rewrite(schema["items"], context + "Item")
        if isinstance(schema.get("prefixItems"), list):
            positions = enumerate(schema["prefixItems"])
            out["prefixItems"] = [self.rewrite(m, f"{context}Item{i + 1}") for i, m in positions]
        if isinstance(schema.get("additionalProperties"), dict):
            out["additionalProperties"] = self.rewrite(
                schema["additionalProperties"], context + "Value"
            )
        if isinstance(schema.get("allOf"), list):
            # members stay inline (the model merges them); their insides get names
            out["allOf"] = [self.rewrite(m, context, top=True) for m in schema["allOf"]]
        for key in ("oneOf", "anyOf"):
            members = schema.get(key)
            if not isinstance(members, list):
                continue
            if (
                isinstance(schema.get("properties"), dict)
                and schema["properties"]
                and all(isinstance(m, dict) and "$ref" not in m for m in members)
            ):
                # an object with its own properties whose oneOf only adds constraints
                # (which fields are required together): the model is the object; the
                # server enforces the combination
                out.pop(key, None)
                continue
            out[key] = [
                self.rewrite(m, self._variant_context(m, context, i, members))
                for i, m in enumerate(members)
            ]
        disc = schema.get("discriminator")
        if isinstance(disc, dict) and isinstance(disc.get("mapping"), dict):
            mapping = {}
            unresolved: list[str] = []
            for value, target in disc["mapping"].items():
                if isinstance(target, str) and "#" not in target and "/" not in target:
                    target = _COMPONENT_PREFIX + target  # a bare schema name
                try:
                    resolved = (
                        self._ref(target, context).get("$ref") if isinstance(target, str) else None
                    )
                except (KeyError, IndexError, ValueError):
                    resolved = None
                if resolved:
                    mapping[value] = resolved
                else:
                    unresolved.append(f"{value!r} -> {target!r}")
            if unresolved:
                # the mapping is a hint for picking the variant; the variants stay
                shown = ", ".join(unresolved[:3]) + (
                    f" and {len(unresolved) - 3} more" if len(unresolved) > 3 else ""
                )
                self.dropped.append(
                    (
                        f"schema {context}",
                        f"discriminator mapping does not resolve, left out: {shown}",
                    )
                )
            out["discriminator"] = (
                {**disc, "mapping": mapping}
                if mapping
                else {k: v for k, v in disc.items() if k != "mapping"}
            )
        elif isinstance(disc, dict):
            unnamed = self._unnamed_members(schema, disc.get("propertyName"))
            if unnamed:
                # OpenAPI names each member by its schema name when there is no mapping; the
                # models would then require that name (Literal["User"]) in every use of the
                # member. A member without the property (Linode's Volume) or declaring other
                # values (exavault's User: "user") shows the spec means no such thing.
                out.pop("discriminator", None)
                self.dropped.append(
                    (
                        f"schema {context}",
                        "discriminator without mapping left out: "
                        f"{', '.join(unnamed[:3])} do not carry their schema name",
                    )
                )
        for key in ("not", "if", "then", "else", "patternProperties", "$defs", "definitions"):
            out.pop(key, None)
        return out

    def _unnamed_members(self, schema: dict[str, Any], prop: Any) -> list[str]:
        """The members (by schema name) of a union whose ``prop`` cannot hold that name: it
        is missing, or has no enum or const (whose values the models would take) and an
        example that is another value."""
        if not isinstance(prop, str):
            return []
        found = []
        for member in [*_listed(schema.get("oneOf")), *_listed(schema.get("anyOf"))]:
            ref = member.get("$ref") if isinstance(member, dict) else None
            if not isinstance(ref, str) or not ref.startswith(_COMPONENT_PREFIX):
                continue
            name = ref.rsplit("/", 1)[-1]
            node = self._property(ref, prop, 0)
            if node is None:
                found.append(name)
                continue
            if "enum" in node or "const" in node:
                continue  # the models take the property's own values as the tag
            example = node.get("example")
            if isinstance(example, str) and example != name:
                found.append(name)
        return found

    def _property(self, ref: str, prop: str, depth: int) -> dict[str, Any] | None:
        """The schema of property ``prop`` of the component ``ref`` (through allOf), if any."""
        try:
            target = resolve_pointer(self.spec, ref)
        except (KeyError, IndexError, ValueError, TypeError):
            return {}  # unknown: taken as fitting
        if not isinstance(target, dict) or depth > 8:
            return {}
        props = target.get("properties")
        if isinstance(props, dict) and prop in props:
            node = props[prop]
            if isinstance(node, dict) and isinstance(node.get("$ref"), str):
                try:
                    node = resolve_pointer(self.spec, node["$ref"])
                except (KeyError, IndexError, ValueError, TypeError):
                    return {}
            return node if isinstance(node, dict) else {}
        for part in _listed(target.get("allOf")):
            if isinstance(part, dict) and isinstance(part.get("$ref"), str):
                found = self._property(part["$ref"], prop, depth + 1)
            elif isinstance(part, dict) and isinstance(part.get("properties"), dict):
                found = part["properties"].get(prop)
                found = found if isinstance(found, dict) or found is None else {}
            else:
                found = None
            if found is not None:
                return found
        if any(k in target for k in ("oneOf", "anyOf", "additionalProperties")):
            return {}  # the property may come from where this cannot look
        return None

    def _split_recursive_items(self, name: str) -> None:
        """Give the items of an array that contains itself a class of their own.

        datamodel-code-generator types an array whose items refer back to it
        (``X: [ {str: X} ]``) as a bare ``list``, which mypy --strict rejects; through
        a named item (``X: [XItem]``, ``XItem: {str: X}``) it types both.
        """
        schema = self.defs.get(name)
        if not isinstance(schema, dict):
            return
        items = schema.get("items")
        if not isinstance(items, dict) or not _refers_to(items, "#/$defs/" + name):
            return
        item = self.scope.claim(name + "Item", name + "Element")
        self.defs[item] = items
        self.defs[name] = {**schema, "items": {"$ref": "#/$defs/" + item}}

    def _variant_context(
        self, member: Any, context: str, index: int, siblings: list[Any] | None = None
    ) -> str:
        """A name for one member of a oneOf/anyOf, from what sets it apart from the others."""
        if isinstance(member, dict):
            title = member.get("title")
            if isinstance(title, str) and pascal(title):
                return context + pascal(title)
            enum = member.get("enum")
            if isinstance(enum, list) and enum and pascal(str(enum[0])):
                return context + pascal(str(enum[0]))
            for part in member.get("allOf") or []:  # named after the schema it extends
                ref = part.get("$ref") if isinstance(part, dict) else None
                if isinstance(ref, str) and ref.startswith(_COMPONENT_PREFIX):
                    return context + class_identifier(ref.rsplit("/", 1)[-1], "Schema")
            props = member.get("properties")
            if isinstance(props, dict):
                for key in ("type", "kind", "object", "event"):
                    const = (
                        props.get(key, {}).get("enum") if isinstance(props.get(key), dict) else None
                    )
                    if isinstance(const, list) and len(const) == 1 and pascal(str(const[0])):
                        return context + pascal(str(const[0]))
                others = [o for o in siblings or [] if o is not member and isinstance(o, dict)]
                if not any(is_class_like(o) for o in others):
                    return context + "Object"
                shared = (
                    set().union(*[set(o.get("properties") or {}) for o in others])
                    if others
                    else set()
                )
                own = [
                    k
                    for k in list(member.get("required") or []) + list(props)
                    if k not in shared and pascal(str(k))
                ]
                if own:
                    return context + "With" + pascal(str(own[0]))
                others_required = (
                    set().union(*[set(o.get("required") or []) for o in others])
                    if others
                    else set()
                )
                needs = [
                    k
                    for k in member.get("required") or []
                    if k not in others_required and pascal(str(k))
                ]
                if needs:
                    return context + "Requiring" + pascal(str(needs[0]))
            distinct = _distinct_trait(
                member, [o for o in siblings or [] if o is not member and isinstance(o, dict)]
            )
            if distinct:
                return context + distinct
        return f"{context}Variant{index + 1}"

    # ------------------------------------------------------------ annotations

    def type_of(self, schema: Any, context: str, literals: bool = False) -> PyType:
        """Python type of a schema found in an operation, hoisting what needs a class.

        ``literals``: an open enum is written as its alias that also takes the plain
        strings (``Status | Literal["a", "b"]``), for parameters the caller fills in.
        """
        return self.typed_schema(schema, context, literals)[1]

    def typed_schema(
        self, schema: Any, context: str, literals: bool = False
    ) -> tuple[dict[str, Any] | None, PyType]:
        """``type_of``, with the schema as the models see it (its refs point into ``defs``)."""
        if not isinstance(schema, dict):
            return None, ANY
        if not schema:
            return {}, ANY
        rewritten = self.rewrite(schema, context)
        return rewritten, self.annotate(rewritten, literals)

    def request_type_of(self, schema: Any, context: str) -> PyType:
        """Python type of a request body: models with readOnly properties as their request views."""
        return self.request_typed_schema(schema, context)[1]

    def request_typed_schema(
        self, schema: Any, context: str
    ) -> tuple[dict[str, Any] | None, PyType]:
        """``request_type_of``, with the schema as the models see it (before request views)."""
        if not isinstance(schema, dict):
            return None, ANY
        if not schema:
            return {}, ANY
        rewritten = self.rewrite(schema, context)
        return rewritten, self.annotate(self._to_request(rewritten))

    def _needs_request_view(self, name: str) -> bool:
        """Whether a class, or one it reaches, has readOnly or required writeOnly properties."""
        if name not in self._needs_view:
            self._needs_view[name] = False  # a cycle adds nothing
            self._needs_view[name] = _direction_sensitive(
                self.defs.get(name), self._needs_request_view
            )
        return self._needs_view[name]

    def request_view(self, name: str) -> str:
        """The class a request uses for ``name``: itself, or a copy without readOnly properties."""
        if name in self._request_views:
            return self._request_views[name]
        if not self._needs_request_view(name):
            return name
        view = self.scope.claim(name + "Input", name + "RequestBody")
        self._request_views[name] = view
        self.defs[view] = {}  # placeholder: recursion may refer to it
        self.defs[view] = self._to_request(self.defs[name])
        return view

    def _to_request(self, node: Any) -> Any:
        """A rewritten schema as a request sends it: readOnly properties out, refs to views."""
        if isinstance(node, list):
            return [self._to_request(v) for v in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = "#/$defs/" + self.request_view(value[len("#/$defs/") :])
            elif key == "properties" and isinstance(value, dict):
                out[key] = {
                    k: self._to_request(v) for k, v in value.items() if not _flag(v, "readOnly")
                }
            elif key in ("default", "enum", "const", "example", "examples", "required"):
                out[key] = value
            elif (
                key == "discriminator"
                and isinstance(value, dict)
                and isinstance(value.get("mapping"), dict)
            ):
                out[key] = {
                    **value,
                    "mapping": {
                        k: self._to_request({"$ref": v})["$ref"]
                        for k, v in value["mapping"].items()
                    },
                }
            else:
                out[key] = self._to_request(value)
        if isinstance(node.get("required"), list):
            read_only = self._read_only_names(node, frozenset())
            out["required"] = [r for r in node["required"] if r not in read_only]
            if not out["required"]:
                del out["required"]
        return out

    def _read_only_names(self, node: Any, seen: frozenset[str]) -> set[str]:
        """The readOnly properties of an object, its allOf parents' included."""
        if not isinstance(node, dict):
            return set()
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[len("#/$defs/") :]
            return (
                set() if name in seen else self._read_only_names(self.defs.get(name), seen | {name})
            )
        props = node.get("properties")
        names = (
            {k for k, v in props.items() if _flag(v, "readOnly")}
            if isinstance(props, dict)
            else set()
        )
        for part in node.get("allOf") or []:
            names |= self._read_only_names(part, seen)
        return names

    def finish(self) -> dict[str, str]:
        """Close the table once every operation is built; returns the enums' literal aliases."""
        self._finish_directions()
        return self._finish_literal_aliases()

    def _finish_directions(self) -> None:
        """Response classes do not require writeOnly properties (a server never sends them)."""
        views = set(self._request_views.values())
        for name, schema in self.defs.items():
            if name not in views:
                self.defs[name] = _without_required_write_only(schema)

    def literal_alias(self, name: str) -> str | None:
        """The alias of an open enum class that also admits its values as literals."""
        if name not in self.literal_aliases:
            if open_enum_kind(self.defs.get(name)) is None:
                return None
            self.literal_aliases[name] = self.scope.claim(name + "Value", name + "Literal")
        return self.literal_aliases[name]

    def _finish_literal_aliases(self) -> dict[str, str]:
        """Aliases for every open enum (model fields take literals too), in a stable order."""
        for name in list(self.defs):
            self.literal_alias(name)
        return dict(self.literal_aliases)

    def annotate(self, schema: Any, literals: bool = False) -> PyType:
        """Annotation of an already rewritten schema (refs point into ``defs``)."""
        if not isinstance(schema, dict):
            return ANY
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[len("#/$defs/") :]
            target = self.defs.get(name)
            if is_class_like(target):
                alias = self.literal_alias(name) if literals else None
                return (
                    PyType(alias, frozenset({alias})) if alias else PyType(name, frozenset({name}))
                )
            if name in self._annotating:  # a recursive alias: give up on precision, not on safety
                return ANY
            self._annotating.add(name)
            try:
                return self.annotate(target, literals)
            finally:
                self._annotating.discard(name)
        if isinstance(ref, str):
            return ANY
        kinds = types_of(schema)
        nullable = "null" in kinds
        kinds = [k for k in kinds if k != "null"]
        if is_mixed_enum(schema):
            return _mixed_enum_type(schema["enum"], nullable)
        for key in ("oneOf", "anyOf"):
            members = schema.get(key)
            if isinstance(members, list) and members:
                result: PyType | None = None
                for member in members:
                    part = NONE if is_null_only(member) else self.annotate(member, literals)
                    result = part if result is None else result.union(part)
                assert result is not None
                if "Any" in result.expr.split(" | "):
                    result = ANY
                return result.union(NONE) if nullable and result is not ANY else result
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1:
            return self.annotate(all_of[0], literals)
        result = self._annotate_kinds(schema, kinds, literals)
        return result.union(NONE) if nullable and result is not ANY else result

    def _annotate_member(self, member: Any, literals: bool = False) -> PyType:
        return self.annotate(member, literals) if isinstance(member, dict) and member else ANY

    def _annotate_kinds(
        self, schema: dict[str, Any], kinds: list[str], literals: bool = False
    ) -> PyType:
        if len(kinds) > 1:
            result: PyType | None = None
            for kind in kinds:
                part = self._annotate_kinds(schema, [kind], literals)
                result = part if result is None else result.union(part)
            assert result is not None
            return result
        kind = (
            kinds[0]
            if kinds
            else (
                "object"
                if "properties" in schema or "additionalProperties" in schema
                else "array"
                if "items" in schema
                else ""
            )
        )
        if kind == "string":
            return _STRING_FORMATS.get(str(schema.get("format")), PyType("str"))
        if kind in _PRIMITIVES:
            return _PRIMITIVES[kind]
        if kind == "array":
            prefix = schema.get("prefixItems")
            if closed_tuple(schema):
                parts = [self._annotate_member(m, literals) for m in schema["prefixItems"]]
                return PyType(
                    f"tuple[{', '.join(p.expr for p in parts)}]",
                    frozenset().union(*(p.models for p in parts)),
                    frozenset().union(*(p.imports for p in parts)),
                )
            item = (
                self.annotate(schema.get("items"), literals)
                if isinstance(schema.get("items"), dict) and schema.get("items")
                else ANY
            )
            if isinstance(prefix, list) and prefix and item is not ANY:
                for member in prefix:  # an open tuple: a list of any position's type
                    item = item.union(self._annotate_member(member, literals))
                item = ANY if "Any" in item.expr.split(" | ") else item
            elif isinstance(prefix, list) and prefix:
                item = ANY  # positions, then anything
            return PyType(f"list[{item.expr}]", item.models, item.imports)
        if kind == "object":
            extra = schema.get("additionalProperties")
            value = self.annotate(extra, literals) if isinstance(extra, dict) and extra else ANY
            return PyType(f"dict[str, {value.expr}]", value.models, value.imports)
        return ANY


def _mixed_enum_type(values: list[Any], nullable: bool) -> PyType:
    """``Literal[1, "a", True]`` (``| None`` for a null value): bools stay apart from numbers."""
    from .formatting import pyrepr

    kept, floats = literal_values(values)
    spelled = ", ".join(pyrepr(v) for v in kept)
    result = PyType(f"Literal[{spelled}]", imports=frozenset({"typing:Literal"}))
    if floats:
        result = result.union(PyType("float"))
    return result.union(NONE) if nullable or None in values else result


_VALUE_KEYS = frozenset({"enum", "const", "default", "example", "examples"})


def _refers_to(node: Any, ref: str) -> bool:
    """Whether ``ref`` occurs anywhere inside a (rewritten) schema."""
    todo = [node]
    while todo:
        here = todo.pop()
        if isinstance(here, dict):
            if here.get("$ref") == ref:
                return True
            todo.extend(v for k, v in here.items() if k not in _VALUE_KEYS)
        elif isinstance(here, list):
            todo.extend(here)
    return False


def _shape_word(schema: Any) -> str | None:
    """A word for what a schema holds: ``String``, ``StringList``, ``Object`` ..."""
    if not isinstance(schema, dict):
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return class_identifier(ref.rsplit("/", 1)[-1], "Object")
    kind = schema.get("type")
    if kind == "array":
        return (_shape_word(schema.get("items")) or "") + "List"
    if isinstance(kind, str) and kind in ("string", "integer", "number", "boolean", "object"):
        return kind.capitalize()
    return None


def _distinct_trait(member: dict[str, Any], others: list[dict[str, Any]]) -> str | None:
    """The last resort before a number: a name part from what only this oneOf member has.

    In order: the title of a parent it extends inline; the example or default of a
    ``type``-like property; the first value of an enum property no sibling shares;
    a property the siblings also have, holding another shape (``LabelsAsStringList``);
    a bare object among members that are not classes (``Object``); the one or two
    properties of a small member (``OnlyMessage``); a field of a nested object only
    it has (``WithUserEmail``); an empty-string enum (``Empty``); a quoted phrase of
    its description no sibling shares.
    """
    for part in member.get("allOf") or []:
        title = part.get("title") if isinstance(part, dict) else None
        if isinstance(title, str) and pascal(title):
            return pascal(title)
    props: dict[str, Any] = (
        member["properties"] if isinstance(member.get("properties"), dict) else {}
    )
    for key in ("type", "kind", "object", "event"):
        prop = props.get(key)
        for attr in ("const", "example", "default"):
            value = prop.get(attr) if isinstance(prop, dict) else None
            if isinstance(value, str) and pascal(value):
                return pascal(value)

    def sibling_props(key: str) -> list[Any]:
        return [
            (o.get("properties") or {}).get(key)
            for o in others
            if isinstance(o.get("properties"), dict) and key in o["properties"]
        ]

    for key, prop in props.items():
        values = prop.get("enum") if isinstance(prop, dict) else None
        if isinstance(values, list) and values and pascal(str(values[0])):
            theirs = sibling_props(key)
            if theirs and all(
                isinstance(t, dict)
                and isinstance(t.get("enum"), list)
                and not {str(v) for v in values} & {str(v) for v in t["enum"]}
                for t in theirs
            ):
                return pascal(str(values[0]))
    for key, prop in props.items():
        word = _shape_word(prop)
        theirs = sibling_props(key)
        if word and theirs and all(_shape_word(t) != word for t in theirs) and pascal(str(key)):
            return pascal(str(key)) + "As" + word
    if (member.get("type") == "object" or "properties" in member) and not any(
        is_class_like(o) for o in others
    ):
        return "Object"
    if 0 < len(props) <= 2 and all(pascal(str(k)) for k in props):
        return "Only" + "And".join(pascal(str(k)) for k in props)
    for key, prop in props.items():  # a nested field only this member's object has
        mine = set(prop.get("properties") or {}) if isinstance(prop, dict) else set()
        theirs = sibling_props(key)
        if mine and theirs:
            shared = set().union(
                *[set(t.get("properties") or {}) for t in theirs if isinstance(t, dict)]
            )
            own = [k for k in prop["properties"] if k not in shared and pascal(str(k))]
            if own and pascal(str(key)):
                return "With" + pascal(str(key)) + pascal(str(own[0]))
    if member.get("enum") == [""]:
        return "Empty"
    quoted = re.search(r"['`\"]([^'`\"]{1,60})['`\"]", str(member.get("description") or ""))
    if (
        quoted
        and pascal(quoted.group(1))
        and not any(quoted.group(0) in str(o.get("description") or "") for o in others)
    ):
        return pascal(quoted.group(1))
    return None
