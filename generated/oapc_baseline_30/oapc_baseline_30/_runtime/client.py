"""``SyncAPIClient`` / ``AsyncAPIClient``: the one place a request is built, sent and parsed.

Generated ``Client`` classes subclass these and only pass configuration; resource
methods call ``request`` / ``paginate`` with an ``Endpoint``. Each attempt goes
rate limiter -> circuit breaker -> auth -> hooks -> httpx, and its outcome feeds the
breaker, the limiter (server quota headers) and the retry decision.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any, Generator, Mapping, TypeVar, cast
from urllib.parse import urlencode

import httpx
import pydantic

from .auth import AuthPlan, AuthState
from .bodyfields import merge_fields
from .breaker import BEFORE, FAILURE, RELEASE, SUCCESS, Breaker
from .encoding import (
    encode_body,
    encode_cookies,
    encode_header,
    encode_path,
    encode_query,
    fill_query,
    wire_names,
)
from .endpoint import (
    Endpoint,
    ErrorEnvelope,
    ParamStyle,
    ResponseType,
    StreamingEndpoint,
)
from .decoding import decode_failure, decode_json
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseDecodeError,
    APIStatusError,
    APITimeoutError,
    CircuitOpenError,
    MissingCredentialsError,
)
from .exchange import (
    REDIRECT_STATUSES,
    BACKSTOP,
    AttemptBounds,
    AttemptDeadlineExceeded,
    BodyBudget,
    BoundingTrace,
    deadline_seconds,
    enter_bounds,
    restore_bounds,
    monotonic,
    redirect_request,
)
from .idempotency import ensure_idempotency_key
from .outgoing import build_request
from .layers import install_layers
from .logs import SENSITIVE_QUERY_NAMES, install_httpx_redaction, redact_url
from .config import ClientConfig
from .cookies import skip_cookieless_responses
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
from .pagination import AsyncPaginator, SyncPaginator
from .oauth import AsyncOAuthFlow, OAuthFlow
from .ratelimit import RateLimiter
from .streaming import (
    DEFAULT_MAX_EVENT_BYTES,
    APIStreamError,
    AsyncStream,
    ServerSentEvent,
    Stream,
    StreamStart,
    aread_first_events,
    is_event_stream,
    read_first_events,
)
from .lenient import ResponseProblem, attach_problems, json_path, lenient_value
from .responses import (
    adapter,
    envelope_error_class,
    flag_value,
    parse_error_body,
    parse_lenient,
    parse_success,
    response_type,
    status_error,
    validation_error,
)
from .raw import RAW_MODE, APIResponse
from .telemetry import TelemetryRecorder, client_stats
from .transport import AsyncLazyTransport, LazyTransport
from .streamed import AsyncStreamedResponse, StreamedResponse, body_broken
from .uploads import StreamedBody
from .retry import (
    CLIENT_SIDE_ERRORS,
    IDEMPOTENT_METHODS,
    RetryEvent,
    backoff,
    exception_is_retryable,
    retry_after_seconds,
    status_is_retryable,
)

__all__ = ["BaseAPIClient", "SyncAPIClient", "AsyncAPIClient"]

_SyncT = TypeVar("_SyncT", bound="SyncAPIClient")
_AsyncT = TypeVar("_AsyncT", bound="AsyncAPIClient")
_ClientT = TypeVar("_ClientT", bound="BaseAPIClient")
T = TypeVar("T")
E = TypeVar("E")

_NO_HOOKS = Hooks()
_DEFAULT_STYLE = ParamStyle(style="simple", explode=False)
_DEFAULT_LIMITS = ResponseLimits()
_DEBUG = logging.DEBUG

# What one attempt asks its driver to do (see BaseAPIClient._exchange): the sync and
# async clients differ only in how they perform these steps, never in the decisions.
(
    _ACQUIRE,
    _TOKEN,
    _ON_REQUEST,
    _SEND,
    _READ,
    _ON_RESPONSE,
    _CLOSE,
    _REFRESH,
    _SLEEP,
    _FIRST_EVENTS,
    _BREAKER,
    _PAUSE,
) = range(12)
_Step = tuple[int, Any]
_Exchange = Generator[_Step, Any, httpx.Response]
_UNPARSED: Any = object()


def _sent_once(p: _Prepared) -> str:
    """Why the call cannot be retried although its failure could be: its body reads a
    file that cannot seek (a pipe) and was (partly) sent. Empty when it can be sent."""
    content = p.content
    if isinstance(content, StreamedBody) and not content.replayable:
        return "; not retried: the body reads a file that cannot seek (a pipe) and was sent"
    return ""


class _Prepared:
    """One call, encoded once and re-sent unchanged by every attempt."""

    __slots__ = (
        "endpoint",
        "method",
        "url",
        "params",
        "headers",
        "content",
        "timeout",
        "idempotent",
        "max_retries",
        "plan",
        "attempts",
        "options",
        "stream_start",
        "revalidating",
        "stream_body",
    )

    def __init__(
        self,
        endpoint: Endpoint[Any],
        method: str,
        url: str,
        params: list[tuple[str, Any]],
        headers: dict[str, str],
        content: bytes | StreamedBody | None,
        timeout: Any,
        idempotent: bool,
        max_retries: int,
        plan: AuthPlan,
        options: RequestOptions | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.options = options
        self.method = method
        self.url = url
        self.params = params
        self.headers = headers
        self.content = content
        self.timeout = timeout
        self.idempotent = idempotent
        self.max_retries = max_retries
        self.plan = plan
        self.attempts = 0
        self.stream_start: StreamStart | None = None  # set when the answer is an event stream
        self.revalidating = False  # sent with a cached answer's validators: 304 is an answer
        self.stream_body = False  # with_streaming_response: a success's body is left unread

    def url_and_params(self) -> tuple[str, list[tuple[str, Any]] | None]:
        """Encode the query ourselves when the URL has none: the same bytes httpx would
        produce (stdlib ``urlencode``), at a fraction of the cost of its params merge."""
        if not self.params:
            return self.url, None
        if "?" in self.url:
            return self.url, self.params
        return self.url + "?" + urlencode(self.params), None


class BaseAPIClient:
    """Configuration, encoding and the retry decisions shared by both clients.

    All settings come in one ``ClientConfig`` (or as its fields, by keyword);
    ``with_options`` returns a copy with some of them changed that shares the
    connection pool and, unless they are changed too, the limiter, breaker and tokens.
    """

    _http: Any
    _owns_http: bool
    _sleep: Any
    _auth: AuthState
    _limiter: RateLimiter
    _breaker: Breaker
    _is_async = False
    _telemetry: TelemetryRecorder | None

    def __init__(
        self,
        config: ClientConfig | None = None,
        /,
        *,
        user_http_client: bool = False,
        **settings: Any,
    ) -> None:
        config = config if config is not None else ClientConfig(**settings)
        self._configure(config, user_http_client)

    def _configure(
        self, config: ClientConfig, user_http_client: bool, shared: BaseAPIClient | None = None
    ) -> None:
        self.config = config
        base_url = config.base_url
        self.base_url = base_url.rstrip("/")
        url = httpx.URL(self.base_url)
        if url.scheme not in ("http", "https") or not url.host:
            example = "https://api.example.com" + (url.path if url.path != "/" else "")
            raise ValueError(
                f"base_url {base_url!r} is not an absolute http(s) URL; the spec names no absolute "
                f"server, so pass one, e.g. Client(base_url={example!r})"
            )
        self._origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        self.package = config.package
        self.version = config.version
        old = shared.config if shared is not None else None
        same_auth = old is not None and (
            (old.credentials, old.base_url, old.allow_insecure_http)
            == (config.credentials, config.base_url, config.allow_insecure_http)
        )
        if shared is not None and same_auth:
            self._auth = shared._auth
        else:
            self._auth = AuthState(
                config.security_schemes,
                config.credentials,
                config.default_security,
                self.base_url,
                config.allow_insecure_http,
            )
        self._sensitive_query = SENSITIVE_QUERY_NAMES | self._auth.query_names
        install_httpx_redaction(self._sensitive_query)
        self._limits = config.limits or _DEFAULT_LIMITS
        self._monotonic = monotonic(self._limits)
        self._deadline_cache: tuple[Any, Any, float | None] = (None, None, None)
        self._retry = config.retry or RetryPolicy()
        max_retries = config.max_retries
        self._max_retries = (
            self._retry.max_retries if self._retry.max_retries is not None else max_retries
        )
        self._wall = self._retry.clock or time.time
        self._hooks = config.hooks or _NO_HOOKS
        if shared is not None and old is not None and old.rate_limit == config.rate_limit:
            self._limiter = shared._limiter
        else:
            self._limiter = RateLimiter(config.rate_limit)
        if shared is not None and old is not None and old.circuit_breaker == config.circuit_breaker:
            self._breaker = shared._breaker
        else:
            self._breaker = Breaker(config.circuit_breaker, self._breaker_changed)
        self._log = logging.getLogger(config.package)
        auth = config.auth
        self._custom_auth: httpx.Auth | Any = auth if auth is not None else httpx.USE_CLIENT_DEFAULT
        self.user_agent = (
            f"{config.package}/{config.version} apigen-runtime httpx/{httpx.__version__}"
        )
        default_headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if config.headers:
            default_headers.update(config.headers)
        self._default_headers = default_headers
        timeout = config.timeout
        if user_http_client or shared is not None:
            # A pool made elsewhere keeps its own timeout unless one was set explicitly;
            # the headers go on each request.
            own_default = timeout is DEFAULT_TIMEOUT and shared is None
            self._timeout: Any = httpx.USE_CLIENT_DEFAULT if own_default else timeout
            self._call_headers: dict[str, str] = dict(default_headers)
        else:
            self._timeout = httpx.USE_CLIENT_DEFAULT
            self._call_headers = {}
        self._client_timeout = timeout
        self._strict_responses = config.strict_responses
        self._drift_warned: set[str] = set()
        install_layers(self, shared)  # cache, telemetry: nothing unless configured

    def _copy_with(self: _ClientT, config: ClientConfig) -> _ClientT:
        copy = type(self).__new__(type(self))
        copy._configure(config, False, shared=self)
        copy._http = self._http
        copy._owns_http = False  # the pool stays the original client's to close
        copy._init_sleep()
        return copy

    def _init_sleep(self) -> None:
        raise NotImplementedError

    def with_options(
        self: _ClientT,
        *,
        base_url: str | Omit = OMIT,
        timeout: float | httpx.Timeout | None | Omit = OMIT,
        max_retries: int | Omit = OMIT,
        headers: Mapping[str, str] | Omit = OMIT,
        retry: RetryPolicy | None | Omit = OMIT,
        rate_limit: RateLimit | None | Omit = OMIT,
        circuit_breaker: CircuitBreaker | None | Omit = OMIT,
        auth: httpx.Auth | None | Omit = OMIT,
        hooks: Hooks | None | Omit = OMIT,
        credentials: Mapping[str, Any] | Omit = OMIT,
        strict_responses: bool | Omit = OMIT,
        limits: ResponseLimits | None | Omit = OMIT,
    ) -> _ClientT:
        """A copy of this client with some settings changed, sharing its connection pool
        (and its rate limiter, circuit breaker and tokens unless those settings change).

        ``headers`` are added to the current ones; ``credentials`` maps scheme names to values.
        """
        given = {
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "headers": headers,
            "retry": retry,
            "rate_limit": rate_limit,
            "circuit_breaker": circuit_breaker,
            "auth": auth,
            "hooks": hooks,
            "strict_responses": strict_responses,
            "limits": limits,
        }
        changes: dict[str, Any] = {k: v for k, v in given.items() if not isinstance(v, Omit)}
        if not isinstance(credentials, Omit):
            changes["credentials"] = {**self.config.credentials, **credentials}
        return self._copy_with(self.config.but(**changes))

    copy = with_options

    def __repr__(self) -> str:
        base_url = redact_url(self.base_url)
        return f"<{type(self).__name__} base_url={base_url!r} package={self.package!r}>"

    # -- observability ----------------------------------------------------------------

    def _breaker_changed(self, old: str, new: str) -> None:
        if self._log.isEnabledFor(logging.INFO):
            self._log.info("circuit breaker %s -> %s", old, new)
        for hook in self._hooks.on_breaker:
            hook(old, new)

    def _redact(self, url: httpx.URL | str) -> str:
        return redact_url(url, self._sensitive_query)

    def _log_attempt(
        self, request: httpx.Request, outcome: object, start: float, attempt: int
    ) -> None:
        if self._log.isEnabledFor(_DEBUG):
            self._log.debug(
                "%s %s -> %s in %.1f ms (attempt %d)",
                request.method,
                self._redact(request.url),
                outcome,
                (time.perf_counter() - start) * 1000.0,
                attempt,
            )

    @property
    def breaker_state(self) -> str:
        """ "closed", "open" or "half_open"."""
        return self._breaker.state

    def runtime_stats(self) -> dict[str, Any]:
        """Counters of this client's calls as plain data (zero unless ``telemetry=``)."""
        return client_stats(self._telemetry, self._breaker.state, self._breaker.failures)

    # -- encoding ---------------------------------------------------------------------

    def _prepare(
        self,
        endpoint: Endpoint[Any],
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, Any] | None,
        cookies: Mapping[str, Any] | None,
        body: Any,
        options: RequestOptions | None,
        url: str | None = None,
    ) -> _Prepared:
        styles = endpoint.param_styles
        params: list[tuple[str, Any]] = []
        if url is None:
            if endpoint.fixed_query:
                params.extend(fill_query(endpoint.fixed_query, path))
            url = self.base_url + encode_path(endpoint.path, path, styles)
            encode_query(query, styles, params)
        hdrs = dict(self._call_headers)
        if headers:
            for name, value in headers.items():
                if value is not None:
                    hdrs[name] = encode_header(value, styles.get(name, _DEFAULT_STYLE))
        plan = self._auth.plan(endpoint.security)
        cookie_values: dict[str, Any] = dict(cookies) if cookies else {}
        auth_cookies: list[str] = []
        for loc, name, value in plan.static:
            if loc == "header":
                hdrs[name] = value
            elif loc == "query":
                params.append((name, value))
            else:
                auth_cookies.append(f"{name}={value}")
        if cookie_values or auth_cookies:
            text = "; ".join(p for p in [encode_cookies(cookie_values)] + auth_cookies if p)
            if text:
                hdrs["Cookie"] = text
        content: bytes | StreamedBody | None = None
        if body is not None:
            if endpoint.body_type is not None and isinstance(body, Mapping):
                body = self._wire_body(endpoint, body)
            content, ctype = encode_body(
                endpoint.body_kind,
                body,
                endpoint.body_content_type,
                endpoint.body_styles,
                endpoint.body_json_fields,
            )
            hdrs["Content-Type"] = ctype
            if isinstance(content, StreamedBody) and content.length is not None:
                hdrs["Content-Length"] = str(content.length)  # not chunked: servers prefer it
        timeout = self._timeout
        max_retries = self._max_retries
        idempotent = endpoint.method.upper() in IDEMPOTENT_METHODS
        if options is not None:
            if options.extra_query:
                encode_query(options.extra_query, styles, params)
            if options.extra_headers:
                hdrs.update(options.extra_headers)
            if options.idempotency_key:
                hdrs[endpoint.idempotency_header or "Idempotency-Key"] = options.idempotency_key
                idempotent = True
            if options.timeout is not None:
                timeout = options.timeout
            if options.max_retries is not None:
                max_retries = options.max_retries
        if not idempotent and endpoint.idempotency_header is not None:
            idempotent = ensure_idempotency_key(hdrs, endpoint.idempotency_header)
        if plan.missing is not None and not self._has_own_auth(hdrs):
            raise MissingCredentialsError(
                f"{endpoint.method.upper()} {endpoint.path} needs "
                f"credentials: pass {plan.missing} (to the client)"
            )
        return _Prepared(
            endpoint,
            endpoint.method.upper(),
            url,
            params,
            hdrs,
            content,
            timeout,
            idempotent,
            max_retries,
            plan,
            options,
        )

    def _wire_body(self, endpoint: Endpoint[Any], body: Mapping[str, Any]) -> Any:
        unknown: list[str] = []
        assert endpoint.body_type is not None
        wired = wire_names(endpoint.body_type(), body, unknown)
        if unknown and self._log.isEnabledFor(_DEBUG):
            self._log.debug(
                "%s: body keys the spec does not declare, sent unchanged: %s",
                endpoint.operation_id,
                ", ".join(repr(k) for k in unknown[:20]),
            )
        return wired

    def _has_own_auth(self, headers: Mapping[str, str]) -> bool:
        """Credentials the runtime does not manage: an ``auth=`` flow, the http client's own
        auth, or an Authorization (or API key) header the caller set."""
        if self._custom_auth is not httpx.USE_CLIENT_DEFAULT or self._http.auth is not None:
            return True
        names = self._auth.header_names
        given = (*headers, *self._http.headers)
        return any(n.lower() in names for n in given)

    def _next_url(self, target: str) -> str:
        """Resolve a next-page URL or URI path; refuse to leave the API's origin."""
        try:
            url = httpx.URL(self._origin + "/").join(target)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise APIConnectionError(
                f"refusing to follow an unusable next-page link ({type(exc).__name__})"
            ) from None
        if f"{url.scheme}://{url.netloc.decode('ascii')}" != self._origin:
            raise APIConnectionError(
                f"refusing to follow a next-page link to another origin: {self._redact(url)}"
            )
        return str(url)

    # -- decisions --------------------------------------------------------------------

    def _transport_failure(
        self, p: _Prepared, request: httpx.Request, exc: httpx.RequestError, retries: int
    ) -> float:
        """Delay before retrying a failed attempt, or raise the final connection error."""
        note = ""
        if retries < p.max_retries and exception_is_retryable(exc, p.method, p.idempotent):
            note = _sent_once(p)
            if not note:
                delay = backoff(self._retry, retries)
                self._emit_retry(p, request, delay, type(exc).__name__, None, exc)
                return delay
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        plural = "s" if p.attempts != 1 else ""
        raise cls(
            f"{p.method} {self._redact(request.url)} failed: {type(exc).__name__} "
            f"(after {p.attempts} attempt{plural}{note})",
            request=request,
            attempts=p.attempts,
        ) from exc

    def _status_failure(self, p: _Prepared, response: httpx.Response, retries: int) -> float:
        """Delay before retrying a non-success response, or raise its typed error."""
        status = response.status_code
        policy = self._retry
        retry_after = None
        if status in policy.retry_statuses:
            retry_after = retry_after_seconds(response.headers, self._wall())
            if status_is_retryable(policy, status, p.idempotent, retry_after):
                if retry_after is not None and retry_after > policy.max_retry_after:
                    raise self._error(
                        p,
                        response,
                        retry_after,
                        f"server asked to wait {retry_after:.0f} s, more than the "
                        f"{policy.max_retry_after:.0f} s limit",
                    )
                if retries < p.max_retries:
                    once = _sent_once(p)
                    if once:
                        raise self._error(p, response, retry_after, once.lstrip("; "))
                    delay = retry_after if retry_after is not None else backoff(policy, retries)
                    self._emit_retry(p, response.request, delay, str(status), status, None)
                    return delay
        raise self._error(p, response, retry_after)

    def _error(
        self,
        p: _Prepared,
        response: httpx.Response,
        retry_after: float | None = None,
        note: str = "",
    ) -> APIStatusError:
        return status_error(
            response,
            p.endpoint.response_types(),
            url=self._redact(response.request.url),
            attempts=p.attempts,
            retry_after=retry_after,
            note=note,
        )

    def _emit_retry(
        self,
        p: _Prepared,
        request: httpx.Request,
        delay: float,
        reason: str,
        status: int | None,
        exc: BaseException | None,
    ) -> None:
        hooks = self._hooks.on_retry
        log = self._log.isEnabledFor(logging.INFO)
        if not hooks and not log:
            return
        url = self._redact(request.url)
        if log:
            self._log.info(
                "retrying %s %s in %.2f s after %s (attempt %d)",
                p.method,
                url,
                delay,
                reason,
                p.attempts,
            )
        event = RetryEvent(p.method, url, p.attempts, delay, reason, status, exc)
        for hook in hooks:
            hook(event)

    def _parse(self, p: _Prepared, response: httpx.Response) -> Any:
        """The declared value of a response; whatever the body does, only APIError leaves."""
        try:
            return self._parse_declared(p, response)
        except APIError:
            raise
        except Exception as exc:  # the root guard: a body can raise nothing untyped
            raise decode_failure(response, exc, "could not be parsed", p.attempts) from exc

    def _parse_declared(self, p: _Prepared, response: httpx.Response) -> Any:
        status = response.status_code
        rt = response_type(p.endpoint.response_types(), status)
        if 200 <= status < 300 or rt is not None:
            envelope = p.endpoint.error_envelope
            try:
                value = parse_success(response, rt)
            except pydantic.ValidationError as exc:
                if rt is None or rt.type is None:
                    raise
                if envelope is not None:
                    self._check_envelope(p, response, envelope, _UNPARSED)
                return self._drifted(p, response, rt, exc)
            if envelope is not None:
                self._check_envelope(p, response, envelope, value)
            return value
        raise self._error(p, response)

    def _check_envelope(
        self, p: _Prepared, response: httpx.Response, envelope: ErrorEnvelope, value: Any
    ) -> None:
        """Raise the typed status error when a success body is the API's error envelope."""
        if value is _UNPARSED or not isinstance(value, (pydantic.BaseModel, dict)):
            try:
                value = decode_json(response)
            except APIResponseDecodeError:
                return
        flag = flag_value(value, envelope.flag)
        expected = envelope.error_value
        if type(flag) is not type(expected) or flag != expected:
            return
        responses = p.endpoint.response_types()
        rt = responses.get(envelope.error_response) if envelope.error_response else None
        body = parse_error_body(response, rt)
        raise status_error(
            response,
            responses,
            url=self._redact(response.request.url),
            attempts=p.attempts,
            body=body,
            cls=envelope_error_class(body),
            note=f"the body is the API's error ({envelope.flag}={flag!r})",
        )

    def _strict(self, options: RequestOptions | None) -> bool:
        if options is not None and options.strict_responses is not None:
            return options.strict_responses
        return self._strict_responses

    def _drifted(
        self,
        p: _Prepared,
        response: httpx.Response,
        rt: ResponseType,
        exc: pydantic.ValidationError,
    ) -> Any:
        """A success body that does not match its type: lenient value, or strict error."""
        url = self._redact(response.request.url)
        if self._strict(p.options):
            raise validation_error(response, rt, exc, url=url, attempts=p.attempts) from exc
        try:
            value, problems, more = parse_lenient(response, rt)
        except APIResponseDecodeError:  # not JSON at all: nothing to keep
            raise validation_error(response, rt, exc, url=url, attempts=p.attempts) from exc
        self._warn_drift(p.endpoint.operation_id, p.method, url, problems, more)
        return value

    def _drifted_items(
        self,
        endpoint: Endpoint[Any],
        response: httpx.Response,
        item_type: Any,
        raw_items: list[Any],
        exc: pydantic.ValidationError,
        options: RequestOptions | None,
    ) -> list[Any]:
        """A page whose items do not match their type: lenient items, or strict error."""
        url = self._redact(response.request.url)
        rt = ResponseType("json", list[item_type])
        items, problems, more = lenient_value(rt.type, raw_items)
        if endpoint.pagination is not None and endpoint.pagination.items:
            # paths from the body's root, not the list's
            root = json_path(endpoint.pagination.items)
            problems = tuple(ResponseProblem(root + x.path[1:], x.message) for x in problems)
        if self._strict(options):  # the items' own problems (the body is not the list)
            raise validation_error(
                response, rt, exc, url=url, attempts=1, found=(problems, more)
            ) from exc
        self._warn_drift(endpoint.operation_id, endpoint.method.upper(), url, problems, more)
        return list(items)

    def _warn_drift(
        self,
        operation: str,
        method: str,
        url: str,
        problems: tuple[ResponseProblem, ...],
        more: int,
    ) -> None:
        """WARNING once per operation and client (then DEBUG), with the JSON paths."""
        first = operation not in self._drift_warned
        level = logging.WARNING if first else logging.DEBUG
        if not self._log.isEnabledFor(level):
            return
        self._drift_warned.add(operation)
        count = len(problems) + more
        shown = "; ".join(str(x) for x in problems[:5]) + ("; ..." if count > 5 else "")
        self._log.log(
            level,
            "%s %s (%s): the response does not match the declared type (%d problem%s: %s); "
            "returned leniently (strict_responses=True raises)",
            method,
            url,
            operation,
            count,
            "" if count == 1 else "s",
            shown,
        )

    # -- the attempt loop, shared by both clients ------------------------------------------

    def _exchange(self, p: _Prepared) -> _Exchange:
        """Every attempt of one call, as steps for a driver (``_drive`` / ``_adrive``).

        All decisions live here (breaker, retry, refresh on 401, redirects, limits); a
        driver only performs the I/O a step names and sends its result back.
        """
        http: Any = getattr(self, "_http")
        breaker = self._breaker
        hooks = self._hooks
        oauth = p.plan.oauth
        limiter = self._limiter
        shared = breaker.shared  # state in a store: each verdict is a step (I/O) of its own
        ticket = None
        url, params = p.url_and_params()
        content: Any = p.content
        if isinstance(content, StreamedBody) and isinstance(http, httpx.AsyncClient):
            content = content.for_async()
        # the operation's id goes in a request extension (never sent): an in-process
        # transport (testing.MockAPI) tells apart routes no request does (Box's #folders)
        request = build_request(
            http, p.method, url, params, p.headers, content, p.timeout, p.endpoint.operation_id
        )
        retries = 0
        refreshed = False
        last: BaseException | None = None
        while True:
            try:  # first: an open circuit fails fast without waiting for a token
                if shared:
                    ticket = yield _BREAKER, (BEFORE, None)
                else:
                    breaker.before()
            except CircuitOpenError as exc:
                raise self._circuit_open(exc, p, last) from last
            token = None
            start = time.perf_counter()
            sent = request
            try:
                if limiter._active:
                    yield _ACQUIRE, None
                if oauth is not None:
                    token = yield _TOKEN, oauth
                    if token:
                        request.headers["Authorization"] = "Bearer " + token
                p.attempts += 1
                if hooks.on_request:
                    yield _ON_REQUEST, request
                start = time.perf_counter()
                budget = self._budget(p, request, http)
                response: httpx.Response = yield _SEND, (request, True, budget)
                if response.status_code in REDIRECT_STATUSES:  # no generator for the rest
                    response, sent = yield from self._follow(p, request, response, budget, http)
                if p.stream_body and 200 <= response.status_code < 300:
                    pass  # the caller reads the body, at its own pace (no attempt bounds then)
                elif self._streams(p, response):  # read up to the first event: retried like a call
                    p.stream_start = yield _FIRST_EVENTS, response
                else:
                    yield _READ, (response, budget)
            except httpx.RequestError as exc:
                if shared:
                    verdict = RELEASE if isinstance(exc, CLIENT_SIDE_ERRORS) else FAILURE
                    yield _BREAKER, (verdict, ticket)
                elif isinstance(exc, CLIENT_SIDE_ERRORS):
                    breaker.release()
                else:
                    breaker.failure()
                self._log_attempt(sent, type(exc).__name__, start, p.attempts)
                last = exc
                delay = self._transport_failure(p, sent, exc, retries)
                yield _SLEEP, delay
                retries += 1
                continue
            except BaseException:
                if shared:
                    breaker.release_soon(ticket, self._is_async)
                else:
                    breaker.release()
                raise
            status = response.status_code
            if shared:
                yield _BREAKER, (FAILURE if status >= 500 else SUCCESS, ticket)
            elif status >= 500:
                breaker.failure()
            else:
                breaker.success()
            paused = limiter.observe(response.headers)
            if limiter.shared:
                pause = limiter.shared_pause(status, response.headers, paused)
                if pause > 0.0:
                    yield _PAUSE, pause
            self._log_attempt(sent, status, start, p.attempts)
            if hooks.on_response:
                yield _ON_RESPONSE, response
            if status < 300 or (status == 304 and p.revalidating):
                return response
            if status == 401 and oauth is not None and not refreshed and oauth.can_refresh:
                refreshed = True
                yield _REFRESH, (oauth, token)
                continue
            # A 3xx here was not followed: _status_failure raises it as a RedirectError.
            delay = self._status_failure(p, response, retries)
            last = None
            yield _SLEEP, delay
            retries += 1

    def _streams(self, p: _Prepared, response: httpx.Response) -> bool:
        """A success the endpoint declares may be an event stream, and that the server sent as one.

        The header first: the declaration may import the operation's models, which must
        not count against the attempt's deadline on an ordinary JSON answer."""
        if not 200 <= response.status_code < 300 or not is_event_stream(response):
            return False
        rt = response_type(p.endpoint.response_types(), response.status_code)
        return rt is not None and rt.events

    def _body_budget(self, response: httpx.Response) -> BodyBudget:
        """The size cap for a streamed body read whole (``read()``, ``parse()``)."""
        return BodyBudget(response.request, self._limits.max_bytes, None, self._monotonic)

    def _max_event_bytes(self) -> int:
        cap = self._limits.max_bytes
        return DEFAULT_MAX_EVENT_BYTES if cap is None else min(cap, DEFAULT_MAX_EVENT_BYTES)

    def _event_parser(self, p: _Prepared, response: httpx.Response) -> Any:
        """Each event's data as the declared event type: typed where it fits, leniently
        (its problems readable on the value) where not, unless strict."""
        rt = response_type(p.endpoint.response_types(), response.status_code)
        event_type = rt.event_type if rt is not None else None
        if event_type is None:
            return lambda event: event
        fast = adapter(event_type)
        strict = self._strict(p.options)
        url = self._redact(response.request.url)

        def parse(event: ServerSentEvent) -> Any:
            try:
                return fast.validate_json(event.data)
            except pydantic.ValidationError as exc:
                if strict:
                    expected = getattr(event_type, "__name__", event_type)
                    count = len(exc.errors())
                    raise APIStreamError(
                        f"{p.method} {url}: an event does not match {expected}"
                        f" ({count} problem{'s' if count != 1 else ''})",
                        event=event,
                        request=response.request,
                    ) from exc
                value, problems, more = lenient_value(event_type, event.json())
                self._warn_drift(p.endpoint.operation_id, p.method, url, problems, more)
                return attach_problems(value, problems)

        return parse

    def _budget(self, p: _Prepared, request: httpx.Request, http: Any) -> BodyBudget:
        timeout = http.timeout if p.timeout is httpx.USE_CLIENT_DEFAULT else p.timeout
        limits = self._limits
        cached = self._deadline_cache  # one tuple: read and replaced atomically by threads
        if cached[0] is timeout and cached[1] is limits:
            seconds = cached[2]
        else:
            seconds = deadline_seconds(limits, timeout)
            self._deadline_cache = (timeout, limits, seconds)
        clock = self._monotonic
        deadline = None if seconds is None else clock() + seconds
        return BodyBudget(request, self._limits.max_bytes, deadline, clock)

    def _follow(
        self,
        p: _Prepared,
        request: httpx.Request,
        response: httpx.Response,
        budget: BodyBudget,
        http: Any,
    ) -> Generator[_Step, Any, tuple[httpx.Response, httpx.Request]]:
        """Follow redirects when the user's http_client asks for it (ours never does);
        credentials go only to the API's origin. Returns the last response and request."""
        hops = 0
        trusted = True
        current = request
        while (
            response.status_code in REDIRECT_STATUSES
            and "location" in response.headers
            and http.follow_redirects
        ):
            if hops >= http.max_redirects:
                yield _READ, (response, budget)
                raise self._error(p, response, note=f"more than {http.max_redirects} redirects")
            try:
                nxt, same_origin = redirect_request(
                    current, response, self._origin, self._sensitive_query
                )
            except (httpx.InvalidURL, ValueError, KeyError) as exc:
                yield _READ, (response, budget)
                raise self._error(
                    p, response, note=f"unusable Location header ({type(exc).__name__})"
                )
            trusted = trusted and same_origin
            if trusted:  # a query credential lives in the URL the Location replaced
                missing: list[tuple[str, Any]] = [
                    (n, v)
                    for loc, n, v in p.plan.static
                    if loc == "query" and n not in nxt.url.params
                ]
                if missing:
                    nxt.url = nxt.url.copy_merge_params(missing)
            yield _CLOSE, response
            hops += 1
            current = nxt
            response = yield _SEND, (current, trusted, budget)
        return response, current

    def _circuit_open(
        self, exc: CircuitOpenError, p: _Prepared, last: BaseException | None
    ) -> CircuitOpenError:
        exc.attempts = p.attempts
        exc.__cause__ = last
        return exc


