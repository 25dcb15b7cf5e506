"""Credentials from securitySchemes: API key, HTTP bearer/basic, OAuth2.

Schemes (emitted by the generator) describe *where* a credential goes; credential
values come from the caller or from environment variables, so no secret needs to
sit in code. OAuth2 tokens are fetched on first use, cached, refreshed shortly
before expiry and once after a 401, with one refresh at a time across threads and
tasks. With a ``TokenStore`` (tokenstore.py) every token obtained is saved and the
stored one is read back first, so a refresh token outlives the process, and a token
another process refreshed is used rather than refreshed again. Nothing here puts a
secret into a repr, a log line or an exception message.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import math
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence, Union

import httpx

from .decoding import decode_json
from .errors import (
    APIConnectionError,
    APIResponseDecodeError,
    APITimeoutError,
    AuthenticationError,
    MissingCredentialsError,
)
from .logs import redact_url
from .tokenstore import OAuthToken, TokenStore

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
    "OAuth2AuthorizationCode",
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
    """OAuth2; the token endpoint and default scopes come from the spec.

    ``authorization_url`` and ``code_token_url`` are the authorizationCode flow's own
    endpoints (its token URL may differ from the client-credentials one)."""

    token_url: str | None = None
    refresh_url: str | None = None
    scopes: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    env: str | None = None
    keyword: str | None = None
    authorization_url: str | None = None
    code_token_url: str | None = None


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


@dataclass(frozen=True, slots=True)
class OAuth2AuthorizationCode:
    """Authorization-code grant with PKCE: a user consents in the browser
    (``client.oauth.authorization_url``), the app trades the code for tokens
    (``client.oauth.exchange_code``), and refreshes them from then on.

    ``store`` keeps the tokens across restarts (``FileTokenStore``; default: memory
    only), under ``store_key`` (default: client id and token host; give one per user
    when one app acts for several). Public clients have no ``client_secret``."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str | None = None
    store: TokenStore | None = None
    store_key: str | None = None
    scopes: Sequence[str] | None = None
    token_url: str | None = None
    authorization_url: str | None = None
    auth_method: Literal["basic", "body"] = "basic"


Grant = Union[OAuth2ClientCredentials, OAuth2RefreshToken, OAuth2AuthorizationCode]


