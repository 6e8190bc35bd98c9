"""Authenticated JSON calls to a CRM's REST API, shared by the HTTP connectors.

``ApiClient`` sends one user's requests with a bearer token, refreshes that token once on a
401 (through :class:`TokenRefresher`, single-flight per refresh token), hands the fresh
credentials to ``session.on_credentials_changed`` before retrying, and turns every failure
into a ``connectors.errors`` class. What differs between CRMs (where the base URL comes
from, how an error body reads, extra headers) is given by the connector.
"""

from __future__ import annotations

import atexit
import datetime as dt
import http.cookiejar
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from connectors import oauth as shared_oauth
from connectors.errors import (
    CrmAuthError,
    CrmError,
    CrmNotFound,
    CrmRetryableError,
    CrmValidationError,
)
from connectors.retry import parse_retry_after
from connectors.session import CrmCredentials, CrmSession, OAuthInfo

log = logging.getLogger(__name__)

# A token this close to its announced end is refreshed before use (HubSpot's live 30 min).
EXPIRY_MARGIN = dt.timedelta(seconds=60)
RETRYABLE_STATUSES = frozenset({423, 429, 477, 500, 502, 503, 504})
VALIDATION_STATUSES = frozenset({400, 403, 405, 409, 412, 413, 414, 415, 422})

_pool_lock = threading.Lock()
_pool: requests.Session | None = None


def pooled_http() -> requests.Session:
    """Return the process-wide keep-alive session of the HTTP connectors (cookies refused:
    a shared jar must not carry one user's cookie into another user's call)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            session = requests.Session()
            session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            adapter = HTTPAdapter(pool_connections=16, pool_maxsize=32)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            _pool = session
        return _pool


def close_pooled_http() -> None:
    """Close the pooled session (at exit, and in tests that stop fake servers)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.close()
            _pool = None


atexit.register(close_pooled_http)


@dataclass(frozen=True)
class ErrorInfo:
    """What a CRM's error body says: its message, the fields and code it names."""

    message: str
    fields: tuple[str, ...] = ()
    code: str | None = None
    details: tuple[dict[str, Any], ...] = ()
    # The CRM's wait in seconds when it says so elsewhere than in ``Retry-After``.
    retry_after: float | None = None


def error_for(response: requests.Response, info: ErrorInfo, crm_name: str) -> CrmError:
    """Return the connector error for a failed response whose body reads as ``info``."""
    status = response.status_code
    message = info.message or f"{crm_name} answered HTTP {status}"
    if status in RETRYABLE_STATUSES:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        if wait is None:
            wait = info.retry_after
        return CrmRetryableError(f"{crm_name} is busy: {message}", wait)
    if status == 401:
        return CrmAuthError(f"{message}; reconnect {crm_name}")
    if status in (404, 410):
        return CrmNotFound(message)
    if status in VALIDATION_STATUSES or 400 <= status < 500:
        return CrmValidationError(message, info.fields, info.code, info.details)
    return CrmRetryableError(f"{crm_name} failed: HTTP {status}")


def adopt_credentials(session: CrmSession, fresh: CrmCredentials) -> None:
    """Make ``fresh`` the session's credentials and hand them to the app at once: a
    rotated refresh token is already spent at the CRM, so they must be persisted now."""
    session.credentials = fresh
    session.on_credentials_changed(fresh)


def send_refreshing_once(
    send: Callable[[], requests.Response],
    rejected: Callable[[requests.Response], bool],
    refresh: Callable[[], None],
) -> requests.Response:
    """Send; when the answer says the session was refused, refresh once and send again
    (the second answer is returned whatever it is: a refused refresh raises itself)."""
    response = send()
    if rejected(response):
        refresh()
        response = send()
    return response


