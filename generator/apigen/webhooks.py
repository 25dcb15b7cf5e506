"""Webhooks in the IR: the requests an API sends, and how it signs them.

OAS 3.1 ``webhooks`` and the older ``x-webhooks`` (GitHub) describe each event as an
operation: its request body is the event's payload, its header parameters what
arrives with it. Each becomes an ``ir.Webhook`` with its payload type and the marks
that tell events apart at run time (an event-type header's value, top-level fields
with one allowed value). The signature scheme comes from the configuration
(``x-apigen-webhooks``), else from a signature header the webhooks declare, else from
the API's host, else Standard Webhooks.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .diagnostics import ApigenError, pointer
from .context import mapping, sequence
from .ir import ANY, PyType, Webhook, WebhookSignature
from .media import pick_media
from .naming import pascal

if TYPE_CHECKING:
    from .context import SpecContext

EXTENSION = "x-apigen-webhooks"
SCHEMES = ("standard", "stripe", "github", "slack", "twilio", "hmac")
CONFIG_KEYS = frozenset(
    {"scheme", "secret_env", "header", "encoding", "prefix", "algorithm", "tolerance"}
)
# the extension can come from a spec too: these values reach code, README and env lookups
_CONFIG_PATTERNS = {
    "header": re.compile(r"[A-Za-z0-9-]{1,64}"),
    "prefix": re.compile(r"[A-Za-z0-9=:._-]{0,32}"),
    "secret_env": re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}"),
}
_METHODS = ("post", "put", "patch", "get", "delete")

# signature header a webhook declares -> scheme
_SIGNATURE_HEADERS = {
    "webhook-signature": "standard",
    "stripe-signature": "stripe",
    "x-hub-signature-256": "github",
    "x-slack-signature": "slack",
    "x-twilio-signature": "twilio",
}
# scheme -> the runtime's class, and how the generated docs name it
SCHEME_CLASSES = {
    "standard": "StandardWebhooks",
    "stripe": "StripeSignature",
    "github": "GitHubSignature",
    "slack": "SlackSignature",
    "twilio": "TwilioSignature",
    "hmac": "HMACSignature",
}
SCHEME_TITLES = {
    "standard": "Standard Webhooks",
    "stripe": "Stripe-Signature",
    "github": "X-Hub-Signature-256",
    "slack": "X-Slack-Signature",
    "twilio": "X-Twilio-Signature",
    "hmac": "an HMAC of the body",
}
# API host (or a parent domain) -> scheme, for specs that do not describe their webhooks
_HOSTS = {
    "api.openai.com": "standard",
    "api.stripe.com": "stripe",
    "api.github.com": "github",
    "slack.com": "slack",
    "twilio.com": "twilio",
}
# the component schema of the one event envelope, for APIs whose spec has no webhooks
_ENVELOPES = {"stripe": "event"}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _fixed_string(builder: SpecContext, schema: Any) -> str | None:
    """The only value a string schema allows (``const`` or a one-value ``enum``)."""
    schema = builder.deref(schema)
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("const"), str):
        return str(schema["const"])
    enum = schema.get("enum")
    if isinstance(enum, list) and len(enum) == 1 and isinstance(enum[0], str):
        return enum[0]
    return None


def _properties(builder: SpecContext, schema: Any, depth: int = 0) -> dict[str, Any]:
    """Top-level properties of an object schema, through allOf (bounded)."""
    schema = builder.deref(schema)
    props: dict[str, Any] = {}
    if not isinstance(schema, dict) or depth > 8:
        return props
    for part in schema.get("allOf") or []:
        props.update(_properties(builder, part, depth + 1))
    if isinstance(schema.get("properties"), dict):
        props.update(schema["properties"])
    return props


def _fixed_fields(builder: SpecContext, schema: Any, depth: int = 0) -> set[tuple[str, str]]:
    """Top-level string fields with one allowed value; for oneOf/anyOf, those all members fix."""
    found = {
        (str(k), v)
        for k, v in (
            (k, _fixed_string(builder, p)) for k, p in _properties(builder, schema).items()
        )
        if v is not None
    }
    schema = builder.deref(schema)
    members = (schema.get("oneOf") or schema.get("anyOf")) if isinstance(schema, dict) else None
    if isinstance(members, list) and members and depth < 8:
        shared = set.intersection(*(_fixed_fields(builder, m, depth + 1) for m in members))
        found |= shared
    return found


def _is_event_header(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith("-event") or lowered.endswith("-event-type")


def _event_header(
    builder: SpecContext, path_item: dict[str, Any], op: dict[str, Any]
) -> tuple[str, str] | None:
    for raw in sequence(path_item.get("parameters")) + sequence(op.get("parameters")):
        param = builder.deref(raw)
        if (
            not isinstance(param, dict)
            or param.get("in") != "header"
            or not isinstance(param.get("name"), str)
        ):
            continue
        if not _is_event_header(param["name"]):
            continue
        value = _fixed_string(builder, param.get("schema"))
        if value is None and isinstance(param.get("example"), str):
            value = param["example"]
        if value:
            return param["name"], value
    return None


def _signature_headers(
    builder: SpecContext, items: list[tuple[str, dict[str, Any], dict[str, Any]]]
) -> str | None:
    for _name, path_item, op in items:
        for raw in sequence(path_item.get("parameters")) + sequence(op.get("parameters")):
            param = builder.deref(raw)
            if isinstance(param, dict) and param.get("in") == "header":
                scheme = _SIGNATURE_HEADERS.get(str(param.get("name", "")).lower())
                if scheme:
                    return scheme
    return None


def _host_scheme(servers: tuple[str, ...]) -> tuple[str, str] | None:
    for url in servers:
        host = (urlsplit(url).hostname or "").lower()
        for known, scheme in _HOSTS.items():
            if host == known or host.endswith("." + known):
                return scheme, host
    return None


def _items(builder: SpecContext) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, path item, operation) of every webhook, ``webhooks`` first, each name once."""
    out, seen = [], set()
    for key in ("webhooks", "x-webhooks"):
        section = builder.spec.get(key)
        for name, raw in section.items() if isinstance(section, dict) else ():
            path_item = builder.deref(raw)
            if str(name) in seen or not isinstance(path_item, dict):
                continue
            seen.add(str(name))
            for method in _METHODS:
                op = path_item.get(method)
                if isinstance(op, dict):
                    out.append((str(name), path_item, op))
                    break
            else:
                builder.skip(pointer(key, name), "webhook has no operation (post, put, ...)")
    return out


