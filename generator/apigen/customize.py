"""Per-client options from the configuration, applied to the spec before the IR.

```toml
[[tool.apigen.clients]]
name = "github"
spec = "specs/github.json"
include_tags = ["repos", "issues"]          # or exclude_tags
exclude_operations = ["repos/delete"]       # operationIds or "METHOD /path"; or include_operations
base_url = "https://github.example.com/api/v3"
[tool.apigen.clients.names]                 # operationId -> method name, tag -> resource name
"repos/get" = "fetch"
"tag:repos" = "repositories"
"GET /repos/{owner}/{repo}/topics" = "repos.topics.list"   # a dotted value: resource and method
"resource:repos.topics" = "topics"          # moves a resource and what hangs below it
[tool.apigen.clients.pagination]            # operationId -> x-apigen-pagination
"repos/list-for-org" = { style = "link" }
[tool.apigen.clients.auth]                  # declare or override security schemes
token = { type = "bearer", keyword = "token", env = "GITHUB_TOKEN", optional = true }
```

``webhooks = { scheme = "stripe" }`` sets how the API signs its webhooks (standard,
stripe, github, slack, twilio, or hmac with ``header``, ``encoding``, ``prefix``), with
``secret_env`` and ``tolerance`` (seconds).

``idempotency_key = true`` (or a header name) gives every POST and PATCH a generated
idempotency key, retried like a GET; ``false`` never adds one (Stripe, and operations
declaring an ``Idempotency-Key`` header, get keys by default).

``error_envelope = { flag = "ok", error_value = false }`` declares that a success body
with that flag value is the API's error (``false`` turns the detection off).

Working on the spec keeps the rest of the pipeline unaware of configuration:
names and pagination become ``x-apigen-*`` extensions the IR builder reads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import ApigenError
from .ir import Skipped
from .idempotency import EXTENSION as IDEMPOTENCY_EXTENSION, config_value as idempotency_config
from .spec_walk import first_tag, iter_operations, resolve_pointer
from .surface import NAMING_CONTEXT, naming_stub
from .webhooks import EXTENSION as WEBHOOKS_EXTENSION, webhook_config

OPTION_KEYS = frozenset(
    {
        "include_tags",
        "exclude_tags",
        "include_operations",
        "exclude_operations",
        "names",
        "pagination",
        "base_url",
        "error_envelope",
        "webhooks",
        "auth",
        "idempotency_key",
    }
)
# keys of one [tool.apigen.clients.auth] entry: OpenAPI's, plus apigen's names and optional
AUTH_KEYS = frozenset({"type", "scheme", "in", "name", "keyword", "env", "optional", "description"})
_AUTH_TYPES = {
    "bearer": ("http", "bearer"),
    "basic": ("http", "basic"),
    "apiKey": ("apiKey", None),
    "http": ("http", None),
}


@dataclass(frozen=True)
class Options:
    include_tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    include_operations: tuple[str, ...] = ()
    exclude_operations: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    pagination: dict[str, dict[str, Any]] = field(default_factory=dict)
    base_url: str | None = None
    # x-apigen-error-envelope for every operation: {flag = "ok", error_value = false}, or
    # false to turn the detection off
    error_envelope: dict[str, Any] | bool | None = None
    # x-apigen-webhooks: the signature scheme, e.g. {scheme = "stripe"} or
    # {scheme = "hmac", header = "X-Signature", encoding = "base64"}; see webhooks.py
    webhooks: dict[str, Any] | None = None
    auth: dict[str, dict[str, Any]] = field(default_factory=dict)
    # x-apigen-idempotency-key: every POST/PATCH takes a key (true or the header's name),
    # or none does (false); None: Stripe, and operations that declare the header
    idempotency_key: str | bool | None = None

    @classmethod
    def from_config(cls, raw: dict[str, Any], where: str) -> Options:
        def strings(key: str) -> tuple[str, ...]:
            value = raw.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ApigenError(f"{where}: {key} must be a list of strings")
            return tuple(value)

        names = raw.get("names", {})
        pagination = raw.get("pagination", {})
        if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
            raise ApigenError(f"{where}: names must map operationIds (or 'tag:NAME') to strings")
        if not isinstance(pagination, dict) or not all(
            isinstance(v, dict) for v in pagination.values()
        ):
            raise ApigenError(f"{where}: pagination must map operationIds to tables")
        base_url = raw.get("base_url")
        if base_url is not None and not isinstance(base_url, str):
            raise ApigenError(f"{where}: base_url must be a string")
        envelope = raw.get("error_envelope")
        if not (envelope is None or envelope is False or _envelope_table(envelope)):
            raise ApigenError(
                f"{where}: error_envelope must be false or a table "
                '{flag = "ok", error_value = false}'
            )
        hooks = raw.get("webhooks")
        if hooks is not None:
            webhook_config(hooks, where)
        return cls(
            strings("include_tags"),
            strings("exclude_tags"),
            strings("include_operations"),
            strings("exclude_operations"),
            dict(names),
            dict(pagination),
            base_url,
            dict(envelope) if isinstance(envelope, dict) else envelope,
            dict(hooks) if hooks is not None else None,
            _auth_table(raw.get("auth", {}), where),
            None
            if raw.get("idempotency_key") is None
            else idempotency_config(raw["idempotency_key"], where),
        )

    def key(self) -> str:
        return repr(self)

    @property
    def empty(self) -> bool:
        return self == Options()


def _envelope_table(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("flag"), str)
        and set(value) <= {"flag", "error_value"}
        and isinstance(value.get("error_value", False), (bool, str, int))
    )


def _auth_table(raw: Any, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ApigenError(f"{where}: auth must map scheme names to tables")
    for name, entry in raw.items():
        unknown = set(entry) - AUTH_KEYS
        if unknown:
            raise ApigenError(
                f"{where}: auth.{name} has unknown keys {sorted(unknown)} "
                f"(known: {', '.join(sorted(AUTH_KEYS))})"
            )
        if "type" in entry and entry["type"] not in _AUTH_TYPES:
            raise ApigenError(
                f"{where}: auth.{name}.type must be one of {', '.join(sorted(_AUTH_TYPES))}"
            )
        located = entry.get("in") in ("header", "query", "cookie")
        located = located and isinstance(entry.get("name"), str)
        if entry.get("type") == "apiKey" and not located:
            raise ApigenError(
                f"{where}: auth.{name} (apiKey) needs in = header|query|cookie and name"
            )
        for key in ("keyword", "env", "scheme", "description"):
            if key in entry and not isinstance(entry[key], str):
                raise ApigenError(f"{where}: auth.{name}.{key} must be a string")
    return {str(k): dict(v) for k, v in raw.items()}


def _apply_auth(spec: dict[str, Any], auth: dict[str, dict[str, Any]]) -> None:
    """Declared schemes join (or change) components.securitySchemes; a spec that had
    none then requires one of them (or nothing, for the ones marked optional)."""
    components = spec.setdefault("components", {})
    schemes = components.setdefault("securitySchemes", {})
    had_schemes = bool(schemes)
    for name, entry in auth.items():
        scheme = dict(schemes.get(name) or {})
        if "type" in entry:
            kind, http_scheme = _AUTH_TYPES[entry["type"]]
            scheme = {"type": kind}
            if http_scheme:
                scheme["scheme"] = http_scheme
        for key in ("scheme", "in", "name", "description"):
            if key in entry:
                scheme[key] = entry[key]
        for key in ("keyword", "env"):
            if key in entry:
                scheme[f"x-apigen-{key}"] = entry[key]
        if "type" not in scheme:
            raise ApigenError(
                f"auth.{name}: the spec has no security scheme {name!r}; give its type"
            )
        schemes[name] = scheme
    if not had_schemes or not spec.get("security"):
        anyone = any(e.get("optional") for e in auth.values())
        optional: list[dict[str, Any]] = [{}] if anyone else []
        spec["security"] = [{name: []} for name in auth] + optional


def _local_deref(spec: dict[str, Any], node: Any) -> Any:
    for _ in range(50):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        try:
            node = resolve_pointer(spec, node["$ref"])
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return None


def _matches(op: dict[str, Any], method: str, path: str, wanted: tuple[str, ...]) -> bool:
    return op.get("operationId") in wanted or f"{method.upper()} {path}" in wanted


def apply_options(spec: dict[str, Any], options: Options) -> tuple[dict[str, Any], list[Skipped]]:
    """A copy of ``spec`` with the client's options applied, and what they left out."""
    if options.empty:
        return spec, []
    spec = copy.deepcopy(spec)
    excluded: list[Skipped] = []
    context: list[dict[str, Any]] = []  # what names the operations kept as in the whole API
    seen: set[str] = set()
    for path, method, item, op in iter_operations(spec):
        op_id = op.get("operationId")
        tag = first_tag(op)
        where = f"{method.upper()} {path}"
        keep = True
        if options.include_tags and tag not in options.include_tags:
            keep = False
        if tag in options.exclude_tags:
            keep = False
        if options.include_operations and not _matches(
            op, method, path, options.include_operations
        ):
            keep = False
        if _matches(op, method, path, options.exclude_operations):
            keep = False
        if not keep:
            context.append(naming_stub(path, method, op, lambda node: _local_deref(spec, node)))
            del item[method]
            excluded.append(Skipped(where, "excluded by the client's configuration"))
            continue
        for key in (op_id, where):
            if isinstance(key, str) and key in options.names:
                op["x-apigen-name"] = options.names[key]
                seen.add(key)
            if isinstance(key, str) and key in options.pagination:
                op["x-apigen-pagination"] = options.pagination[key]
                seen.add(key)
        if f"tag:{tag}" in options.names:
            op["x-apigen-resource"] = options.names[f"tag:{tag}"]
            seen.add(f"tag:{tag}")
    spec.pop(NAMING_CONTEXT, None)
    if context:
        spec[NAMING_CONTEXT] = context
    renames = {k.split(":", 1)[1]: v for k, v in options.names.items() if k.startswith("resource:")}
    if renames:  # checked by the IR builder, which knows the resources
        spec["x-apigen-resource-names"] = renames
        seen |= {f"resource:{k}" for k in renames}
    unknown = sorted((set(options.names) | set(options.pagination)) - seen)
    if unknown:
        raise ApigenError(
            f"configuration names operations or tags the spec does not have: {', '.join(unknown)}"
        )
    if options.error_envelope is not None:
        spec["x-apigen-error-envelope"] = options.error_envelope
    if options.webhooks is not None:
        spec[WEBHOOKS_EXTENSION] = options.webhooks
    if options.auth:
        _apply_auth(spec, options.auth)
    if options.idempotency_key is not None:
        spec[IDEMPOTENCY_EXTENSION] = options.idempotency_key
    if options.base_url:
        spec["servers"] = [{"url": options.base_url}] + [
            s for s in spec.get("servers") or [] if isinstance(s, dict)
        ]
    return spec, excluded
