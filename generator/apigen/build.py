"""From a normalised OpenAPI 3.x document to the IR (``ir.Api``).

All naming happens here: package, resources, methods, arguments, endpoint
constants and (through ``SchemaRegistry``) models. Parts that apigen cannot
express are recorded in ``Api.skipped`` with the place and the reason.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from . import envelope, idempotency, paging, surface, webhooks as webhook_ir
from .diagnostics import ApigenError, Diagnostic, pointer
from .loader import Document
from .media import pick_media
from .auth_names import ADDED_SCHEME, insecure_http_host, naming_of_schemes
from .bodyfields import FILE_PART, body_fields
from .context import SpecContext, sequence
from .ir import (
    ANY,
    NONE,
    Api,
    Body,
    BodyField,
    Operation,
    Parameter,
    PyType,
    Resource,
    ResourceRef,
    Response,
    SecurityScheme,
    Skipped,
)
from .events import STREAM_ONLY, event_media, event_type_of, generic_event, stream_switch
from .naming import (
    WINDOWS_DEVICE_NAMES,
    NameScope,
    class_identifier,
    env_identifier,
    file_safe_name,
    pascal,
    snake_identifier,
    unshadowed_package,
)
from .spec_walk import iter_operations

# Keyword arguments every generated method has; spec parameters must not shadow them.
CALL_OPTION_ARGS = frozenset(
    {
        "self",
        "timeout",
        "max_retries",
        "extra_headers",
        "extra_query",
        "idempotency_key",
        "strict_responses",
    }
)
CLIENT_ARGS = frozenset(
    {
        "self",
        "base_url",
        "timeout",
        "max_retries",
        "retry",
        "rate_limit",
        "circuit_breaker",
        "headers",
        "http_client",
        "auth",
        "hooks",
        "strict_responses",
        "limits",
        "allow_insecure_http",
        "cache",
        "telemetry",
    }
)
CLIENT_ATTRS = frozenset(
    {
        "request",
        "paginate",
        "close",
        "aclose",
        "base_url",
        "headers",
        "timeout",
        "max_retries",
        "with_options",
        "copy",
        "breaker_state",
        "with_raw_response",
        "with_streaming_response",
        "config",
        "package",
        "version",
        "user_agent",
        "runtime_stats",
        "oauth_flow",
    }
)
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
DEFAULT_STYLES = {
    "path": ("simple", False),
    "header": ("simple", False),
    "query": ("form", True),
    "cookie": ("form", True),
}
UNSAFE_METHODS = frozenset({"POST", "PATCH"})
JSON_TEXT = re.compile(r"\bJSON\b")  # "A JSON-based array of structured blocks"
PLACEHOLDER = re.compile(r"{([^{}]*)}")


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (validation reports the rest)."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def path_placeholders(path: str) -> list[str]:
    """The parameter names a path template substitutes, in order, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(path)))


def template_problem(path: str) -> str | None:
    """Why no request can ever match this path template, or None when one can."""
    if any(not name for name in PLACEHOLDER.findall(path)):
        return "an empty {} placeholder"
    if "{" in PLACEHOLDER.sub("", path) or "}" in PLACEHOLDER.sub("", path):
        return "an unmatched brace"
    return None