def _webhook(
    builder: SpecContext, name: str, path_item: dict[str, Any], op: dict[str, Any]
) -> Webhook:

    body = builder.deref(op.get("requestBody"))
    content = body.get("content") if isinstance(body, dict) else None
    picked = pick_media(content) if isinstance(content, dict) and content else None
    ptype, media = ANY, "application/json"
    fields: tuple[tuple[str, str], ...] = ()
    if picked is not None:
        _kind, media, obj = picked
        schema = obj.get("schema")
        if isinstance(schema, dict) and schema:
            ptype = builder.registry.type_of(schema, pascal(name) + "Event")
            fields = tuple(sorted(_fixed_fields(builder, schema)))
    description = _text(op.get("description")) or _text(op.get("summary"))
    return Webhook(name, description, ptype, media, _event_header(builder, path_item, op), fields)


def _configured(builder: SpecContext) -> dict[str, Any] | None:
    raw = builder.spec.get(EXTENSION)
    return None if raw is None else webhook_config(raw, "x-apigen-webhooks")


def webhook_config(raw: Any, where: str) -> dict[str, Any]:
    """The checked ``webhooks`` table of a client's configuration (or the extension)."""
    if (
        not isinstance(raw, dict)
        or not set(raw) <= CONFIG_KEYS
        or raw.get("scheme", "standard") not in SCHEMES
    ):
        raise ApigenError(
            f"{where}: webhooks must be a table with keys {sorted(CONFIG_KEYS)}; "
            f"scheme one of {', '.join(SCHEMES)}"
        )
    for key, pattern in _CONFIG_PATTERNS.items():
        if key in raw and not (isinstance(raw[key], str) and pattern.fullmatch(raw[key])):
            raise ApigenError(f"{where}: webhooks {key} must match {pattern.pattern}")
    if raw.get("scheme") == "hmac" and not isinstance(raw.get("header"), str):
        raise ApigenError(
            f"{where}: webhooks scheme 'hmac' needs header = \"X-...\" (the signature header)"
        )
    if raw.get("encoding", "hex") not in ("hex", "base64"):
        raise ApigenError(f"{where}: webhooks encoding must be hex or base64")
    if raw.get("algorithm", "sha256") not in ("sha1", "sha256", "sha512"):
        raise ApigenError(f"{where}: webhooks algorithm must be sha1, sha256 or sha512")
    tolerance = raw.get("tolerance", 300)
    if not isinstance(tolerance, int) or isinstance(tolerance, bool) or tolerance < 0:
        raise ApigenError(f"{where}: webhooks tolerance must be a number of seconds")
    return dict(raw)


