"""Real traffic through clients generated from the real specs in specs/real/.

Responses are the specs' own examples (Slack, GitHub) or shaped like the API's
documented objects where the spec has none (Stripe, Twilio), then drifted copies:
missing required fields, a number where a string was declared, an unknown enum
value, new fields. Lenient by default (the value comes back typed where it fits),
strict on request; Slack's ``ok: false`` is a typed error; dict bodies, Stripe's
brackets and Slack's JSON fields are checked on the wire. Sync and async.

GitHub, Stripe and Twilio are the contract tests' clients (generated once per
session); Slack and SendGrid are generated here from the few operations used.
"""

from __future__ import annotations

import asyncio
import copy
import gzip
import inspect
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import pytest

from apigen.build import CLIENT_ARGS
from apigen.pipeline import generate

from contract_paths import REAL
from support import import_generated

STANDARD_ARGS = set(CLIENT_ARGS)  # every constructor argument that is not a credential


def load_spec(gz: str) -> dict[str, Any]:
    return json.loads(gzip.decompress((REAL / gz).read_bytes()))


def subset_client(
    request: pytest.FixtureRequest, tmp: Path, gz: str, name: str, paths: list[str]
) -> tuple[Any, Path, dict[str, Any]]:
    """A client generated from the spec with only ``paths`` (components kept whole)."""
    spec = load_spec(gz)
    full = copy.deepcopy(spec)
    spec["paths"] = {p: spec["paths"][p] for p in paths}
    source = tmp / f"{name}.json"
    source.write_text(json.dumps(spec))
    cache = getattr(request.config, "cache", None)
    old = os.environ.get("APIGEN_CACHE_DIR")
    os.environ["APIGEN_CACHE_DIR"] = str(
        cache.mkdir("apigen-real-traffic-cache") if cache else tmp / "cache"
    )
    try:
        generate(str(source), tmp / name, name)
    finally:
        if old is None:
            del os.environ["APIGEN_CACHE_DIR"]
        else:
            os.environ["APIGEN_CACHE_DIR"] = old
    return import_generated(name, tmp / name), tmp / name, full


@pytest.fixture(scope="module")
def slack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, Path, dict[str, Any]]:
    return subset_client(
        request,
        tmp_path_factory.mktemp("slack"),
        "slack.com.json.gz",
        "real_slack",
        ["/chat.postMessage", "/conversations.list"],
    )


@pytest.fixture(scope="module")
def sendgrid(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, Path, dict[str, Any]]:
    return subset_client(
        request,
        tmp_path_factory.mktemp("sendgrid"),
        "sendgrid.com.json.gz",
        "real_sendgrid",
        ["/mail/send"],
    )


def real(real_clients: dict[str, tuple[Path, Path]], name: str) -> tuple[Any, Path]:
    spec, project = real_clients[name]
    return import_generated(name, project), project


def endpoint(pkg: Any, project: Path, operation_id: str) -> Any:
    """The generated Endpoint of an operation, found by its operationId (whatever the
    method is named)."""
    needle = f"operation_id={json.dumps(operation_id)},"
    for path in sorted((project / pkg.__name__ / "resources").glob("*.py")):
        if needle in path.read_text(encoding="utf-8"):
            module = __import__(f"{pkg.__name__}.resources.{path.stem}", fromlist=["_"])
            for value in vars(module).values():
                if type(value).__name__ == "Endpoint" and value.operation_id == operation_id:
                    return value
    raise LookupError(operation_id)


