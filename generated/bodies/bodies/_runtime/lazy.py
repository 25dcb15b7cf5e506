"""Models that exist only once the data needs them.

A model module refers to the other models its fields use through stand-ins made
here, not through imports: importing ``payment_intent`` does not import
``customer``, and building the validator of ``PaymentIntent`` does not build
``Customer``'s. A stand-in validates its field by importing the real class the
first time a value needs it (a dict or an instance), so an expandable
``customer: str | Customer`` holding ``"cus_1"`` never creates ``Customer``.
Type checkers see the real classes (the modules import them under
``TYPE_CHECKING``).

Once the real class is loaded, validators built later include it directly (as if
it had been imported) when it is a small model holding no other, and ``refresh``
rebuilds the models whose validators still go through stand-ins of such classes (the
runtime calls it for a response type that keeps being used): a long-running process
pays the stand-in's indirection only for nested objects that hold objects themselves.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
import typing
from typing import Any, Callable, Union

import pydantic
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "lazy_model",
    "real_type",
    "LazyModel",
    "generation",
    "refresh",
    "complete",
    "complete_models",
]


class _LazyModelType(type):
    """Metaclass of the stand-ins: ``isinstance`` and ``repr`` answer for the real class."""

    _apigen_module: str
    _apigen_name: str
    _apigen_target: type[pydantic.BaseModel] | None

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, pydantic.BaseModel) and isinstance(obj, cls.resolve())

    def __repr__(cls) -> str:
        return f"{cls._apigen_module}.{cls._apigen_name}"

    def resolve(cls) -> type[pydantic.BaseModel]:
        """The real class (its module imported on first use)."""
        target = cls._apigen_target
        if target is None:
            target = getattr(importlib.import_module(cls._apigen_module), cls._apigen_name)
            complete(target)
            cls._apigen_target = target
            _GENERATION[0] += 1
        return target


class LazyModel(metaclass=_LazyModelType):
    """Base of the stand-ins; pydantic asks it for the field's schema."""

    _apigen_module = ""
    _apigen_name = ""
    _apigen_target = None

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: pydantic.GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        target = cls._apigen_target
        if target is not None and _is_leaf(target):  # loaded: validated in place, at full speed
            return handler(target)
        return core_schema.no_info_plain_validator_function(
            _validator(cls),
            metadata={"pydantic_js_functions": [_json_schema(cls)]},
        )


def _validator(stand_in: _LazyModelType) -> Callable[[Any], Any]:
    name = stand_in._apigen_name
    validate: list[Callable[[Any], Any]] = []  # the real validator, once needed

    def lazy_model(value: Any) -> Any:
        if validate:
            return validate[0](value)
        if not isinstance(value, (dict, pydantic.BaseModel)):
            # a string id in an expandable field, a number ...: not this branch, and
            # no reason to load the class to say so
            raise PydanticCustomError(
                "model_type",
                "Input should be a valid dictionary or instance of {class_name}",
                {"class_name": name},
            )
        validate.append(stand_in.resolve().__pydantic_validator__.validate_python)
        return validate[0](value)

    lazy_model.__name__ = lazy_model.__qualname__ = (
        name  # errors read `loc: (..., "Customer", ...)`
    )
    lazy_model._apigen_stand_in = stand_in  # type: ignore[attr-defined]  # found by refresh
    return lazy_model


def _json_schema(stand_in: _LazyModelType) -> Callable[[Any, Any], Any]:
    def schema(_: Any, handler: Any) -> Any:
        return handler(stand_in.resolve().__pydantic_core_schema__)

    return schema


_LEAF_NODES = 400  # a larger schema stays behind its stand-in


def _is_leaf(cls: type[pydantic.BaseModel]) -> bool:
    """Whether a loaded model's validator can be copied into others: a small one holding
    no other model. Copying whole graphs into each other would grow every validator with
    each model loaded (a model inside itself, twice removed, gets copied again and again);
    behind their stand-ins they are each built once."""
    schema = cls.__dict__.get("__pydantic_core_schema__")
    if not isinstance(schema, dict):
        return False
    nodes = 0
    todo: list[Any] = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        nodes += 1
        kind = node.get("type")
        if nodes > _LEAF_NODES or kind in ("definitions", "definition-ref"):
            return False
        if kind == "model" and node.get("cls") is not cls:
            return False
        todo.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return True


_STAND_INS: dict[tuple[str, str], _LazyModelType] = {}
_LOCK = threading.Lock()
_GENERATION = [0]  # how many stand-ins have loaded their class so far


