"""A fake of the API as an httpx transport: answers from the spec, checks every request.

``MockAPI(spec)`` takes the compact description apigen writes next to each
generated package (``_testing_spec.json``: operations, parameters, bodies,
responses and the named schemas they use). Each request is matched to an
operation, checked (path, method, parameters, body) and answered with the
operation's example or a value synthesised from its schema, the same for the same
seed. A request the spec does not allow gets the spec's error status (422 or 400,
or the one the operation declares) with a message naming the field. Answers can be
overridden per operation, and every call is recorded for assertions.

Imported only by ``<package>.testing`` and ``apigen mock``: never at client import.
"""

from __future__ import annotations

import difflib
import functools
import json
import random
import re
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Mapping, Sequence
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx

from .endpoint import OPERATION_EXTENSION
from .schema_values import Schemas

ERROR_FIELDS = ("message", "detail", "error_description", "error", "msg", "title")
JSON_MEDIA = re.compile(r"^application/(.+\+)?json$|^\*/\*$")


@dataclass(frozen=True)
class MockResponse:
    """An answer with its status and headers; ``body`` as a model, dict, list, str or bytes."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class MockRequest:
    """What a function override receives: the request, decoded."""

    operation: str  # the client's name for it: "resource.method"
    operation_id: str
    request: httpx.Request
    path_params: dict[str, str]
    query: dict[str, list[str]]
    json: Any  # the decoded JSON body, None for none or another media type


@dataclass
class Call:
    """One recorded request and the mock's answer."""

    operation: str | None  # None: no operation of the spec matched
    operation_id: str | None
    request: httpx.Request
    response: httpx.Response
    problems: list[str]  # why the request was rejected; empty when it was valid
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, list[str]] = field(default_factory=dict)
    json: Any = None

    @property
    def valid(self) -> bool:
        return not self.problems and self.operation is not None


Answer = Any  # MockResponse | httpx.Response | pydantic model | JSON value | int | callable


class _Operation:
    """One operation of the compact description, with its path as a regular expression."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.id: str = raw["id"]
        self.name: str = raw.get("name") or raw["id"]
        self.method: str = raw["method"].upper()
        self.path: str = raw["path"]
        # "/rest?method=x" and AWS's "/#X-Amz-Target=Service.Action": the part after ? or #
        # tells apart operations on one path (the query, or a header, carries it)
        route, _, tail = self.path.partition("#")
        route, _, query = route.partition("?")
        fixed = parse_qsl(query, keep_blank_values=True)
        # Clicksend's "/export?filename={filename}": a path parameter sent in the query
        self.query_placeholders = {
            v[1:-1]: k for k, v in fixed if v.startswith("{") and v.endswith("}")
        }
        self.fixed_query = [(k, v) for k, v in fixed if v[1:-1] not in self.query_placeholders]
        self.marks = parse_qsl(tail, keep_blank_values=True)
        pattern, names, statics = "", [], 0
        pieces = re.split(r"(\{[^{}/]+\})", route or "/")
        for at, piece in enumerate(pieces):
            if piece.startswith("{") and piece.endswith("}"):
                names.append(piece[1:-1])
                # "{name}{extension}": where one ends is told by the other's enum
                adjacent = (at > 1 and pieces[at - 1] == "") or (
                    at + 2 < len(pieces) and pieces[at + 1] == ""
                )
                pattern += _segment(self._path_enum(piece[1:-1]) if adjacent else [])
            else:
                pattern += re.escape(piece)
                statics += len(piece)
        self.pattern = pattern + "/?$" if (route or "/") != "/" else "/?$"
        self.param_names = names
        self.statics = statics  # the most literal template wins: /users/me over /users/{id}
        # the route's first segment when it is literal text (a request's must equal it)
        first = (route or "/")[1:].split("/", 1)[0] if (route or "/").startswith("/") else None
        self.first_segment = first if first is not None and "{" not in first else None

    @functools.cached_property
    def carried(self) -> frozenset[str]:
        """Lower-cased names of the header and query parameters (a mark's key is one)."""
        return frozenset(
            str(p.get("name", "")).lower()
            for p in self.raw.get("params") or []
            if p.get("in") in ("header", "query")
        )

    def _path_enum(self, name: str) -> list[str]:
        for param in self.raw.get("params") or []:
            if param.get("in") == "path" and param.get("name") == name:
                values = (param.get("schema") or {}).get("enum")
                if isinstance(values, list) and all(isinstance(v, str) for v in values):
                    return values
        return []

    def fits(self, request: httpx.Request, query: Mapping[str, list[str]]) -> bool:
        """The request carries what tells this operation apart from others on its path."""
        for key, value in self.fixed_query:
            if value not in query.get(key, ()):
                return False
        for key, value in self.marks:
            if value == "" or key.lower() not in self.carried:
                # a label ("#add_shared_link", "#resourceArn", Azure's "#overload=stream"):
                # no parameter carries it, so it is not on the wire
                continue
            if value not in [*request.headers.get_list(key), *query.get(key, ())]:
                return False
        return True

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)  # on first use: a mock of 1,000 operations starts fast


