"""Recognising paginated list operations and how to walk their pages.

Detection looks at the operation's query parameters and the shape of its success
response, and knows the common styles of real APIs: GitHub's Link header,
Stripe's ``starting_after``/``has_more``/``data``, Slack's
``response_metadata.next_cursor``, Google's ``pageToken``/``nextPageToken``,
Twilio's ``PageToken``/``next_page_uri``, plain offset/limit and page numbers.
``x-apigen-pagination`` on an operation overrides the heuristics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .context import mapping, sequence
from .ir import Operation, Pagination
from .naming import pascal

if TYPE_CHECKING:
    from .context import SpecContext

CURSOR_PARAMS = (
    "cursor",
    "page_token",
    "pagetoken",
    "next_token",
    "nexttoken",
    "continuation_token",
    "continuationtoken",
    "after",
    "marker",
    "next",
    "page_cursor",
    "starting_after",
)
NEXT_CURSOR_FIELDS = (
    "next_cursor",
    "nextcursor",
    "next_page_token",
    "nextpagetoken",
    "next_token",
    "nexttoken",
    "continuation_token",
    "continuationtoken",
    "next_marker",
    "nextmarker",
    "cursor",
    "next",
)
NEXT_URL_FIELDS = (
    "next_page_uri",
    "next_page_url",
    "nextpageuri",
    "nextpageurl",
    "next_url",
    "nexturl",
    "next_link",
    "nextlink",
    "@odata.nextlink",
    "next_href",
)
ITEM_FIELDS = (
    "data",
    "items",
    "results",
    "entries",
    "records",
    "values",
    "elements",
    "list",
    "content",
    "hits",
    "objects",
    "rows",
)
LIMIT_PARAMS = (
    "limit",
    "per_page",
    "perpage",
    "page_size",
    "pagesize",
    "max_results",
    "maxresults",
    "count",
    "size",
    "top",
    "first",
)
OFFSET_PARAMS = ("offset", "skip", "start", "start_index", "startindex")
PAGE_PARAMS = ("page", "page_number", "pagenumber", "page_num", "pagenum", "p")


def _norm(name: str) -> str:
    return name.lower().replace("-", "_")


def _find(names: dict[str, str], wanted: tuple[str, ...]) -> str | None:
    for want in wanted:
        if want in names:
            return names[want]
    return None


def _success_schema(builder: SpecContext, op: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The JSON schema of the first 2xx response, dereferenced, and its headers."""
    for code, raw in sorted(mapping(op.get("responses")).items(), key=lambda kv: str(kv[0])):
        if not str(code).startswith("2"):
            continue
        response = builder.deref(raw)
        if not isinstance(response, dict):
            continue
        headers = {str(k).lower(): v for k, v in mapping(response.get("headers")).items()}
        for media, obj in mapping(response.get("content")).items():
            if (
                "json" in str(media)
                and isinstance(obj, dict)
                and isinstance(obj.get("schema"), dict)
            ):
                return builder.deref(obj["schema"]), headers
        return None, headers
    return None, {}


def _properties(builder: SpecContext, schema: Any, seen: set[int] | None = None) -> dict[str, Any]:
    """Properties of an object schema, following refs and allOf.

    Each schema is read once: an allOf lattice (every class extending the next
    two) has exponentially many paths to its roots, and a cycle has no end.
    """
    schema = builder.deref(schema)
    seen = set() if seen is None else seen
    if not isinstance(schema, dict) or id(schema) in seen:
        return {}
    seen.add(id(schema))
    props: dict[str, Any] = {}
    for part in sequence(schema.get("allOf")):
        props.update(_properties(builder, part, seen))
    for key, value in mapping(schema.get("properties")).items():
        props[str(key)] = value
    return props


def _is_array(builder: SpecContext, schema: Any) -> bool:
    schema = builder.deref(schema)
    if not isinstance(schema, dict):
        return False
    kinds = schema.get("type")
    return (
        kinds == "array"
        or isinstance(kinds, list)
        and "array" in kinds
        or "items" in schema
        and "properties" not in schema
    )


def _items_path(builder: SpecContext, schema: Any) -> tuple[tuple[str, ...], Any] | None:
    """Where the item array sits in the body, and its item schema."""
    if _is_array(builder, schema):
        return (), builder.deref(schema).get("items")
    props = _properties(builder, schema)
    arrays = {_norm(k): k for k, v in props.items() if _is_array(builder, v)}
    key = _find(arrays, ITEM_FIELDS) or (next(iter(arrays.values())) if len(arrays) == 1 else None)
    if key is None:
        return None
    return (key,), builder.deref(props[key]).get("items")


