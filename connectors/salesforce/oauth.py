"""Salesforce OAuth 2 web-server flow (with PKCE), token refresh and revocation.

Token endpoint calls and the once-at-a-time refresh are the shared ``connectors.oauth``
helpers. Facts this module relies on: Salesforce token responses carry ``instance_url``
and ``issued_at`` (epoch ms, as a string) but no ``expires_in``; a refresh response has no
``refresh_token`` unless refresh-token rotation is on; errors are
``{"error", "error_description"}`` objects with HTTP 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any

import requests

from connectors import oauth as shared
from connectors.errors import CrmAuthError, CrmRetryableError
from connectors.salesforce.responses import transport_error
from connectors.salesforce.settings import SalesforceSettings
from connectors.session import CrmCredentials, OAuthInfo

log = logging.getLogger(__name__)

# Token response keys kept in ``CrmCredentials.extra``: the identity URL names the user.
_KEPT_TOKEN_KEYS = ("id", "issued_at", "scope")


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


def _client(settings: SalesforceSettings) -> shared.OAuthClient:
    return shared.OAuthClient(oauth_info(settings), "Salesforce", settings.timeout)


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

    A refresh response without ``refresh_token`` keeps the old one (no rotation). Salesforce
    sends no ``expires_in``: the session timeout is org policy, so ``expires_at`` stays None.
    """
    return shared.credentials_from_token(token, previous, keep=_KEPT_TOKEN_KEYS)


def exchange_code(
    settings: SalesforceSettings,
    code: str,
    redirect_uri: str,
    code_verifier: str | None = None,
) -> CrmCredentials:
    """Return credentials for an authorization code (``code_verifier`` when PKCE was used)."""
    token = _client(settings).fetch_token(code, redirect_uri, code_verifier)
    check_signature(settings, token)
    credentials = credentials_from_token(token)
    if not credentials.instance_url:
        raise CrmAuthError("Salesforce token response has no instance_url")
    return credentials


def _refresh_at_salesforce(
    settings: SalesforceSettings, credentials: CrmCredentials
) -> CrmCredentials:
    token = _client(settings).refresh_token(str(credentials.refresh_token))
    check_signature(settings, token)
    refreshed = credentials_from_token(token, previous=credentials)
    log.info("Salesforce access token refreshed for %s", refreshed.instance_url)
    return refreshed


def refresh_credentials(
    settings: SalesforceSettings, credentials: CrmCredentials
) -> CrmCredentials:
    """Return fresh credentials via ``grant_type=refresh_token``, once per refresh token
    however many requests ask at the same time.

    Raises ``CrmAuthError`` when there is no refresh token or Salesforce refuses it
    (``invalid_grant``), ``CrmRetryableError`` when the token endpoint is unreachable.
    """
    if not credentials.refresh_token:
        raise CrmAuthError("Salesforce session expired and no refresh token is stored; reconnect")
    return shared.single_flight.refresh(
        f"{settings.token_url}|{settings.client_id}",
        credentials,
        lambda stale: _refresh_at_salesforce(settings, stale),
    )


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
