"""apigen runtime core: the hand-written, tested part of every generated client.

Copied verbatim into each generated package as ``<package>/_runtime``; depends only
on the standard library, httpx and pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .auth import (
    APIKeyScheme,
    HTTPBasicScheme,
    HTTPBearerScheme,
    OAuth2AuthorizationCode,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    OAuth2Scheme,
    SecurityScheme,
)
from .cachestore import CachedResponse, CacheStore, MemoryCache
from .client import AsyncAPIClient, SyncAPIClient
from .config import ClientConfig
from .endpoint import (
    Endpoint,
    ErrorEnvelope,
    PaginationStyle,
    ParamStyle,
    Pagination,
    ResponseType,
    StreamingEndpoint,
)
from .errors import (
    APIResponseDecodeError,
    APIResponseTooLargeError,
    APIResponseValidationError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CircuitOpenError,
    ConflictError,
    MissingCredentialsError,
    InternalServerError,
    NotFoundError,
    PaginationLoopError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    UnprocessableEntityError,
)
from .lenient import ResponseProblem, response_problems
from .oauth import AsyncOAuthFlow, AuthorizationRequest, OAuthFlow
from .options import (
    DEFAULT_TIMEOUT,
    OMIT,
    CircuitBreaker,
    Hooks,
    Omit,
    RateLimit,
    RequestOptions,
    ResponseLimits,
    RetryPolicy,
)
from .pagination import async_pages_to_raw_response, AsyncPaginator, Page, SyncPaginator
from .raw import APIResponse, async_to_raw_response, to_raw_response
from .retry import RetryEvent
from .telemetry import Telemetry
from .tokenstore import FileTokenStore, MemoryTokenStore, OAuthToken, TokenStore
from .streaming import APIStreamError, AsyncStream, ServerSentEvent, Stream
from .streamed import (
    AsyncStreamedResponse,
    AsyncStreamedResponseManager,
    StreamedResponse,
    StreamedResponseManager,
    async_to_streamed_response,
    to_streamed_response,
)

# Loaded on first use (a first call needs none of them; ``from ._runtime import RedisStore``
# and attribute access load the one module); type checkers see them as plain imports.
_LAZY = {
    "RedisCache": "redis_persist",
    "RedisTokenStore": "redis_persist",
    "RedisStore": "redis_store",
    "UnknownWebhookEvent": "webhook_events",
    "WebhookEventType": "webhook_events",
    "WebhookHelper": "webhook_events",
    "GitHubSignature": "webhooks",
    "HMACSignature": "webhooks",
    "SignatureScheme": "webhooks",
    "SlackSignature": "webhooks",
    "StandardWebhooks": "webhooks",
    "StripeSignature": "webhooks",
    "TwilioSignature": "webhooks",
    "WebhookVerificationError": "webhooks",
}

if TYPE_CHECKING:
    from .redis_persist import RedisCache, RedisTokenStore
    from .redis_store import RedisStore
    from .webhook_events import UnknownWebhookEvent, WebhookEventType, WebhookHelper
    from .webhooks import (
        GitHubSignature,
        HMACSignature,
        SignatureScheme,
        SlackSignature,
        StandardWebhooks,
        StripeSignature,
        TwilioSignature,
        WebhookVerificationError,
    )
else:

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value


__all__ = [
    "SyncAPIClient",
    "AsyncAPIClient",
    "ClientConfig",
    "APIResponse",
    "to_raw_response",
    "async_to_raw_response",
    "async_pages_to_raw_response",
    "Omit",
    "OMIT",
    "Endpoint",
    "StreamingEndpoint",
    "ErrorEnvelope",
    "ResponseType",
    "ParamStyle",
    "Pagination",
    "PaginationStyle",
    "RequestOptions",
    "RetryPolicy",
    "ResponseLimits",
    "RateLimit",
    "RedisStore",
    "CircuitBreaker",
    "Hooks",
    "RetryEvent",
    "ResponseProblem",
    "response_problems",
    "SyncPaginator",
    "AsyncPaginator",
    "Page",
    "Stream",
    "AsyncStream",
    "ServerSentEvent",
    "StreamedResponse",
    "AsyncStreamedResponse",
    "StreamedResponseManager",
    "AsyncStreamedResponseManager",
    "to_streamed_response",
    "async_to_streamed_response",
    "APIStreamError",
    "APIKeyScheme",
    "HTTPBearerScheme",
    "HTTPBasicScheme",
    "OAuth2Scheme",
    "SecurityScheme",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "OAuth2AuthorizationCode",
    "OAuthFlow",
    "AsyncOAuthFlow",
    "AuthorizationRequest",
    "Telemetry",
    "DEFAULT_TIMEOUT",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "APIResponseDecodeError",
    "APIResponseTooLargeError",
    "RedirectError",
    "PaginationLoopError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "CircuitOpenError",
    "WebhookHelper",
    "WebhookEventType",
    "UnknownWebhookEvent",
    "WebhookVerificationError",
    "SignatureScheme",
    "StandardWebhooks",
    "StripeSignature",
    "GitHubSignature",
    "SlackSignature",
    "TwilioSignature",
    "HMACSignature",
    "MissingCredentialsError",
    "TokenStore",
    "OAuthToken",
    "FileTokenStore",
    "MemoryTokenStore",
    "CacheStore",
    "CachedResponse",
    "MemoryCache",
    "RedisTokenStore",
    "RedisCache",
]
