"""The surface of generated clients: keyword bodies, raw responses, with_options, async
paginators without await, and auth that cannot fail silently. Called through generated
methods (the golden packages, and small specs generated here) over MockTransport."""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from support import GENERATED, import_generated

bodies = import_generated("bodies")
pagination = import_generated("pagination")
petstore = import_generated("petstore")

MESSAGES_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Messages", "version": "1"},
    "servers": [{"url": "http://api.messages.example/v1"}],
    "components": {"securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}}},
    "security": [{"basicAuth": []}],
    "paths": {
        "/accounts/{To}/messages": {
            "post": {
                "operationId": "createMessage",
                "parameters": [
                    {"name": "To", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["To", "From"],
                                "properties": {
                                    "To": {"type": "string", "description": "The recipient."},
                                    "From": {"type": "string"},
                                    "Body": {"type": "string"},
                                    "timeout": {"type": "integer"},
                                    "Sid": {"type": "string", "readOnly": True},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "created",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"sid": {"type": "string"}},
                                }
                            }
                        },
                    }
                },
            }
        },
        "/notes": {
            "post": {
                "operationId": "createNote",
                "security": [],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "text": {"type": "string", "nullable": True},
                                    "tags": {"type": "array", "items": {"type": "string"}},
                                },
                            }
                        }
                    }
                },
                "responses": {"204": {"description": "none"}},
            }
        },
    },
}

