"""HubSpot settings, OAuth endpoints, error bodies and the per-user API client.

Facts (``shared/conformance/hubspot/SOURCES.md``): authorize on app.hubspot.com; token
and refresh on the v3 endpoint, form-encoded, client id and secret in the body (v1 is
deprecated on 16 Feb 2027); access tokens live ~30 minutes; API calls go to
api.hubapi.com; error bodies are ``{status, message, errors[{message, code, context}],
category, correlationId}``, every field optional; a 429 may come without ``Retry-After``:
HubSpot's secondly limit then means one second, its rolling limit ten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connectors.errors import CrmNotFound, CrmValidationError
from connectors.http import ApiClient, ErrorInfo, TokenRefresher, json_or_empty
from connectors.oauth_app import AppSettings, app_fields
from connectors.ratelimit import SlidingWindow
from connectors.session import CrmSession, OAuthInfo

CRM_NAME = "HubSpot"
DEFAULT_API_URL = "https://api.hubapi.com"
DEFAULT_AUTHORIZE_URL = "https://app.hubspot.com/oauth/authorize"
DEFAULT_SCOPE = (
    "oauth crm.objects.contacts.read crm.objects.contacts.write "
    "crm.objects.deals.read crm.objects.companies.read crm.objects.owners.read"
)
ENV_SETTINGS = {
    "CLIENT_ID": "",
    "CLIENT_SECRET": "",
    "API_URL": DEFAULT_API_URL,
    "AUTHORIZE_URL": DEFAULT_AUTHORIZE_URL,
    "REDIRECT_URI": "",
    "SCOPE": "",
    "TIMEOUT": "",
    "BODY_MAX": "",
}
# Not stated by HubSpot (SOURCES.md: uncertain); 65,536 is what other HubSpot integrations
# truncate at, so a longer body is shortened by us rather than refused there.
DEFAULT_BODY_MAX = 65_536
# Seconds to wait on a 429 without Retry-After, by HubSpot's limit policy.
SECONDLY_WAIT = 1.0
ROLLING_WAIT = 10.0

# "Search rate limit: 5 requests/second per account" — every CRM search endpoint counts.
# The window is a little longer than a second: HubSpot counts arrivals, we count
# departures, and network jitter must not turn the fifth-and-a-bit into a 429.
search_limit = SlidingWindow(max_calls=5, period=1.1)


@dataclass(frozen=True)
class HubSpotSettings(AppSettings):
    """Typed view of the connector config."""

    api_url: str
    authorize_url: str
    scope: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HubSpotSettings:
        """Return settings from ``config`` with HubSpot's defaults."""
        return cls(
            **app_fields(config, DEFAULT_BODY_MAX),
            api_url=str(config.get("api_url") or DEFAULT_API_URL).rstrip("/"),
            authorize_url=str(config.get("authorize_url") or DEFAULT_AUTHORIZE_URL),
            scope=str(config.get("scope") or DEFAULT_SCOPE),
        )

    @property
    def token_url(self) -> str:
        """Return the v3 token endpoint (parameters in the body, never in the URL)."""
        return f"{self.api_url}/oauth/v3/token"

    def oauth_info(self) -> OAuthInfo:
        """Return the authorization-code endpoints (HubSpot documents no PKCE)."""
        return self.app_oauth_info(self.authorize_url, self.token_url, self.scope)

    def refresher(self) -> TokenRefresher:
        """Return the single-flight token refresher of this OAuth client."""
        return TokenRefresher(self.oauth_info(), CRM_NAME, self.timeout, keep=("hub_id",))


def read_error(response: requests.Response) -> ErrorInfo:
    """Return what a HubSpot error body says (every field optional)."""
    body = json_or_empty(response)
    if not isinstance(body, dict):
        return ErrorInfo(f"HubSpot answered HTTP {response.status_code}")
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    fields: list[str] = []
    for error in errors:
        names = (error.get("context") or {}).get("propertyName") or []
        fields += [str(name) for name in names]
    message = str(body.get("message") or body.get("error_description") or "")
    if errors and not message:
        message = "; ".join(str(e.get("message")) for e in errors)
    code = next((str(e["code"]) for e in errors if e.get("code")), body.get("category"))
    wait = None
    if response.status_code == 429:
        policy = str(body.get("policyName") or "")
        lowered = message.lower()
        # The recorded body says "your secondly limit"; newer ones name the policy.
        secondly = policy == "SECONDLY" or (
            not policy and "secondly" in lowered and "ten_secondly" not in lowered
        )
        wait = SECONDLY_WAIT if secondly else ROLLING_WAIT
    return ErrorInfo(message, tuple(fields), code, tuple(errors), wait)


def client(session: CrmSession) -> ApiClient:
    """Return the API client of ``session``'s user."""
    settings = HubSpotSettings.from_config(session.config)
    return ApiClient(
        session,
        CRM_NAME,
        base_url=lambda _credentials: settings.api_url,
        read_error=read_error,
        refresher=settings.refresher(),
        timeout=settings.timeout,
    )


def account_key(session: CrmSession) -> str:
    """Return the key of the account's search limit: its portal id when known."""
    hub = session.credentials.extra.get("hub_id")
    return f"hub:{hub}" if hub else f"client:{id(session.credentials)}"


def search(session: CrmSession, api: ApiClient, object_type: str, body: dict[str, Any]) -> Any:
    """POST a CRM search, waiting first so the account stays within 5 searches a second."""
    search_limit.acquire(account_key(session))
    return api.post(f"crm/v3/objects/{object_type}/search", body)


def owner_of_user(api: ApiClient, user_id: Any) -> str | None:
    """Return the owner id of HubSpot user ``user_id`` (the token's ``user_id``), or None
    when the user is no owner or the app may not read owners (403, missing scope).

    HubSpot's owners API answers ``GET /crm/v3/owners/{id}?idProperty=userId`` with the
    owner whose ``userId`` it is; its ``id`` (not the ``userId``) is what
    ``hubspot_owner_id`` takes.
    """
    if not user_id:
        return None
    try:
        owner = api.get(f"crm/v3/owners/{int(user_id)}", {"idProperty": "userId"}) or {}
    except (CrmNotFound, CrmValidationError, ValueError):
        return None
    found = owner.get("id") if isinstance(owner, dict) else None
    return str(found) if found else None
