"""Webhook signature schemes: proving that a request really comes from the API.

Standard library only (hmac, hashlib, base64). Every scheme checks the raw bytes
of the request body as received (never JSON parsed and serialised again),
compares in constant time, accepts several secrets (rotation), and checks a
signed timestamp against a tolerance (5 minutes by default) where the scheme
signs one. A failed check raises ``WebhookVerificationError`` saying why; the
message never contains a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Union
from urllib.parse import parse_qs, parse_qsl, urlsplit

__all__ = [
    "WebhookVerificationError",
    "SignatureScheme",
    "StandardWebhooks",
    "StripeSignature",
    "GitHubSignature",
    "SlackSignature",
    "TwilioSignature",
    "HMACSignature",
    "SCHEMES",
    "raw_body",
    "secrets_from",
]

DEFAULT_TOLERANCE = 300  # seconds a signed timestamp may be away from now

HeadersLike = Union[Mapping[str, str], Iterable[tuple[str, str]]]
Payload = Union[bytes, bytearray, memoryview, str]
Clock = Callable[[], float]


class WebhookVerificationError(ValueError):
    """A webhook failed verification: missing header, stale timestamp or bad signature."""


def raw_body(payload: Payload) -> bytes:
    """The body exactly as received; decoded JSON is refused, it cannot be verified."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8")
    raise TypeError(
        "webhook payload must be the raw request body (bytes or str), "
        f"not {type(payload).__name__}: a parsed and re-serialised body no longer matches its "
        "signature"
    )


def secrets_from(secret: str | bytes | Sequence[str | bytes] | None) -> list[bytes]:
    """One or several secrets (rotation); a string may list several, comma-separated."""
    if secret is None:
        return []
    items = [secret] if isinstance(secret, (str, bytes)) else list(secret)
    out: list[bytes] = []
    for item in items:
        if isinstance(item, bytes):
            out.append(item)
            continue
        out += [part.strip().encode("utf-8") for part in str(item).split(",") if part.strip()]
    return out