OPEN_SPEC = {  # declares no security scheme, like GitHub's and OpenAI's directory specs
    "openapi": "3.0.3",
    "info": {"title": "Open", "version": "1"},
    "servers": [{"url": "https://open.example"}],
    "paths": {
        "/me": {"get": {"operationId": "getMe", "responses": {"200": {"description": "ok"}}}},
        "/health": {
            "get": {
                "operationId": "health",
                "security": [],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The two small specs above, generated once (and one of them again with [tool.apigen] auth)."""
    from apigen.customize import Options
    from apigen.pipeline import generate

    root = tmp_path_factory.mktemp("surface")
    out: dict[str, Any] = {}
    for name, spec, options in (
        ("messages", MESSAGES_SPEC, None),
        ("open_api", OPEN_SPEC, None),
        (
            "open_cfg",
            OPEN_SPEC,
            Options(auth={"gh": {"type": "bearer", "keyword": "token", "env": "GITHUB_TOKEN"}}),
        ),
    ):
        path = root / f"{name}.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        summary = generate(str(path), root / name, name, options=options)
        out[name] = (import_generated(name, root / name), summary)
    return out


class Recorder:
    def __init__(self, answer: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or (lambda r: httpx.Response(200, json={}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.answer(request)

    def sync(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def async_(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


WIDGET = {"id": "w1", "name": "w", "color": "red"}


def widget_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=WIDGET, headers={"x-request-id": "req_42", "etag": '"v1"'})


# -- keyword bodies ----------------------------------------------------------------------


def test_json_body_fields_as_keywords_and_merged_with_body() -> None:
    rec = Recorder(widget_answer)
    client = bodies.Client(api_key="K", http_client=rec.sync())
    widget = client.widgets.upsert(name="w", color="red")
    assert json.loads(rec.requests[-1].content) == {"name": "w", "color": "red"}
    assert widget.name == "w"
    client.widgets.upsert(body={"name": "old", "color": "blue"}, name="new")  # keywords win
    assert json.loads(rec.requests[-1].content) == {"name": "new", "color": "blue"}
    client.widgets.upsert(body=bodies.models.WidgetInput(name="m"), color="green")
    assert json.loads(rec.requests[-1].content) == {"name": "m", "color": "green"}


def test_missing_required_body_field_raises_before_sending() -> None:
    rec = Recorder(widget_answer)
    client = bodies.Client(api_key="K", http_client=rec.sync())
    with pytest.raises(TypeError, match="missing required body field.*name"):
        client.widgets.upsert(color="red")
    assert rec.requests == []


def test_form_and_multipart_fields_as_keywords() -> None:
    rec = Recorder(
        lambda r: httpx.Response(200, json={"access_token": "t", "token_type": "bearer"})
    )
    client = bodies.Client(api_key="K", http_client=rec.sync())
    client.login.create(username="ann", password="pw", scopes=["a", "b"])
    assert parse_qs(rec.requests[-1].content.decode()) == {
        "username": ["ann"],
        "password": ["pw"],
        "scopes": ["a", "b"],
    }
    rec.answer = lambda r: httpx.Response(201, json={"id": "f1", "size": 3})
    client.files.upload(file=("a.txt", b"abc", "text/plain"), description="d")
    sent = rec.requests[-1].content
    assert (
        b'name="file"; filename="a.txt"' in sent
        and b"abc" in sent
        and b'name="description"' in sent
    )


def test_wire_names_collisions_and_explicit_null(generated: dict[str, Any]) -> None:
    messages, _ = generated["messages"]
    rec = Recorder(lambda r: httpx.Response(201, json={"sid": "SM1"}))
    client = messages.Client(
        base_url="https://api.messages.example/v1", api_key="AC1:tok", http_client=rec.sync()
    )
    # path parameter To and body field To both reachable; From -> from_; the body field Body
    # keeps body=, so the whole body is request_body; a field named like a call option gets _body
    client.accounts.messages.create(
        "+1555", to_body="+1666", from_="+1777", body="hi", timeout_body=5
    )
    sent = rec.requests[-1]
    assert sent.url.raw_path == b"/v1/accounts/%2B1555/messages"
    assert parse_qs(sent.content.decode()) == {
        "To": ["+1666"],
        "From": ["+1777"],
        "Body": ["hi"],
        "timeout": ["5"],
    }
    client.accounts.messages.create("x", request_body={"To": "a", "From": "b"})
    assert parse_qs(rec.requests[-1].content.decode()) == {"To": ["a"], "From": ["b"]}
    import inspect

    params = inspect.signature(
        messages.Client(base_url="https://x", api_key="k").accounts.messages.create
    ).parameters
    assert "sid" not in params  # read-only fields are not request arguments
    rec.answer = lambda r: httpx.Response(204)
    client.notes.create(text=None, tags=["t"])  # None is a value: an explicit JSON null
    assert json.loads(rec.requests[-1].content) == {"text": None, "tags": ["t"]}
    client.notes.create(tags=["t"])  # left out: not sent
    assert json.loads(rec.requests[-1].content) == {"tags": ["t"]}
    client.notes.create()  # an optional body with no field given: no body at all
    assert rec.requests[-1].content == b""


# -- raw responses and with_options ------------------------------------------------------


def test_with_raw_response_sync() -> None:
    rec = Recorder(widget_answer)
    client = bodies.Client(api_key="K", http_client=rec.sync())
    raw = client.with_raw_response.widgets.upsert(name="w")
    assert raw.status_code == 200 and raw.headers["etag"] == '"v1"' and raw.request_id == "req_42"
    assert raw.http_response is not None and raw.elapsed.total_seconds() >= 0
    widget = raw.parse()
    assert isinstance(widget, bodies.models.Widget) and widget.id == "w1" and raw.parse() is widget
    assert len(rec.requests) == 1
    # the resource's own view is the same thing
    assert client.widgets.with_raw_response.upsert(name="w").status_code == 200


def test_with_raw_response_on_a_list_starts_the_paginator_at_the_fetched_page() -> None:
    pages = {
        None: {"items": [{"id": "c1", "email": "a@x"}], "next_cursor": "n2"},
        "n2": {"items": [{"id": "c2", "email": "b@x"}], "next_cursor": None},
    }
    rec = Recorder(lambda r: httpx.Response(200, json=pages[r.url.params.get("cursor")]))
    client = pagination.Client(api_key="K", http_client=rec.sync())
    raw = client.with_raw_response.customers.list(limit=1)
    assert raw.status_code == 200 and len(rec.requests) == 1
    assert [c.id for c in raw.parse()] == ["c1", "c2"]
    assert len(rec.requests) == 2  # the first page was not fetched again


def test_with_raw_response_async_and_error_still_raises() -> None:
    async def main() -> None:
        rec = Recorder(widget_answer)
        async with bodies.AsyncClient(api_key="K", http_client=rec.async_()) as client:
            raw = await client.with_raw_response.widgets.upsert(name="w")
            assert raw.status_code == 200 and raw.parse().name == "w"
            rec.answer = lambda r: httpx.Response(404, json={"code": 404, "message": "no"})
            with pytest.raises(bodies.NotFoundError):
                await client.with_raw_response.widgets.upsert(name="w")
        prec = Recorder(
            lambda r: httpx.Response(
                200, json={"items": [{"id": "c1", "email": "a"}], "next_cursor": None}
            )
        )
        async with pagination.AsyncClient(api_key="K", http_client=prec.async_()) as pclient:
            praw = await pclient.with_raw_response.customers.list()
            assert [c.id async for c in praw.parse()] == ["c1"] and len(prec.requests) == 1

    asyncio.run(main())


def test_with_raw_response_reaches_nested_resources() -> None:
    """`client.with_raw_response.a.b.c` as `client.a.b.c`: every level of nesting."""
    rec = Recorder(widget_answer)
    client = bodies.Client(api_key="K", http_client=rec.sync())
    nested = client.with_raw_response.widgets.versions.at.flag.ratio
    assert nested is client.widgets.versions.at.flag.ratio.with_raw_response
    raw = nested.retrieve("w1", 3, datetime.date(2026, 1, 2), True, 0.5)
    assert raw.status_code == 200 and raw.request_id == "req_42"
    assert isinstance(raw.parse(), bodies.models.Widget)
    assert rec.requests[-1].url.path.endswith(
        "/widgets/w1/versions/3/at/2026-01-02/flag/true/ratio/0.5"
    )
    order = {"id": 3, "petId": 1, "quantity": 1, "status": "placed"}
    prec = Recorder(lambda r: httpx.Response(200, json=order, headers={"x-request-id": "o3"}))
    store = petstore.Client(
        api_key="k", petstore_auth="t", allow_insecure_http=True, http_client=prec.sync()
    )
    raw_order = store.with_raw_response.store.order.retrieve(order_id=3)
    assert raw_order.request_id == "o3" and raw_order.parse().id == 3
    assert store.with_raw_response.store.inventory().status_code == 200  # the parent's own


def test_with_raw_response_reaches_nested_resources_async() -> None:
    async def main() -> None:
        order = {"id": 3, "petId": 1, "quantity": 1, "status": "placed"}
        rec = Recorder(lambda r: httpx.Response(200, json=order, headers={"x-request-id": "o3"}))
        async with petstore.AsyncClient(
            api_key="k", petstore_auth="t", allow_insecure_http=True, http_client=rec.async_()
        ) as client:
            raw = await client.with_raw_response.store.order.retrieve(order_id=3)
            assert raw.status_code == 200 and raw.request_id == "o3"
            assert isinstance(raw.parse(), petstore.models.Order) and raw.parse().id == 3
            assert rec.requests[-1].url.path.endswith("/store/order/3")
            rec.answer = lambda r: httpx.Response(404, json={})
            with pytest.raises(petstore.NotFoundError):
                await client.with_raw_response.store.order.retrieve(order_id=4)

    asyncio.run(main())


def test_with_options_copies_the_config_and_shares_the_pool() -> None:
    rec = Recorder(widget_answer)
    client = bodies.Client(api_key="K", http_client=rec.sync(), max_retries=0)
    custom = client.with_options(timeout=3.0, max_retries=4, headers={"X-Trace": "1"})
    assert (
        custom._http is client._http
        and custom._breaker is client._breaker
        and custom._limiter is client._limiter
    )
    assert (
        custom.config.timeout == 3.0
        and custom.config.max_retries == 4
        and client.config.max_retries == 0
    )
    custom.widgets.upsert(name="w")
    sent = rec.requests[-1]
    assert sent.headers["x-trace"] == "1" and sent.headers["x-api-key"] == "K"
    assert sent.extensions["timeout"]["read"] == 3.0
    client.widgets.upsert(name="w")
    assert "x-trace" not in rec.requests[-1].headers  # the original is unchanged
    custom.close()  # the copy does not own the pool
    client.widgets.upsert(name="w")
    assert len(rec.requests) == 3
    other = client.with_options(credentials={"apiKey": "K2"}, circuit_breaker=None)
    other.widgets.upsert(name="w")
    assert rec.requests[-1].headers["x-api-key"] == "K2" and other._breaker is not client._breaker


def test_with_options_async() -> None:
    async def main() -> None:
        rec = Recorder(widget_answer)
        async with bodies.AsyncClient(api_key="K", http_client=rec.async_()) as client:
            fast = client.with_options(timeout=1.5)
            await fast.widgets.upsert(name="w")
            assert (
                rec.requests[-1].extensions["timeout"]["read"] == 1.5 and fast._http is client._http
            )

    asyncio.run(main())


# -- async paginators --------------------------------------------------------------------


def test_async_list_needs_no_await_and_awaiting_gives_the_first_page() -> None:
    pages = {
        None: {"items": [{"id": "c1", "email": "a"}], "next_cursor": "n2"},
        "n2": {"items": [{"id": "c2", "email": "b"}], "next_cursor": None},
    }

    async def main() -> None:
        rec = Recorder(lambda r: httpx.Response(200, json=pages[r.url.params.get("cursor")]))
        async with pagination.AsyncClient(api_key="K", http_client=rec.async_()) as client:
            ids = [c.id async for c in client.customers.list(limit=1)]
            assert ids == ["c1", "c2"]
            first = await client.customers.list(limit=1)
            assert isinstance(first, pagination.Page) and [c.id for c in first.items] == ["c1"]
            assert len(rec.requests) == 3

    asyncio.run(main())


# -- auth -------------------------------------------------------------------------------


def test_one_scheme_has_plain_keyword_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder(widget_answer)
    monkeypatch.setenv("BODIES_API_KEY", "from-env")
    bodies.Client(http_client=rec.sync()).widgets.upsert(name="w")
    assert rec.requests[-1].headers["x-api-key"] == "from-env"


def test_missing_credentials_raise_before_sending_naming_keyword_and_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BODIES_API_KEY", raising=False)
    rec = Recorder(widget_answer)
    client = bodies.Client(http_client=rec.sync())
    with pytest.raises(
        bodies.MissingCredentialsError,
        match=r"PUT /widgets needs credentials: pass api_key= or set \$BODIES_API_KEY",
    ):
        client.widgets.upsert(name="w")
    assert rec.requests == []
    rec.answer = lambda r: httpx.Response(200, json={"access_token": "t", "token_type": "bearer"})
    client.login.create(username="u", password="p")  # security: [] stays public
    assert len(rec.requests) == 1
    rec.answer = widget_answer  # a credential the caller sets as a header is theirs to manage
    with bodies.Client(headers={"X-API-Key": "own"}, http_client=rec.sync()) as own:
        own.widgets.upsert(name="w")
    assert rec.requests[-1].headers["x-api-key"] == "own"
    pool = httpx.Client(transport=httpx.MockTransport(rec), headers={"Authorization": "Bearer own"})
    bodies.Client(http_client=pool).widgets.upsert(name="w")
    assert rec.requests[-1].headers["authorization"] == "Bearer own"


def test_bare_basic_key_is_the_user_name_with_an_empty_password(generated: dict[str, Any]) -> None:
    messages, _ = generated["messages"]
    rec = Recorder(lambda r: httpx.Response(201, json={}))
    client = messages.Client(
        base_url="https://api.messages.example/v1", api_key="sk_test_123", http_client=rec.sync()
    )
    client.accounts.messages.create("x", to_body="a", from_="b")
    assert (
        rec.requests[-1].headers["authorization"]
        == "Basic " + base64.b64encode(b"sk_test_123:").decode()
    )


@pytest.mark.parametrize(
    "value, error",
    [
        ("", "is empty"),
        (12345, "must be a string"),
        ("key\r\nX-Evil: 1", "characters a request cannot carry"),
    ],
)
def test_unusable_credential_raises_at_construction_naming_the_scheme(
    value: Any, error: str
) -> None:
    with pytest.raises(
        (TypeError, ValueError), match=f"security scheme 'apiKey'.*{error}|{error}"
    ) as info:
        bodies.Client(api_key=value)
    assert "'apiKey'" in str(info.value) and "Evil" not in str(info.value)


def test_basic_credential_of_the_wrong_shape_raises(generated: dict[str, Any]) -> None:
    messages, _ = generated["messages"]
    with pytest.raises(TypeError, match="'basicAuth'.*HTTP basic"):
        messages.Client(base_url="https://x", api_key=("a", "b", "c"))  # type: ignore[arg-type]


def test_credentials_never_go_over_plain_http_to_a_remote_host(
    generated: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    messages, summary = generated["messages"]
    with pytest.raises(
        ValueError,
        match="refusing to send credentials of security scheme 'basicAuth' over plain "
        "http to 'api.messages.example'.*allow_insecure_http=True",
    ):
        messages.Client(api_key="k")  # the spec's own server is http
    monkeypatch.setenv("MESSAGES_API_KEY", "from-env")
    with pytest.raises(ValueError, match="plain http"):
        messages.Client()  # from the environment too
    monkeypatch.delenv("MESSAGES_API_KEY")
    messages.Client()  # no credentials: nothing to protect
    rec = Recorder(lambda r: httpx.Response(201, json={}))
    for base in ("http://127.0.0.1:8080/v1", "http://localhost/v1", "http://[::1]:81/v1"):
        messages.Client(
            base_url=base, api_key="k", http_client=rec.sync()
        ).accounts.messages.create("x", to_body="a", from_="b")
        assert rec.requests[-1].headers["authorization"].startswith("Basic ")
    insecure = messages.Client(api_key="k", allow_insecure_http=True, http_client=rec.sync())
    insecure.accounts.messages.create("x", to_body="a", from_="b")
    assert rec.requests[-1].url.host == "api.messages.example"
    with pytest.raises(ValueError, match="plain http"):
        messages.Client(base_url="https://secure.example", api_key="k").with_options(
            base_url="http://remote.example"
        )
    # the generator reported the server
    assert any(
        "plain http" in n.reason and "api.messages.example" in n.reason for n in summary.notices
    )


def test_oauth_token_url_over_plain_http_is_refused() -> None:
    from apigen.runtime import OAuth2ClientCredentials, OAuth2Scheme, SyncAPIClient

    schemes = {
        "oauth": OAuth2Scheme(token_url="http://auth.example/token", flows=("clientCredentials",))
    }
    with pytest.raises(ValueError, match="'oauth'.*token URL http://auth.example/token"):
        SyncAPIClient(
            base_url="https://api.example",
            package="p",
            version="1",
            security_schemes=schemes,
            credentials={"oauth": OAuth2ClientCredentials("id", "secret")},
        )


def test_spec_without_schemes_gets_a_bearer_keyword_reported_in_the_summary(
    generated: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    open_api, summary = generated["open_api"]
    assert any(
        "declares no usable security scheme" in n.reason and "api_key=" in n.reason
        for n in summary.notices
    )
    rec = Recorder(lambda r: httpx.Response(200))
    open_api.Client(api_key="tok", http_client=rec.sync()).me.retrieve()
    assert rec.requests[-1].headers["authorization"] == "Bearer tok"
    monkeypatch.delenv("OPEN_API_API_KEY", raising=False)
    open_api.Client(http_client=rec.sync()).me.retrieve()  # optional: sent only when given
    assert "authorization" not in rec.requests[-1].headers
    open_api.Client(
        api_key="tok", http_client=rec.sync()
    ).health.retrieve()  # security: [] stays public
    assert "authorization" not in rec.requests[-1].headers


def test_configuration_declares_the_scheme_and_its_names(
    generated: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    open_cfg, summary = generated["open_cfg"]
    assert not summary.notices
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_env")
    rec = Recorder(lambda r: httpx.Response(200))
    open_cfg.Client(http_client=rec.sync()).me.retrieve()
    assert rec.requests[-1].headers["authorization"] == "Bearer ghp_env"
    open_cfg.Client(token="ghp_kw", http_client=rec.sync()).me.retrieve()
    assert rec.requests[-1].headers["authorization"] == "Bearer ghp_kw"
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(open_cfg.MissingCredentialsError, match=r"token= or set \$GITHUB_TOKEN"):
        open_cfg.Client(http_client=rec.sync()).me.retrieve()


# -- the generated code itself -----------------------------------------------------------


def test_generated_methods_need_no_casts() -> None:
    files = sorted(GENERATED.glob("*/*/resources/*.py"))
    assert files
    offenders = [
        str(f.relative_to(GENERATED)) for f in files if "cast(" in f.read_text(encoding="utf-8")
    ]
    assert offenders == []
    source = (GENERATED / "bodies/bodies/resources/widgets.py").read_text(encoding="utf-8")
    assert "_UPSERT: Endpoint[Widget | WidgetCreated] = Endpoint(" in source


def test_omit_is_a_falsy_singleton() -> None:
    from apigen.runtime import OMIT, Omit

    assert Omit() is OMIT and not OMIT and repr(OMIT) == "OMIT"
    import pickle

    assert pickle.loads(pickle.dumps(OMIT)) is OMIT


@pytest.mark.parametrize(
    "auth, error",
    [
        ({"t": {"type": "bearer", "keyword": 3}}, "auth.t.keyword must be a string"),
        ({"t": {"type": "digest"}}, "auth.t.type must be one of"),
        ({"t": {"type": "apiKey", "in": "body"}}, "needs in = header|query|cookie and name"),
        ({"t": {"type": "bearer", "envvar": "X"}}, "unknown keys"),
        ({"t": "bearer"}, "auth must map scheme names to tables"),
    ],
)
def test_auth_configuration_is_checked(auth: Any, error: str) -> None:
    from apigen.customize import Options
    from apigen.diagnostics import ApigenError

    with pytest.raises(ApigenError, match=error):
        Options.from_config({"auth": auth}, "pyproject.toml: clients[0]")


def test_auth_configuration_renames_a_declared_scheme() -> None:
    from apigen.build import build_api
    from apigen.customize import Options, apply_options

    spec, _ = apply_options(
        json.loads(json.dumps(MESSAGES_SPEC)),
        Options(auth={"basicAuth": {"keyword": "account", "env": "MSG_ACCOUNT"}}),
    )
    api = build_api(spec, "messages")
    assert [(s.name, s.kind, s.py_name, s.env) for s in api.security_schemes] == [
        ("basicAuth", "basic", "account", "MSG_ACCOUNT")
    ]
    assert api.default_security == (("basicAuth",),)


def test_with_raw_response_of_an_event_stream_leaves_it_open_for_parse() -> None:
    from apigen.runtime import Endpoint, ResponseType, SyncAPIClient, to_raw_response

    events = Endpoint(
        "GET",
        "/events",
        "listEvents",
        responses={"200": ResponseType("event-stream", None, events=True)},
    )
    answer = httpx.Response(
        200,
        content=b"event: tick\ndata: 1\n\nevent: tick\ndata: 2\n\n",
        headers={"content-type": "text/event-stream", "x-request-id": "r1"},
    )
    http = httpx.Client(transport=httpx.MockTransport(lambda r: answer))
    client = SyncAPIClient(base_url="https://api.test", package="t", version="1", http_client=http)
    raw = to_raw_response(lambda: client.request(events))()
    assert raw.status_code == 200 and raw.request_id == "r1"
    assert [(e.event, e.data) for e in raw.parse()] == [("tick", "1"), ("tick", "2")]