def qualified(ptype: PyType) -> str:
    """The type expression with every model class as ``models.<Name>`` (no bare imports
    that could shadow the module's own names; each model loads when first used)."""

    class Qualify(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id in ptype.models:
                return ast.copy_location(
                    ast.Attribute(ast.Name("models", ast.Load()), node.id, ast.Load()), node
                )
            return node

    return ast.unparse(Qualify().visit(ast.parse(ptype.expr, mode="eval")))


def scheme_expression(sig: WebhookSignature) -> str:
    """The Python expression that builds the runtime scheme (values as literals)."""
    from .formatting import pyrepr

    if sig.scheme == "hmac":
        values = (
            ("header", sig.header),
            ("encoding", sig.encoding),
            ("prefix", sig.prefix),
            ("algorithm", sig.algorithm),
        )
        args = ", ".join(f"{k}={pyrepr(v)}" for k, v in values)
    elif sig.scheme in ("standard", "stripe", "slack"):
        args = f"tolerance={int(sig.tolerance)}"
    else:
        args = ""
    return f"{SCHEME_CLASSES[sig.scheme]}({args})"


def build_webhooks(
    builder: SpecContext, servers: tuple[str, ...]
) -> tuple[tuple[Webhook, ...], WebhookSignature | None]:
    """The API's webhooks and its signature scheme (None: it sends none that we know of)."""
    items = _items(builder)
    webhooks = []
    for name, path_item, op in items:
        try:
            webhooks.append(_webhook(builder, name, path_item, op))
        except ApigenError:
            raise
        except Exception as exc:  # apigen's own bug: never a silent "skipped" entry
            exc.add_note(f"while building webhook {pointer('webhooks', name)}")
            raise
    config = _configured(builder)
    detected = _signature_headers(builder, items)
    host = _host_scheme(servers)
    if config is not None:
        scheme, source = str(config.get("scheme", "standard")), "configuration"
    elif detected:
        scheme, source = detected, "the signature header the webhooks declare"
    elif host:
        scheme, source = host[0], f"the API's host {host[1]}"
    elif webhooks:
        scheme, source = (
            "standard",
            "default (Standard Webhooks); set [tool.apigen] webhooks to change it",
        )
    else:
        return (), None
    envelope = _ENVELOPES.get(scheme)
    components = mapping(mapping(builder.spec.get("components")).get("schemas"))
    if not webhooks and envelope is not None and envelope in components:
        ref = {"$ref": "#/components/schemas/" + envelope}
        webhooks.append(
            Webhook(
                envelope,
                "Every event the API sends.",
                builder.registry.type_of(ref, "Event"),
                "application/json",
            )
        )
    config = config or {}
    signature = WebhookSignature(
        scheme=scheme,
        env=str(config.get("secret_env") or f"{builder.env_prefix}_WEBHOOK_SECRET"),
        source=source,
        header=config.get("header"),
        encoding=str(config.get("encoding", "hex")),
        prefix=str(config.get("prefix", "")),
        algorithm=str(config.get("algorithm", "sha256")),
        tolerance=int(config.get("tolerance", 300)),
    )
    return tuple(webhooks), signature
