"""Lenient parsing: a response that drifted from its spec still comes back as its type.

Only used after the fast path (``TypeAdapter.validate_json``) failed. The decoded JSON
is walked along the declared type: every part that validates is typed as usual, a
part that does not keeps its decoded JSON value, and a missing required field reads
as None. What did not fit is recorded as ``ResponseProblem``s (JSON path + reason)
and can be read back from the result with ``response_problems``.
"""

from __future__ import annotations

import types
import typing
import weakref
from dataclasses import dataclass
from typing import Any, Union

import pydantic

from .lazy import complete_models, real_type

__all__ = [
    "ResponseProblem",
    "response_problems",
    "lenient_value",
    "json_path",
    "ResponseList",
    "ResponseDict",
]

_MAX_DEPTH = 64  # deeper drifted data is kept as decoded JSON, whole
_MAX_PROBLEMS = 100  # recorded per response; the rest only counted


@dataclass(frozen=True, slots=True)
class ResponseProblem:
    """One part of a response that does not match the declared type."""

    path: str  # JSON path from the body's root, e.g. "$.message.bot_id"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ResponseList(list):  # type: ignore[type-arg]
    """A ``list`` result that can carry its problems (a plain list cannot be weakly referenced)."""


class ResponseDict(dict):  # type: ignore[type-arg]
    """A ``dict`` result that can carry its problems."""


# id(result) -> problems, for results that drifted; entries leave with their result.
_PROBLEMS: dict[int, tuple[ResponseProblem, ...]] = {}


def attach_problems(value: Any, problems: tuple[ResponseProblem, ...]) -> Any:
    """Make ``problems`` readable from ``value`` (wrapping a top-level list or dict)."""
    if type(value) is list:
        value = ResponseList(value)
    elif type(value) is dict:
        value = ResponseDict(value)
    try:
        weakref.finalize(value, _PROBLEMS.pop, id(value), None)
    except TypeError:  # str, int, None ...: the problems are only logged
        return value
    _PROBLEMS[id(value)] = problems
    return value


def response_problems(value: Any) -> tuple[ResponseProblem, ...]:
    """The parts of a leniently parsed response that did not match its declared type.

    Empty for a response that matched (and for anything that is not a response).
    """
    return _PROBLEMS.get(id(value), ())


def json_path(loc: tuple[Any, ...]) -> str:
    out = "$"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out += "." + part
        else:
            out += "[" + repr(str(part)) + "]"
    return out


