"""The intermediate representation: everything templates need, decided once.

Frozen dataclasses only. Every identifier here is already sanitised and
collision-free; every type is a Python expression over model class names and a
few standard imports. Templates read the IR and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PyType:
    """A type annotation as Python source, with the model classes it names."""

    expr: str
    models: frozenset[str] = frozenset()
    imports: frozenset[str] = frozenset()  # e.g. "datetime:datetime", "typing:Any"

    def union(self, other: PyType) -> PyType:
        if self.expr == other.expr:
            return self
        mine = _members(self.expr)
        added = [m for m in _members(other.expr) if m not in mine]
        expr = " | ".join(mine + added) if added else self.expr
        return PyType(expr, self.models | other.models, self.imports | other.imports)


def _members(expr: str) -> list[str]:
    """The top-level members of a union expression (``dict[str, A | B]`` is one)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(expr):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if depth == 0 and expr.startswith(" | ", i):
            out.append(expr[start:i])
            start = i + 3
    out.append(expr[start:])
    return out


ANY = PyType("Any", imports=frozenset({"typing:Any"}))
NONE = PyType("None")


def _schema_field() -> Any:
    """The JSON Schema of a parameter, body or response as the models see it (its refs point
    into ``Api.models``), for ``apigen diff``; not part of equality or hashing."""
    return field(default=None, hash=False, compare=False, repr=False)


@dataclass(frozen=True)
class Parameter:
    name: str  # wire name
    py_name: str
    location: str  # path | query | header | cookie
    required: bool
    type: PyType
    description: str = ""
    style: str | None = None  # only when not the default for its location
    explode: bool | None = None
    deprecated: bool = False
    schema: dict[str, Any] | None = _schema_field()  # None: none declared (the type is str)


@dataclass(frozen=True)
class BodyField:
    """A top-level field of an object body, offered as a keyword argument of the method."""

    name: str  # wire name
    py_name: str
    type: PyType
    required: bool
    description: str = ""


@dataclass(frozen=True)
class Body:
    kind: str  # json | form | multipart | binary | text
    content_type: str
    type: PyType
    required: bool
    py_name: str = "body"
    description: str = ""
    styles: tuple[
        tuple[str, str, bool], ...
    ] = ()  # form fields' (name, style, explode) from `encoding`
    # the schema's own type (no dict alternative): the runtime maps a dict body's Python
    # field names to wire names with it
    model: PyType | None = None
    json_fields: tuple[str, ...] = ()  # form fields typed string whose description says JSON
    fields: tuple[BodyField, ...] = ()  # keyword arguments; () when the body is not an object
    schema: dict[str, Any] | None = _schema_field()  # json, form and multipart bodies only

    @property
    def required_fields(self) -> tuple[tuple[str, str], ...]:
        return tuple((f.name, f.py_name) for f in self.fields if f.required)


@dataclass(frozen=True)
class ErrorEnvelope:
    """A success body that can be the API's error: ``flag`` (wire name) equal to ``error_value``."""

    flag: str
    error_value: bool | str | int
    error_status: str | None  # the response whose model parses the error body


@dataclass(frozen=True)
class Response:
    status: str  # "200", "2XX", "default"
    kind: str  # json | text | binary | empty | event-stream
    type: PyType | None  # None: keep JSON as decoded
    description: str = ""
    # the response may be (kind "event-stream": is) a text/event-stream; each event's data
    # parses as event_type, or the event itself (ServerSentEvent) is yielded when None
    events: bool = False
    event_type: PyType | None = None
    schema: dict[str, Any] | None = _schema_field()  # json responses only

    @property
    def is_success(self) -> bool:
        return self.status.startswith("2")


@dataclass(frozen=True)
class Pagination:
    style: str
    item_type: PyType
    items: tuple[str, ...] = ()
    cursor_param: str | None = None
    next_cursor: tuple[str, ...] | None = None
    cursor_from_last_item: str | None = None
    has_more: tuple[str, ...] | None = None
    limit_param: str | None = None
    offset_param: str | None = None
    page_param: str | None = None
    next_url: tuple[str, ...] | None = None


@dataclass(frozen=True)
class StreamSwitch:
    """A boolean body field that turns the answer into an event stream (OpenAI's ``stream``):
    the method gets typed overloads on it."""

    name: str  # wire name
    py_name: str
    nullable: bool = False  # null is allowed (and means no stream)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    py_name: str
    const_name: str  # module-level Endpoint constant
    method: str  # upper case
    path: str
    summary: str
    description: str
    deprecated: bool
    parameters: tuple[Parameter, ...]
    body: Body | None
    responses: tuple[Response, ...]
    return_type: PyType
    security: tuple[tuple[str, ...], ...] | None
    pagination: Pagination | None = None
    idempotent: bool = True
    envelope: ErrorEnvelope | None = None
    idempotency_header: str | None = None  # POST/PATCH of an API that takes idempotency keys
    # the type of each event when a success may be an event stream (ServerSentEvent when the
    # spec gives none); stream_only: every success with a body is one
    events: PyType | None = None
    stream_only: bool = False
    stream_switch: StreamSwitch | None = None

    @property
    def types(self) -> list[PyType]:
        """Every type the operation's code names: return, parameters, body, responses, items."""
        found = [
            self.return_type,
            *(p.type for p in self.parameters),
            *(r.type for r in self.responses if r.type),
        ]
        found.extend(r.event_type for r in self.responses if r.event_type)
        if self.events:
            found.append(self.events)
        if self.body:
            found.append(self.body.type)
            if self.body.model:
                found.append(self.body.model)
            found.extend(f.type for f in self.body.fields)
        if self.pagination:
            found.append(self.pagination.item_type)
        return found

    @property
    def models(self) -> frozenset[str]:
        return frozenset(m for t in self.types for m in t.models)


