"""Credentials from securitySchemes: API key, HTTP bearer/basic, OAuth2.

Schemes (emitted by the generator) describe *where* a credential goes; credential
values come from the caller or from environment variables, so no secret needs to
sit in code. OAuth2 tokens are fetched on first use, cached, refreshed shortly
before expiry and once after a 401, with one refresh at a time across threads and
tasks. Nothing here puts a secret into a repr, a log line or an exception message.
"""

from __future__ import annotations

import base64
import ipaddress
import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence, Union

import httpx

from .decoding import decode_json
from .errors import APIConnectionError, APIResponseDecodeError, APITimeoutError, AuthenticationError
from .logs import redact_url

if TYPE_CHECKING:  # asyncio is imported only when an async client needs it
    import asyncio

__all__ = [
    "APIKeyScheme",
    "HTTPBearerScheme",
    "HTTPBasicScheme",
    "OAuth2Scheme",
    "SecurityScheme",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "OAuth2Session",
    "AuthPlan",
    "AuthState",
    "is_loopback",
    "insecure_host",
]

# Refresh a token this many seconds before the server says it expires, but never more
# than half its lifetime: a 20 s token is used for 10 s, not fetched on every call.
REFRESH_MARGIN = 30.0
REFRESH_MARGIN_SHARE = 0.5


def refresh_at(now: float, expires_in: Any) -> float | None:
    """When to fetch a new token, from ``expires_in`` as the server sent it (None:
    keep it until the server rejects it; absent, unreadable, non-finite or negative
    lifetimes say nothing usable)."""
    try:
        lifetime = float(expires_in)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(lifetime) or lifetime < 0.0:
        return None
    return now + lifetime - min(REFRESH_MARGIN, lifetime * REFRESH_MARGIN_SHARE)


@dataclass(frozen=True, slots=True)
class APIKeyScheme:
    """An API key sent in a header, query parameter or cookie named ``name``."""

    location: Literal["header", "query", "cookie"]
    name: str
    env: str | None = None
    keyword: str | None = None  # the client's keyword argument, named in error messages


@dataclass(frozen=True, slots=True)
class HTTPBearerScheme:
    """``Authorization: Bearer <token>``."""

    env: str | None = None
    keyword: str | None = None


@dataclass(frozen=True, slots=True)
class HTTPBasicScheme:
    """``Authorization: Basic``; credential ``(user, password)``, ``"user:password"``, or a bare
    key, sent as the user name with an empty password (Stripe's form)."""

    env: str | None = None
    keyword: str | None = None


@dataclass(frozen=True, slots=True)
class OAuth2Scheme:
    """OAuth2; the token endpoint and default scopes come from the spec."""

    token_url: str | None = None
    refresh_url: str | None = None
    scopes: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    env: str | None = None
    keyword: str | None = None


SecurityScheme = Union[APIKeyScheme, HTTPBearerScheme, HTTPBasicScheme, OAuth2Scheme]


@dataclass(frozen=True, slots=True)
class OAuth2ClientCredentials:
    """Client-credentials grant. ``auth_method`` "basic" (RFC 6749 default) or "body"."""

    client_id: str
    client_secret: str = field(repr=False)
    scopes: Sequence[str] | None = None
    token_url: str | None = None
    auth_method: Literal["basic", "body"] = "basic"