class Server:
    """MockTransport handler: records requests, answers with the next queued response."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]

    @property
    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.requests[-1].content.decode(), keep_blank_values=True)


def json_response(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
    )


def make_client(pkg: Any, server: Server, is_async: bool = False, **kw: Any) -> Any:
    cls = pkg.AsyncClient if is_async else pkg.Client
    creds = {
        n: "user:secret"
        for n in inspect.signature(cls.__init__).parameters
        if n not in STANDARD_ARGS
    }
    transport = httpx.MockTransport(server)
    http = httpx.AsyncClient(transport=transport) if is_async else httpx.Client(transport=transport)
    return cls(
        base_url="https://api.example.test",
        http_client=http,
        max_retries=0,
        circuit_breaker=None,
        **creds,
        **kw,
    )


def call(
    pkg: Any,
    server: Server,
    ep: Any,
    is_async: bool = False,
    client_kw: dict[str, Any] | None = None,
    **kw: Any,
) -> Any:
    client = make_client(pkg, server, is_async, **(client_kw or {}))
    if not is_async:
        return client.request(ep, **kw)

    async def go() -> Any:
        return await client.request(ep, **kw)

    return asyncio.run(go())


def paths(pkg: Any, value: Any) -> list[str]:
    return [p.path for p in pkg.response_problems(value)]


# ---------------------------------------------------------------- Slack


def slack_example(spec: dict[str, Any], path: str, method: str, status: str = "200") -> Any:
    media = spec["paths"][path][method]["responses"][status]["content"]["application/json"]
    return copy.deepcopy(media["examples"]["response"]["value"])


@pytest.mark.parametrize("is_async", [False, True])
def test_slack_post_message_example_is_typed_and_blocks_go_out_as_json(
    slack: Any, is_async: bool
) -> None:
    pkg, project, spec = slack
    from real_slack.models import ChatPostMessageResponse, ObjsMessage

    example = slack_example(spec, "/chat.postMessage", "post")
    server = Server(json_response(example))
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello *world*"}}]
    ep = endpoint(pkg, project, "chat_postMessage")
    result = call(
        pkg,
        server,
        ep,
        is_async,
        headers={"token": "xoxb-1"},
        body={"channel": "C1H9RESGL", "blocks": blocks, "text": "Hello"},
    )
    # bot_id is `{items: {anyOf: [...]}}` with no type: one of its branches (a string), typed
    assert isinstance(result, ChatPostMessageResponse) and isinstance(result.message, ObjsMessage)
    assert result.message.bot_id == "B19LU7CSY" and result.message.ts == "1503435956.000247"
    assert paths(pkg, result) == []
    assert server.form == [
        ("channel", "C1H9RESGL"),
        ("blocks", json.dumps(blocks, separators=(",", ":"))),
        ("text", "Hello"),
    ]


def test_slack_drifted_post_message_missing_fields_and_a_number(slack: Any) -> None:
    pkg, project, spec = slack
    example = slack_example(spec, "/chat.postMessage", "post")
    del example["ts"]  # required
    example["channel"] = 12345  # a number where a string is declared
    example["message"]["brand_new"] = {"x": 1}  # a new field
    ep = endpoint(pkg, project, "chat_postMessage")
    result = call(
        pkg, Server(json_response(example)), ep, headers={"token": "t"}, body={"channel": "C"}
    )
    assert (
        result.ts is None
        and result.channel == 12345
        and result.message.text == "Here's a message for you"
    )
    assert result.message.model_extra["brand_new"] == {"x": 1}
    assert paths(pkg, result) == ["$.channel", "$.ts"]
    with pytest.raises(pkg.APIResponseValidationError) as info:
        call(
            pkg,
            Server(json_response(example)),
            ep,
            client_kw={"strict_responses": True},
            headers={"token": "t"},
            body={"channel": "C"},
        )
    assert info.value.status_code == 200 and info.value.paths == ("$.channel", "$.ts")


@pytest.mark.parametrize("is_async", [False, True])
def test_slack_ok_false_is_a_typed_error_with_the_parsed_error_model(
    slack: Any, is_async: bool
) -> None:
    pkg, project, spec = slack
    from real_slack.models import ChatPostMessageError

    ep = endpoint(pkg, project, "chat_postMessage")
    example = slack_example(spec, "/chat.postMessage", "post", "default")  # too_many_attachments
    with pytest.raises(pkg.APIStatusError) as info:
        call(
            pkg,
            Server(json_response(example)),
            ep,
            is_async,
            headers={"token": "t"},
            body={"channel": "C"},
        )
    assert isinstance(info.value.body, ChatPostMessageError) and info.value.status_code == 200
    assert "-> 200 OK: too_many_attachments (after 1 attempt)" in str(info.value)
    with pytest.raises(pkg.NotFoundError) as found:
        call(
            pkg,
            Server(json_response({"ok": False, "error": "channel_not_found"})),
            ep,
            is_async,
            headers={"token": "t"},
            body={"channel": "C"},
        )
    assert getattr(found.value.body.error, "value", None) == "channel_not_found"


def test_slack_conversations_list_example_returns_with_every_channel(slack: Any) -> None:
    pkg, project, spec = slack
    from real_slack.models import ConversationsListResponse

    # objs_conversation is `items: {anyOf: [...]}` with no `type`: a channel is one of the
    # branches (or a list of them), so each channel of the example comes back typed
    example = slack_example(spec, "/conversations.list", "get")
    ep = endpoint(pkg, project, "conversations_list")
    result = call(pkg, Server(json_response(example)), ep, headers={"token": "t"})
    assert isinstance(result, ConversationsListResponse)
    assert result.response_metadata.next_cursor == "dGVhbTpDMDYxRkE1UEI="
    assert [c.name for c in result.channels] == ["general", "random"]
    assert paths(pkg, result) == []
    item_type = ConversationsListResponse.model_fields["channels"].annotation.__args__[0]
    example["response_metadata"]["next_cursor"] = ""
    client = make_client(pkg, Server(json_response(example)))
    assert [c.id for c in client.paginate(ep, item_type=item_type, headers={"token": "t"})] == [
        "C012AB3CD",
        "C061EG9T2",
    ]


# ---------------------------------------------------------------- GitHub


def github_example(spec_path: Path) -> dict[str, Any]:
    spec = json.loads(spec_path.read_text())
    return copy.deepcopy(
        spec["components"]["examples"]["full-repository-default-response"]["value"]
    )


@pytest.mark.parametrize("is_async", [False, True])
def test_github_full_repository_example_lacks_language_and_still_parses(
    real_clients: Any, is_async: bool
) -> None:
    pkg, project = real(real_clients, "contract_github")
    from contract_github.models import FullRepository

    example = github_example(real_clients["contract_github"][0])
    assert "language" not in example  # the spec's own example omits a required field
    ep = endpoint(pkg, project, "repos/get")
    repo = call(
        pkg,
        Server(json_response(example)),
        ep,
        is_async,
        path={"owner": "octocat", "repo": "Hello-World"},
    )
    assert isinstance(repo, FullRepository) and repo.language is None
    assert type(repo.owner).__name__ == "SimpleUser" and repo.owner.login == "octocat"
    assert paths(pkg, repo) == [
        "$.language",
        "$.source.language",
    ]  # source: the same example nested


def test_github_drifted_repository_strict_and_lenient(real_clients: Any) -> None:
    pkg, project = real(real_clients, "contract_github")
    example = github_example(real_clients["contract_github"][0])
    example["name"] = 42  # a number where a string is declared
    example["owner"].pop("login")  # a required field of a nested object
    example["visibility_v2"] = "internal"  # a new field
    ep = endpoint(pkg, project, "repos/get")
    repo = call(pkg, Server(json_response(example)), ep, path={"owner": "o", "repo": "r"})
    assert repo.name == 42 and repo.owner.login is None and repo.owner.id == 1
    assert repo.model_extra["visibility_v2"] == "internal"
    assert paths(pkg, repo) == ["$.name", "$.owner.login", "$.language", "$.source.language"]
    with pytest.raises(pkg.APIResponseValidationError) as info:
        call(
            pkg,
            Server(json_response(example, **{"x-github-request-id": "ABC:1"})),
            ep,
            path={"owner": "o", "repo": "r"},
            options=pkg._runtime.RequestOptions(strict_responses=True),
        )
    err = info.value
    assert err.paths == ("$.name", "$.owner.login", "$.language", "$.source.language")
    assert err.request_id == "ABC:1"
    assert err.response.status_code == 200 and "$.owner.login" in str(err)


def test_github_error_message_is_the_servers(real_clients: Any) -> None:
    pkg, project = real(real_clients, "contract_github")
    ep = endpoint(pkg, project, "repos/get")
    body = {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
    }
    with pytest.raises(pkg.NotFoundError) as info:
        call(
            pkg,
            Server(json_response(body, 404, **{"x-github-request-id": "C0DE:42"})),
            ep,
            path={"owner": "o", "repo": "missing"},
        )
    assert str(info.value) == (
        "GET https://api.example.test/repos/o/missing -> 404 Not Found: Not Found "
        "(request id C0DE:42, after 1 attempt)"
    )


# ---------------------------------------------------------------- Stripe

PAYMENT_INTENT = {
    "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
    "object": "payment_intent",
    "amount": 2000,
    "capture_method": "automatic",
    "confirmation_method": "automatic",
    "created": 1680800504,
    "currency": "usd",
    "livemode": False,
    "payment_method_types": ["card"],
    "status": "requires_payment_method",
    "metadata": {},
}


@pytest.mark.parametrize("is_async", [False, True])
def test_stripe_402_message_is_the_card_error(real_clients: Any, is_async: bool) -> None:
    pkg, project = real(real_clients, "contract_stripe")
    from contract_stripe.models import Error

    body = {
        "error": {
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "type": "card_error",
            "message": "Your card has insufficient funds.",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        }
    }
    ep = endpoint(pkg, project, "PostPaymentIntentsIntentConfirm")
    server = Server(json_response(body, 402, **{"request-id": "req_8Pk2"}))
    with pytest.raises(pkg.APIStatusError) as info:
        call(
            pkg,
            server,
            ep,
            is_async,
            path={"intent": "pi_1"},
            body={"payment_method": "pm_card_visa"},
        )
    err = info.value
    assert (
        type(err) is pkg.APIStatusError and err.status_code == 402 and isinstance(err.body, Error)
    )
    assert str(err) == (
        "POST https://api.example.test/v1/payment_intents/pi_1/confirm -> 402 Payment Required: "
        "Your card has insufficient funds. (request id req_8Pk2, after 1 attempt)"
    )


def test_stripe_drifted_payment_intent_new_status_and_missing_field(real_clients: Any) -> None:
    pkg, project = real(real_clients, "contract_stripe")
    from contract_stripe.models import PaymentIntent

    drifted = dict(PAYMENT_INTENT, status="requires_new_step_2026", brand_new_field={"a": 1})
    del drifted["currency"]  # required
    ep = endpoint(pkg, project, "GetPaymentIntentsIntent")
    server = Server(json_response(drifted))
    pi = call(
        pkg,
        server,
        ep,
        path={"intent": "pi_1"},
        query={"expand": ["customer", "latest_charge.balance_transaction"]},
    )
    assert isinstance(pi, PaymentIntent) and pi.amount == 2000 and pi.currency is None
    assert (
        pi.status == "requires_new_step_2026"
        or getattr(pi.status, "value", None) == "requires_new_step_2026"
    )
    assert "$.currency" in paths(pkg, pi)
    assert unquote(server.requests[-1].url.query.decode()) == (
        "expand[0]=customer&expand[1]=latest_charge.balance_transaction"
    )


def test_stripe_checkout_line_items_go_out_like_stripe_python(real_clients: Any) -> None:
    pkg, project = real(real_clients, "contract_stripe")
    ep = endpoint(pkg, project, "PostCheckoutSessions")
    server = Server(json_response({"id": "cs_1", "object": "checkout.session"}))
    call(
        pkg,
        server,
        ep,
        body={
            "mode": "payment",
            "success_url": "https://x.test/ok",
            "line_items": [{"price": "price_1", "quantity": 2}],
            "expand": ["customer"],
        },
    )
    assert server.form == [
        ("mode", "payment"),
        ("success_url", "https://x.test/ok"),
        ("line_items[0][price]", "price_1"),
        ("line_items[0][quantity]", "2"),
        ("expand[0]", "customer"),
    ]


# ---------------------------------------------------------------- Twilio

MESSAGE = {
    "account_sid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "api_version": "2010-04-01",
    "body": "Hi there",
    "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
    "date_sent": None,
    "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
    "direction": "outbound-api",
    "error_code": None,
    "error_message": None,
    "from": "+14155552345",
    "messaging_service_sid": None,
    "num_media": "0",
    "num_segments": "1",
    "price": None,
    "price_unit": "USD",
    "sid": "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "status": "queued",
    "subresource_uris": {"media": "/media.json"},
    "to": "+14155552344",
    "uri": "/2010-04-01/Accounts/AC/Messages/SM.json",
}


@pytest.mark.parametrize("status", [200, 202])
@pytest.mark.parametrize("is_async", [False, True])
def test_twilio_create_message_python_names_on_the_wire_and_undeclared_success(
    real_clients: Any, status: int, is_async: bool
) -> None:
    pkg, project = real(real_clients, "contract_twilio")
    from contract_twilio.models import ApiV2010AccountMessage

    ep = endpoint(pkg, project, "CreateMessage")  # declares 201 only
    server = Server(json_response(MESSAGE, status))
    message = call(
        pkg,
        server,
        ep,
        is_async,
        path={"AccountSid": "AC1"},
        body={"to": "+14155552344", "from_": "+14155552345", "Body": "Hi there"},
    )
    assert server.form == [("To", "+14155552344"), ("From", "+14155552345"), ("Body", "Hi there")]
    assert type(message) is ApiV2010AccountMessage and message.from_ == "+14155552345"
    assert pkg.response_problems(message) == ()


def test_twilio_drifted_message_number_where_string_declared(real_clients: Any) -> None:
    pkg, project = real(real_clients, "contract_twilio")
    ep = endpoint(pkg, project, "CreateMessage")
    drifted = dict(MESSAGE, num_segments=3, status="scheduled_v2", shiny=True)
    message = call(
        pkg,
        Server(json_response(drifted, 201)),
        ep,
        path={"AccountSid": "AC1"},
        body={"To": "+1", "From": "+2"},
    )
    assert (
        message.num_segments == 3
        and message.body == "Hi there"
        and message.model_extra["shiny"] is True
    )
    assert "$.num_segments" in paths(pkg, message)


# ---------------------------------------------------------------- SendGrid


def test_sendgrid_from_keyword_is_sent_as_from(sendgrid: Any) -> None:
    pkg, project, _ = sendgrid
    ep = endpoint(pkg, project, "POST_mail-send")
    server = Server(httpx.Response(202))
    body = {
        "from_": {"email": "orders@example.com"},
        "subject": "Hi",
        "personalizations": [{"to": [{"email": "john@example.com"}]}],
        "content": [{"type": "text/plain", "value": "Hello"}],
    }
    call(pkg, server, ep, body=body)
    sent = json.loads(server.requests[-1].content)
    assert sent["from"] == {"email": "orders@example.com"} and "from_" not in sent
    assert sent["personalizations"] == [{"to": [{"email": "john@example.com"}]}]