_ADAPTERS: dict[Any, pydantic.TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    try:
        return _ADAPTERS[tp]
    except KeyError:
        if len(_ADAPTERS) > 4096:
            _ADAPTERS.clear()
        complete_models(tp)
        ta: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(tp)
        _ADAPTERS[tp] = ta
        return ta
    except TypeError:  # unhashable type expression
        complete_models(tp)
        return pydantic.TypeAdapter(tp)


class _Walk:
    __slots__ = ("problems", "dropped")

    def __init__(self) -> None:
        self.problems: list[ResponseProblem] = []
        self.dropped = 0

    def note(self, loc: tuple[Any, ...], message: str) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(ResponseProblem(json_path(loc), message))
        else:
            self.dropped += 1

    def value(self, tp: Any, raw: Any, loc: tuple[Any, ...]) -> Any:
        try:
            return _adapter(tp).validate_python(raw)
        except pydantic.ValidationError as exc:
            error = exc
        if len(loc) > _MAX_DEPTH:
            self.note(loc, "nested too deep to check; kept as decoded JSON")
            return raw
        return self.repair(tp, raw, loc, error)

    def repair(
        self, tp: Any, raw: Any, loc: tuple[Any, ...], error: pydantic.ValidationError
    ) -> Any:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            return self.value(typing.get_args(tp)[0], raw, loc)
        if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
            if isinstance(raw, dict):
                if issubclass(tp, pydantic.RootModel):
                    root = self.value(tp.model_fields["root"].annotation, raw, loc)
                    return tp.model_construct(root)
                return self.model(tp, raw, loc)
            if issubclass(tp, pydantic.RootModel):
                return tp.model_construct(self.value(tp.model_fields["root"].annotation, raw, loc))
        elif origin in (list, set, frozenset, tuple) and isinstance(raw, list):
            args = typing.get_args(tp)
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                if len(args) == len(raw):
                    return [self.value(a, v, loc + (i,)) for i, (a, v) in enumerate(zip(args, raw))]
            else:
                item = args[0] if args else Any
                return [self.value(item, v, loc + (i,)) for i, v in enumerate(raw)]
        elif origin is dict and isinstance(raw, dict):
            args = typing.get_args(tp)
            item = args[1] if len(args) == 2 else Any
            return {k: self.value(item, v, loc + (k,)) for k, v in raw.items()}
        elif origin is Union or origin is types.UnionType:
            member = _closest_model(typing.get_args(tp), raw)
            if member is not None:
                return self.value(member, raw, loc)
        first = error.errors(include_url=False)[0] if error.error_count() else None
        self.note(loc, (first["msg"] if first else "does not match") + "; kept as decoded JSON")
        return raw

    def model(
        self, cls: type[pydantic.BaseModel], raw: dict[str, Any], loc: tuple[Any, ...]
    ) -> Any:
        values: dict[str, Any] = {}
        used: set[str] = set()
        fields_set: set[str] = set()
        for name, field in cls.model_fields.items():
            key = field.alias if field.alias is not None and field.alias in raw else name
            if key not in raw:
                if field.is_required():
                    self.note(
                        loc + (field.alias or name,), "required field is missing; reads as None"
                    )
                    values[name] = None
                else:
                    values[name] = field.get_default(call_default_factory=True)
                continue
            used.add(key)
            fields_set.add(name)
            values[name] = self.value(_field_type(cls, name, field), raw[key], loc + (key,))
        instance = cls.model_construct(_fields_set=fields_set, **values)
        if cls.model_config.get("extra") == "allow":
            extra = {k: v for k, v in raw.items() if k not in used}
            if extra:
                object.__setattr__(instance, "__pydantic_extra__", extra)
        return instance


_FIELD_TYPES: dict[tuple[type, str], Any] = {}


def _field_type(cls: type[pydantic.BaseModel], name: str, field: Any) -> Any:
    """The field's annotation with its metadata (discriminators, strictness) kept."""
    key = (cls, name)
    try:
        return _FIELD_TYPES[key]
    except KeyError:
        pass
    if len(_FIELD_TYPES) > 4096:
        _FIELD_TYPES.clear()
    annotation = real_type(field.annotation)  # stand-ins of models loaded on the way
    if field.metadata or field.discriminator is not None:
        extra = pydantic.Field(discriminator=field.discriminator) if field.discriminator else None
        meta = [*field.metadata] + ([extra] if extra is not None else [])
        annotation = typing.Annotated[(annotation, *meta)]
    _FIELD_TYPES[key] = annotation
    return annotation


def _closest_model(members: tuple[Any, ...], raw: Any) -> Any:
    """The union member a drifted object most likely meant: the model sharing most keys."""
    if not isinstance(raw, dict):
        lists = [m for m in members if typing.get_origin(m) is list]
        return lists[0] if isinstance(raw, list) and len(lists) == 1 else None
    best, score = None, 0
    for member in members:
        if isinstance(member, type) and issubclass(member, pydantic.BaseModel):
            keys = {f.alias or n for n, f in member.model_fields.items()}
            shared = len(keys & raw.keys())
            if shared > score:
                best, score = member, shared
    return best


def lenient_value(tp: Any, raw: Any) -> tuple[Any, tuple[ResponseProblem, ...], int]:
    """``raw`` (decoded JSON) as ``tp`` where it fits; the problems and how many went unrecorded."""
    walk = _Walk()
    value = walk.value(tp, raw, ())
    return value, tuple(walk.problems), walk.dropped