class OAuth2Session:
    """A cached access token for one OAuth2 scheme of one client."""

    def __init__(
        self,
        *,
        token_url: str | None,
        grant: Grant | None = None,
        static_token: str | None = None,
        scopes: Sequence[str] = (),
        authorization_url: str | None = None,
    ) -> None:
        self.token_url = token_url
        self.authorization_url = authorization_url
        self._grant = grant
        self._scopes = tuple(scopes)
        self._refresh_token = grant.refresh_token if isinstance(grant, OAuth2RefreshToken) else None
        self._token: str | None = static_token
        self._refresh_at: float | None = None
        self.clock = time.monotonic
        self.wall_clock = time.time
        self.fetches = 0
        self.store: TokenStore | None = getattr(grant, "store", None)
        self.store_key: str = getattr(grant, "store_key", None) or self._default_store_key()
        self._loaded = self.store is None  # the store is read once, on first use
        # who the calls are, for the conditional-request cache key: the token itself is
        # stable for a static token; a refreshed one is this session, in this process
        self.cache_identity = (
            hashlib.sha256(static_token.encode()).hexdigest()
            if static_token
            else secrets.token_hex(16)
        )
        self._lock = threading.Lock()
        self._alock: asyncio.Lock | None = None
        self._alock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        kind = type(self._grant).__name__ if self._grant else "static token"
        url = redact_url(self.token_url) if self.token_url else None
        return f"OAuth2Session({kind}, token_url={url!r})"

    def _default_store_key(self) -> str:
        client_id = getattr(self._grant, "client_id", None) or ""
        host = httpx.URL(self.token_url).host if self.token_url else ""
        return f"{client_id}@{host}"

    @property
    def grant(self) -> Grant | None:
        return self._grant

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scheme's scopes, as the spec lists them."""
        return self._scopes

    @property
    def can_refresh(self) -> bool:
        if self._grant is None or self.token_url is None:
            return False
        if isinstance(self._grant, OAuth2AuthorizationCode):
            return self._refresh_token is not None
        return True

    # -- the token store -------------------------------------------------------------

    def _adopt(self, stored: OAuthToken | None) -> bool:
        """Take a stored token as the live one; False when there is none to take."""
        if stored is None:
            return False
        self._token = stored.access_token
        if stored.refresh_token:
            self._refresh_token = stored.refresh_token
        if stored.expires_at is None:
            self._refresh_at = None
        else:
            left = stored.expires_at - self.wall_clock()
            self._refresh_at = refresh_at(self.clock(), max(left, 0.0))
        return True

    def _load(self) -> None:
        if not self._loaded:
            assert self.store is not None
            self._adopt(self.store.load(self.store_key))
            self._loaded = True

    async def _aload(self) -> None:
        if not self._loaded:
            assert self.store is not None
            self._adopt(await self.store.aload(self.store_key))
            self._loaded = True

    def _newer(self, stored: OAuthToken | None, rejected: str | None) -> bool:
        """Adopt a token another process saved meanwhile; True if it is usable."""
        if stored is None or stored.access_token in (rejected, self._token):
            return False
        self._adopt(stored)
        return self._fresh() is not None

    def _missing(self) -> MissingCredentialsError:
        return MissingCredentialsError(
            "OAuth2 authorization code: no token yet; send the user to "
            "client.oauth.authorization_url(...) and pass the code to client.oauth.exchange_code"
        )

    def _fresh(self) -> str | None:
        tok = self._token
        if tok is None:
            return None
        due = self._refresh_at
        if due is not None and self.clock() >= due:
            return None
        return tok

    # -- token request ---------------------------------------------------------------

    def _token_request(
        self, fields: dict[str, str] | None = None
    ) -> tuple[dict[str, str], httpx.BasicAuth | None]:
        """The form and client authentication of a token request (``fields``: those of
        an authorization-code exchange; else this grant's fetch or refresh)."""
        g = self._grant
        if fields is not None and isinstance(g, OAuth2AuthorizationCode):
            return self._client_auth(
                dict(fields), g.client_id, g.client_secret or "", g.auth_method
            )
        form: dict[str, str] = {}
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
        elif isinstance(g, OAuth2AuthorizationCode):
            if self._refresh_token is None:
                raise self._missing()
            form["grant_type"] = "refresh_token"
            form["refresh_token"] = self._refresh_token
            client_id, secret = g.client_id, g.client_secret or ""
        else:
            raise RuntimeError("static OAuth2 token cannot be refreshed")
        return self._client_auth(form, client_id, secret, g.auth_method)

    @staticmethod
    def _client_auth(
        form: dict[str, str], client_id: str, secret: str, method: str
    ) -> tuple[dict[str, str], httpx.BasicAuth | None]:
        """Client id and secret as HTTP basic (RFC 6749's default) or in the form."""
        if client_id and secret and method == "basic":
            return form, httpx.BasicAuth(client_id, secret)
        if client_id:
            form["client_id"] = client_id
        if secret:
            form["client_secret"] = secret
        return form, None

    def _accept(self, response: httpx.Response, now: float) -> OAuthToken:
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
                f"OAuth2 token request POST {url} -> {response.status_code}{detail}",
                response=response,
            )
        try:
            data = decode_json(response)
        except APIResponseDecodeError:
            data = dict(httpx.QueryParams(response.text))
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthenticationError(
                f"OAuth2 token response from {url} has no access_token", response=response
            )
        expires_in = data.get("expires_in")
        self._refresh_at = refresh_at(now, expires_in)
        new_refresh = data.get("refresh_token")
        if isinstance(new_refresh, str) and new_refresh:
            self._refresh_token = new_refresh
        self._token = token
        self.fetches += 1
        expires_at = None
        if refresh_at(0.0, expires_in) is not None:  # a usable lifetime
            expires_at = self.wall_clock() + float(expires_in)
        scope = data.get("scope")
        return OAuthToken(
            token, self._refresh_token, expires_at, scope=scope if isinstance(scope, str) else None
        )

    def _transport_error(self, exc: httpx.TransportError) -> APIConnectionError:
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        token_url = redact_url(self.token_url or "")
        return cls(f"OAuth2 token request to {token_url} failed: {type(exc).__name__}")

    def _fetch(self, http: httpx.Client, fields: dict[str, str] | None = None) -> OAuthToken:
        form, basic = self._token_request(fields)
        now = self.clock()
        try:
            response = http.post(
                self.token_url or "",
                data=form,
                auth=basic or httpx.USE_CLIENT_DEFAULT,
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        record = self._accept(response, now)
        if self.store is not None:
            self.store.save(self.store_key, record)
        return record

    async def _afetch(
        self, http: httpx.AsyncClient, fields: dict[str, str] | None = None
    ) -> OAuthToken:
        form, basic = self._token_request(fields)
        now = self.clock()
        try:
            response = await http.post(
                self.token_url or "",
                data=form,
                auth=basic or httpx.USE_CLIENT_DEFAULT,
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        record = self._accept(response, now)
        if self.store is not None:
            await self.store.asave(self.store_key, record)
        return record

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
        if tok is not None or (self._loaded and not self.can_refresh and not self._needs_code()):
            return tok if tok is not None else self._token
        with self._lock:
            self._load()
            tok = self._fresh()
            if tok is not None:
                return tok
            if not self.can_refresh:
                if self._needs_code():
                    raise self._missing()
                return self._token
            return self._fetch_single(http, self._token)

    async def atoken(self, http: httpx.AsyncClient) -> str | None:
        tok = self._fresh()
        if tok is not None or (self._loaded and not self.can_refresh and not self._needs_code()):
            return tok if tok is not None else self._token
        async with self._async_lock():
            await self._aload()
            tok = self._fresh()
            if tok is not None:
                return tok
            if not self.can_refresh:
                if self._needs_code():
                    raise self._missing()
                return self._token
            return await self._afetch_single(http, self._token)

    def _needs_code(self) -> bool:
        return self._token is None and isinstance(self._grant, OAuth2AuthorizationCode)

    def _fetch_single(self, http: httpx.Client, rejected: str | None) -> str:
        """Fetch, this thread holding the session's lock, under the store's lock too,
        unless another process saved a new token meanwhile."""
        if self.store is None:
            return self._fetch(http).access_token
        with self.store.lock(self.store_key):
            if self._newer(self.store.load(self.store_key), rejected):
                return self._token or ""
            return self._fetch(http).access_token

    async def _afetch_single(self, http: httpx.AsyncClient, rejected: str | None) -> str:
        if self.store is None:
            return (await self._afetch(http)).access_token
        async with self.store.alock(self.store_key):
            if self._newer(await self.store.aload(self.store_key), rejected):
                return self._token or ""
            return (await self._afetch(http)).access_token

    def refresh(self, http: httpx.Client, rejected: str | None) -> str | None:
        """After a 401 with token ``rejected``: a new token (only one caller fetches)."""
        if not self.can_refresh:
            return None
        with self._lock:
            if self._token is not None and self._token != rejected:
                return self._token  # someone else already refreshed
            return self._fetch_single(http, rejected)

    async def arefresh(self, http: httpx.AsyncClient, rejected: str | None) -> str | None:
        if not self.can_refresh:
            return None
        async with self._async_lock():
            if self._token is not None and self._token != rejected:
                return self._token
            return await self._afetch_single(http, rejected)

    def exchange(self, http: httpx.Client, fields: dict[str, str]) -> OAuthToken:
        """Trade an authorization code (``fields``) for tokens, kept and stored."""
        with self._lock:
            self._loaded = True  # the new token replaces whatever the store had
            return self._fetch(http, fields)

    async def aexchange(self, http: httpx.AsyncClient, fields: dict[str, str]) -> OAuthToken:
        async with self._async_lock():
            self._loaded = True
            return await self._afetch(http, fields)


Placement = tuple[Literal["header", "query", "cookie"], str, str]


class AuthPlan:
    """What to attach to one request: fixed placements plus an optional OAuth2 session.

    ``missing`` says which credentials are needed when no alternative could be satisfied
    (the request is then not sent)."""

    __slots__ = ("static", "oauth", "missing")

    def __init__(
        self,
        static: tuple[Placement, ...] = (),
        oauth: OAuth2Session | None = None,
        missing: str | None = None,
    ) -> None:
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
        raise TypeError(
            f"credential for security scheme {name!r} must be a string, not {type(value).__name__}"
        )
    if not value:
        raise ValueError(f"credential for security scheme {name!r} is empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or (cookie and ";" in value):
        raise ValueError(
            f"credential for security scheme {name!r} contains characters a request cannot carry"
        )
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

    def oauth_session(self, name: str | None = None) -> OAuth2Session | None:
        """The session of scheme ``name``, or of the first scheme using the code grant."""
        if name is not None:
            found = self._resolved.get(name)
            return found if isinstance(found, OAuth2Session) else None
        for session in self.oauth_sessions():
            if isinstance(session.grant, OAuth2AuthorizationCode):
                return session
        return None

    @staticmethod
    def _resolve(
        name: str, scheme: SecurityScheme, value: Any, base_url: str
    ) -> Placement | OAuth2Session | None:
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
        if (
            not isinstance(value, (tuple, list))
            or len(value) != 2
            or not all(isinstance(v, str) for v in value)
        ):
            raise TypeError(
                f"credential for security scheme {name!r} (HTTP basic) must be a key, "
                f"'user:password' or a (user, password) tuple"
            )
        if not value[0] and not value[1]:
            raise ValueError(f"credential for security scheme {name!r} is empty")
        raw = f"{value[0]}:{value[1]}".encode("utf-8")
        return ("header", "Authorization", "Basic " + base64.b64encode(raw).decode("ascii"))

    @staticmethod
    def _resolve_oauth(
        name: str, scheme: OAuth2Scheme, value: Any, base_url: str
    ) -> OAuth2Session | None:
        if value is None and scheme.env:
            env = scheme.env
            refresh, cid, secret = (
                _env(env, "_REFRESH_TOKEN"),
                _env(env, "_CLIENT_ID"),
                _env(env, "_CLIENT_SECRET"),
            )
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

        authorize: str | None = None
        if isinstance(value, OAuth2ClientCredentials):
            url = absolute(value.token_url or scheme.token_url)
        elif isinstance(value, OAuth2RefreshToken):
            url = absolute(value.token_url or scheme.refresh_url or scheme.token_url)
        elif isinstance(value, OAuth2AuthorizationCode):
            url = absolute(value.token_url or scheme.code_token_url or scheme.token_url)
            authorize = absolute(value.authorization_url or scheme.authorization_url)
        else:
            raise TypeError(
                f"credential for security scheme {name!r} (OAuth2) must be a token, "
                "OAuth2ClientCredentials, OAuth2RefreshToken or "
                f"OAuth2AuthorizationCode, not {type(value).__name__}"
            )
        if url is None:
            raise ValueError(
                f"security scheme {name!r} (OAuth2) has no token URL in the spec: "
                f"pass token_url= to {type(value).__name__}"
            )
        return OAuth2Session(
            token_url=url, grant=value, scopes=scheme.scopes, authorization_url=authorize
        )

    def _missing(self, alternatives: tuple[tuple[str, ...], ...]) -> str:
        options = []
        for alt in alternatives:
            needed = [
                _describe(n, self._schemes[n])
                for n in alt
                if n in self._schemes and n not in self._resolved
            ]
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
