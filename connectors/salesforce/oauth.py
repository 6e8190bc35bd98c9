"""Salesforce OAuth 2 web-server flow (with PKCE), token refresh and revocation.

Token endpoint calls go through Authlib's ``OAuth2Session``. Facts this module relies on:
Salesforce token responses carry ``instance_url`` and ``issued_at`` (epoch ms, as a string)
but no ``expires_in``; a refresh response has no ``refresh_token`` unless refresh-token
rotation is on; errors are ``{"error", "error_description"}`` objects with HTTP 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session

from connectors.base import CrmCredentials, OAuthInfo
from connectors.errors import CrmAuthError, CrmError, CrmRetryableError
from connectors.salesforce.responses import parse_retry_after, transport_error
from connectors.salesforce.settings import SalesforceSettings

log = logging.getLogger(__name__)

# A refresh result is reused for this long by other threads holding the same (now stale)
# refresh token: with rotation on, a second refresh with the old token would fail and
# wrongly disconnect the user.
_REUSE_SECONDS = 30.0


def oauth_info(settings: SalesforceSettings) -> OAuthInfo:
    """Return the authorization-code flow endpoints and client settings."""
    return OAuthInfo(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        authorize_url=settings.authorize_url,
        token_url=settings.token_url,
        scope=settings.scope,
        redirect_uri=settings.redirect_uri,
        use_pkce=True,
    )


def _oauth_session(settings: SalesforceSettings, redirect_uri: str | None = None) -> OAuth2Session:
    # Without a secret we are a PKCE-only public client: client_id goes in the body alone.
    method = "client_secret_post" if settings.client_secret else "none"
    return OAuth2Session(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        token_endpoint_auth_method=method,
        redirect_uri=redirect_uri,
        default_timeout=settings.timeout,
    )


def _token_call_error(exc: Exception, action: str) -> CrmError:
    """Return the connector error for a failed token-endpoint call."""
    if isinstance(exc, AuthlibBaseError):
        description = getattr(exc, "description", None) or getattr(exc, "error", None) or ""
        return CrmAuthError(f"Salesforce {action} failed: {description}".rstrip(": "))
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status >= 500 or status == 429:
            retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))
            return CrmRetryableError(f"Salesforce {action} failed: HTTP {status}", retry_after)
        return CrmAuthError(f"Salesforce {action} failed: HTTP {status}")
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        return transport_error(exc)
    return CrmError(f"Salesforce {action} failed: {type(exc).__name__}")


def _expected_signature(secret: str, identity_url: str, issued_at: str) -> str:
    digest = hmac.new(secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check_signature(settings: SalesforceSettings, token: Mapping[str, Any]) -> None:
    """Raise ``CrmAuthError`` when the token's ``signature`` does not match.

    Salesforce signs ``id + issued_at`` with HMAC-SHA256 keyed by the consumer secret; a
    mismatch means the response did not come from our connected app's org.
    """
    signature = token.get("signature")
    identity_url = token.get("id")
    issued_at = token.get("issued_at")
    if not (settings.verify_signature and settings.client_secret and signature):
        return
    if not (identity_url and issued_at):
        return
    expected = _expected_signature(settings.client_secret, str(identity_url), str(issued_at))
    if not hmac.compare_digest(expected, str(signature)):
        raise CrmAuthError("Salesforce token signature does not match the connected app")


def credentials_from_token(
    token: Mapping[str, Any], previous: CrmCredentials | None = None
) -> CrmCredentials:
    """Return credentials built from a token response, keeping what it omits from ``previous``.

    A refresh response without ``refresh_token`` keeps the old one (no rotation).
    """
    access_token = token.get("access_token")
    if not access_token:
        raise CrmAuthError("Salesforce token response has no access_token")
    old_extra = dict(previous.extra) if previous else {}
    for key in ("id", "issued_at", "scope"):
        if token.get(key):
            old_extra[key] = token[key]
    instance_url = token.get("instance_url") or (previous.instance_url if previous else None)
    return CrmCredentials(
        access_token=str(access_token),
        refresh_token=token.get("refresh_token") or (previous.refresh_token if previous else None),
        instance_url=str(instance_url).rstrip("/") if instance_url else None,
        token_type=str(token.get("token_type") or "Bearer"),
        expires_at=None,  # Salesforce sends no expires_in: the session timeout is org policy.
        extra=old_extra,
    )


def exchange_code(
    settings: SalesforceSettings,
    code: str,
    redirect_uri: str,
    code_verifier: str | None = None,
) -> CrmCredentials:
    """Return credentials for an authorization code (``code_verifier`` when PKCE was used)."""
    extra: dict[str, str] = {"code_verifier": code_verifier} if code_verifier else {}
    try:
        with _oauth_session(settings, redirect_uri) as oauth:
            token = oauth.fetch_token(
                settings.token_url,
                grant_type="authorization_code",
                code=code,
                redirect_uri=redirect_uri,
                **extra,
            )
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        raise _token_call_error(exc, "sign-in") from None
    check_signature(settings, token)
    credentials = credentials_from_token(token)
    if not credentials.instance_url:
        raise CrmAuthError("Salesforce token response has no instance_url")
    return credentials


class _RefreshCoordinator:
    """Serialises refreshes per refresh token within the process and shares their result."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._results: dict[str, tuple[float, CrmCredentials]] = {}

    @staticmethod
    def key(settings: SalesforceSettings, refresh_token: str) -> str:
        # Hashed so the raw token is not kept as a dict key longer than needed.
        raw = f"{settings.login_url}|{settings.client_id}|{refresh_token}"
        return hashlib.sha256(raw.encode()).hexdigest()

    def lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            self._purge()
            return self._locks.setdefault(key, threading.Lock())

    def recent(self, key: str, stale_access_token: str) -> CrmCredentials | None:
        with self._guard:
            entry = self._results.get(key)
        if entry is None or time.monotonic() - entry[0] > _REUSE_SECONDS:
            return None
        if entry[1].access_token == stale_access_token:
            return None
        return entry[1]

    def remember(self, key: str, credentials: CrmCredentials) -> None:
        with self._guard:
            self._results[key] = (time.monotonic(), credentials)

    def _purge(self) -> None:
        now = time.monotonic()
        for key in [k for k, (at, _) in self._results.items() if now - at > _REUSE_SECONDS]:
            del self._results[key]
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                del self._locks[key]


