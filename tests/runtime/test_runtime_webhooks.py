"""Webhook signature schemes: the providers' published vectors, tampering, replays, rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pydantic
import pytest

from apigen.runtime import (
    GitHubSignature,
    HMACSignature,
    SlackSignature,
    StandardWebhooks,
    StripeSignature,
    TwilioSignature,
    UnknownWebhookEvent,
    WebhookEventType,
    WebhookHelper,
    WebhookVerificationError,
)

# Standard Webhooks' reference vector, used by the spec's reference libraries' tests
# (github.com/standard-webhooks/standard-webhooks, libraries/*; the same as Svix's docs).
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_HEADERS = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
SW_BODY = b'{"test": 2432232314}'
SW_NOW = 1614265330

# GitHub's docs, "Validating webhook deliveries" (docs.github.com/en/webhooks/using-webhooks/
# validating-webhook-deliveries), "Testing the webhook payload validation".
GH_SECRET = "It's a Secret to Everybody"
GH_BODY = b"Hello, World!"
GH_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

# Slack's docs, "Verifying requests from Slack" (api.slack.com/authentication/
# verifying-requests-from-slack), the slash-command example.
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TS = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554"
    b"%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

# Twilio's docs, "Webhooks security" (twilio.com/docs/usage/webhooks/webhooks-security),
# signature validation snippet (twilio-samples/api-snippets, security/signature_validation).
TWILIO_TOKEN = "12345"
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_BODY = (
    b"CallSid=CA1234567890ABCDE&Caller=%2B14158675310&Digits=1234&From=%2B14158675310"
    b"&To=%2B18005551212"
)
TWILIO_SIGNATURE = "GvWf1cFY/Q7PnoempGyD5oXAezc="


def verify(scheme, body, headers, secret, now=None, url=None):
    secrets = [s.encode() for s in ([secret] if isinstance(secret, str) else secret)]
    return scheme.verify(body, headers, secrets, now=now, url=url)


def reason(scheme, body, headers, secret, now=None, url=None) -> str:
    with pytest.raises(WebhookVerificationError) as info:
        verify(scheme, body, headers, secret, now=now, url=url)
    return str(info.value)


# ---------------------------------------------------------------- published vectors


def test_standard_webhooks_vector():
    verify(StandardWebhooks(), SW_BODY, SW_HEADERS, SW_SECRET, now=SW_NOW)
    assert (
        StandardWebhooks().sign(
            SW_BODY, SW_SECRET.encode(), timestamp=SW_NOW, msg_id=SW_HEADERS["webhook-id"]
        )
        == SW_HEADERS
    )


def test_github_vector():
    verify(GitHubSignature(), GH_BODY, {"X-Hub-Signature-256": GH_SIGNATURE}, GH_SECRET)
    assert GitHubSignature().sign(GH_BODY, GH_SECRET.encode()) == {
        "X-Hub-Signature-256": GH_SIGNATURE
    }


def test_slack_vector():
    headers = {"X-Slack-Signature": SLACK_SIGNATURE, "X-Slack-Request-Timestamp": SLACK_TS}
    verify(SlackSignature(), SLACK_BODY, headers, SLACK_SECRET, now=int(SLACK_TS) + 10)


def test_twilio_vector_form_parameters_sorted():
    verify(
        TwilioSignature(),
        TWILIO_BODY,
        {"X-Twilio-Signature": TWILIO_SIGNATURE},
        TWILIO_TOKEN,
        url=TWILIO_URL,
    )


def test_twilio_json_body_through_body_sha256():
    body = b'{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}'
    url = "https://example.com/myapp?bodySHA256=" + hashlib.sha256(body).hexdigest()
    headers = TwilioSignature().sign(body, b"12345", url=url)
    # the URL alone is signed (Twilio's construction for JSON bodies)
    expected = base64.b64encode(hmac.new(b"12345", url.encode(), hashlib.sha1).digest()).decode()
    assert headers == {"X-Twilio-Signature": expected}
    verify(TwilioSignature(), body, headers, "12345", url=url)
    assert "bodySHA256" in reason(TwilioSignature(), body + b" ", headers, "12345", url=url)


def test_stripe_construction():
    # Stripe publishes the construction, not a vector: HMAC-SHA256 (hex) of "<t>.<body>"
    # keyed with the whsec_ secret as it is (docs.stripe.com/webhooks/signature).
    body, secret, t = b'{"id":"evt_1","type":"charge.succeeded"}', "whsec_test_secret", 1700000000
    v1 = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    v0 = "6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
    header = {"Stripe-Signature": f"t={t},v1={v1},v0={v0}"}
    verify(StripeSignature(), body, header, secret, now=t + 5)
    assert StripeSignature().sign(body, secret.encode(), timestamp=t) == {
        "Stripe-Signature": f"t={t},v1={v1}"
    }


def test_generic_hmac_base64_and_prefix():
    scheme = HMACSignature(header="X-Shopify-Hmac-Sha256", encoding="base64")
    mac = base64.b64encode(hmac.new(b"k", b"{}", hashlib.sha256).digest()).decode()
    verify(scheme, b"{}", {"x-shopify-hmac-sha256": mac}, "k")
    assert "bad signature" in reason(scheme, b"{ }", {"X-Shopify-Hmac-Sha256": mac}, "k")
    with pytest.raises(ValueError):
        HMACSignature(encoding="base32")


# ---------------------------------------------------------------- tampering, replays, headers


@pytest.mark.parametrize(
    "scheme, headers, now, url",
    [
        (StandardWebhooks(), SW_HEADERS, SW_NOW, None),
        (GitHubSignature(), {"X-Hub-Signature-256": GH_SIGNATURE}, None, None),
        (
            SlackSignature(),
            {"X-Slack-Signature": SLACK_SIGNATURE, "X-Slack-Request-Timestamp": SLACK_TS},
            int(SLACK_TS),
            None,
        ),
        (TwilioSignature(), {"X-Twilio-Signature": TWILIO_SIGNATURE}, None, TWILIO_URL),
    ],
    ids=["standard", "github", "slack", "twilio"],
)
def test_tampered_body_fails(scheme, headers, now, url):
    body = {"standard": SW_BODY, "github": GH_BODY, "slack": SLACK_BODY, "twilio": TWILIO_BODY}[
        scheme.name
    ]
    secret = {
        "standard": SW_SECRET,
        "github": GH_SECRET,
        "slack": SLACK_SECRET,
        "twilio": TWILIO_TOKEN,
    }[scheme.name]
    verify(scheme, body, headers, secret, now=now, url=url)
    tampered = body[:-1] + bytes([body[-1] ^ 1])  # one bit of the last byte
    message = reason(scheme, tampered, headers, secret, now=now, url=url)
    assert message.startswith("bad signature")
    assert secret not in message


def test_reserialised_json_is_refused_not_verified():
    # the same JSON, serialised again (different spacing), no longer matches its signature
    again = json.dumps(json.loads(SW_BODY), separators=(",", ":")).encode()
    assert reason(StandardWebhooks(), again, SW_HEADERS, SW_SECRET, now=SW_NOW).startswith(
        "bad signature"
    )
    helper = WebhookHelper(scheme=StandardWebhooks(), secret_env="X_SECRET", clock=lambda: SW_NOW)
    with pytest.raises(TypeError, match="raw request body"):
        helper.verify(json.loads(SW_BODY), SW_HEADERS, secret=SW_SECRET)


@pytest.mark.parametrize(
    "scheme, body, secret, headers, ts",
    [
        (StandardWebhooks(), SW_BODY, SW_SECRET, SW_HEADERS, SW_NOW),
        (
            SlackSignature(),
            SLACK_BODY,
            SLACK_SECRET,
            {"X-Slack-Signature": SLACK_SIGNATURE, "X-Slack-Request-Timestamp": SLACK_TS},
            int(SLACK_TS),
        ),
    ],
    ids=["standard", "slack"],
)
def test_timestamp_tolerance(scheme, body, secret, headers, ts):
    verify(scheme, body, headers, secret, now=ts + 300)  # the edge of 5 minutes still passes
    assert (
        reason(scheme, body, headers, secret, now=ts + 301)
        == "stale timestamp: 301 s old (tolerance 300 s)"
    )
    assert "in the future" in reason(scheme, body, headers, secret, now=ts - 301)
    assert (
        type(scheme)(tolerance=600).verify(body, headers, [secret.encode()], now=ts + 500) is None
    )


def test_stripe_stale_and_replayed_timestamp():
    body, secret, t = b"{}", "whsec_x", 1700000000
    headers = StripeSignature().sign(body, secret.encode(), timestamp=t)
    assert reason(StripeSignature(), body, headers, secret, now=t + 301).startswith(
        "stale timestamp"
    )
    # a replay with a fresh t= but the old v1 fails: t is signed
    fresh = {"Stripe-Signature": headers["Stripe-Signature"].replace(f"t={t}", f"t={t + 400}")}
    assert reason(StripeSignature(), body, fresh, secret, now=t + 400).startswith("bad signature")


@pytest.mark.parametrize(
    "scheme, headers, missing",
    [
        (
            StandardWebhooks(),
            {k: v for k, v in SW_HEADERS.items() if k != "webhook-timestamp"},
            "webhook-timestamp",
        ),
        (StandardWebhooks(), {}, "webhook-id"),
        (StripeSignature(), {"Content-Type": "application/json"}, "Stripe-Signature"),
        (GitHubSignature(), {"X-Hub-Signature": "sha1=abc"}, "X-Hub-Signature-256"),
        (SlackSignature(), {"X-Slack-Signature": SLACK_SIGNATURE}, "X-Slack-Request-Timestamp"),
        (TwilioSignature(), {}, "X-Twilio-Signature"),
    ],
)
def test_missing_header_is_named(scheme, headers, missing):
    assert (
        reason(scheme, b"{}", headers, "whsec_c2VjcmV0", now=SW_NOW, url="https://x")
        == f"missing header {missing}"
    )


def test_malformed_headers_fail_cleanly():
    assert "malformed timestamp" in reason(
        StandardWebhooks(), SW_BODY, {**SW_HEADERS, "webhook-timestamp": "soon"}, SW_SECRET
    )
    assert "no v1 signature" in reason(
        StandardWebhooks(),
        SW_BODY,
        {**SW_HEADERS, "webhook-signature": "v1a,xyz"},
        SW_SECRET,
        now=SW_NOW,
    )
    assert "exactly one t=" in reason(StripeSignature(), b"{}", {"Stripe-Signature": "v1=00"}, "s")
    assert "not base64" in reason(
        TwilioSignature(), b"", {"X-Twilio-Signature": "%%%"}, "t", url="https://x"
    )
    assert "pass url=" in reason(
        TwilioSignature(), b"", {"X-Twilio-Signature": TWILIO_SIGNATURE}, "t"
    )
    assert "not a base64 key" in reason(
        StandardWebhooks(), SW_BODY, SW_HEADERS, "whsec_***", now=SW_NOW
    )


# ---------------------------------------------------------------- rotation


def test_rotated_secrets_any_one_matches():
    old, new = "whsec_" + base64.b64encode(b"old-key").decode(), SW_SECRET
    verify(StandardWebhooks(), SW_BODY, SW_HEADERS, [old, new], now=SW_NOW)
    message = reason(StandardWebhooks(), SW_BODY, SW_HEADERS, [old], now=SW_NOW)
    assert message == "bad signature: it matches none of the 1 secret given"
    # the sender signing with two keys during its own rotation: one v1 entry suffices
    both = {**SW_HEADERS, "webhook-signature": "v1,AAAA " + SW_HEADERS["webhook-signature"]}
    verify(StandardWebhooks(), SW_BODY, both, new, now=SW_NOW)
    verify(
        GitHubSignature(), GH_BODY, {"X-Hub-Signature-256": GH_SIGNATURE}, ["previous", GH_SECRET]
    )


def test_helper_secret_from_env_comma_separated(monkeypatch):
    helper = WebhookHelper(scheme=GitHubSignature(), secret_env="ACME_WEBHOOK_SECRET")
    headers = {"X-Hub-Signature-256": GH_SIGNATURE}
    with pytest.raises(WebhookVerificationError, match="set ACME_WEBHOOK_SECRET"):
        helper.verify(GH_BODY, headers)
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", f"old-secret, {GH_SECRET}")
    helper.verify(GH_BODY, headers)
    with pytest.raises(WebhookVerificationError) as info:
        helper.verify(GH_BODY, headers, secret="explicit-wins")
    assert "explicit-wins" not in str(info.value) and "explicit-wins" not in repr(helper)


# ---------------------------------------------------------------- typed events


class IssueOpened(pydantic.BaseModel):
    action: str
    number: int


class IssueClosed(pydantic.BaseModel):
    action: str
    number: int


class Push(pydantic.BaseModel):
    ref: str


EVENTS = (
    WebhookEventType(
        "issues-opened", lambda: IssueOpened, ("X-GitHub-Event", "issues"), (("action", "opened"),)
    ),
    WebhookEventType(
        "issues-closed", lambda: IssueClosed, ("X-GitHub-Event", "issues"), (("action", "closed"),)
    ),
    WebhookEventType("push", lambda: Push, ("X-GitHub-Event", "push")),
)


def test_unwrap_picks_the_event_by_header_and_field():
    helper = WebhookHelper(
        scheme=GitHubSignature(), secret_env="UNUSED", events=lambda: EVENTS, secret="s"
    )
    for event, body, cls in [
        ("issues", b'{"action":"closed","number":3}', IssueClosed),
        ("issues", b'{"action":"opened","number":4}', IssueOpened),
        ("push", b'{"ref":"refs/heads/main"}', Push),
    ]:
        headers = {"X-GitHub-Event": event, **GitHubSignature().sign(body, b"s")}
        assert type(helper.unwrap(body, headers)) is cls
    unknown = b'{"action":"transferred","number":1}'
    got = helper.unwrap(
        unknown, {"x-github-event": "issues", **GitHubSignature().sign(unknown, b"s")}
    )
    assert got == UnknownWebhookEvent("issues", {"action": "transferred", "number": 1})
    bad = {"X-GitHub-Event": "push", **GitHubSignature().sign(b'{"ref":"x"}', b"other")}
    with pytest.raises(WebhookVerificationError):
        helper.unwrap(b'{"ref":"x"}', bad)


def test_unwrap_form_encoded_payload_and_lenient_model():
    helper = WebhookHelper(
        scheme=GitHubSignature(), secret_env="UNUSED", events=lambda: EVENTS, secret="s"
    )
    body = b"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fx%22%7D"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-GitHub-Event": "push",
        **GitHubSignature().sign(body, b"s"),
    }
    assert helper.unwrap(body, headers) == Push(ref="refs/heads/x")
    drifted = b'{"action":"opened","number":"many"}'
    event = helper.parse(drifted, {"X-GitHub-Event": "issues"})
    assert isinstance(event, IssueOpened) and event.number == "many"
    strict = WebhookHelper(
        scheme=GitHubSignature(), secret_env="UNUSED", events=lambda: EVENTS, strict=True
    )
    with pytest.raises(pydantic.ValidationError):
        strict.parse(drifted, {"X-GitHub-Event": "issues"})
    with pytest.raises(WebhookVerificationError, match="not JSON"):
        helper.parse(b"<xml/>", {})