def decode_json(response: requests.Response, crm_name: str) -> Any:
    """Return the JSON of a successful response (None when it has no body)."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise CrmError(
            f"{crm_name} returned a non-JSON response (HTTP {response.status_code})"
        ) from None


class TokenRefresher:
    """Refreshes one OAuth client's tokens, once per refresh token however many callers ask.

    ``shape`` turns the token response into credentials (default: the shared
    ``credentials_from_token`` keeping ``keep`` keys in ``extra``).
    """

    def __init__(
        self,
        info: OAuthInfo,
        crm_name: str,
        timeout: float,
        keep: Iterable[str] = (),
        shape: Callable[[Mapping[str, Any], CrmCredentials], CrmCredentials] | None = None,
        token_auth_method: str | None = None,
    ) -> None:
        self.info = info
        self.crm_name = crm_name
        self.keep = tuple(keep)
        self.shape = shape
        self.client = shared_oauth.OAuthClient(
            info, crm_name, timeout, token_auth_method=token_auth_method
        )

    def credentials(
        self, token: Mapping[str, Any], previous: CrmCredentials | None = None
    ) -> CrmCredentials:
        """Return credentials for a token response (sign-in or refresh)."""
        shaped = shared_oauth.credentials_from_token(token, previous, keep=self.keep)
        return self.shape(token, shaped) if self.shape else shaped

    def exchange(self, code: str, redirect_uri: str) -> CrmCredentials:
        """Return credentials for an authorization code (the sign-in's last step)."""
        return self.credentials(self.client.fetch_token(code, redirect_uri))

    def refresh(self, stale: CrmCredentials) -> CrmCredentials:
        """Return fresh credentials for ``stale`` (``CrmAuthError`` when refused)."""

        def perform(credentials: CrmCredentials) -> CrmCredentials:
            token = self.client.refresh_token(str(credentials.refresh_token))
            log.info("%s access token refreshed", self.crm_name)
            return self.credentials(token, credentials)

        scope = f"{self.info.token_url}|{self.info.client_id}"
        return shared_oauth.single_flight.refresh(scope, stale, perform)


def _path_only(url: str) -> str:
    # Query strings carry phone numbers, and some paths a token (HubSpot's token metadata
    # and revocation URLs): log the first three path segments only.
    parts = urlsplit(url).path.split("/")
    return "/".join(parts[:4])


class ApiClient:
    """JSON calls on behalf of ``session``'s user (see the module docstring).

    ``base_url`` is called for every request, so a refresh that moves the user to another
    host (Pipedrive's ``api_domain``) is followed. ``read_error`` reads the CRM's error
    body. ``on_response`` sees every response (rate-limit headers); ``before_send`` runs
    before every request (a client-side budget may wait there or raise).
    """

    def __init__(
        self,
        session: CrmSession,
        crm_name: str,
        base_url: Callable[[CrmCredentials], str],
        read_error: Callable[[requests.Response], ErrorInfo],
        refresher: TokenRefresher | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        on_response: Callable[[requests.Response], None] | None = None,
        http: requests.Session | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.crm_name = crm_name
        self.base_url = base_url
        self.read_error = read_error
        self.refresher = refresher
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.on_response = on_response
        self.before_send = before_send
        self.http = http or pooled_http()

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` (absolute URLs pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url(self.session.credentials).rstrip("/") + "/" + path.lstrip("/")

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path``; return its JSON."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any, headers: Mapping[str, str] | None = None) -> Any:
        """POST JSON; return the JSON answer."""
        return self.request("POST", path, json=body, headers=headers)

    def patch(self, path: str, body: Any, headers: Mapping[str, str] | None = None) -> Any:
        """PATCH JSON; return the JSON answer (None for 204)."""
        return self.request("PATCH", path, json=body, headers=headers)

    def put(self, path: str, body: Any = None) -> Any:
        """PUT (JSON when ``body`` is given); return the JSON answer."""
        return self.request("PUT", path, json=body)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send a request, refreshing the token once on 401; return JSON, or None when empty.

        Raises the ``connectors.errors`` class matching the failure.
        """
        response = self.send(method, path, params=params, json=json, headers=headers)
        return self.decode(response)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send a request (one refresh and retry on 401); return the raw response, raising
        for every failure status."""
        if self.refresher is not None and self._expiring():
            self._refresh()  # cheaper than spending a call on the 401 we know is coming
        response = send_refreshing_once(
            lambda: self._send(method, path, params, json, headers),
            lambda answer: answer.status_code == 401 and self.refresher is not None,
            self._refresh,
        )
        if response.status_code >= 400:
            raise error_for(response, self.read_error(response), self.crm_name)
        return response

    def decode(self, response: requests.Response) -> Any:
        """Return the JSON of a successful response (None when it has no body)."""
        return decode_json(response, self.crm_name)

    def _expiring(self) -> bool:
        expires_at = self.session.credentials.expires_at
        if expires_at is None or not self.session.credentials.refresh_token:
            return False
        return dt.datetime.now(dt.UTC) >= expires_at - EXPIRY_MARGIN

    def _refresh(self) -> None:
        assert self.refresher is not None
        adopt_credentials(self.session, self.refresher.refresh(self.session.credentials))

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        extra_headers: Mapping[str, str] | None,
    ) -> requests.Response:
        credentials = self.session.credentials
        headers = {"Accept": "application/json", **self.headers, **(extra_headers or {})}
        if credentials.access_token:
            headers["Authorization"] = f"Bearer {credentials.access_token}"
        url = self.url(path)
        if self.before_send is not None:
            self.before_send()  # a client-side limit may wait, or refuse with a retryable error
        try:
            response = self.http.request(
                method,
                url,
                params=params,
                json=body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            log.info("%s %s %s failed: %s", self.crm_name, method, _path_only(url), type(exc))
            raise shared_oauth.transport_error(exc, self.crm_name) from None
        except requests.RequestException as exc:
            raise CrmError(f"{self.crm_name} request failed: {type(exc).__name__}") from None
        log.debug("%s %s %s -> %d", self.crm_name, method, _path_only(url), response.status_code)
        if self.on_response is not None:
            self.on_response(response)
        return response


def json_or_empty(response: requests.Response) -> Any:
    """Return the decoded body of an error response, or {} when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return {}