def _status(code: str) -> str:
    return "default" if code.lower() == "default" else code.upper()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class ApiBuilder(SpecContext):
    def __init__(
        self,
        spec: dict[str, Any],
        package: str | None = None,
        source: str = "",
        doc: Document | None = None,
    ) -> None:
        default = file_safe_name(surface.default_package_name(spec))  # it names a folder
        self.package = package or unshadowed_package(default)
        super().__init__(spec, env_identifier(self.package))
        self.source = source
        self.doc = doc
        self.notices: list[Skipped] = []
        info = _mapping(spec.get("info"))
        self.title = _text(info.get("title")) or "API"
        self.idempotency_api_header = idempotency.api_header(spec, self.servers())

    # -------------------------------------------------------------- helpers

    def report_plain_http(self) -> None:
        for index, url in enumerate(self.servers()):
            host = insecure_http_host(url)
            if host is not None:
                self.notices.append(
                    Skipped(
                        pointer("servers", str(index), "url"),
                        (
                            f"server {url} is plain http: the client refuses to send credentials "
                            f"to {host} unless allow_insecure_http=True; pass an https base_url"
                        ),
                    )
                )

    # -------------------------------------------------------------- servers

    def servers(self) -> tuple[str, ...]:
        urls = []
        listed = self.spec.get("servers")
        for server in listed if isinstance(listed, list) else []:
            if not isinstance(server, dict) or not isinstance(server.get("url"), str):
                continue
            url = server["url"]
            for name, var in _mapping(server.get("variables")).items():
                if isinstance(var, dict) and "default" in var:
                    url = url.replace("{" + str(name) + "}", str(var["default"]))
            urls.append(url.rstrip("/") if url != "/" else url)
        return tuple(urls)

    # -------------------------------------------------------------- security

    def security_schemes(self) -> tuple[SecurityScheme, ...]:
        out = []
        schemes = _mapping(_mapping(self.spec.get("components")).get("securitySchemes"))
        usable = [(str(name), self.deref(raw)) for name, raw in schemes.items()]
        usable = [(name, scheme) for name, scheme in usable if isinstance(scheme, dict)]
        names = naming_of_schemes(usable, self.env_prefix, CLIENT_ARGS)
        for name, scheme in usable:
            where = pointer("components", "securitySchemes", name)
            kind = str(scheme.get("type", ""))
            http_scheme = str(scheme.get("scheme", "")).lower()
            py_name, env = names[name]
            common: dict[str, Any] = dict(
                name=name, py_name=py_name, env=env, description=_text(scheme.get("description"))
            )
            if kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie"):
                out.append(
                    SecurityScheme(
                        kind="apiKey",
                        location=str(scheme["in"]),
                        param_name=str(scheme.get("name", name)),
                        **common,
                    )
                )
            elif kind == "http" and http_scheme == "bearer" or kind == "openIdConnect":
                out.append(SecurityScheme(kind="bearer", **common))
            elif kind == "http" and http_scheme == "basic":
                out.append(SecurityScheme(kind="basic", **common))
            elif kind == "oauth2":
                flows = _mapping(scheme.get("flows"))
                token_url = refresh_url = None
                scopes: list[str] = []
                for flow_name in ("clientCredentials", "authorizationCode", "password", "implicit"):
                    flow = flows.get(flow_name)
                    if isinstance(flow, dict):
                        token_url = token_url or flow.get("tokenUrl")
                        refresh_url = refresh_url or flow.get("refreshUrl")
                        scopes += [s for s in _mapping(flow.get("scopes")) if s not in scopes]
                code = _mapping(flows.get("authorizationCode"))
                out.append(
                    SecurityScheme(
                        kind="oauth2",
                        token_url=token_url,
                        refresh_url=refresh_url,
                        scopes=tuple(scopes),
                        flows=tuple(f for f in flows if isinstance(flows[f], dict)),
                        authorization_url=_url_text(code.get("authorizationUrl")),
                        code_token_url=_url_text(code.get("tokenUrl")),
                        **common,
                    )
                )
            else:
                self.skip(
                    where,
                    f"security scheme type {kind!r} {http_scheme!r} is not supported; "
                    "use the client's auth= hook",
                )
        if not out:
            out.append(
                SecurityScheme(
                    name=ADDED_SCHEME,
                    py_name="api_key",
                    kind="bearer",
                    env=f"{self.env_prefix}_API_KEY",
                    description="added by apigen: the spec declares no security scheme",
                )
            )
            self.notices.append(
                Skipped(
                    "/components/securitySchemes",
                    (
                        "the spec declares no usable security scheme: the client takes a bearer "
                        f"token as api_key= (or ${self.env_prefix}_API_KEY), sent when given; "
                        "declare the real schemes in [tool.apigen] auth"
                    ),
                )
            )
        return tuple(out)

    def security(
        self, requirements: Any, known: set[str], where: str
    ) -> tuple[tuple[str, ...], ...] | None:
        if requirements is None:
            return None
        alternatives = []
        for req in requirements if isinstance(requirements, list) else []:
            if not isinstance(req, dict):
                continue
            names = tuple(str(n) for n in req)
            if all(n in known for n in names):
                alternatives.append(names)
            elif ADDED_SCHEME not in known:
                self.skip(
                    where,
                    f"security requirement {list(names)} names an unsupported scheme; "
                    "that alternative is not applied",
                )
        if ADDED_SCHEME in known and (requirements == [] or alternatives != []):
            return tuple(alternatives)  # "security: []" stays public
        if ADDED_SCHEME in known:
            return None  # requirements naming undeclared schemes: the added token, when given
        return tuple(alternatives)

    # -------------------------------------------------------------- operations

    def parameters(
        self,
        path_item: dict[str, Any],
        op: dict[str, Any],
        context: str,
        where: str,
        args: NameScope,
    ) -> list[Parameter]:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in sequence(path_item.get("parameters")) + sequence(op.get("parameters")):
            param = self.deref(raw)
            if isinstance(param, dict) and "name" in param and "in" in param:
                merged[(str(param["in"]), str(param["name"]))] = param
        params = []
        for (location, name), param in merged.items():
            if location not in DEFAULT_STYLES:
                self.skip(where, f"parameter {name!r} has unknown location {location!r}")
                continue
            if location == "header" and name.lower() in IGNORED_HEADERS:
                self.skip(
                    where, f"header parameter {name!r} is ignored (OpenAPI: the client sets it)"
                )
                continue
            schema = param.get("schema")
            as_json = False  # `content: {application/json: ...}`: the value goes as JSON text
            if schema is None and isinstance(param.get("content"), dict):
                picked = pick_media(param["content"])
                schema = picked[2].get("schema") if picked else None
                as_json = picked is not None and picked[0] == "json" and location == "query"
            typed, ptype = (
                self.registry.typed_schema(schema, context + pascal(name), literals=True)
                if schema is not None
                else (None, PyType("str"))
            )
            style, explode = param.get("style"), param.get("explode")
            default_style, default_explode = DEFAULT_STYLES[location]
            style = "json" if as_json else str(style) if style else default_style
            explode = bool(explode) if explode is not None else style == "form"
            py = snake_identifier(name, "param")
            params.append(
                Parameter(
                    name=name,
                    py_name=args.claim(py, f"{py}_{location}", f"{py}_param"),
                    location=location,
                    required=location == "path" or bool(param.get("required")),
                    type=ptype,
                    description=_text(param.get("description")),
                    style=style if style != default_style else None,
                    explode=explode
                    if explode != default_explode or style != default_style
                    else None,
                    deprecated=bool(param.get("deprecated")),
                    schema=typed,
                )
            )
        placeholders = path_placeholders(where.split(" ", 1)[-1])
        for name in placeholders:
            if ("path", name) in merged:
                continue
            # a method without it could never be called: take it as a plain string
            py = snake_identifier(name, "param")
            py_name = args.claim(py, f"{py}_path", f"{py}_param")
            params.append(
                Parameter(
                    name=name, py_name=py_name, location="path", required=True, type=PyType("str")
                )
            )
            self.skip(
                where,
                f"path parameter {name!r} is used in the path but not declared; "
                "added as a required str argument",
            )
        # required path parameters first, in the order they appear in the path
        path_order = {m: i for i, m in enumerate(placeholders)}
        params.sort(
            key=lambda p: (
                p.location != "path",
                path_order.get(p.name, 0) if p.location == "path" else 0,
            )
        )
        return params

    def body(self, op: dict[str, Any], context: str, where: str, args: NameScope) -> Body | None:
        raw = op.get("requestBody")
        if raw is None:
            return None
        body = self.deref(raw)
        content = body.get("content") if isinstance(body, dict) else None
        if not isinstance(content, dict) or not content:
            return None
        picked = pick_media(content)
        if picked is None:
            self.skip(where, "request body has no usable media type")
            return None
        kind, media, obj = picked
        schema = obj.get("schema")
        model = None
        typed = None
        fields: tuple[BodyField, ...] = ()
        if kind in ("json", "form", "multipart"):
            typed, btype = (
                self.registry.request_typed_schema(schema, context + "Request")
                if schema
                else (None, ANY)
            )
            model = btype if btype.models else None
            fields = body_fields(self.registry, btype, kind, args)
            plain_dict = PyType("dict[str, Any]", imports=frozenset({"typing:Any"}))
            if btype.models and (kind != "json" or btype.expr in btype.models):
                btype = btype.union(plain_dict)  # the model, or the same fields as a dict
            elif kind == "multipart" and btype.expr in ("bytes", ANY.expr):
                # no object (Jira's attachments: a binary string): the body is sent as one
                # file part named ``file``; a dict names the parts instead
                btype = FILE_PART.union(plain_dict)
            elif btype is ANY and kind != "json":
                btype = plain_dict
            elif kind != "json":  # a string or a list: the runtime sends it; or named fields
                btype = btype.union(plain_dict)
        elif kind == "text":
            btype = PyType("str")
        else:  # bytes, or a binary file or path streamed while it is sent
            btype = PyType(
                "bytes | IO[bytes] | PathLike[str]", imports=frozenset({"typing:IO", "os:PathLike"})
            )
        styles = []
        for field_name, enc in (
            (obj.get("encoding") or {}).items()
            if kind == "form" and isinstance(obj.get("encoding"), dict)
            else ()
        ):
            if isinstance(enc, dict) and isinstance(enc.get("style"), str):
                style = enc["style"]
                styles.append(
                    (
                        str(field_name),
                        style,
                        bool(enc.get("explode", style == "form" or style == "deepObject")),
                    )
                )
        return Body(
            kind=kind,
            content_type=media,
            type=btype,
            required=bool(body.get("required")),
            py_name=args.claim("body", "request_body", "whole_body"),
            description=_text(body.get("description")),
            styles=tuple(styles),
            model=model,
            json_fields=self.json_fields(schema) if kind in ("form", "multipart") else (),
            fields=fields,
            schema=typed,
        )

    def json_fields(self, schema: Any) -> tuple[str, ...]:
        """Top-level string properties whose description says they hold JSON (Slack's
        ``blocks``)."""
        schema = self.deref(schema)
        props = schema.get("properties") if isinstance(schema, dict) else None
        found = []
        for name, prop in (props or {}).items() if isinstance(props, dict) else ():
            prop = self.deref(prop)
            if not isinstance(prop, dict) or prop.get("type") != "string":
                continue
            if JSON_TEXT.search(_text(prop.get("description"))):
                found.append(str(name))
        return tuple(found)

    def responses(
        self, op: dict[str, Any], context: str, where: str
    ) -> tuple[tuple[Response, ...], PyType]:
        raw = _mapping(op.get("responses"))
        codes = sorted(
            (str(c) for c in raw),
            key=lambda c: (
                c == "default",
                c.upper().replace("X", "0") if c != "default" else "",
                c,
            ),
        )
        success_schemas = [c for c in codes if c.startswith("2")]
        out = []
        return_type: PyType | None = None
        for code in codes:
            response = self.deref(raw.get(code))
            if not isinstance(response, dict):
                continue
            content = response.get("content")
            content = content if isinstance(content, dict) else {}
            others, events = event_media(content)
            picked = pick_media(others) if others else None
            success = code.startswith("2")
            description = _text(response.get("description"))
            numbered = "" if len(success_schemas) == 1 else _status(code)
            event_type = None
            if events is not None:
                event_type = event_type_of(self, events, context + "Event" + numbered)
            if picked is None and events is not None:
                resp = Response(_status(code), "event-stream", None, description, True, event_type)
                rtype = STREAM_ONLY
            elif picked is None:
                resp = Response(_status(code), "empty", None, description)
                rtype = NONE
            else:
                kind, _media, obj = picked
                if kind in ("json",):
                    schema = obj.get("schema")
                    if success:
                        ctx = context + "Response" + numbered
                    else:
                        ctx = context + ("Error" if code == "default" else "Error" + _status(code))
                    typed, found = self.registry.typed_schema(schema, ctx)
                    ptype = found if typed else None
                    resp = Response(_status(code), "json", ptype, description, schema=typed or None)
                    rtype = ptype or ANY
                elif kind == "text":
                    resp, rtype = Response(_status(code), "text", None, description), PyType("str")
                else:
                    resp, rtype = (
                        Response(_status(code), "binary", None, description),
                        PyType("bytes"),
                    )
                if events is not None:
                    resp = replace(resp, events=True, event_type=event_type)
            out.append(resp)
            if success:
                return_type = rtype if return_type is None else return_type.union(rtype)
        if return_type is None:
            # only "default" declared: it describes the success response too
            default = next((r for r in out if r.status == "default"), None)
            if default is None or default.kind == "empty":
                return_type = NONE
            elif default.kind == "event-stream":
                return_type = STREAM_ONLY
            elif default.kind == "json":
                return_type = default.type or ANY
            else:
                return_type = PyType("str") if default.kind == "text" else PyType("bytes")
        if "Any" in return_type.expr.split(" | "):
            return_type = ANY
        parts = [t for t in return_type.expr.split(" | ") if t != STREAM_ONLY.expr]
        if parts and len(parts) < len(return_type.expr.split(" | ")):  # a stream beside others
            return_type = PyType(
                " | ".join(parts), return_type.models, return_type.imports - STREAM_ONLY.imports
            )
        return tuple(out), return_type

    def events(self, responses: tuple[Response, ...]) -> PyType | None:
        """The type of each event of the operation's success streams, or None for no stream."""
        success = [r for r in responses if r.is_success] or [
            r for r in responses if r.status == "default"
        ]
        found: PyType | None = None
        for r in success:
            if r.events:
                etype = r.event_type or generic_event()
                found = etype if found is None else found.union(etype)
        return found

    def build(self) -> Api:
        schemes = self.security_schemes()
        known = {s.name for s in schemes}
        if ADDED_SCHEME in known:
            # optional: sent when given
            default_security: tuple[tuple[str, ...], ...] = ((ADDED_SCHEME,), ())
        else:
            default_security = self.security(self.spec.get("security"), known, "/security") or ()
        self.report_plain_http()
        tags = self.spec.get("tags")
        tag_info = {
            str(t.get("name")): _text(t.get("description"))
            for t in (tags if isinstance(tags, list) else [])
            if isinstance(t, dict)
        }
        entries = []
        seen_ids: dict[str, str] = {}
        problems = []
        for path, method, path_item, op in iter_operations(self.spec):
            op_id = op.get("operationId")
            if isinstance(op_id, str):
                at = pointer("paths", path, method, "operationId")
                if op_id in seen_ids:
                    first = seen_ids[op_id]
                    line = self.doc.line_of(at) if self.doc else None
                    first_line = self.doc.line_of(first) if self.doc else None
                    first_place = f"{first}, line {first_line}" if first_line else first
                    problems.append(
                        Diagnostic(
                            "error",
                            f"duplicate operationId {op_id!r} (first used at {first_place})",
                            at,
                            self.source,
                            line,
                        )
                    )
                else:
                    seen_ids[op_id] = at
            entries.append((path, method, path_item, op))
        if problems:
            raise ApigenError(problems)
        renames = self.spec.get("x-apigen-resource-names")
        renames = renames if isinstance(renames, dict) else None
        nodes = surface.layout(
            entries, CLIENT_ATTRS, renames, self.deref, self.spec.get(surface.NAMING_CONTEXT)
        )
        module_scope = NameScope(WINDOWS_DEVICE_NAMES | {"__init__"})
        built: dict[tuple[str, ...], Resource] = {}
        for node in nodes:  # parents before their children
            module = file_safe_name("_".join(node.attrs))  # deep or long names: a short file name
            py_name = module_scope.claim(module, f"{module}_resource")
            const_scope = NameScope()
            ops = []
            for (path, method, path_item, op), method_name in node.operations:
                where = f"{method.upper()} {path}"
                problem = template_problem(path)
                if problem is not None:
                    self.skip(
                        where,
                        f"the path template has {problem}; no request can match it, "
                        "so the operation is left out",
                    )
                    continue
                try:
                    ops.append(
                        self.operation(
                            path,
                            method,
                            path_item,
                            op,
                            method_name,
                            const_scope,
                            known,
                            where,
                        )
                    )
                except ApigenError:
                    raise
                except Exception as exc:  # apigen's own bug: never a silent "skipped" entry
                    exc.add_note(f"while building operation {where}")
                    raise
            cls = class_identifier(py_name, "Default")
            sync_name = self.registry.scope.claim(f"{cls}Resource", f"{cls}Operations")
            async_name = self.registry.scope.claim(f"Async{sync_name}")
            raw_name = self.registry.scope.claim(f"{sync_name}WithRawResponse")
            async_raw_name = self.registry.scope.claim(f"{async_name}WithRawResponse")
            streaming_name = self.registry.scope.claim(f"{sync_name}WithStreamingResponse")
            async_streaming_name = self.registry.scope.claim(f"{async_name}WithStreamingResponse")
            description = tag_info.get(node.label, "") if node.origin == "tag" else ""
            built[node.attrs] = Resource(
                node.label,
                py_name,
                sync_name,
                async_name,
                description,
                tuple(ops),
                node.attrs,
                (),
                node.origin,
                raw_name,
                async_raw_name,
                streaming_name,
                async_streaming_name,
            )
        for attrs in sorted(built, key=len, reverse=True):  # children first: drop the empty ones
            resource = built[attrs]
            children = tuple(
                ResourceRef(
                    child.attr,
                    child.py_name,
                    child.class_name,
                    child.async_class_name,
                    child.raw_class_name,
                    child.async_raw_class_name,
                    child.streaming_class_name,
                    child.async_streaming_class_name,
                )
                for key, child in sorted(built.items())
                if key[:-1] == attrs
            )
            if not resource.operations and not children:
                del built[attrs]
            else:
                built[attrs] = replace(resource, children=children)
        resources = [built[attrs] for attrs in sorted(built)]
        servers = self.servers()
        webhooks, signature = webhook_ir.build_webhooks(self, servers)
        helper = "webhooks"
        if signature:  # the helper's attribute, after the resources (they keep their names)
            top = NameScope(CLIENT_ATTRS | {r.attr for r in resources if len(r.attr_path) == 1})
            helper = top.claim("webhooks", "webhook_events", "webhooks_helper")
        info = _mapping(self.spec.get("info"))
        return Api(
            title=self.title,
            version=_text(str(info.get("version", ""))) or "0",
            description=_text(info.get("description")),
            package=self.package,
            env_prefix=self.env_prefix,
            base_url=servers[0] if servers else "",
            servers=servers,
            security_schemes=schemes,
            default_security=default_security,
            resources=tuple(resources),
            models=self.registry.defs,
            literal_aliases=self.registry.finish(),
            skipped=tuple(self.skipped) + tuple(Skipped(w, r) for w, r in self.registry.dropped),
            webhooks=webhooks,
            webhook_signature=signature,
            webhooks_attr=helper,
            notices=tuple(self.notices),
        )

    def operation(
        self,
        path: str,
        method: str,
        path_item: dict[str, Any],
        op: dict[str, Any],
        py_name: str,
        const_scope: NameScope,
        known: set[str],
        where: str,
    ) -> Operation:
        context = (
            pascal(op["operationId"])
            if isinstance(op.get("operationId"), str) and pascal(op["operationId"])
            else pascal(f"{method} {path}")
        )
        args = NameScope(CALL_OPTION_ARGS)
        params = self.parameters(path_item, op, context, where, args)
        body = self.body(op, context, where, args)
        responses, return_type = self.responses(op, context, where)
        events = self.events(responses)
        security = self.security(
            op.get("security"), known, pointer("paths", path, method, "security")
        )
        operation = Operation(
            operation_id=str(op.get("operationId") or py_name),
            py_name=py_name,
            const_name=const_scope.claim("_" + py_name.upper().strip("_")),
            method=method.upper(),
            path=path,
            summary=_text(op.get("summary")),
            description=_text(op.get("description")),
            deprecated=bool(op.get("deprecated")),
            parameters=tuple(params),
            body=body,
            responses=responses,
            return_type=return_type,
            security=security,
            idempotent=method.upper() not in UNSAFE_METHODS,
            idempotency_header=idempotency.operation_header(
                method,
                (p.name for p in params if p.location == "header"),
                self.idempotency_api_header,
            ),
            envelope=envelope.detect(self, op, responses),
            events=events,
            stream_only=return_type == STREAM_ONLY,
            stream_switch=stream_switch(self, body)
            if events and return_type != STREAM_ONLY
            else None,
        )
        pagination = None if events else paging.detect(self, op, operation)
        if pagination is not None:
            operation = replace(operation, pagination=pagination)
        return operation


def _url_text(value: Any) -> str | None:
    """A URL from the spec as text, or None (it is emitted as a string literal only)."""
    return value if isinstance(value, str) and value.strip() else None


def build_api(
    spec: dict[str, Any], package: str | None = None, source: str = "", doc: Document | None = None
) -> Api:
    return ApiBuilder(spec, package, source, doc).build()
