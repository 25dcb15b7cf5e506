"""``client.oauth``: the OAuth2 authorization-code flow with PKCE (RFC 7636, S256).

1. ``request = client.oauth.authorization_url(scopes=[...], redirect_uri=...)`` gives
   the URL to send the user's browser to, the ``state`` to check on the way back and
   the ``code_verifier`` to keep until then (only its SHA-256 goes in the URL).
2. The provider redirects to ``redirect_uri?code=...&state=...``; check the state, then
   ``client.oauth.exchange_code(code, code_verifier=request.code_verifier)``.

From then on the client sends the access token, refreshes it with the refresh token
(one refresh at a time across threads and tasks, and across processes with a shared
store), and saves every token to the credential's ``TokenStore``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import httpx

from .auth import OAuth2AuthorizationCode, OAuth2Session
from .errors import MissingCredentialsError
from .logs import redact_url
from .tokenstore import OAuthToken

if TYPE_CHECKING:
    from .auth import AuthState

__all__ = [
    "AuthorizationRequest",
    "OAuthFlow",
    "AsyncOAuthFlow",
    "code_challenge",
    "new_code_verifier",
    "states_match",
]


def new_code_verifier() -> str:
    """43 URL-safe characters from 32 random bytes (RFC 7636 4.1 allows 43 to 128)."""
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def states_match(expected: str, received: str | None) -> bool:
    """Compare the state sent with the one that came back, in constant time."""
    return received is not None and hmac.compare_digest(expected.encode(), received.encode())


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """Where to send the user, and what to keep until the redirect comes back."""

    url: str = field(repr=False)  # carries the state; shown redacted
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)
    redirect_uri: str | None = None

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"AuthorizationRequest(url={redact_url(self.url, frozenset({'state'}))!r})"


class _Flow:
    """What the sync and async flows share: the session and the URL."""

    def __init__(
        self, auth: AuthState, http: httpx.Client | httpx.AsyncClient, scheme: str | None = None
    ) -> None:
        session = auth.oauth_session(scheme)
        if session is None or not isinstance(session.grant, OAuth2AuthorizationCode):
            raise MissingCredentialsError(
                "client.oauth needs an OAuth2AuthorizationCode credential: pass "
                "OAuth2AuthorizationCode(client_id=..., redirect_uri=...) to the client"
            )
        self._session: OAuth2Session = session
        self._grant: OAuth2AuthorizationCode = session.grant
        self._http = http

    def authorization_url(
        self,
        *,
        scopes: Sequence[str] | None = None,
        state: str | None = None,
        redirect_uri: str | None = None,
        code_verifier: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> AuthorizationRequest:
        """The provider's consent page for these scopes (default: the credential's,
        else every scope the spec lists), with a fresh state and S256 PKCE challenge."""
        base = self._session.authorization_url
        if base is None:
            raise MissingCredentialsError(
                "the spec names no authorizationUrl for this scheme: pass "
                "authorization_url= to OAuth2AuthorizationCode"
            )
        verifier = code_verifier or new_code_verifier()
        if not 43 <= len(verifier) <= 128:
            raise ValueError("a PKCE code_verifier has 43 to 128 characters (RFC 7636)")
        state = state or secrets.token_urlsafe(24)
        redirect = redirect_uri or self._grant.redirect_uri
        chosen = scopes if scopes is not None else self._grant.scopes
        if chosen is None:
            chosen = self._session.scopes
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("response_type", "code"),
            ("client_id", self._grant.client_id),
        ]
        if redirect:
            params.append(("redirect_uri", redirect))
        if chosen:
            params.append(("scope", " ".join(chosen)))
        params += [
            ("state", state),
            ("code_challenge", code_challenge(verifier)),
            ("code_challenge_method", "S256"),
        ]
        if extra:
            params += [(k, v) for k, v in extra.items()]
        url = httpx.URL(base).copy_merge_params(params)
        return AuthorizationRequest(str(url), state, verifier, redirect)

    def _fields(self, code: str, code_verifier: str, redirect_uri: str | None) -> dict[str, str]:
        if not code or not code_verifier:
            raise ValueError("exchange_code needs the code and the code_verifier")
        fields = {"grant_type": "authorization_code", "code": code, "code_verifier": code_verifier}
        redirect = redirect_uri or self._grant.redirect_uri
        if redirect:
            fields["redirect_uri"] = redirect
        return fields


class OAuthFlow(_Flow):
    """``client.oauth`` of a sync client."""

    _http: httpx.Client

    def exchange_code(
        self, code: str, *, code_verifier: str, redirect_uri: str | None = None
    ) -> OAuthToken:
        """Trade the code from the redirect for tokens; the client uses (and stores)
        them from now on. Raises AuthenticationError when the provider refuses."""
        return self._session.exchange(self._http, self._fields(code, code_verifier, redirect_uri))


class AsyncOAuthFlow(_Flow):
    """``client.oauth`` of an async client."""

    _http: httpx.AsyncClient

    async def exchange_code(
        self, code: str, *, code_verifier: str, redirect_uri: str | None = None
    ) -> OAuthToken:
        """Trade the code from the redirect for tokens (see ``OAuthFlow``)."""
        return await self._session.aexchange(
            self._http, self._fields(code, code_verifier, redirect_uri)
        )
