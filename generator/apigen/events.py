"""Server-sent event responses in the IR: which media is a stream, what each event is.

A ``text/event-stream`` response returns ``Stream[E]`` / ``AsyncStream[E]``. E comes from
the spec, first found of:

* ``x-apigen-event-type`` on the media type object: a schema (or ``$ref``) for each
  event's data, for specs that describe the stream's text as a string;
* OAS 3.2 ``itemSchema``: each event; its ``data`` property's ``contentSchema`` when it
  describes the event envelope (``event``, ``data``, ``id``, ``retry``), else itself;
* ``schema``: each event's data, as OpenAI writes it (``CreateChatCompletionStreamResponse``);
  an array schema describes the sequence, so its items are the events.

A string or empty schema says nothing about the data: the events are then the runtime's
``ServerSentEvent`` (``event``, ``data``, ``id``, ``retry``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .bodyfields import body_properties
from .ir import BodyField, Body, PyType, StreamSwitch

if TYPE_CHECKING:
    from .context import SpecContext

EVENT_STREAM = "text/event-stream"
EVENT_TYPE_EXTENSION = "x-apigen-event-type"
# The return type of an operation whose every success is a stream: the stream itself is
# written by the template (Stream[E] / AsyncStream[E]); NoReturn drops out of unions.
STREAM_ONLY = PyType("NoReturn", imports=frozenset({"typing:NoReturn"}))
_ENVELOPE = frozenset({"event", "data", "id", "retry"})
# the names of a body field that switches an answer to a stream, best first
_SWITCH_NAMES = ("stream",)


def generic_event() -> PyType:
    """The runtime's own event object, for streams whose events the spec does not type."""
    return PyType("ServerSentEvent")


def is_event_stream(media: str) -> bool:
    return media.split(";")[0].strip().lower() == EVENT_STREAM


def event_media(content: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The other media types of a response, and its event-stream media object (or None)."""
    others: dict[str, Any] = {}
    events: dict[str, Any] | None = None
    for media, obj in content.items():
        if is_event_stream(str(media)):
            if events is None:
                events = obj if isinstance(obj, dict) else {}
        else:
            others[media] = obj
    return others, events


def event_type_of(builder: SpecContext, media: dict[str, Any], context: str) -> PyType | None:
    """Each event's type as the spec gives it; None for the runtime's generic event."""
    declared = media.get(EVENT_TYPE_EXTENSION)
    if isinstance(declared, dict) and declared:
        return _data_type(builder, declared, context)
    item = media.get("itemSchema")
    if isinstance(item, dict) and item:
        resolved = builder.deref(item)
        props = resolved.get("properties") if isinstance(resolved, dict) else None
        if isinstance(props, dict) and props and set(props) <= _ENVELOPE:
            data = builder.deref(props.get("data"))
            content = data.get("contentSchema") if isinstance(data, dict) else None
            return _data_type(builder, content, context) if isinstance(content, dict) else None
        return _data_type(builder, item, context)
    schema = media.get("schema")
    if isinstance(schema, dict) and schema:
        resolved = builder.deref(schema)
        if isinstance(resolved, dict) and resolved.get("type") == "array":
            items = resolved.get("items")
            return _data_type(builder, items, context) if isinstance(items, dict) else None
        return _data_type(builder, schema, context)
    return None


def _data_type(builder: SpecContext, schema: Any, context: str) -> PyType | None:
    resolved = builder.deref(schema)
    if not isinstance(resolved, dict) or not resolved or resolved.get("type") == "string":
        return None
    found = builder.registry.type_of(schema, context)
    return None if found.expr in ("Any", "str") else found


def stream_switch(builder: SpecContext, body: Body | None) -> StreamSwitch | None:
    """The keyword body field that asks for a stream: a boolean (or null) named ``stream``."""
    if body is None or body.model is None:
        return None
    by_name: dict[str, BodyField] = {f.name: f for f in body.fields}
    props, _ = body_properties(builder.registry, body.model.expr)
    for name in _SWITCH_NAMES:
        found = by_name.get(name)
        schema = props.get(name)
        if found is not None and _is_boolean(builder, schema):
            return StreamSwitch(found.name, found.py_name, _is_nullable(builder, schema))
    return None


def _is_boolean(builder: SpecContext, schema: Any, depth: int = 0) -> bool:
    """A boolean schema, maybe nullable (``[boolean, null]``, ``anyOf`` with ``null``)."""
    schema = (
        builder.registry.defs.get(schema["$ref"][len("#/$defs/") :])
        if (
            isinstance(schema, dict)
            and isinstance(schema.get("$ref"), str)
            and schema["$ref"].startswith("#/$defs/")
        )
        else schema
    )
    if not isinstance(schema, dict) or depth > 5:
        return False
    members = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(members, list) and members:
        kinds = [m for m in members if not (isinstance(m, dict) and m.get("type") == "null")]
        return len(kinds) == 1 and _is_boolean(builder, kinds[0], depth + 1)
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "boolean" in kinds and set(kinds) <= {"boolean", "null"}


def _is_nullable(builder: SpecContext, schema: Any) -> bool:
    """Whether null is allowed: a ``null`` type, or a ``null`` member of ``anyOf``/``oneOf``."""
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind == "null" or isinstance(kind, list) and "null" in kind:
        return True
    members = schema.get("anyOf") or schema.get("oneOf")
    return isinstance(members, list) and any(_is_nullable(builder, m) for m in members)