@dataclass(frozen=True, slots=True)
class OAuth2RefreshToken:
    """Refresh-token grant; client id/secret are optional (public clients)."""

    refresh_token: str = field(repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    token_url: str | None = None
    auth_method: Literal["basic", "body"] = "basic"


class OAuth2Session:
    """A cached access token for one OAuth2 scheme of one client."""

    def __init__(
        self,
        *,
        token_url: str | None,
        grant: OAuth2ClientCredentials | OAuth2RefreshToken | None = None,
        static_token: str | None = None,
        scopes: Sequence[str] = (),
    ) -> None:
        self.token_url = token_url
        self._grant = grant
        self._scopes = tuple(scopes)
        self._refresh_token = grant.refresh_token if isinstance(grant, OAuth2RefreshToken) else None
        self._token: str | None = static_token
        self._refresh_at: float | None = None
        self.clock = time.monotonic
        self.fetches = 0
        self._lock = threading.Lock()
        self._alock: asyncio.Lock | None = None
        self._alock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        kind = type(self._grant).__name__ if self._grant else "static token"
        url = redact_url(self.token_url) if self.token_url else None
        return f"OAuth2Session({kind}, token_url={url!r})"

    @property
    def can_refresh(self) -> bool:
        return self._grant is not None and self.token_url is not None

    def _fresh(self) -> str | None:
        tok = self._token
        if tok is None:
            return None
        due = self._refresh_at
        if due is not None and self.clock() >= due:
            return None
        return tok

    # -- token request ---------------------------------------------------------------

    def _token_request(self) -> tuple[dict[str, str], httpx.BasicAuth | None]:
        g = self._grant
        form: dict[str, str] = {}
        basic: httpx.BasicAuth | None = None
        if isinstance(g, OAuth2ClientCredentials):
            form["grant_type"] = "client_credentials"
            scopes = tuple(g.scopes) if g.scopes is not None else self._scopes
            if scopes:
                form["scope"] = " ".join(scopes)
            client_id, secret = g.client_id, g.client_secret
        elif isinstance(g, OAuth2RefreshToken):
            form["grant_type"] = "refresh_token"
            form["refresh_token"] = self._refresh_token or g.refresh_token
            client_id, secret = g.client_id or "", g.client_secret or ""
        else:
            raise RuntimeError("static OAuth2 token cannot be refreshed")
        if client_id and secret and g.auth_method == "basic":
            basic = httpx.BasicAuth(client_id, secret)
        else:
            if client_id:
                form["client_id"] = client_id
            if secret:
                form["client_secret"] = secret
        return form, basic

    def _accept(self, response: httpx.Response, now: float) -> str:
        url = redact_url(response.request.url)
        if response.status_code >= 400:
            detail = ""
            try:
                data = decode_json(response)
                if isinstance(data, dict) and isinstance(data.get("error"), str):
                    detail = f": {data['error'][:100]}"
            except APIResponseDecodeError:
                pass
            raise AuthenticationError(
                f"OAuth2 token request POST {url} -> {response.status_code}{detail}", response=response
            )
        try:
            data = decode_json(response)
        except APIResponseDecodeError:
            data = dict(httpx.QueryParams(response.text))
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthenticationError(f"OAuth2 token response from {url} has no access_token", response=response)
        self._refresh_at = refresh_at(now, data.get("expires_in"))
        new_refresh = data.get("refresh_token")
        if isinstance(new_refresh, str) and new_refresh:
            self._refresh_token = new_refresh
        self._token = token
        self.fetches += 1
        return token

    def _transport_error(self, exc: httpx.TransportError) -> APIConnectionError:
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        return cls(f"OAuth2 token request to {redact_url(self.token_url or '')} failed: {type(exc).__name__}")

    def _fetch(self, http: httpx.Client) -> str:
        form, basic = self._token_request()
        now = self.clock()
        try:
            response = http.post(
                self.token_url or "", data=form, auth=basic or httpx.USE_CLIENT_DEFAULT,
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        return self._accept(response, now)

    async def _afetch(self, http: httpx.AsyncClient) -> str:
        form, basic = self._token_request()
        now = self.clock()
        try:
            response = await http.post(
                self.token_url or "", data=form, auth=basic or httpx.USE_CLIENT_DEFAULT,
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        return self._accept(response, now)

    def _async_lock(self) -> asyncio.Lock:
        import asyncio

        loop = asyncio.get_running_loop()
        if self._alock is None or self._alock_loop is not loop:
            self._alock = asyncio.Lock()
            self._alock_loop = loop
        return self._alock

    # -- public API ------------------------------------------------------------------

    def token(self, http: httpx.Client) -> str | None:
        """A valid access token, fetching or refreshing it (once, under a lock) if needed."""
        tok = self._fresh()
        if tok is not None or not self.can_refresh:
            return tok if tok is not None else self._token
        with self._lock:
            tok = self._fresh()
            if tok is None:
                tok = self._fetch(http)
            return tok

    async def atoken(self, http: httpx.AsyncClient) -> str | None:
        tok = self._fresh()
        if tok is not None or not self.can_refresh:
            return tok if tok is not None else self._token
        async with self._async_lock():
            tok = self._fresh()
            if tok is None:
                tok = await self._afetch(http)
            return tok

    def refresh(self, http: httpx.Client, rejected: str | None) -> str | None:
        """After a 401 with token ``rejected``: a new token (only one caller fetches)."""
        if not self.can_refresh:
            return None
        with self._lock:
            if self._token is not None and self._token != rejected:
                return self._token  # someone else already refreshed
            self._token = None
            return self._fetch(http)

    async def arefresh(self, http: httpx.AsyncClient, rejected: str | None) -> str | None:
        if not self.can_refresh:
            return None
        async with self._async_lock():
            if self._token is not None and self._token != rejected:
                return self._token
            self._token = None
            return await self._afetch(http)


Placement = tuple[Literal["header", "query", "cookie"], str, str]


class AuthPlan:
    """What to attach to one request: fixed placements plus an optional OAuth2 session.

    ``missing`` says which credentials are needed when no alternative could be satisfied
    (the request is then not sent)."""

    __slots__ = ("static", "oauth", "missing")

    def __init__(self, static: tuple[Placement, ...] = (), oauth: OAuth2Session | None = None,
                 missing: str | None = None) -> None:
        self.static = static
        self.oauth = oauth
        self.missing = missing

    def __repr__(self) -> str:
        names = [f"{loc}:{name}" for loc, name, _ in self.static]
        return f"AuthPlan({names}, oauth={self.oauth is not None})"


_EMPTY_PLAN = AuthPlan()


def _env(name: str | None, suffix: str = "") -> str | None:
    if not name:
        return None
    return os.environ.get(name + suffix) or None


def is_loopback(host: str) -> bool:
    """localhost, *.localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_host(url: str) -> str | None:
    """The host of a plain-http URL that is not loopback (where credentials must not go)."""
    parsed = httpx.URL(url)
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        return parsed.host
    return None


def _describe(name: str, scheme: SecurityScheme) -> str:
    keyword = f"{scheme.keyword}=" if scheme.keyword else f"credentials[{name!r}]"
    env = f" or set ${scheme.env}" if scheme.env else ""
    return keyword + env


def _checked(name: str, scheme: SecurityScheme, value: Any, cookie: bool = False) -> str:
    """A usable text credential, or an error naming the scheme (never the value)."""
    if not isinstance(value, str):
        raise TypeError(f"credential for security scheme {name!r} must be a string, "
                        f"not {type(value).__name__}")
    if not value:
        raise ValueError(f"credential for security scheme {name!r} is empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or (cookie and ";" in value):
        raise ValueError(f"credential for security scheme {name!r} contains characters "
                         "a request cannot carry")
    return value


class AuthState:
    """Resolved credentials of one client and the per-operation choice of alternative.

    Raises at construction for a credential that cannot be used, and for credentials
    that would go over plain http to a host that is not loopback (unless allowed)."""

    def __init__(
        self,
        schemes: Mapping[str, SecurityScheme],
        credentials: Mapping[str, Any],
        default_security: tuple[tuple[str, ...], ...],
        base_url: str,
        allow_insecure_http: bool = False,
    ) -> None:
        self.default_security = default_security
        self._schemes = schemes
        self._resolved: dict[str, Placement | OAuth2Session] = {}
        query_names: set[str] = set()
        header_names: set[str] = {"authorization"}
        for name, scheme in schemes.items():
            value = credentials.get(name)
            resolved = self._resolve(name, scheme, value, base_url)
            if resolved is not None:
                self._resolved[name] = resolved
            if isinstance(scheme, APIKeyScheme) and scheme.location == "query":
                query_names.add(scheme.name)
            if isinstance(scheme, APIKeyScheme) and scheme.location == "header":
                header_names.add(scheme.name.lower())
        if not allow_insecure_http:
            self._refuse_plain_http(base_url)
        self.query_names = frozenset(query_names)
        self.header_names = frozenset(header_names)  # where a caller's own credential may sit
        self._plans: dict[Any, AuthPlan] = {}

    def __repr__(self) -> str:
        return f"AuthState(schemes with credentials={sorted(self._resolved)})"

    def _refuse_plain_http(self, base_url: str) -> None:
        for name, resolved in self._resolved.items():
            targets = [base_url]
            if isinstance(resolved, OAuth2Session) and resolved.token_url:
                targets.append(resolved.token_url)
            for url in targets:
                host = insecure_host(url)
                if host is not None:
                    what = "token URL" if url is not base_url else "base_url"
                    raise ValueError(
                        f"refusing to send credentials of security scheme {name!r} over plain "
                        f"http to {host!r} ({what} {redact_url(url)}): use an https URL, or pass "
                        f"allow_insecure_http=True if this network is trusted"
                    )

    @property
    def available(self) -> frozenset[str]:
        return frozenset(self._resolved)

    def oauth_sessions(self) -> list[OAuth2Session]:
        return [v for v in self._resolved.values() if isinstance(v, OAuth2Session)]

    @staticmethod
    def _resolve(name: str, scheme: SecurityScheme, value: Any,
                 base_url: str) -> Placement | OAuth2Session | None:
        if isinstance(scheme, APIKeyScheme):
            key = value if value is not None else _env(scheme.env)
            if key is None:
                return None
            cookie = scheme.location == "cookie"
            return (scheme.location, scheme.name, _checked(name, scheme, key, cookie))
        if isinstance(scheme, HTTPBearerScheme):
            token = value if value is not None else _env(scheme.env)
            if token is None:
                return None
            return ("header", "Authorization", "Bearer " + _checked(name, scheme, token))
        if isinstance(scheme, HTTPBasicScheme):
            return AuthState._resolve_basic(name, scheme, value)
        if isinstance(scheme, OAuth2Scheme):
            return AuthState._resolve_oauth(name, scheme, value, base_url)
        return None

    @staticmethod
    def _resolve_basic(name: str, scheme: HTTPBasicScheme, value: Any) -> Placement | None:
        if value is None:
            user, pw = _env(scheme.env, "_USERNAME"), _env(scheme.env, "_PASSWORD")
            value = (user, pw) if user is not None and pw is not None else _env(scheme.env)
        if value is None:
            return None
        if isinstance(value, str):
            user, sep, pw = _checked(name, scheme, value).partition(":")
            value = (user, pw)  # a bare key is the user name, with an empty password
        if (not isinstance(value, (tuple, list)) or len(value) != 2
                or not all(isinstance(v, str) for v in value)):
            raise TypeError(f"credential for security scheme {name!r} (HTTP basic) must be a key, "
                            f"'user:password' or a (user, password) tuple")
        if not value[0] and not value[1]:
            raise ValueError(f"credential for security scheme {name!r} is empty")
        raw = f"{value[0]}:{value[1]}".encode("utf-8")
        return ("header", "Authorization", "Basic " + base64.b64encode(raw).decode("ascii"))

    @staticmethod
    def _resolve_oauth(name: str, scheme: OAuth2Scheme, value: Any,
                       base_url: str) -> OAuth2Session | None:
        if value is None and scheme.env:
            env = scheme.env
            refresh, cid, secret = _env(env, "_REFRESH_TOKEN"), _env(env, "_CLIENT_ID"), _env(env, "_CLIENT_SECRET")
            client_credentials_ok = not scheme.flows or "clientCredentials" in scheme.flows
            if cid and secret and (client_credentials_ok or not refresh):
                value = OAuth2ClientCredentials(cid, secret)
            elif refresh:
                value = OAuth2RefreshToken(refresh, client_id=cid, client_secret=secret)
            else:
                value = _env(env)
        if value is None:
            return None
        if isinstance(value, str):
            return OAuth2Session(token_url=None, static_token=_checked(name, scheme, value))

        def absolute(url: str | None) -> str | None:
            return str(httpx.URL(base_url).join(url)) if url else None

        if isinstance(value, OAuth2ClientCredentials):
            url = absolute(value.token_url or scheme.token_url)
        elif isinstance(value, OAuth2RefreshToken):
            url = absolute(value.token_url or scheme.refresh_url or scheme.token_url)
        else:
            raise TypeError(f"credential for security scheme {name!r} (OAuth2) must be a token, "
                            "OAuth2ClientCredentials or OAuth2RefreshToken, not "
                            f"{type(value).__name__}")
        if url is None:
            raise ValueError(f"security scheme {name!r} (OAuth2) has no token URL in the spec: "
                             f"pass token_url= to {type(value).__name__}")
        return OAuth2Session(token_url=url, grant=value, scopes=scheme.scopes)

    def _missing(self, alternatives: tuple[tuple[str, ...], ...]) -> str:
        options = []
        for alt in alternatives:
            needed = [_describe(n, self._schemes[n]) for n in alt
                      if n in self._schemes and n not in self._resolved]
            if needed:
                options.append(" and ".join(needed))
        named = ", ".join("+".join(a) for a in alternatives)
        return "; or ".join(options) or "credentials for " + named

    def plan(self, security: tuple[tuple[str, ...], ...] | None) -> AuthPlan:
        """First alternative whose schemes all have credentials; a plan naming what is
        missing when there is none (an empty alternative means credentials are optional)."""
        try:
            return self._plans[security]
        except KeyError:
            pass
        alternatives = self.default_security if security is None else security
        plan = _EMPTY_PLAN if not alternatives else AuthPlan(missing=self._missing(alternatives))
        for alt in alternatives:
            if all(name in self._resolved for name in alt):
                static: list[Placement] = []
                oauth = None
                for name in alt:
                    r = self._resolved[name]
                    if isinstance(r, OAuth2Session):
                        oauth = r
                    else:
                        static.append(r)
                plan = AuthPlan(tuple(static), oauth)
                break
        self._plans[security] = plan
        return plan
