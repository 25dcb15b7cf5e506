"""What goes on the wire: dict bodies by Python or wire names, Stripe-style brackets,
JSON text in string fields, and error envelopes (sync and async)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import unquote, unquote_plus

import httpx
import pydantic
import pytest

from apigen.runtime import (
    AsyncAPIClient,
    Endpoint,
    ErrorEnvelope,
    NotFoundError,
    ParamStyle,
    ResponseType,
    SyncAPIClient,
    APIStatusError,
    AuthenticationError,
)
from rt_helpers import mock_ahttp, mock_http


class Recorder:
    def __init__(self, response: httpx.Response | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.response = response

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.response or httpx.Response(204)

    @property
    def body(self) -> str:
        return unquote_plus(self.requests[-1].content.decode())

    @property
    def query(self) -> str:
        return unquote(self.requests[-1].url.query.decode())


def client(rec: Recorder) -> SyncAPIClient:
    return SyncAPIClient(
        base_url="https://api.test",
        package="pkg",
        version="1",
        http_client=mock_http(rec),
        circuit_breaker=None,
        max_retries=0,
    )


def aclient(rec: Recorder) -> AsyncAPIClient:
    return AsyncAPIClient(
        base_url="https://api.test",
        package="pkg",
        version="1",
        http_client=mock_ahttp(rec),
        circuit_breaker=None,
        max_retries=0,
    )


class MessageRequest(pydantic.BaseModel):  # Twilio's CreateMessage form, as the generator names it
    model_config = pydantic.ConfigDict(extra="allow", populate_by_name=True)
    to: str = pydantic.Field(alias="To")
    from_: str | None = pydantic.Field(None, alias="From")
    body: str | None = pydantic.Field(None, alias="Body")


SEND_MESSAGE = Endpoint(
    "POST",
    "/Messages.json",
    "CreateMessage",
    body_kind="form",
    body_content_type="application/x-www-form-urlencoded",
    body_type=lambda: MessageRequest,
)


@pytest.mark.parametrize(
    "body",
    [
        {"to": "+15550001", "from_": "+15550002", "body": "hi"},  # Python field names
        {"To": "+15550001", "From": "+15550002", "Body": "hi"},  # wire names
        {"to": "+15550001", "From": "+15550002", "body": "hi"},  # mixed
    ],
)
def test_form_dict_body_python_and_wire_names_go_out_as_wire_names(body: dict[str, Any]) -> None:
    rec = Recorder()
    client(rec).request(SEND_MESSAGE, body=body)
    assert rec.body == "To=+15550001&From=+15550002&Body=hi"


def test_unknown_body_keys_pass_through_and_are_reported_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rec = Recorder()
    with caplog.at_level(logging.DEBUG, logger="pkg"):
        client(rec).request(
            SEND_MESSAGE, body={"to": "+1", "from_": "+2", "StatusCallbackNew": "https://cb"}
        )
    assert rec.body == "To=+1&From=+2&StatusCallbackNew=https://cb"
    debug = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.DEBUG and "not declare" in r.getMessage()
    ]
    assert debug and "'StatusCallbackNew'" in debug[0] and "CreateMessage" in debug[0]


class Email(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow", populate_by_name=True)
    email: str
    name: str | None = None


class Personalization(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow", populate_by_name=True)
    to: list[Email]
    send_at: int | None = pydantic.Field(None, alias="sendAt")


class MailSend(pydantic.BaseModel):  # SendGrid's mail/send: "from" is a keyword
    model_config = pydantic.ConfigDict(extra="allow", populate_by_name=True)
    from_: Email = pydantic.Field(alias="from")
    personalizations: list[Personalization]
    reply_to: Email | None = None


MAIL_SEND = Endpoint(
    "POST",
    "/v3/mail/send",
    "POST_mail-send",
    body_kind="json",
    body_content_type="application/json",
    body_type=lambda: MailSend,
)


def test_json_dict_body_maps_nested_python_names_sync_and_async() -> None:
    body = {
        "from_": {"email": "a@x.test"},
        "personalizations": [{"to": [{"email": "b@x.test"}], "send_at": 5}],
    }
    wire = {
        "from": {"email": "a@x.test"},
        "personalizations": [{"to": [{"email": "b@x.test"}], "sendAt": 5}],
    }
    rec = Recorder()
    client(rec).request(MAIL_SEND, body=body)
    assert json.loads(rec.requests[-1].content) == wire

    async def go() -> None:
        await aclient(rec).request(MAIL_SEND, body=body)

    asyncio.run(go())
    assert json.loads(rec.requests[-1].content) == wire
    assert body["from_"] == {"email": "a@x.test"}  # the caller's dict is not changed


def test_model_body_is_sent_by_alias() -> None:
    rec = Recorder()
    client(rec).request(SEND_MESSAGE, body=MessageRequest(to="+1", from_="+2"))
    assert rec.body == "To=+1&From=+2"


# ---------------------------------------------------------------- Stripe brackets

RETRIEVE_INTENT = Endpoint(
    "GET",
    "/v1/payment_intents/{intent}",
    "GetPaymentIntentsIntent",
    param_styles={
        "expand": ParamStyle("deepObject", True),
        "created": ParamStyle("deepObject", True),
    },
)


@pytest.mark.parametrize("is_async", [False, True])
def test_deep_object_query_arrays_are_indexed_like_stripe_python(is_async: bool) -> None:
    rec = Recorder()
    query = {"expand": ["customer", "invoice.subscription"], "created": {"gte": 10, "lt": 20}}
    if is_async:
        asyncio.run(aclient(rec).request(RETRIEVE_INTENT, path={"intent": "pi_1"}, query=query))
    else:
        client(rec).request(RETRIEVE_INTENT, path={"intent": "pi_1"}, query=query)
    assert (
        rec.query
        == "expand[0]=customer&expand[1]=invoice.subscription&created[gte]=10&created[lt]=20"
    )


CREATE_SESSION = Endpoint(
    "POST",
    "/v1/checkout/sessions",
    "PostCheckoutSessions",
    body_kind="form",
    body_content_type="application/x-www-form-urlencoded",
    body_styles={
        "line_items": ParamStyle("deepObject", True),
        "expand": ParamStyle("deepObject", True),
    },
)


def test_form_nested_arrays_of_objects_use_indexed_brackets() -> None:
    rec = Recorder()
    client(rec).request(
        CREATE_SESSION,
        body={
            "mode": "payment",
            "line_items": [
                {"price": "price_1", "quantity": 2},
                {"price": "price_2", "adjustable_quantity": {"enabled": True}},
            ],
            "expand": ["customer"],
            "metadata": {"order": "7"},
        },
    )
    assert rec.body == (
        "mode=payment&line_items[0][price]=price_1&line_items[0][quantity]=2"
        "&line_items[1][price]=price_2"
        "&line_items[1][adjustable_quantity][enabled]=true&expand[0]=customer&metadata[order]=7"
    )


def test_form_array_of_objects_without_encoding_still_uses_brackets() -> None:
    plain = Endpoint(
        "POST", "/x", "x", body_kind="form", body_content_type="application/x-www-form-urlencoded"
    )
    rec = Recorder()
    client(rec).request(plain, body={"items": [{"a": 1}], "tags": ["x", "y"]})
    assert (
        rec.body == "items[0][a]=1&tags=x&tags=y"
    )  # scalars stay form-exploded (OpenAPI's default)


# ---------------------------------------------------------------- JSON text in string fields

POST_MESSAGE = Endpoint(
    "POST",
    "/chat.postMessage",
    "chat_postMessage",
    body_kind="form",
    body_content_type="application/x-www-form-urlencoded",
    body_json_fields=frozenset({"blocks", "attachments"}),
)
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi *there*"}}]


def test_json_string_field_gets_a_list_json_encoded() -> None:
    rec = Recorder()
    client(rec).request(
        POST_MESSAGE, body={"channel": "C1", "blocks": BLOCKS, "attachments": '[{"x":1}]'}
    )
    assert (
        rec.body
        == 'channel=C1&blocks=[{"type":"section","text":{"type":"mrkdwn","text":"Hi *there*"}}]'
        '&attachments=[{"x":1}]'
    )
    assert rec.body.count("blocks=") == 1


def test_json_string_field_in_multipart() -> None:
    endpoint = Endpoint(
        "POST",
        "/chat.postMessage",
        "m",
        body_kind="multipart",
        body_content_type="multipart/form-data",
        body_json_fields=frozenset({"blocks"}),
    )
    rec = Recorder()

    async def go() -> None:
        await aclient(rec).request(endpoint, body={"channel": "C1", "blocks": BLOCKS})

    asyncio.run(go())
    content = rec.requests[-1].content
    assert (
        b'name="blocks"\r\n\r\n'
        b'[{"type":"section","text":{"type":"mrkdwn","text":"Hi *there*"}}]\r\n' in content
    )


# ---------------------------------------------------------------- error envelopes


class OkTrue(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    ok: bool
    channel: str | None = None


class SlackError(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    ok: bool
    error: str


ENVELOPED = Endpoint(
    "POST",
    "/chat.postMessage",
    "chat_postMessage",
    responses={"200": ResponseType("json", OkTrue), "default": ResponseType("json", SlackError)},
    error_envelope=ErrorEnvelope("ok", False, "default"),
)


def answer(body: Any) -> Recorder:
    return Recorder(httpx.Response(200, json=body, headers={"x-slack-req-id": "r1"}))


@pytest.mark.parametrize(
    "code,cls",
    [
        ("channel_not_found", NotFoundError),
        ("invalid_auth", AuthenticationError),
        ("msg_too_long", APIStatusError),
    ],
)
def test_error_envelope_raises_a_typed_status_error(code: str, cls: type[APIStatusError]) -> None:
    with pytest.raises(APIStatusError) as info:
        client(answer({"ok": False, "error": code})).request(ENVELOPED)
    err = info.value
    assert type(err) is cls and err.status_code == 200
    assert err.body == SlackError(ok=False, error=code)
    assert str(err).startswith(
        f"POST https://api.test/chat.postMessage -> 200 OK: {code} (after 1 attempt)"
    )


def test_error_envelope_async_and_success_passes() -> None:
    async def go() -> Any:
        c = aclient(answer({"ok": False, "error": "channel_not_found"}))
        with pytest.raises(NotFoundError):
            await c.request(ENVELOPED)
        return await aclient(answer({"ok": True, "channel": "C1"})).request(ENVELOPED)

    assert asyncio.run(go()) == OkTrue(ok=True, channel="C1")


def test_error_envelope_detected_when_the_body_fails_the_success_type() -> None:
    strict_ok = Endpoint(
        "POST",
        "/x",
        "x",
        responses={"200": ResponseType("json", dict[str, int])},
        error_envelope=ErrorEnvelope("ok", False, None),
    )
    with pytest.raises(APIStatusError) as info:
        client(answer({"ok": False, "error": "nope"})).request(strict_ok)
    assert info.value.body == {"ok": False, "error": "nope"} and "nope" in str(info.value)


def test_error_envelope_on_a_page_raises_instead_of_an_empty_list() -> None:
    from apigen.runtime import Pagination

    paged = Endpoint(
        "GET",
        "/conversations.list",
        "conversations_list",
        responses={"200": ResponseType("json"), "default": ResponseType("json", SlackError)},
        error_envelope=ErrorEnvelope("ok", False, "default"),
        pagination=Pagination(
            style="cursor",
            items=("channels",),
            cursor_param="cursor",
            next_cursor=("response_metadata", "next_cursor"),
        ),
    )
    with pytest.raises(AuthenticationError):
        list(client(answer({"ok": False, "error": "invalid_auth"})).paginate(paged, item_type=dict))

    async def go() -> None:
        with pytest.raises(AuthenticationError):
            async for _ in aclient(answer({"ok": False, "error": "invalid_auth"})).paginate(
                paged, item_type=dict
            ):
                pass

    asyncio.run(go())
    assert list(
        client(answer({"ok": True, "channels": [{"id": "C1"}]})).paginate(paged, item_type=dict)
    ) == [{"id": "C1"}]