class MockAPI(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport answering every operation of an API from its spec."""

    def __init__(
        self, spec: Mapping[str, Any], *, seed: int = 0, validate: bool = True, record: bool = True
    ) -> None:
        self.seed = seed
        self.record = record  # False: a long-running server keeps no history
        self.count = 0  # requests answered
        self.validate = validate
        self.schemas = Schemas(spec.get("schemas") or {})
        self._operations = [_Operation(op) for op in spec.get("operations") or []]
        self._by_key: dict[str, _Operation] = {}
        # routes by their first path segment where it is literal (a request is tried
        # against those and the ones starting with a parameter, in spec order): Microsoft
        # Graph's 22,361 routes, each a regular expression, were all tried per request
        self._by_first: dict[str, list[int]] = {}
        self._open_first: list[int] = []
        for at, op in enumerate(self._operations):
            for key in (op.name, op.id, f"{op.method} {op.path}"):
                self._by_key.setdefault(key, op)
            first = op.first_segment
            (self._open_first if first is None else self._by_first.setdefault(first, [])).append(at)
        self._base_paths = sorted(
            {p.rstrip("/") for p in spec.get("base_paths") or []}, key=len, reverse=True
        )
        self._query_auth = frozenset(spec.get("query_auth") or ())
        self._schemes: Mapping[str, Mapping[str, str]] = spec.get("security_schemes") or {}
        self._overrides: dict[str, Answer] = {}
        self._lock = threading.Lock()
        self.calls: list[Call] = []

    # ------------------------------------------------------------- user API
    def http_client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` sending to this mock: ``Client(http_client=mock.http_client())``."""
        return httpx.Client(transport=self, **kwargs)

    def async_http_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """The same for ``AsyncClient``."""
        return httpx.AsyncClient(transport=self, **kwargs)

    def override(
        self,
        operation: str,
        answer: Answer = None,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> MockAPI:
        """Answer ``operation`` (its client name, operationId or "METHOD /path") differently.

        ``answer`` is a model, a dict or list, an ``httpx.Response``, a ``MockResponse``, a
        status code, or a function of a ``MockRequest`` returning any of these.
        """
        op = self.operation(operation)
        if status is not None or headers is not None:
            answer = _WithStatus(answer, status, dict(headers or {}))
        self._overrides[op.id] = answer
        return self

    def reset(self) -> None:
        """Forget overrides and recorded calls."""
        with self._lock:
            self._overrides.clear()
            self.calls.clear()

    def calls_to(self, operation: str) -> list[Call]:
        """The recorded calls of one operation, oldest first."""
        op = self.operation(operation)
        with self._lock:
            return [c for c in self.calls if c.operation_id == op.id]

    def operation(self, key: str) -> _Operation:
        found = self._by_key.get(key)
        if found is None:
            close = difflib.get_close_matches(key, list(self._by_key), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"no operation {key!r} in the spec{hint}")
        return found

    @property
    def operation_names(self) -> list[str]:
        return [op.name for op in self._operations]

    # ------------------------------------------------------------ transport
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self.answer(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.answer(request)

    def answer(self, request: httpx.Request) -> httpx.Response:
        """The response to one request (whose body has been read), recorded in ``calls``."""
        return self.call(request).response

    def call(self, request: httpx.Request) -> Call:
        """Check and answer one request; the record of it (kept in ``calls`` when recording)."""
        query = _query(request.url.query.decode("ascii", "replace"))
        matched = self._match(request.method.upper(), request.url, request, query)
        if isinstance(matched, httpx.Response):
            matched.request = request
            return self._record(Call(None, None, request, matched, [matched.json()["message"]]))
        first: tuple[Any, ...] | None = None
        for op, path_params in matched:  # equal routes: the first operation the request fits
            body, problems = self._decode_body(op, request)
            unauthenticated = self.validate and self._missing_credentials(op, request, query)
            if unauthenticated:
                problems = [unauthenticated]
            elif self.validate:
                problems += self._check_parameters(op, request, path_params, query)
                if not problems:
                    problems += self._check_body(op, request, body)
            if not problems:
                break
            if first is None:
                first = (op, path_params, body, problems, unauthenticated)
        else:
            assert first is not None
            op, path_params, body, problems, unauthenticated = first
        if unauthenticated:
            response = self._rejection(op, problems, "401")
        elif problems:
            response = self._rejection(op, problems)
        else:
            info = MockRequest(op.name, op.id, request, path_params, query, body)
            response = self._respond(op, info)
        response.request = request
        return self._record(
            Call(op.name, op.id, request, response, problems, path_params, query, body)
        )

    def _record(self, call: Call) -> Call:
        with self._lock:
            self.count += 1
            if self.record:
                self.calls.append(call)
        return call

    # -------------------------------------------------------------- routing
    def _routes_for(self, path: str) -> list[_Operation]:
        """The operations whose route may match ``path``, in spec order."""
        if not path.startswith("/"):
            return self._operations
        literal = self._by_first.get(path[1:].split("/", 1)[0], [])
        ats = sorted(literal + self._open_first) if self._open_first else literal
        return [self._operations[at] for at in ats]

    def _match(
        self, method: str, url: httpx.URL, request: httpx.Request, query: Mapping[str, list[str]]
    ) -> list[tuple[_Operation, dict[str, str]]] | httpx.Response:
        path = url.path
        # the path as sent first: a parameter's "/" arrives as %2F, inside its segment
        sent = url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")
        candidates = [sent, path] if sent != path else [path]
        for base in self._base_paths:
            for spelling in [path, sent] if sent != path else [path]:
                if base and (spelling == base or spelling.startswith(base + "/")):
                    candidates.insert(0, spelling[len(base) :] or "/")
        allowed: set[str] = set()
        for candidate in candidates:
            hits = []
            for op in self._routes_for(candidate):
                m = op.regex.match(candidate)
                if m:
                    if op.method == method:
                        hits.append((op, m))
                    else:
                        allowed.add(op.method)
            if hits:
                named = request.extensions.get(OPERATION_EXTENSION)

                def rank(hit: tuple[_Operation, re.Match[str]]) -> tuple[int, ...]:
                    op = hit[0]
                    marks = len(op.fixed_query) + len(op.marks)
                    # a route whose path values its parameters take (Mist's
                    # {zone_type}/count, not rssizones/{rssizone_id} of a uuid) before the
                    # most literal; the operation the client named first among routes it fits
                    typed = len(hits) == 1 or self._path_fits(op, hit[1])
                    return (op.fits(request, query), typed, op.statics, op.id == named, marks)

                hits.sort(key=rank, reverse=True)
                best = rank(hits[0])[:3]  # equally fitting, typed and literal: all of them
                return [
                    (op, {n: unquote(v) for n, v in zip(op.param_names, m.groups())})
                    for op, m in hits
                    if rank((op, m))[:3] == best
                ]
        if allowed:
            return _json_response(
                405,
                {
                    "message": f"{method} is not allowed on {path}; the spec "
                    f"allows {', '.join(sorted(allowed))}"
                },
                {"Allow": ", ".join(sorted(allowed))},
            )
        return _json_response(404, {"message": f"no operation of the spec matches {method} {path}"})

    def _path_fits(self, op: _Operation, match: re.Match[str]) -> bool:
        values = {n: unquote(v) for n, v in zip(op.param_names, match.groups())}
        for param in op.raw.get("params") or []:
            if param.get("in") == "path" and param.get("name") in values:
                schema = param.get("schema") or {}
                if self.schemas.problems(schema, self._coerce(values[param["name"]], schema)):
                    return False
        return True

    # ----------------------------------------------------------- validation
    def _missing_credentials(
        self, op: _Operation, request: httpx.Request, query: Mapping[str, list[str]]
    ) -> str:
        """Why the request lacks the credentials the operation requires ("" when it has them)."""
        requirements = op.raw.get("security")
        if not requirements:
            return ""
        wanted: list[str] = []
        for names in requirements:
            unmet = [n for n in names if not self._presents(n, request, query)]
            if len(unmet) < len(names):
                # Azure's registry: Basic and an API key named Authorization together; a
                # request has one Authorization header, one of them met is all it can meet
                met_header = [n for n in names if n not in unmet and self._in_authorization(n)]
                unmet = [n for n in unmet if not (met_header and self._in_authorization(n))]
            if not unmet:
                return ""
            wanted.append(" and ".join(self._describe_scheme(n) for n in unmet))
        return "credentials: missing; the operation needs " + " or ".join(wanted)

    def _presents(self, name: str, request: httpx.Request, query: Mapping[str, list[str]]) -> bool:
        scheme = self._schemes.get(name)
        if scheme is None:
            return True  # a scheme the description does not define: nothing to check
        kind, where, key = scheme.get("type"), scheme.get("in"), scheme.get("name", "")
        if kind == "apiKey":
            if where == "query":
                return key in query
            if where == "cookie":
                return key in _cookies(request.headers.get("cookie", ""))
            return key.lower() in request.headers
        authorization = str(request.headers.get("authorization", ""))
        if kind == "http":
            wanted = scheme.get("scheme", "").lower()
            if wanted in ("bearer", "basic"):
                return authorization.lower().startswith(wanted + " ")
            return bool(authorization)
        if kind in ("oauth2", "openIdConnect"):
            return bool(authorization)
        return True  # mutualTLS and the like: not visible in a request

    def _in_authorization(self, name: str) -> bool:
        """The scheme's credential travels in the Authorization header."""
        scheme = self._schemes.get(name) or {}
        if scheme.get("type") == "apiKey":
            return (
                scheme.get("in") == "header" and scheme.get("name", "").lower() == "authorization"
            )
        return scheme.get("type") in ("http", "oauth2", "openIdConnect")

    def _describe_scheme(self, name: str) -> str:
        scheme = self._schemes.get(name) or {}
        kind = scheme.get("type")
        if kind == "apiKey":
            return f"{name} ({scheme.get('in', 'header')} {scheme.get('name', '')!r})"
        if kind == "http":
            return f"{name} (Authorization: {scheme.get('scheme', '').capitalize()} ...)"
        return f"{name} (Authorization header)"

    def _check_parameters(
        self,
        op: _Operation,
        request: httpx.Request,
        path_params: Mapping[str, str],
        query: Mapping[str, list[str]],
    ) -> list[str]:
        problems: list[str] = []
        declared_query = set()
        free_form: Mapping[str, Any] | None = None
        for param in op.raw.get("params") or []:
            name, where, schema = param["name"], param["in"], param.get("schema") or {}
            label = f"{where} parameter {name!r}"
            if where == "path":
                raw = path_params.get(name)
                if raw is None and name in op.query_placeholders:
                    sent = query.get(op.query_placeholders[name])
                    raw = sent[-1] if sent else None
                    declared_query.add(op.query_placeholders[name])
                values: list[str] | None = [raw] if raw is not None else None
            elif where == "query":
                declared_query.add(name)
                if param.get("style") == "json":  # OpenAPI's `content`: one JSON text
                    sent = query.get(name)
                    if sent is None:
                        if param.get("required"):
                            problems.append(f"{label}: required, missing")
                        continue
                    found = self.schemas.problems(schema, _json_or_text(sent[-1]), "$")
                    problems += [label + p[1:] for p in found]  # "$.where: ..." -> "'q'.where"
                    continue
                if param.get("style") == "deepObject":
                    problems += self._check_deep_object(label, name, schema, query)
                    continue
                fields = self._exploded_fields(param)
                if fields:  # an object, form-exploded: its properties are the query's names
                    declared_query.update(fields)
                    problems += self._check_exploded(label, param, fields, query)
                    continue
                if fields is None:  # a free-form object, form-exploded: names not declared
                    free_form = param
                    continue
                values = query.get(name)
                if values is None and name + "[]" in query:
                    values = query[name + "[]"]
            elif where == "header":
                found = request.headers.get_list(name)
                values = found or None
            elif where == "cookie":
                cookie = _cookies(request.headers.get("cookie", "")).get(name)
                values = [cookie] if cookie is not None else None
            else:
                continue
            if values is None:
                if param.get("required"):
                    problems.append(f"{label}: required, missing")
                continue
            problems += self._check_text(label, values, schema, param)
        declared_query.update(key for key, _ in (*op.fixed_query, *op.marks))
        # the template's own "?term={term}": the client fills it in, declared or not (the
        # generator takes an undeclared placeholder as a required str argument)
        declared_query.update(op.query_placeholders.values())
        undeclared = []
        for key in query:
            base = key.split("[", 1)[0]
            known = key in declared_query or base in declared_query or key in self._query_auth
            if not known:
                undeclared.append(key)
        if free_form is not None:  # microcks' queryMap: every other name is one of its keys
            if not undeclared and free_form.get("required"):
                problems.append(f"query parameter {free_form['name']!r}: required, missing")
            undeclared = []
        for key in undeclared:
            problems.append(f"query parameter {key!r}: not declared by the operation")
        return problems

    def _check_text(
        self, label: str, values: list[str], schema: Any, param: Mapping[str, Any]
    ) -> list[str]:
        resolved = self.schemas._merged(self.schemas.resolve(schema))
        declared = resolved.get("type") if isinstance(resolved, dict) else None
        is_array = isinstance(resolved, dict) and (
            declared == "array"
            or (isinstance(declared, list) and "array" in declared)
            or ("items" in resolved and declared is None)
        )  # sinao's {type: string, items: ...}: a string
        if is_array:
            explode = param.get("explode", param["in"] in ("query", "cookie"))
            parts = (
                values
                if explode and len(values) > 1
                else [p for v in values for p in (v.split(",") if v != "" else [])]
            )
            items = resolved.get("items", {})
            node = self.schemas._merged(self.schemas.resolve(items))
            if isinstance(node, dict) and _kind(node) in ("object", "array"):
                parts = values  # JSON items (Box's mdfilters): their commas are not separators
                value: Any = [_json_or_text(p) for p in parts]
            else:
                value = [self._coerce(p, items) for p in parts]
        else:  # sent more than once: an exploded object's property of its name (sinao's
            # `type`) may have put one there too; any value that fits is this one's
            read = [self._coerce(v, schema) for v in values]
            value = next(
                (v for v in reversed(read) if not self.schemas.problems(schema, v)), read[-1]
            )
        return [f"{label}: {p.split(': ', 1)[-1]}" for p in self.schemas.problems(schema, value)]

    def _exploded_fields(self, param: Mapping[str, Any]) -> dict[str, Any] | None:
        """The properties of a query object sent form-exploded (``?a=1&b=2``); None for
        such an object of additionalProperties only; {} for anything else."""
        if param.get("style", "form") != "form" or param.get("explode", True) is not True:
            return {}
        resolved = self.schemas._merged(self.schemas.resolve(param.get("schema") or {}))
        if not isinstance(resolved, dict) or _kind(resolved, "object") != "object":
            return {}
        props = resolved.get("properties")
        open_ended = resolved.get("additionalProperties", False) is not False
        if not props and _kind(resolved) == "object" and open_ended:
            return None
        return dict(props) if isinstance(props, dict) else {}

    def _check_exploded(
        self,
        label: str,
        param: Mapping[str, Any],
        fields: Mapping[str, Any],
        query: Mapping[str, list[str]],
    ) -> list[str]:
        value = {}
        for key, sub in fields.items():
            sent = query.get(key)
            if not sent:
                continue
            node = self.schemas._merged(self.schemas.resolve(sub))
            structured = isinstance(node, dict) and _kind(node) in ("object", "array")
            read = [_json_or_text(t) if structured else self._coerce(t, sub) for t in sent]
            # two exploded objects with a property of one name (AWS RDS's MinCapacity, an
            # integer in one, a number in the other) put both values under it: whose is
            # whose does not show on the wire, so any value that fits is this one's
            value[key] = next(
                (v for v in reversed(read) if not self.schemas.problems(sub, v)), read[-1]
            )
        if not value:
            return [f"{label}: required, missing"] if param.get("required") else []
        schema = param.get("schema") or {}
        return [f"{label}.{p}" for p in self.schemas.problems(schema, value)]

    def _check_deep_object(
        self, label: str, name: str, schema: Any, query: Mapping[str, list[str]]
    ) -> list[str]:
        pairs = [
            (key, value)
            for key, values in query.items()
            if key.startswith(name + "[") and key.endswith("]")
            for value in values
        ]
        folded = _fold(pairs).get(name)  # filter[a][b]=x: {"a": {"b": "x"}}
        if not folded:
            return []
        value = self._coerce_fields(folded, schema)
        return [f"{label}.{p}" for p in self.schemas.problems(schema, value)]

    def _coerce(self, raw: str, schema: Any) -> Any:
        """Text from the wire as the first JSON value of a type the schema allows."""
        resolved = self.schemas._merged(self.schemas.resolve(schema))
        enum = resolved.get("enum") if isinstance(resolved, dict) else None
        declared = resolved.get("type") if isinstance(resolved, dict) else None
        textless = isinstance(enum, list) and not any(isinstance(m, str) for m in enum)
        if isinstance(enum, list) and (
            declared in (None, "integer", "number", "boolean") or textless
        ):  # stackexchange's type: string, enum: [true, false]: "false" is the member False
            for member in enum:  # "2" for an enum of 1, 2 that declares no type
                if member is not None and not isinstance(member, (dict, list)):
                    if raw == (json.dumps(member) if isinstance(member, bool) else str(member)):
                        return member
        kinds: list[str] = []
        for node in (
            [resolved, *(resolved.get("anyOf") or []), *(resolved.get("oneOf") or [])]
            if isinstance(resolved, dict)
            else []
        ):
            node = self.schemas.resolve(node)
            declared = node.get("type") if isinstance(node, dict) else None
            kinds += declared if isinstance(declared, list) else [declared] if declared else []
        for kind in kinds:
            try:
                if kind == "integer":
                    return int(raw)
                if kind == "number":
                    return float(raw)
            except ValueError:
                continue
            if kind == "boolean" and raw in ("true", "false", "True", "False"):
                return raw.lower() == "true"
            if kind == "null" and raw in ("", "null"):
                return None
            if kind == "object" and raw:
                return self._object_text(raw, resolved if isinstance(resolved, dict) else {})
        return raw

    def _object_text(self, raw: str, schema: Mapping[str, Any]) -> Any:
        """An object parameter as sent (simple or form style: ``k,v,k2,v2`` or
        ``k=v,k2=v2``; JSON text too): Visual Studio's object-typed headers."""
        if raw.startswith("{"):
            return _json_or_text(raw)
        parts = raw.split(",")
        if all("=" in part for part in parts):
            pairs = [part.split("=", 1) for part in parts]
        elif len(parts) % 2 == 0:
            pairs = [parts[i : i + 2] for i in range(0, len(parts), 2)]
        else:
            return raw
        props = schema.get("properties") or {}
        return {k: self._coerce(v, props.get(k, {})) for k, v in pairs}

    def _decode_body(self, op: _Operation, request: httpx.Request) -> tuple[Any, list[str]]:
        content = request.content
        if not content:
            return None, []
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if JSON_MEDIA.match(media) and media != "*/*":
            try:
                return json.loads(content), []
            except ValueError as exc:
                return None, [f"body: not valid JSON ({exc})"]
        return None, []

    def _check_body(self, op: _Operation, request: httpx.Request, decoded: Any) -> list[str]:
        body = op.raw.get("body")
        if not body:
            return []
        if not request.content:
            return ["body: required, missing"] if body.get("required") else []
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        declared: dict[str, Any] = body.get("content") or {}
        schema = _media_entry(declared, media)
        if schema is None:
            return [
                f"body: content type {media or '(none)'!r} is not one of "
                f"{', '.join(sorted(declared))}"
            ]
        if JSON_MEDIA.match(media) and media != "*/*":
            return self.schemas.problems(schema, decoded, "body")
        if media == "application/x-www-form-urlencoded":
            text = request.content.decode("utf-8", "replace")
            resolved = self.schemas._merged(self.schemas.resolve(schema))
            if isinstance(resolved, dict) and resolved.get("type") == "string":
                return self.schemas.problems(schema, text, "body")  # fields encoded by the caller
            props = resolved.get("properties") if isinstance(resolved, dict) else None
            flat = {k for k in props or () if isinstance(k, str) and "[" in k}
            value = self._coerce_fields(_form_fields(text, flat), schema)
            return self.schemas.problems(schema, value, "body")
        if media.startswith("multipart/"):
            names = set(re.findall(rb'name="([^"]*)"', request.content))
            resolved = self.schemas.resolve(schema)
            required = resolved.get("required") or [] if isinstance(resolved, dict) else []
            return [
                f"body.{name}: required part is missing"
                for name in required
                if isinstance(name, str) and name.encode() not in names
            ]
        return []

    def _coerce_fields(self, fields: Any, schema: Any) -> Any:
        """Form fields (nested by ``a[b]`` keys) typed per the properties' schemas."""
        resolved = self.schemas._merged(self.schemas.resolve(schema))
        if not isinstance(resolved, dict):
            return fields
        branch = self._form_branch(fields, resolved)
        if branch is not None:  # Stripe's anyOf [object, ""]: the branch of the fields' shape
            return self._coerce_fields(fields, branch)
        if isinstance(fields, dict):
            keys = list(fields)
            items = resolved.get("items")
            if keys and all(k.isdigit() or k == "" for k in keys) and items is not None:
                return [self._coerce_fields(v, items) for v in fields.values()]
            props = resolved.get("properties") or {}
            extra = resolved.get("additionalProperties")
            return {
                k: self._coerce_fields(v, props.get(k, extra if isinstance(extra, dict) else {}))
                for k, v in fields.items()
            }
        if isinstance(fields, list):
            if resolved.get("type") == "array" or "items" in resolved:
                return [self._coerce_fields(v, resolved.get("items", {})) for v in fields]
            fields = fields[-1]
        if resolved.get("type") == "array" or "items" in resolved:  # one value of a list
            return [self._coerce_fields(fields, resolved.get("items", {}))]
        return self._coerce(fields, resolved)

    def _form_branch(self, fields: Any, resolved: Mapping[str, Any]) -> Any:
        """The anyOf/oneOf branch whose kind (object or array) nested form fields have."""
        branches = [*(resolved.get("anyOf") or []), *(resolved.get("oneOf") or [])]
        if not branches or not isinstance(fields, (dict, list)) or "properties" in resolved:
            return None
        listed = isinstance(fields, list) or all(k.isdigit() or k == "" for k in fields)
        wanted = "array" if listed else "object"
        for branch in branches:
            node = self.schemas._merged(self.schemas.resolve(branch))
            if not isinstance(node, dict):
                continue
            kind = node.get("type")
            if kind is None:
                kind = (
                    "object"
                    if "properties" in node or "additionalProperties" in node
                    else ("array" if "items" in node else None)
                )
            if kind == wanted:
                return branch
        return None

    # ------------------------------------------------------------- answers
    def _rejection(
        self, op: _Operation, problems: list[str], status: str | None = None
    ) -> httpx.Response:
        responses: Mapping[str, Any] = op.raw.get("responses") or {}
        if status is None:
            status = next((s for s in ("422", "400") if s in responses), None)
        if status is None:
            status = next(
                (s for s in sorted(responses) if s.startswith("4") and s.isdigit()), "400"
            )
        what = "unauthenticated" if status == "401" else "invalid"
        message = f"{what} request for {op.id}: " + "; ".join(problems[:5])
        body = self._example(op, status, responses.get(status) or responses.get("DEFAULT"))
        if isinstance(body, dict) and _place_message(body, message):
            pass
        else:
            body = {"message": message, "problems": problems}
        return _json_response(int(status), body, {"X-Mock-Problems": str(len(problems))})

    def _respond(self, op: _Operation, info: MockRequest) -> httpx.Response:
        answer = self._overrides.get(op.id, _DEFAULT)
        if callable(answer) and not isinstance(answer, (type, _WithStatus)):
            answer = answer(info)
        status: int | None = None
        headers: dict[str, str] = {}
        if isinstance(answer, _WithStatus):
            status, headers, answer = answer.status, answer.headers, answer.answer
            if callable(answer) and not isinstance(answer, type):
                answer = answer(info)
        if isinstance(answer, httpx.Response):
            return answer
        if isinstance(answer, MockResponse):
            status, headers, answer = answer.status, {**headers, **answer.headers}, answer.body
        if isinstance(answer, int) and not isinstance(answer, bool) and 100 <= answer < 600:
            status, answer = answer, _DEFAULT
        if status is None:
            status = self._success_status(op)
        if answer is _DEFAULT or answer is None:
            return self._declared(op, status, headers)
        return _body_response(status, _jsonable(answer), headers)

    def _success_status(self, op: _Operation) -> int:
        responses = op.raw.get("responses") or {}
        codes = sorted(s for s in responses if s.isdigit() and s.startswith("2"))
        return int(codes[0]) if codes else 200

    def _declared(self, op: _Operation, status: int, headers: dict[str, str]) -> httpx.Response:
        responses: Mapping[str, Any] = op.raw.get("responses") or {}
        declared = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        if declared is None and status >= 400:
            declared = responses.get("DEFAULT")
        if declared and declared.get("headers"):  # the headers the spec requires go too
            headers = {**self._header_values(op, status, declared["headers"]), **headers}
        if status in (204, 205, 304) or not declared or not declared.get("content"):
            if declared is None and status >= 400:
                return _json_response(status, {"message": f"mock answer {status}"}, headers)
            return httpx.Response(status, headers=headers)
        media, entry = _pick_media(declared["content"])
        value = self._example(op, str(status), declared)
        if value is None and entry.get("schema") is None:
            value = {}
        if JSON_MEDIA.match(media):
            return _json_response(status, value, {"Content-Type": _json_type(media), **headers})
        if media == "text/event-stream":  # one event whose data is the value, then the end
            data = value if isinstance(value, str) else json.dumps(value)
            lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
            return httpx.Response(
                status,
                text=f"{lines}\ndata: [DONE]\n\n",
                headers={"Content-Type": media, **headers},
            )
        if media.startswith("text/"):
            text = value if isinstance(value, str) else json.dumps(value)
            return httpx.Response(status, text=text, headers={"Content-Type": media, **headers})
        return httpx.Response(
            status, content=b"mock-bytes", headers={"Content-Type": media, **headers}
        )

    def _header_values(
        self, op: _Operation, status: int, schemas: Mapping[str, Any]
    ) -> dict[str, str]:
        rng = random.Random(zlib.crc32(f"{self.seed}:{op.id}:{status}:headers".encode()))
        out = {}
        for name, schema in schemas.items():
            value = self.schemas.value(schema, rng)
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, list):
                value = ",".join(str(v) for v in value)
            out[name] = "" if value is None else str(value)
        return out

    def _example(self, op: _Operation, status: str, declared: Any) -> Any:
        """The response's example, else a value from its schema; pagination ended."""
        if not isinstance(declared, dict) or not declared.get("content"):
            return None
        _, entry = _pick_media(declared["content"])
        rng = random.Random(zlib.crc32(f"{self.seed}:{op.id}:{status}".encode()))
        if "example" in entry:  # examples often leave out required fields: those are filled in
            value = self.schemas.complete(entry.get("schema") or {}, entry["example"], rng)
        else:
            value = self.schemas.value(entry.get("schema") or {}, rng)
        if status.startswith("2"):
            for path in op.raw.get("stop") or []:
                value = _ended(value, path)
        return value


@functools.lru_cache(maxsize=1)
def packaged_spec() -> dict[str, Any]:
    """The package's own ``_testing_spec.json`` (next to ``_runtime/``), read once."""
    path = Path(__file__).resolve().parent.parent / "_testing_spec.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


class _WithStatus:
    def __init__(self, answer: Answer, status: int | None, headers: dict[str, str]) -> None:
        self.answer = answer if answer is not None else _DEFAULT
        self.status = status
        self.headers = headers


_DEFAULT: Any = object()  # no override: the spec's answer


def _kind(schema: Mapping[str, Any], default: str | None = None) -> str | None:
    """The JSON type a schema declares, null aside (sinao's nullable objects are
    ``[object, null]``), or the one its keywords imply (an allOf of properties)."""
    declared = schema.get("type")
    if isinstance(declared, list):
        kinds = [k for k in declared if k != "null"]
        declared = kinds[0] if len(kinds) == 1 else None if kinds else "null"
    if isinstance(declared, str):
        return declared
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return default


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _query(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        out.setdefault(key, []).append(value)
    return out


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        if "=" in part:
            key, _, value = part.strip().partition("=")
            out[key] = value
    return out


def _form_fields(text: str, flat: Collection[str] = ()) -> dict[str, Any]:
    """``a[b][0]=x`` style fields folded into nested dicts (lists of repeated values).

    Names in ``flat`` are properties the schema itself spells with brackets (cambase's
    ``model[name]``, a Rails form written out flat): they stay one key."""
    return _fold(parse_qsl(text, keep_blank_values=True), flat)


def _fold(pairs: Sequence[tuple[str, str]], flat: Collection[str] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in flat:
            parts = [key]
        else:
            parts = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = parts[-1]
        if last == "" and parts[:-1]:  # a[]=x: append
            last = str(len(node))
        if last in node:
            prior = node[last]
            node[last] = [*(prior if isinstance(prior, list) else [prior]), value]
        else:
            node[last] = value
    return out


def _media_entry(declared: Mapping[str, Any], media: str) -> Any:
    """The schema declared for a request's content type (wildcards allowed), None if none."""
    for key, entry in declared.items():
        key = key.split(";")[0].strip().lower()
        if key == media or key == "*/*" or (key.endswith("/*") and media.startswith(key[:-1])):
            return (entry or {}).get("schema") or {}
    if not media and declared:
        return None
    return None


def _pick_media(content: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The JSON media type a response declares, a named one before ``*/*`` (Jira's avatars:
    ``*/*`` of no schema, then ``application/json`` of an object, the type the client
    reads), else the first."""
    listed = [(media.split(";")[0].strip().lower(), entry) for media, entry in content.items()]
    for media, entry in sorted(listed, key=lambda pair: pair[0] == "*/*"):
        if JSON_MEDIA.match(media):
            return media, entry or {}
    media, entry = next(iter(content.items()))
    return media.split(";")[0].strip().lower(), entry or {}


def _json_type(media: str) -> str:
    return "application/json" if media == "*/*" else media


def _place_message(body: dict[str, Any], message: str, depth: int = 0) -> bool:
    """Put the rejection message into the error body's message-like string field."""
    for key in ERROR_FIELDS:
        if isinstance(body.get(key), str):
            body[key] = message
            return True
    if depth < 2:
        for value in body.values():
            if isinstance(value, dict) and _place_message(value, message, depth + 1):
                return True
    return False


def _ended(value: Any, path: Sequence[str]) -> Any:
    """The body with the field that would fetch another page removed (``has_more`` false)."""
    if not path or not isinstance(value, dict):
        return value
    head, rest = path[0], path[1:]
    if head not in value:
        return value
    out = dict(value)
    if rest:
        out[head] = _ended(value[head], rest)
    elif isinstance(value[head], bool):
        out[head] = False
    else:
        del out[head]
    return out


def _jsonable(answer: Any) -> Any:
    if hasattr(answer, "model_dump") and not isinstance(answer, type):  # a pydantic model
        return answer.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(answer, (list, tuple)):
        return [_jsonable(item) for item in answer]
    if isinstance(answer, dict):
        return {str(k): _jsonable(v) for k, v in answer.items()}
    return answer


def _body_response(status: int, body: Any, headers: Mapping[str, str]) -> httpx.Response:
    if isinstance(body, bytes):
        return httpx.Response(status, content=body, headers=dict(headers))
    return _json_response(status, body, headers)


def _json_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    merged = {"Content-Type": "application/json", **(headers or {})}
    return httpx.Response(status, content=content, headers=merged)


def _segment(values: Sequence[str]) -> str:
    """The regular expression of a path parameter: one of ``values`` when given, else any."""
    if not values:
        return "([^/]+)"
    spelled = {spelling for v in values for spelling in (v, quote(v, safe=""))}
    return "(" + "|".join(re.escape(v) for v in sorted(spelled, key=len, reverse=True)) + ")"


def split_target(target: str) -> tuple[str, str]:
    """(path, query) of a request target as an HTTP server receives it."""
    parts = urlsplit(target)
    return parts.path or "/", parts.query


Override = Callable[[MockRequest], Answer]