class SyncAPIClient(BaseAPIClient):
    """Blocking client over one pooled ``httpx.Client`` (yours if ``http_client`` is given)."""

    _http: httpx.Client

    def __init__(
        self,
        config: ClientConfig | None = None,
        /,
        *,
        http_client: httpx.Client | None = None,
        **settings: Any,
    ) -> None:
        config = config if config is not None else ClientConfig(**settings)
        super().__init__(config, user_http_client=http_client is not None)
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.Client(
                timeout=config.timeout,
                headers=self._default_headers,
                follow_redirects=False,
                transport=LazyTransport(),  # no pool or SSL context before the first request
            )
        )
        skip_cookieless_responses(self._http)
        self._init_sleep()

    def _init_sleep(self) -> None:
        self._sleep = self._retry.sleep or time.sleep

    @functools.cached_property
    def oauth_flow(self) -> OAuthFlow:
        """The OAuth2 authorization-code flow (PKCE): ``authorization_url``, ``exchange_code``."""
        return OAuthFlow(self._auth, self._http)

    def request(
        self,
        endpoint: Endpoint[T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        body: Any = None,
        fields: Mapping[str, Any] | None = None,
        options: RequestOptions | None = None,
    ) -> T:
        """Send one operation and return its parsed success value; raise APIError otherwise.

        ``fields`` are body fields given as keywords (wire name -> value, OMIT when left out).
        """
        if fields is not None:
            body = merge_fields(endpoint, body, fields)
        p = self._prepare(endpoint, path, query, headers, cookies, body, options)
        slot = RAW_MODE.get()
        sent_at = 0.0
        if slot is not None:  # this call takes the slot; requests a hook makes are not raw
            RAW_MODE.set(None)
            sent_at = time.perf_counter()
            p.stream_body = slot.streaming
        response = self._send(p)
        start = p.stream_start
        if slot is not None and slot.streaming:  # with_streaming_response: the body unread
            slot.response = self._streamed(p, response, sent_at)
            return cast(T, None)
        if slot is not None:  # with_raw_response: hand back the response, parse on demand
            parse: Any
            if start is not None:  # an event stream stays open; parse() is the stream

                def parse() -> Any:
                    return Stream(response, self._event_parser(p, response), start=start)
            else:
                response.close()  # read already; closing it stamps response.elapsed
                parse = functools.partial(self._parse, p, response)
            slot.response = APIResponse(response, parse, p.attempts - 1, sent_at)
            return cast(T, None)
        if start is not None:
            return cast(T, Stream(response, self._event_parser(p, response), start=start))
        result: T = self._parse(p, response)
        return result

    def _streamed(
        self, p: _Prepared, response: httpx.Response, sent_at: float
    ) -> StreamedResponse[Any]:
        """The response of a with_streaming_response call: read (and parsed) on demand."""

        def read() -> None:
            if response.is_stream_consumed:
                return
            budget = self._body_budget(response)
            try:
                for chunk in response.iter_bytes():
                    budget.add(chunk)
            except httpx.HTTPError as exc:
                raise body_broken(response, exc) from exc
            finally:
                response.close()
            budget.finish(response)

        def parse() -> Any:
            if self._streams(p, response):  # an event stream: parse() is the Stream
                return Stream(response, self._event_parser(p, response))
            read()
            return self._parse(p, response)

        return StreamedResponse(response, parse, read, p.attempts - 1, sent_at)

    def request_stream(
        self,
        endpoint: StreamingEndpoint[T, E],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        body: Any = None,
        fields: Mapping[str, Any] | None = None,
        options: RequestOptions | None = None,
    ) -> T | Stream[E]:
        """``request`` for an operation that may answer with an event stream: the parsed
        value, or a ``Stream`` of events when the server sends ``text/event-stream``."""
        return self.request(
            endpoint,
            path=path,
            query=query,
            headers=headers,
            cookies=cookies,
            body=body,
            fields=fields,
            options=options,
        )

    def paginate(
        self,
        endpoint: Endpoint[Any],
        *,
        item_type: Any,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        body: Any = None,
        fields: Mapping[str, Any] | None = None,
        options: RequestOptions | None = None,
        max_items: int | None = None,
        max_pages: int | None = None,
    ) -> SyncPaginator[Any]:
        """A lazy iterator over every item of every page (nothing is sent until iterated)."""
        if fields is not None:
            body = merge_fields(endpoint, body, fields)
        return SyncPaginator(
            self,
            endpoint,
            item_type,
            path=path,
            query=query,
            headers=headers,
            cookies=cookies,
            body=body,
            options=options,
            max_items=max_items,
            max_pages=max_pages,
        )

    def _fetch_page(
        self,
        endpoint: Endpoint[Any],
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, Any] | None,
        cookies: Mapping[str, Any] | None,
        body: Any,
        options: RequestOptions | None,
        url: str | None,
    ) -> httpx.Response:
        p = self._prepare(
            endpoint,
            path,
            query,
            headers,
            cookies,
            body,
            options,
            url=None if url is None else self._next_url(url),
        )
        response = self._send(p)
        if not 200 <= response.status_code < 300:
            raise self._error(p, response)
        if endpoint.error_envelope is not None:
            self._check_envelope(p, response, endpoint.error_envelope, _UNPARSED)
        return response

    def _send(self, p: _Prepared) -> httpx.Response:
        steps = self._exchange(p)
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                step, arg = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as done:
                response: httpx.Response = done.value
                return response
            error = None
            try:
                value = self._perform(step, arg)
            except BaseException as exc:  # handed back to the attempt loop, which decides
                value, error = None, exc

    @staticmethod
    def _bound(request: httpx.Request, budget: BodyBudget, seconds: float) -> AttemptBounds:
        """The socket-level end of this attempt (a blocking read cannot be stopped
        otherwise), and the ``trace`` that bounds the connections it opens; chains a
        ``trace`` the request already had."""
        bounds = budget.bounds
        if bounds is None:
            bounds = budget.bounds = AttemptBounds(time.monotonic() + seconds * BACKSTOP)
        trace = request.extensions.get("trace")
        if not isinstance(trace, BoundingTrace):
            request.extensions = {**request.extensions, "trace": BoundingTrace(trace)}
        return bounds

    @staticmethod
    def _settle(request: httpx.Request, budget: BodyBudget, exc: BaseException) -> None:
        """A transport error of an operation cut short by the attempt's end is the deadline's."""
        bounds = budget.bounds
        if (
            bounds is not None
            and bounds.fired
            and isinstance(exc, (httpx.TransportError, TimeoutError))
        ):
            raise AttemptDeadlineExceeded("attempt deadline exceeded", request=request) from None

    def _perform(self, step: int, arg: Any) -> Any:
        """Do the I/O of one step of ``_exchange``, blocking."""
        if step == _SEND:
            request, trusted, budget = arg
            seconds = budget.remaining()
            bounds = None if seconds is None else self._bound(request, budget, seconds)
            previous = enter_bounds(bounds)
            try:
                return self._http.send(
                    request,
                    stream=True,
                    follow_redirects=False,
                    auth=self._custom_auth if trusted else None,
                )
            except BaseException as exc:
                self._settle(request, budget, exc)
                raise
            finally:
                restore_bounds(previous)
        if step == _READ:
            response, budget = arg
            previous = enter_bounds(budget.bounds)
            try:
                for chunk in response.iter_bytes():
                    budget.add(chunk)
            except BaseException as exc:
                self._settle(response.request, budget, exc)
                raise
            finally:
                response.close()
                restore_bounds(previous)
            budget.finish(response)
            return None
        if step == _FIRST_EVENTS:
            return read_first_events(arg, self._max_event_bytes())
        if step == _ACQUIRE:
            return self._limiter.acquire()
        if step == _BREAKER:
            return self._breaker.shared_step(*arg)
        if step == _PAUSE:
            return self._limiter.publish_pause(arg)
        if step == _TOKEN:
            return arg.token(self._http)
        if step == _SLEEP:
            return self._sleep(arg)
        if step == _ON_REQUEST:
            for hook in self._hooks.on_request:
                hook(arg)
        elif step == _ON_RESPONSE:
            for rhook in self._hooks.on_response:
                rhook(arg)
        elif step == _CLOSE:
            arg.close()
        elif step == _REFRESH:
            oauth, token = arg
            oauth.refresh(self._http, token)
        return None

    def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self: _SyncT) -> _SyncT:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncAPIClient(BaseAPIClient):
    """Asyncio client over one pooled ``httpx.AsyncClient``; same behaviour as the sync one."""

    _http: httpx.AsyncClient
    _is_async = True

    def __init__(
        self,
        config: ClientConfig | None = None,
        /,
        *,
        http_client: httpx.AsyncClient | None = None,
        **settings: Any,
    ) -> None:
        config = config if config is not None else ClientConfig(**settings)
        super().__init__(config, user_http_client=http_client is not None)
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(
                timeout=config.timeout,
                headers=self._default_headers,
                follow_redirects=False,
                transport=AsyncLazyTransport(),
            )
        )
        skip_cookieless_responses(self._http)
        self._init_sleep()

    def _init_sleep(self) -> None:
        import asyncio  # lazily: sync-only users never import asyncio

        self._asyncio = asyncio
        self._sleep = (
            self._retry.async_sleep if self._retry.async_sleep is not None else asyncio.sleep
        )

    @functools.cached_property
    def oauth_flow(self) -> AsyncOAuthFlow:
        """The PKCE authorization-code flow: ``authorization_url``, then ``await exchange_code``."""
        return AsyncOAuthFlow(self._auth, self._http)

    async def request(
        self,
        endpoint: Endpoint[T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        body: Any = None,
        fields: Mapping[str, Any] | None = None,
        options: RequestOptions | None = None,
    ) -> T:
        """Send one operation and return its parsed success value; raise APIError otherwise.

        ``fields`` are body fields given as keywords (wire name -> value, OMIT when left out).
        """
        if fields is not None:
            body = merge_fields(endpoint, body, fields)
        p = self._prepare(endpoint, path, query, headers, cookies, body, options)
        slot = RAW_MODE.get()
        sent_at = 0.0
        if slot is not None:  # this call takes the slot; requests a hook makes are not raw
            RAW_MODE.set(None)
            sent_at = time.perf_counter()
            p.stream_body = slot.streaming
        response = await self._send(p)
        start = p.stream_start
        if slot is not None and slot.streaming:  # with_streaming_response: the body unread
            slot.response = self._streamed(p, response)
            return cast(T, None)
        if slot is not None:  # with_raw_response: hand back the response, parse on demand
            parse: Any
            if start is not None:  # an event stream stays open; parse() is the stream

                def parse() -> Any:
                    return AsyncStream(response, self._event_parser(p, response), start=start)
            else:
                await response.aclose()  # read already; closing it stamps response.elapsed
                parse = functools.partial(self._parse, p, response)
            slot.response = APIResponse(response, parse, p.attempts - 1, sent_at)
            return cast(T, None)
        if start is not None:
            return cast(T, AsyncStream(response, self._event_parser(p, response), start=start))
        result: T = self._parse(p, response)
        return result

    def _streamed(self, p: _Prepared, response: httpx.Response) -> AsyncStreamedResponse[Any]:
        """The response of a with_streaming_response call: read (and parsed) on demand."""

        async def read() -> None:
            if response.is_stream_consumed:
                return
            budget = self._body_budget(response)
            try:
                async for chunk in response.aiter_bytes():
                    budget.add(chunk)
            except httpx.HTTPError as exc:
                raise body_broken(response, exc) from exc
            finally:
                await response.aclose()
            budget.finish(response)

        async def parse() -> Any:
            if self._streams(p, response):  # an event stream: parse() is the AsyncStream
                return AsyncStream(response, self._event_parser(p, response))
            await read()
            return self._parse(p, response)

        return AsyncStreamedResponse(response, parse, read, p.attempts - 1)

    async def request_stream(
        self,
        endpoint: StreamingEndpoint[T, E],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        body: Any = None,
        fields: Mapping[str, Any] | None = None,
        options: RequestOptions | None = None,
    ) -> T | AsyncStream[E]:
        """``request`` for an operation that may answer with an event stream: the parsed
        value, or an ``AsyncStream`` of events when the server sends ``text/event-stream``."""
        return await self.request(
            endpoint,
            path=path,
            query=query,
            headers=headers,
            cookies=cookies,
            body=body,
            fields=fields,
            options=options,
        )

    def paginate(
        self,
        endpoint: Endpoint[Any],
        *,
        item_type: Any,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        body: Any = None,
        fields: Mapping[str, Any] | None = None,
        options: RequestOptions | None = None,
        max_items: int | None = None,
        max_pages: int | None = None,
    ) -> AsyncPaginator[Any]:
        """A lazy async iterator over every item of every page (``async for``, no await)."""
        if fields is not None:
            body = merge_fields(endpoint, body, fields)
        return AsyncPaginator(
            self,
            endpoint,
            item_type,
            path=path,
            query=query,
            headers=headers,
            cookies=cookies,
            body=body,
            options=options,
            max_items=max_items,
            max_pages=max_pages,
        )

    async def _fetch_page(
        self,
        endpoint: Endpoint[Any],
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, Any] | None,
        cookies: Mapping[str, Any] | None,
        body: Any,
        options: RequestOptions | None,
        url: str | None,
    ) -> httpx.Response:
        p = self._prepare(
            endpoint,
            path,
            query,
            headers,
            cookies,
            body,
            options,
            url=None if url is None else self._next_url(url),
        )
        response = await self._send(p)
        if not 200 <= response.status_code < 300:
            raise self._error(p, response)
        if endpoint.error_envelope is not None:
            self._check_envelope(p, response, endpoint.error_envelope, _UNPARSED)
        return response

    async def _send(self, p: _Prepared) -> httpx.Response:
        steps = self._exchange(p)
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                step, arg = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as done:
                response: httpx.Response = done.value
                return response
            error = None
            try:
                value = await self._perform(step, arg)
            except BaseException as exc:  # handed back to the attempt loop, which decides
                value, error = None, exc

    async def _perform(self, step: int, arg: Any) -> Any:
        """Do the I/O of one step of ``_exchange``, awaiting; the deadline cancels waits."""
        if step == _SEND:
            request, trusted, budget = arg
            try:
                async with self._asyncio.timeout(budget.remaining()):
                    return await self._http.send(
                        request,
                        stream=True,
                        follow_redirects=False,
                        auth=self._custom_auth if trusted else None,
                    )
            except TimeoutError:
                raise AttemptDeadlineExceeded(
                    "attempt deadline exceeded", request=request
                ) from None
        if step == _READ:
            response, budget = arg
            try:
                async with self._asyncio.timeout(budget.remaining()):
                    async for chunk in response.aiter_bytes():
                        budget.add(chunk)
            except TimeoutError:
                raise AttemptDeadlineExceeded(
                    "attempt deadline exceeded", request=response.request
                ) from None
            finally:
                await response.aclose()
            budget.finish(response)
            return None
        if step == _FIRST_EVENTS:
            return await aread_first_events(arg, self._max_event_bytes())
        if step == _ACQUIRE:
            return await self._limiter.acquire_async()
        if step == _BREAKER:
            return await self._breaker.ashared_step(*arg)
        if step == _PAUSE:
            return await self._limiter.apublish_pause(arg)
        if step == _TOKEN:
            return await arg.atoken(self._http)
        if step == _SLEEP:
            return await self._sleep(arg)
        if step == _ON_REQUEST or step == _ON_RESPONSE:
            for hook in self._hooks.on_request if step == _ON_REQUEST else self._hooks.on_response:
                result = hook(arg)
                if hasattr(result, "__await__"):
                    await result
        elif step == _CLOSE:
            await arg.aclose()
        elif step == _REFRESH:
            oauth, token = arg
            await oauth.arefresh(self._http, token)
        return None

    async def aclose(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_http:
            await self._http.aclose()

    async def close(self) -> None:
        """Alias of ``aclose``."""
        await self.aclose()

    async def __aenter__(self: _AsyncT) -> _AsyncT:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