@dataclass(frozen=True)
class ResourceRef:
    """A nested resource as its parent's class names it: ``client.customers.sources``."""

    attr: str
    py_name: str
    class_name: str
    async_class_name: str
    raw_class_name: str = ""  # its with_raw_response views: client.with_raw_response.a.b
    async_raw_class_name: str = ""
    streaming_class_name: str = ""
    async_streaming_class_name: str = ""


@dataclass(frozen=True)
class Resource:
    name: str  # where it comes from, as in the spec: the tag, or the path ("/v1/customers")
    py_name: str  # module file name, unique in the package ("customers_sources")
    class_name: str
    async_class_name: str
    description: str
    operations: tuple[Operation, ...]
    attr_path: tuple[str, ...] = ()  # attributes from the client: ("customers", "sources")
    children: tuple[ResourceRef, ...] = ()
    origin: str = "tag"  # tag | path | config

    @property
    def attr(self) -> str:
        """The attribute on the client (top level) or on the parent resource."""
        return self.attr_path[-1] if self.attr_path else self.py_name

    @property
    def dotted(self) -> str:
        """``customers.sources``: how a user reaches it from the client."""
        return ".".join(self.attr_path) if self.attr_path else self.py_name

    raw_class_name: str = ""  # the with_raw_response views of the two classes
    async_raw_class_name: str = ""
    streaming_class_name: str = ""  # the with_streaming_response views of the two classes
    async_streaming_class_name: str = ""


@dataclass(frozen=True)
class SecurityScheme:
    name: str  # as in the spec
    py_name: str  # keyword argument of Client
    kind: str  # apiKey | bearer | basic | oauth2
    env: str
    description: str = ""
    location: str | None = None  # apiKey: header | query | cookie
    param_name: str | None = None  # apiKey: header/query/cookie name
    token_url: str | None = None
    refresh_url: str | None = None
    scopes: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    # the authorizationCode flow's own endpoints (OAuth2 code + PKCE, client.oauth)
    authorization_url: str | None = None
    code_token_url: str | None = None


@dataclass(frozen=True)
class Webhook:
    """A request the API sends (OAS 3.1 ``webhooks`` / ``x-webhooks``): its payload and marks."""

    name: str  # the key in the spec
    description: str
    type: PyType  # the payload's type
    content_type: str
    event_header: tuple[str, str] | None = None  # (header, value) naming this event
    event_fields: tuple[tuple[str, str], ...] = ()  # top-level fields with one allowed value


@dataclass(frozen=True)
class WebhookSignature:
    """How the API signs its webhooks (runtime/webhooks.py schemes) and where the secret is."""

    scheme: str  # standard | stripe | github | slack | twilio | hmac
    env: str  # environment variable holding the secret(s)
    source: str  # why this scheme: configuration, a header of the spec, the API's host
    header: str | None = None  # hmac: the signature header
    encoding: str = "hex"  # hmac: hex | base64
    prefix: str = ""  # hmac: text before the digest
    algorithm: str = "sha256"  # hmac
    tolerance: int = 300  # seconds, schemes that sign a timestamp


@dataclass(frozen=True)
class Skipped:
    where: str  # "GET /pets" or a JSON pointer
    reason: str


@dataclass(frozen=True)
class Api:
    title: str
    version: str
    description: str
    package: str
    env_prefix: str
    base_url: str
    servers: tuple[str, ...]
    security_schemes: tuple[SecurityScheme, ...]
    default_security: tuple[tuple[str, ...], ...]
    resources: tuple[Resource, ...]
    models: dict[str, Any] = field(
        hash=False, compare=False
    )  # class name -> JSON Schema ($defs refs)
    # open enum class -> its alias that also admits the plain values (``X | Literal[...]``)
    literal_aliases: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    skipped: tuple[Skipped, ...] = ()
    webhooks: tuple[Webhook, ...] = ()
    webhook_signature: WebhookSignature | None = None  # None: the API sends no webhooks we know of
    webhooks_attr: str = "webhooks"  # the helper's attribute on the client
    # decisions the summary reports (a credential keyword added, a plain-http server)
    notices: tuple[Skipped, ...] = ()

    @property
    def operations(self) -> list[Operation]:
        return [op for r in self.resources for op in r.operations]

    @property
    def top_resources(self) -> list[Resource]:
        """The client's own attributes; the rest hang below them."""
        return [r for r in self.resources if len(r.attr_path) <= 1]