def _field_path(
    builder: SpecContext, schema: Any, wanted: tuple[str, ...]
) -> tuple[str, ...] | None:
    """Path to a field named like one of ``wanted``, at the top or one object deeper."""
    props = _properties(builder, schema)
    top = _find({_norm(k): k for k in props}, wanted)
    if top:
        return (top,)
    for key, value in props.items():
        inner = _find({_norm(k): k for k in _properties(builder, value)}, wanted)
        if inner:
            return (key, inner)
    return None


def _path(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(p for p in value.split(".") if p) if value else ()
    if isinstance(value, list):
        return tuple(str(p) for p in value)
    return None


def _from_extension(
    builder: SpecContext, ext: dict[str, Any], schema: Any, context: str, where: str
) -> Pagination | None:
    style = ext.get("style")
    if style not in ("cursor", "offset", "page", "link", "next_url"):
        builder.skip(
            where,
            f"unknown pagination style {str(style)[:40]!r} (cursor, offset, page, link, "
            "next_url); the operation returns its response unpaginated",
        )
        return None
    items = _path(ext.get("items"))
    if items is None:
        found = _items_path(builder, schema)
        items = found[0] if found else ()
    item_schema: Any = builder.deref(schema)
    for key in items:
        item_schema = builder.deref(_properties(builder, item_schema).get(key))
    item_schema = builder.deref(item_schema).get("items") if isinstance(item_schema, dict) else None

    def text(key: str) -> str | None:
        return str(ext[key]) if isinstance(ext.get(key), str) else None

    return Pagination(
        style=str(style),
        item_type=builder.registry.type_of(item_schema, context + "Item"),
        items=items,
        cursor_param=text("cursor_param"),
        next_cursor=_path(ext.get("next_cursor")),
        cursor_from_last_item=text("cursor_from_last_item"),
        has_more=_path(ext.get("has_more")),
        limit_param=text("limit_param"),
        offset_param=text("offset_param"),
        page_param=text("page_param"),
        next_url=_path(ext.get("next_url")),
    )


def detect(builder: SpecContext, op: dict[str, Any], operation: Operation) -> Pagination | None:
    if operation.method != "GET" and not isinstance(op.get("x-apigen-pagination"), dict):
        return None
    schema, headers = _success_schema(builder, op)
    context = (
        operation.return_type.expr
        if operation.return_type.models
        and operation.return_type.expr in operation.return_type.models
        else operation.py_name
    )
    context = pascal(context)
    ext = op.get("x-apigen-pagination")
    if isinstance(ext, dict):
        return _from_extension(
            builder, ext, schema, context, f"{operation.method} {operation.path}"
        )
    if ext is False or schema is None:
        return None
    found = _items_path(builder, schema)
    if found is None:
        return None
    items, item_schema = found
    query = {_norm(p.name): p.name for p in operation.parameters if p.location == "query"}
    item_type = builder.registry.type_of(item_schema, context + "Item")
    limit = _find(query, LIMIT_PARAMS)
    common = dict(item_type=item_type, items=items, limit_param=limit)
    if "link" in headers and (_find(query, PAGE_PARAMS) or _find(query, CURSOR_PARAMS)):
        return Pagination(style="link", **common)  # type: ignore[arg-type]
    cursor = _find(query, CURSOR_PARAMS)
    if cursor and _norm(cursor) == "starting_after":
        has_more = _field_path(builder, schema, ("has_more", "hasmore"))
        if has_more:
            return Pagination(
                style="cursor",
                cursor_param=cursor,
                cursor_from_last_item="id",
                has_more=has_more,
                **common,  # type: ignore[arg-type]
            )
    next_url = _field_path(builder, schema, NEXT_URL_FIELDS)
    if next_url and (
        cursor or _find(query, PAGE_PARAMS) or _norm(next_url[-1]).endswith(("uri", "url"))
    ):
        return Pagination(style="next_url", next_url=next_url, **common)  # type: ignore[arg-type]
    if cursor:
        next_cursor = _field_path(builder, schema, NEXT_CURSOR_FIELDS)
        if next_cursor:
            has_more = _field_path(builder, schema, ("has_more", "hasmore", "more"))
            return Pagination(
                style="cursor",
                cursor_param=cursor,
                next_cursor=next_cursor,
                has_more=has_more,
                **common,  # type: ignore[arg-type]
            )
    offset = _find(query, OFFSET_PARAMS)
    if offset and limit:
        return Pagination(style="offset", offset_param=offset, **common)  # type: ignore[arg-type]
    page = _find(query, PAGE_PARAMS)
    if page:
        return Pagination(style="page", page_param=page, **common)  # type: ignore[arg-type]
    return None