_coordinator = _RefreshCoordinator()


def _refresh_at_salesforce(
    settings: SalesforceSettings, credentials: CrmCredentials
) -> CrmCredentials:
    try:
        with _oauth_session(settings) as oauth:
            token = oauth.refresh_token(settings.token_url, refresh_token=credentials.refresh_token)
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        error = _token_call_error(exc, "token refresh")
        if isinstance(error, CrmAuthError):
            error = CrmAuthError(f"{error.message}; reconnect Salesforce")
        raise error from None
    check_signature(settings, token)
    return credentials_from_token(token, previous=credentials)


def refresh_credentials(
    settings: SalesforceSettings, credentials: CrmCredentials
) -> CrmCredentials:
    """Return fresh credentials via ``grant_type=refresh_token``.

    Raises ``CrmAuthError`` when there is no refresh token or Salesforce refuses it
    (``invalid_grant``), ``CrmRetryableError`` when the token endpoint is unreachable.
    """
    refresh_token = credentials.refresh_token
    if not refresh_token:
        raise CrmAuthError("Salesforce session expired and no refresh token is stored; reconnect")
    key = _coordinator.key(settings, refresh_token)
    with _coordinator.lock_for(key):
        shared = _coordinator.recent(key, credentials.access_token)
        if shared is not None:
            log.debug("reusing a token refresh made by another request")
            return shared
        refreshed = _refresh_at_salesforce(settings, credentials)
        _coordinator.remember(key, refreshed)
        log.info("Salesforce access token refreshed for %s", refreshed.instance_url)
        return refreshed


def revoke(settings: SalesforceSettings, credentials: CrmCredentials) -> None:
    """Revoke the refresh token (which also ends its access tokens), or the access token."""
    token = credentials.refresh_token or credentials.access_token
    try:
        response = requests.post(
            settings.revoke_url, data={"token": token}, timeout=settings.timeout
        )
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise transport_error(exc) from None
    # 400 means the token is already invalid: the goal of revoking is reached.
    if response.status_code >= 500:
        raise CrmRetryableError(f"Salesforce revoke failed: HTTP {response.status_code}")
