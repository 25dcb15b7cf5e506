"""Receiving webhooks: verify the signature, then give the event its type from the spec.

A generated package's ``Webhooks`` (``client.webhooks``) is a ``WebhookHelper`` with the
API's signature scheme and its table of event types. Which type an event has is
decided from what the spec fixes for each webhook: the value of an event header
(GitHub's ``X-GitHub-Event: issues``) and top-level fields with one allowed value
(``"action": "opened"``, OpenAI's ``"type": "batch.cancelled"``); the event type
matching most of them wins. An event no webhook of the spec describes is kept as an
``UnknownWebhookEvent`` (APIs add events before their specs say so).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pydantic

from .lenient import attach_problems, lenient_value
from .responses import adapter
from .webhooks import (
    Clock,
    HeadersLike,
    Payload,
    SignatureScheme,
    WebhookVerificationError,
    _header_map,
    raw_body,
    secrets_from,
)

__all__ = ["WebhookEventType", "UnknownWebhookEvent", "WebhookHelper"]

Secret = str | bytes | Sequence[str | bytes] | None


@dataclass(frozen=True)
class WebhookEventType:
    """One webhook of the spec: its payload type and what identifies it."""

    name: str  # the webhook's key in the spec
    load: Callable[[], Any]  # returns the payload's type (its module is imported when needed)
    header: tuple[str, str] | None = None  # (header, value) naming the event
    fields: tuple[tuple[str, str], ...] = ()  # top-level fields with one allowed value

    def matches(self, headers: dict[str, str], data: Any) -> int | None:
        """How many of its marks the event carries; None when one contradicts it."""
        score = 0
        if self.header is not None:
            if headers.get(self.header[0].lower()) != self.header[1]:
                return None
            score += 1
        for name, value in self.fields:
            if not isinstance(data, dict) or data.get(name) != value:
                return None
            score += 1
        return score


@dataclass(frozen=True)
class UnknownWebhookEvent:
    """A verified event that no webhook of the spec describes: its decoded body, kept."""

    name: str | None  # the event header's value or the type field, when there is one
    data: Any = field(repr=False)


def decode_body(body: bytes, headers: dict[str, str]) -> Any:
    """The event as JSON: the body, or a form's ``payload`` field (GitHub), or the form."""
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    text = body.decode("utf-8", "replace")
    if media == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(text, keep_blank_values=True))
        if set(form) == {"payload"}:
            text = form["payload"]
        else:
            return form
    try:
        return json.loads(text)
    except ValueError:
        raise WebhookVerificationError("malformed payload: the body is not JSON") from None


def _no_events() -> Sequence[WebhookEventType]:
    return ()


class WebhookHelper:
    """Verifies webhooks with one signature scheme and parses them into typed events."""

    def __init__(
        self,
        *,
        scheme: SignatureScheme,
        secret_env: str,
        events: Callable[[], Sequence[WebhookEventType]] | None = None,
        secret: Secret = None,
        clock: Clock | None = None,
        strict: bool = False,
    ) -> None:
        self.scheme = scheme
        self.secret_env = secret_env
        self._events = events or _no_events
        self._secret = secret
        self._clock = clock
        self.strict = strict

    def __repr__(self) -> str:  # never the secret
        return f"{type(self).__name__}(scheme={self.scheme.name!r}, secret_env={self.secret_env!r})"

    def _secrets(self, secret: Secret) -> list[bytes]:
        for candidate in (secret, self._secret, os.environ.get(self.secret_env)):
            found = secrets_from(candidate)
            if found:
                return found
        raise WebhookVerificationError(f"no webhook secret: pass secret= or set {self.secret_env}")

    def verify(
        self,
        payload: Payload,
        headers: HeadersLike,
        *,
        secret: Secret = None,
        url: str | None = None,
    ) -> None:
        """Check the signature of a raw request body; ``WebhookVerificationError`` if it fails.

        ``secret`` may be several secrets (a list, or one comma-separated string) while
        one is being rotated; it defaults to the environment variable ``secret_env``.
        ``url`` is the URL the API called (Twilio signs it).
        """
        now = self._clock() if self._clock is not None else None
        self.scheme.verify(raw_body(payload), headers, self._secrets(secret), now=now, url=url)

    def unwrap(
        self,
        payload: Payload,
        headers: HeadersLike,
        *,
        secret: Secret = None,
        url: str | None = None,
    ) -> Any:
        """Verify, then return the typed event (see ``parse``)."""
        self.verify(payload, headers, secret=secret, url=url)
        return self.parse(payload, headers)

    def parse(self, payload: Payload, headers: HeadersLike = ()) -> Any:
        """The typed event of a body that was already verified (no signature check)."""
        found = _header_map(headers)
        data = decode_body(raw_body(payload), found)
        event, best = None, -1
        for candidate in self._events():
            score = candidate.matches(found, data)
            if score is not None and score > best:
                event, best = candidate, score
        if event is None:
            return UnknownWebhookEvent(self._name_of(found, data), data)
        model = event.load()
        try:
            return adapter(model).validate_python(data)
        except pydantic.ValidationError:
            if self.strict:
                raise
        value, problems, _ = lenient_value(model, data)
        return attach_problems(value, problems)

    def _name_of(self, headers: dict[str, str], data: Any) -> str | None:
        for candidate in self._events():
            if candidate.header and candidate.header[0].lower() in headers:
                return headers[candidate.header[0].lower()]
        for candidate in self._events():
            for name, _ in candidate.fields:
                if isinstance(data, dict) and isinstance(data.get(name), str):
                    return str(data[name])
        return None
