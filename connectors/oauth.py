"""OAuth 2 for connectors: token-endpoint calls and a token refresh that runs once at a time.

``OAuthClient`` makes the authorization-code (with PKCE) and refresh-token calls through
Authlib's ``OAuth2Session`` and turns their failures into connector errors.
``SingleFlightRefresh`` makes sure one connection's refresh token is spent once: CRMs that
rotate refresh tokens (single use) reject the second refresh with the old token, which
would wrongly disconnect the user when two requests hit an expired access token together.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session

from connectors.errors import CrmAuthError, CrmError, CrmRetryableError
from connectors.retry import parse_retry_after
from connectors.session import CrmCredentials, OAuthInfo

# Callers still holding the old refresh token reuse a finished refresh for this long; after
# it they must have reloaded the credentials the refresh persisted.
REUSE_SECONDS = 30.0


def transport_error(exc: requests.RequestException, crm_name: str) -> CrmRetryableError:
    """Return a retryable error for a timeout or connection failure (no secrets in text)."""
    kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
    return CrmRetryableError(f"{crm_name} request {kind}: {type(exc).__name__}")


class OAuthClient:
    """Token-endpoint calls of one OAuth client; failures raise ``connectors.errors``."""

    def __init__(
        self,
        info: OAuthInfo,
        crm_name: str,
        timeout: float = 10.0,
        token_auth_method: str | None = None,
    ) -> None:
        self.info = info
        self.crm_name = crm_name
        self.timeout = timeout
        # "client_secret_basic" for CRMs that want the client in an Authorization header
        # (Pipedrive); None: the secret in the body, or no secret for a PKCE-only client.
        self.token_auth_method = token_auth_method

    def _session(self, redirect_uri: str | None = None) -> OAuth2Session:
        # Without a secret we are a PKCE-only public client: client_id goes in the body alone.
        method = "client_secret_post" if self.info.client_secret else "none"
        if self.token_auth_method and self.info.client_secret:
            method = self.token_auth_method
        return OAuth2Session(
            client_id=self.info.client_id,
            client_secret=self.info.client_secret,
            token_endpoint_auth_method=method,
            redirect_uri=redirect_uri,
            default_timeout=self.timeout,
        )

    def fetch_token(
        self, code: str, redirect_uri: str, code_verifier: str | None = None
    ) -> dict[str, Any]:
        """Return the token response for an authorization code (PKCE verifier when used)."""
        extra: dict[str, str] = {"code_verifier": code_verifier} if code_verifier else {}
        try:
            with self._session(redirect_uri) as oauth:
                token = oauth.fetch_token(
                    self.info.token_url,
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=redirect_uri,
                    **extra,
                )
        except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
            raise self._error(exc, "sign-in") from None
        return dict(token)

    def refresh_token(self, refresh_token: str) -> dict[str, Any]:
        """Return the token response of ``grant_type=refresh_token``.

        Raises ``CrmAuthError`` (ending in "reconnect <CRM>") when the CRM refuses the
        token, ``CrmRetryableError`` when the endpoint is unreachable or overloaded.
        """
        try:
            with self._session() as oauth:
                token = oauth.refresh_token(self.info.token_url, refresh_token=refresh_token)
        except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
            error = self._error(exc, "token refresh")
            if isinstance(error, CrmAuthError):
                error = CrmAuthError(f"{error.message}; reconnect {self.crm_name}")
            raise error from None
        return dict(token)

    def _error(self, exc: Exception, action: str) -> CrmError:
        """Return the connector error for a failed token-endpoint call."""
        prefix = f"{self.crm_name} {action} failed"
        if isinstance(exc, AuthlibBaseError):
            description = getattr(exc, "description", None) or getattr(exc, "error", None) or ""
            return CrmAuthError(f"{prefix}: {description}".rstrip(": "))
        if isinstance(exc, requests.HTTPError) and exc.response is not None:
            status = exc.response.status_code
            if status >= 500 or status == 429:
                retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))
                return CrmRetryableError(f"{prefix}: HTTP {status}", retry_after)
            return CrmAuthError(f"{prefix}: HTTP {status}")
        if isinstance(exc, requests.Timeout | requests.ConnectionError):
            return transport_error(exc, self.crm_name)
        return CrmError(f"{prefix}: {type(exc).__name__}")


def credentials_from_token(
    token: Mapping[str, Any],
    previous: CrmCredentials | None = None,
    keep: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> CrmCredentials:
    """Return credentials from a token response, keeping what it omits from ``previous``.

    A refresh response without ``refresh_token`` keeps the old one (no rotation);
    ``expires_in`` becomes ``expires_at``; the ``keep`` keys of the response are copied into
    ``extra`` (e.g. an identity URL). Raises ``CrmAuthError`` without ``access_token``.
    """
    access_token = token.get("access_token")
    if not access_token:
        raise CrmAuthError("The token response has no access_token")
    extra = dict(previous.extra) if previous else {}
    for key in keep:
        if token.get(key):
            extra[key] = token[key]
    instance_url = token.get("instance_url") or (previous.instance_url if previous else None)
    try:
        lifetime = dt.timedelta(seconds=float(token["expires_in"]))
    except (KeyError, TypeError, ValueError):
        expires_at = None  # no (readable) lifetime: the CRM's 401 says when it ends
    else:
        expires_at = (now or dt.datetime.now(dt.UTC)) + lifetime
    return CrmCredentials(
        access_token=str(access_token),
        refresh_token=token.get("refresh_token") or (previous.refresh_token if previous else None),
        instance_url=str(instance_url).rstrip("/") if instance_url else None,
        token_type=str(token.get("token_type") or "Bearer"),
        expires_at=expires_at,
        extra=extra,
    )


@dataclass
class _Flight:
    """One refresh: in flight until ``done`` is set, then its result or error."""

    done: threading.Event = field(default_factory=threading.Event)
    result: CrmCredentials | None = None
    error: Exception | None = None
    finished_at: float = 0.0


class SingleFlightRefresh:
    """Runs at most one refresh per refresh token at a time and shares its outcome.

    Callers presenting the same refresh token while a refresh runs wait for it and get its
    credentials (or its error); callers arriving up to ``reuse_seconds`` later with the old
    access token get the same credentials without a second token call.
    """

    def __init__(
        self, reuse_seconds: float = REUSE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.reuse_seconds = reuse_seconds
        self._clock = clock
        self._guard = threading.Lock()
        self._flights: dict[str, _Flight] = {}

    @staticmethod
    def _key(scope: str, refresh_token: str) -> str:
        # Hashed so the raw token is not kept as a dict key longer than needed.
        return hashlib.sha256(f"{scope}|{refresh_token}".encode()).hexdigest()

    def refresh(
        self,
        scope: str,
        credentials: CrmCredentials,
        perform: Callable[[CrmCredentials], CrmCredentials],
    ) -> CrmCredentials:
        """Return fresh credentials for ``credentials``, calling ``perform`` only when no
        refresh of the same refresh token (within ``scope``, e.g. the token URL and client
        id) is running or recently finished. Raises ``CrmAuthError`` without a refresh token.
        """
        if not credentials.refresh_token:
            raise CrmAuthError("The session expired and no refresh token is stored; reconnect")
        key = self._key(scope, credentials.refresh_token)
        with self._guard:
            self._purge()
            flight = self._flights.get(key)
            leading = flight is None or not self._reusable(flight, credentials)
            if leading:
                flight = self._flights[key] = _Flight()
        assert flight is not None
        if leading:
            try:
                flight.result = perform(credentials)
            except Exception as exc:
                flight.error = exc
                raise
            finally:
                flight.finished_at = self._clock()
                flight.done.set()
            return flight.result
        flight.done.wait()
        if flight.error is not None:
            raise copy.copy(flight.error)
        assert flight.result is not None
        return flight.result

    def _reusable(self, flight: _Flight, credentials: CrmCredentials) -> bool:
        if not flight.done.is_set():
            return True  # in flight: wait for it
        if flight.error is not None or flight.result is None:
            return False  # a finished failure is retried by the next caller
        # The caller already has these credentials and they were refused: refresh again.
        return flight.result.access_token != credentials.access_token

    def _purge(self) -> None:
        now = self._clock()
        for key in [
            k
            for k, f in self._flights.items()
            if f.done.is_set() and now - f.finished_at > self.reuse_seconds
        ]:
            del self._flights[key]


# One per process: every request of every user goes through it.
single_flight = SingleFlightRefresh()