def _header_map(headers: HeadersLike) -> dict[str, str]:
    """Headers by lower-case name (a repeated header keeps its first value)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in pairs:
        out.setdefault(str(name).lower(), str(value))
    return out


def _require(headers: dict[str, str], name: str) -> str:
    value = headers.get(name.lower(), "").strip()
    if not value:
        raise WebhookVerificationError(f"missing header {name}")
    return value


def _check_timestamp(value: str, now: float, tolerance: float, header: str) -> int:
    try:
        stamp = int(value)
    except ValueError:
        raise WebhookVerificationError(
            f"malformed timestamp in {header}: not a Unix time in seconds"
        ) from None
    age = now - stamp
    if age > tolerance:
        raise WebhookVerificationError(
            f"stale timestamp: {int(age)} s old (tolerance {int(tolerance)} s)"
        )
    if -age > tolerance:
        raise WebhookVerificationError(
            f"timestamp {int(-age)} s in the future (tolerance {int(tolerance)} s)"
        )
    return stamp


def _mac(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def _any_equal(expected: Iterable[bytes], received: Iterable[bytes]) -> bool:
    """Constant-time comparison of every pair (no early exit on the first match)."""
    found = False
    candidates = list(received)
    for mine in expected:
        for theirs in candidates:
            found |= hmac.compare_digest(mine, theirs)
    return found


def _no_secret() -> WebhookVerificationError:
    return WebhookVerificationError(
        "no webhook secret: pass secret= or set the environment variable"
    )


class SignatureScheme:
    """How one provider signs its webhooks: ``verify`` checks, ``sign`` makes headers for tests."""

    name = "scheme"
    tolerance: float = DEFAULT_TOLERANCE

    def verify(
        self,
        payload: bytes,
        headers: HeadersLike,
        secrets: Sequence[bytes],
        *,
        now: float | None = None,
        url: str | None = None,
    ) -> None:
        raise NotImplementedError

    def sign(
        self,
        payload: bytes,
        secret: bytes,
        *,
        timestamp: int | None = None,
        url: str | None = None,
        msg_id: str = "msg_test",
    ) -> dict[str, str]:
        raise NotImplementedError

    @staticmethod
    def _now(now: float | None) -> float:
        return time.time() if now is None else now


@dataclass(frozen=True)
class StandardWebhooks(SignatureScheme):
    """Standard Webhooks (OpenAI, Svix): HMAC-SHA256 over ``id.timestamp.body``, base64;
    ``webhook-signature: v1,<b64> [v1,<b64> ...]``; secrets ``whsec_<base64 key>``."""

    tolerance: float = DEFAULT_TOLERANCE
    id_header: str = "webhook-id"
    timestamp_header: str = "webhook-timestamp"
    signature_header: str = "webhook-signature"
    name = "standard"

    @staticmethod
    def key(secret: bytes) -> bytes:
        text = secret.decode("utf-8", "replace").strip()
        if text.startswith("whsec_"):
            text = text[len("whsec_") :]
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise WebhookVerificationError(
                "webhook secret is not a base64 key (whsec_...)"
            ) from None

    def verify(
        self,
        payload: bytes,
        headers: HeadersLike,
        secrets: Sequence[bytes],
        *,
        now: float | None = None,
        url: str | None = None,
    ) -> None:
        found = _header_map(headers)
        msg_id = _require(found, self.id_header)
        stamp = _require(found, self.timestamp_header)
        signatures = _require(found, self.signature_header)
        if not secrets:
            raise _no_secret()
        _check_timestamp(stamp, self._now(now), self.tolerance, self.timestamp_header)
        received = []
        for entry in signatures.split():
            version, _, value = entry.partition(",")
            if version == "v1":
                try:
                    received.append(base64.b64decode(value, validate=True))
                except (binascii.Error, ValueError):
                    continue
        if not received:
            raise WebhookVerificationError(
                f"bad signature: no v1 signature in {self.signature_header}"
            )
        message = f"{msg_id}.{stamp}.".encode() + payload
        if not _any_equal((_mac(self.key(s), message) for s in secrets), received):
            raise WebhookVerificationError(_mismatch(len(secrets)))

    def sign(
        self,
        payload: bytes,
        secret: bytes,
        *,
        timestamp: int | None = None,
        url: str | None = None,
        msg_id: str = "msg_test",
    ) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        mac = _mac(self.key(secret), f"{msg_id}.{stamp}.".encode() + payload)
        return {
            self.id_header: msg_id,
            self.timestamp_header: stamp,
            self.signature_header: "v1," + base64.b64encode(mac).decode(),
        }


def _mismatch(count: int) -> str:
    return f"bad signature: it matches none of the {count} secret{'s' if count != 1 else ''} given"


@dataclass(frozen=True)
class StripeSignature(SignatureScheme):
    """Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]``, HMAC-SHA256 of ``t.body``."""

    tolerance: float = DEFAULT_TOLERANCE
    header: str = "Stripe-Signature"
    name = "stripe"

    def verify(
        self,
        payload: bytes,
        headers: HeadersLike,
        secrets: Sequence[bytes],
        *,
        now: float | None = None,
        url: str | None = None,
    ) -> None:
        value = _require(_header_map(headers), self.header)
        if not secrets:
            raise _no_secret()
        stamps, received = [], []
        for item in value.split(","):
            key, _, part = item.strip().partition("=")
            if key == "t":
                stamps.append(part)
            elif key == "v1":
                try:
                    received.append(bytes.fromhex(part))
                except ValueError:
                    continue
        if len(stamps) != 1:
            raise WebhookVerificationError(f"malformed {self.header}: needs exactly one t=")
        if not received:
            raise WebhookVerificationError(f"bad signature: no v1 signature in {self.header}")
        _check_timestamp(stamps[0], self._now(now), self.tolerance, self.header)
        message = stamps[0].encode() + b"." + payload
        if not _any_equal((_mac(s, message) for s in secrets), received):
            raise WebhookVerificationError(_mismatch(len(secrets)))

    def sign(
        self,
        payload: bytes,
        secret: bytes,
        *,
        timestamp: int | None = None,
        url: str | None = None,
        msg_id: str = "msg_test",
    ) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        return {self.header: f"t={stamp},v1={_mac(secret, stamp.encode() + b'.' + payload).hex()}"}


@dataclass(frozen=True)
class HMACSignature(SignatureScheme):
    """A plain HMAC of the body in one header: ``<prefix><hex or base64 digest>``."""

    header: str = "X-Signature"
    encoding: str = "hex"  # hex | base64
    prefix: str = ""
    algorithm: str = "sha256"
    name = "hmac"

    def __post_init__(self) -> None:
        if self.encoding not in ("hex", "base64"):
            raise ValueError(f"encoding must be 'hex' or 'base64', not {self.encoding!r}")
        if self.algorithm not in ("sha1", "sha256", "sha512"):
            raise ValueError(f"algorithm must be sha1, sha256 or sha512, not {self.algorithm!r}")

    def _decode(self, value: str) -> bytes | None:
        try:
            return (
                bytes.fromhex(value)
                if self.encoding == "hex"
                else base64.b64decode(value, validate=True)
            )
        except (binascii.Error, ValueError):
            return None

    def _encode(self, mac: bytes) -> str:
        return mac.hex() if self.encoding == "hex" else base64.b64encode(mac).decode()

    def verify(
        self,
        payload: bytes,
        headers: HeadersLike,
        secrets: Sequence[bytes],
        *,
        now: float | None = None,
        url: str | None = None,
    ) -> None:
        value = _require(_header_map(headers), self.header)
        if not secrets:
            raise _no_secret()
        if self.prefix and not value.startswith(self.prefix):
            raise WebhookVerificationError(
                f"bad signature: {self.header} does not start with {self.prefix!r}"
            )
        received = self._decode(value[len(self.prefix) :])
        if received is None:
            raise WebhookVerificationError(f"bad signature: {self.header} is not {self.encoding}")
        if not _any_equal((_mac(s, payload, self.algorithm) for s in secrets), [received]):
            raise WebhookVerificationError(_mismatch(len(secrets)))

    def sign(
        self,
        payload: bytes,
        secret: bytes,
        *,
        timestamp: int | None = None,
        url: str | None = None,
        msg_id: str = "msg_test",
    ) -> dict[str, str]:
        return {self.header: self.prefix + self._encode(_mac(secret, payload, self.algorithm))}


@dataclass(frozen=True)
class GitHubSignature(HMACSignature):
    """GitHub: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>``."""

    header: str = "X-Hub-Signature-256"
    prefix: str = "sha256="
    name = "github"


@dataclass(frozen=True)
class SlackSignature(SignatureScheme):
    """Slack: ``X-Slack-Signature: v0=<hex>``, HMAC-SHA256 of ``v0:<timestamp>:<body>``."""

    tolerance: float = DEFAULT_TOLERANCE
    signature_header: str = "X-Slack-Signature"
    timestamp_header: str = "X-Slack-Request-Timestamp"
    name = "slack"

    def verify(
        self,
        payload: bytes,
        headers: HeadersLike,
        secrets: Sequence[bytes],
        *,
        now: float | None = None,
        url: str | None = None,
    ) -> None:
        found = _header_map(headers)
        signature = _require(found, self.signature_header)
        stamp = _require(found, self.timestamp_header)
        if not secrets:
            raise _no_secret()
        _check_timestamp(stamp, self._now(now), self.tolerance, self.timestamp_header)
        version, _, value = signature.partition("=")
        try:
            received = bytes.fromhex(value) if version == "v0" else None
        except ValueError:
            received = None
        if received is None:
            raise WebhookVerificationError(
                f"bad signature: {self.signature_header} is not v0=<hex>"
            )
        message = b"v0:" + stamp.encode() + b":" + payload
        if not _any_equal((_mac(s, message) for s in secrets), [received]):
            raise WebhookVerificationError(_mismatch(len(secrets)))

    def sign(
        self,
        payload: bytes,
        secret: bytes,
        *,
        timestamp: int | None = None,
        url: str | None = None,
        msg_id: str = "msg_test",
    ) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        mac = _mac(secret, b"v0:" + stamp.encode() + b":" + payload).hex()
        return {self.timestamp_header: stamp, self.signature_header: "v0=" + mac}


@dataclass(frozen=True)
class TwilioSignature(SignatureScheme):
    """Twilio: ``X-Twilio-Signature``, base64 HMAC-SHA1 of the full URL followed by the
    form parameters sorted by name (name + value each). A JSON body is signed through
    the URL's ``bodySHA256`` parameter, which must be the SHA-256 of the body."""

    header: str = "X-Twilio-Signature"
    name = "twilio"

    @staticmethod
    def _message(payload: bytes, url: str) -> bytes:
        if "bodySHA256" in parse_qs(urlsplit(url).query):
            return url.encode("utf-8")
        params = parse_qsl(payload.decode("utf-8", "replace"), keep_blank_values=True)
        return (url + "".join(k + v for k, v in sorted(params, key=lambda kv: kv[0]))).encode(
            "utf-8"
        )

    def verify(
        self,
        payload: bytes,
        headers: HeadersLike,
        secrets: Sequence[bytes],
        *,
        now: float | None = None,
        url: str | None = None,
    ) -> None:
        value = _require(_header_map(headers), self.header)
        if url is None:
            raise WebhookVerificationError(
                "Twilio signs the request URL: pass url= (as Twilio called it)"
            )
        if not secrets:
            raise _no_secret()
        try:
            received = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise WebhookVerificationError(f"bad signature: {self.header} is not base64") from None
        body_hash = parse_qs(urlsplit(url).query).get("bodySHA256")
        digest = hashlib.sha256(payload).hexdigest().encode()
        if body_hash and not hmac.compare_digest(body_hash[0].lower().encode(), digest):
            raise WebhookVerificationError(
                "bad signature: the body does not match the URL's bodySHA256"
            )
        message = self._message(payload, url)
        if not _any_equal((_mac(s, message, "sha1") for s in secrets), [received]):
            raise WebhookVerificationError(_mismatch(len(secrets)))

    def sign(
        self,
        payload: bytes,
        secret: bytes,
        *,
        timestamp: int | None = None,
        url: str | None = None,
        msg_id: str = "msg_test",
    ) -> dict[str, str]:
        if url is None:
            raise ValueError("Twilio signatures need the url")
        return {
            self.header: base64.b64encode(
                _mac(secret, self._message(payload, url), "sha1")
            ).decode()
        }


SCHEMES: Mapping[str, Callable[[], SignatureScheme]] = {
    "standard": StandardWebhooks,
    "stripe": StripeSignature,
    "github": GitHubSignature,
    "slack": SlackSignature,
    "twilio": TwilioSignature,
    "hmac": HMACSignature,
}