def lazy_model(package: str, module: str, name: str) -> Any:
    """The stand-in for class ``name`` of module ``module`` in the models package
    ``package``: one per real class, shared by every module that refers to it."""
    key = (f"{package}.{module}", name)
    stand_in = _STAND_INS.get(key)
    if stand_in is None:
        with _LOCK:
            stand_in = _STAND_INS.get(key)
            if stand_in is None:
                namespace = {
                    "_apigen_module": key[0],
                    "_apigen_name": name,
                    "_apigen_target": None,
                    "__module__": key[0],
                    "__qualname__": name,
                }
                stand_in = _STAND_INS[key] = _LazyModelType(name, (LazyModel,), namespace)
    return stand_in


_REAL: dict[Any, Any] = {}


def real_type(tp: Any) -> Any:
    """``tp`` with every stand-in replaced by its real class (for code that walks a
    field's annotation: lenient parsing, wire names of request bodies)."""
    try:
        return _REAL[tp]
    except KeyError:
        pass
    except TypeError:  # unhashable type expression
        return _replace(tp)
    if len(_REAL) > 4096:
        _REAL.clear()
    real = _REAL[tp] = _replace(tp)
    return real


def _replace(tp: Any) -> Any:
    if isinstance(tp, _LazyModelType):
        return tp.resolve()
    origin = typing.get_origin(tp)
    if origin is None:
        return tp
    args = typing.get_args(tp)
    if origin is typing.Literal or not args:
        return tp
    if origin is typing.Annotated:
        return typing.Annotated[(real_type(args[0]), *tp.__metadata__)]
    new = tuple(real_type(a) for a in args)
    if new == args:
        return tp
    if origin is Union or origin is types.UnionType:
        return Union[new]
    if isinstance(tp, types.GenericAlias):
        return types.GenericAlias(origin, new)
    try:
        return tp.copy_with(new)  # typing's own generic aliases
    except AttributeError:
        return tp


def complete(cls: Any) -> None:
    """Build a model left incomplete when its module ran, with the names of every module
    its bases come from. Pydantic resolves inherited annotations in the subclass's module
    only: a base's field typed with a name of the base's own module (defined below the
    base) leaves the subclass "not fully defined", and a TypeAdapter of it fails."""
    if not isinstance(cls, type) or not issubclass(cls, pydantic.BaseModel):
        return
    if cls.__dict__.get("__pydantic_complete__", False):
        return
    namespace: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        if issubclass(base, pydantic.BaseModel) and base is not pydantic.BaseModel:
            module = sys.modules.get(base.__module__)
            if module is not None:
                namespace.update(vars(module))
    cls.model_rebuild(raise_errors=False, _types_namespace=namespace)


def complete_models(tp: Any) -> None:
    """``complete`` for each model of type expression ``tp`` (before a TypeAdapter of it)."""
    for cls in _models_in(real_type(tp)):
        complete(cls)


def generation() -> int:
    """Goes up each time a stand-in loads its class (validators built before may be refreshed)."""
    return _GENERATION[0]


_REFRESH_LOCK = threading.Lock()


def refresh(tp: Any) -> bool:
    """Rebuild the models of type expression ``tp`` whose validators go through stand-ins
    of classes loaded since they were built (and the models inside them first), so
    they validate those parts in place. True when any model was rebuilt."""
    with _REFRESH_LOCK:
        seen: dict[type, bool] = {}
        rebuilt = False
        for cls in _models_in(real_type(tp)):
            rebuilt = _refresh_model(cls, seen) or rebuilt
        return rebuilt


def _models_in(tp: Any) -> list[type[pydantic.BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _models_in(arg)]


def _refresh_model(cls: type[pydantic.BaseModel], seen: dict[type, bool]) -> bool:
    if cls in seen:
        return seen[cls]
    seen[cls] = False  # a model that contains itself
    schema = cls.__dict__.get("__pydantic_core_schema__")
    if not isinstance(schema, dict):  # not built yet: it will be built with what is loaded
        return False
    stale = False
    todo: list[Any] = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == "function-plain":
            stand_in = getattr(node.get("function", {}).get("function"), "_apigen_stand_in", None)
            target = getattr(stand_in, "_apigen_target", None)
            if target is not None:
                _refresh_model(target, seen)
                stale = _is_leaf(target) or stale  # a rebuild would copy it in
                continue
        if kind == "model" and node.get("cls") is not cls:
            inner = node.get("cls")
            if isinstance(inner, type) and issubclass(inner, pydantic.BaseModel):
                stale = _refresh_model(inner, seen) or stale
            continue
        todo.extend(v for v in node.values() if isinstance(v, (dict, list)))
    if stale:
        cls.model_rebuild(force=True, _types_namespace={})
    seen[cls] = stale
    return stale
