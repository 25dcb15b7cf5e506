"""Static descriptions of operations, emitted by the generator into resource modules.

Generated code builds one ``Endpoint`` per operation at import time of its resource
module and hands it to ``SyncAPIClient.request`` / ``AsyncAPIClient.request``. Keeping
the description declarative keeps generated code thin: all behaviour (encoding,
auth, retry, parsing) lives in the runtime, which is tested once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Literal, Mapping, TypeVar, Union
from urllib.parse import parse_qsl

ParamLocation = Literal["path", "query", "header", "cookie"]
ContentKind = Literal["json", "text", "binary", "empty", "event-stream"]
BodyKind = Literal["json", "form", "multipart", "binary", "text"]
PaginationStyle = Literal["cursor", "offset", "page", "link", "next_url"]

# What a call returns: generated code declares ``_GET_PET: Endpoint[Pet] = Endpoint(...)``
# and ``request`` returns that type, so no generated method needs a cast.
R = TypeVar("R")
E = TypeVar("E")
# the request extension naming the operation a request is for (never on the wire)
OPERATION_EXTENSION = "apigen.operation_id"


@dataclass(frozen=True, slots=True)
class ParamStyle:
    """How one parameter is serialised; only emitted where it differs from the default.

    Defaults (OpenAPI): query/cookie ``form`` + explode, path/header ``simple``.
    """

    style: str = "form"
    explode: bool = True


@dataclass(frozen=True, slots=True)
class ResponseType:
    """What a response with a given status carries and how to parse it.

    ``type`` is anything ``pydantic.TypeAdapter`` accepts (a model class, ``list[Pet]``,
    a union, ``str`` ...) or None to keep the decoded JSON as it is.
    """

    kind: ContentKind = "json"
    type: Any = None
    # The response may be a ``text/event-stream`` instead (alone, kind "event-stream", or
    # beside JSON, chosen by a request field such as OpenAI's ``stream``): each event's
    # data parses as ``event_type``, or the events themselves are yielded when it is None.
    events: bool = False
    event_type: Any = None


@dataclass(frozen=True, slots=True)
class Pagination:
    """How to walk the pages of a list operation. Paths are JSON wire-name paths."""

    style: PaginationStyle
    items: tuple[str, ...] = ()  # path to the item array in the body; () = body is the array
    cursor_param: str | None = None  # query parameter that carries the cursor / page token
    next_cursor: tuple[str, ...] | None = None  # path to the next cursor in the body
    cursor_from_last_item: str | None = None  # Stripe: cursor = this field of the last item
    has_more: tuple[str, ...] | None = None  # path to a boolean "more pages" flag
    limit_param: str | None = None
    offset_param: str | None = None
    page_param: str | None = None
    next_url: tuple[str, ...] | None = None  # path to a URL/URI of the next page (Twilio)


@dataclass(frozen=True, slots=True)
class ErrorEnvelope:
    """A success body that is really the API's error: ``flag`` equal to ``error_value``
    (Slack: ``{"ok": false, "error": "channel_not_found"}`` with HTTP 200).

    ``error_response`` names the declared response ("default") whose model parses it.
    """

    flag: str
    error_value: Any = False
    error_response: str | None = "default"


# A mapping, or a (cached) function returning one: generated code passes a function
# so that an operation's models are imported only when it is first called.
Responses = Union[Mapping[str, ResponseType], Callable[[], Mapping[str, ResponseType]]]


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[R]):
    """One operation: method, path template, security, bodies, responses, pagination.

    ``R`` is the parsed success type; it exists for the type checker only.
    """

    method: str
    path: str
    operation_id: str
    responses: Responses = field(default_factory=dict)
    # None: the API's default security; (): no credentials; else alternatives, each a
    # tuple of scheme names that must all be applied together.
    security: tuple[tuple[str, ...], ...] | None = None
    param_styles: Mapping[str, ParamStyle] = field(default_factory=dict)
    body_kind: BodyKind | None = None
    body_content_type: str | None = None
    # per-field encoding of form bodies (the media type's ``encoding``), e.g. deepObject
    body_styles: Mapping[str, ParamStyle] = field(default_factory=dict)
    # the request body's declared type, loaded on first use: a dict body's Python field
    # names (``from_``) are sent as their wire names (``From``)
    body_type: Callable[[], Any] | None = None
    # form fields typed string that hold JSON (Slack's ``blocks``): lists/dicts JSON-encoded
    body_json_fields: frozenset[str] = frozenset()
    error_envelope: ErrorEnvelope | None = None
    body_required: bool = False
    # (wire name, keyword) of the body's required fields, checked when only keywords are given
    body_required_fields: tuple[tuple[str, str], ...] = ()
    pagination: Pagination | None = None
    # the header of the API's idempotency key (POST/PATCH of an API that takes one): a
    # call without a key gets a generated one, reused by its retries (see idempotency.py)
    idempotency_header: str | None = None
    # query fixed by the path template itself ("/rest?method=flickr.x.y"): always sent
    fixed_query: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # a template may carry a query or a fragment ("/#X-Amz-Target=..."): a fragment is
        # never sent, and the template's query goes with the call's own parameters
        if "#" in self.path or "?" in self.path:
            path, _, query = self.path.split("#", 1)[0].partition("?")
            object.__setattr__(self, "path", path or "/")
            fixed = tuple(parse_qsl(query, keep_blank_values=True))
            object.__setattr__(self, "fixed_query", fixed + tuple(self.fixed_query))

    def response_types(self) -> Mapping[str, ResponseType]:
        """The status -> ResponseType table, importing its models on first use."""
        responses = self.responses
        return responses() if callable(responses) else responses


@dataclass(frozen=True, slots=True)
class StreamingEndpoint(Endpoint[R], Generic[R, E]):
    """An operation whose success may be an event stream of ``E`` (see ``ResponseType.events``).

    ``R`` is the other answer (JSON, bytes ...), ``NoReturn`` when every success is a stream;
    the client's ``request_stream`` returns ``R | Stream[E]`` (``AsyncStream[E]``). Like ``R``,
    ``E`` exists for the type checker only.
    """
