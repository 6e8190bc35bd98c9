"""Clio Manage settings, regions, OAuth, error bodies and the per-user API client.

Facts (``shared/conformance/clio/SOURCES.md``): four separate regional instances (US
app.clio.com, EU eu.app.clio.com, CA ca.app.clio.com, AU au.app.clio.com), each with its
own developer app (client id and secret) and tokens that work only there; OAuth on the
regional host, form-encoded with the client in the body; API under ``/api/v4``; errors
``{"error": {"type", "message"}}``; 429 with ``Retry-After`` (seconds); an invalid
``X-API-VERSION`` is 410 Gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import requests

from connectors.errors import CrmAuthError, CrmValidationError
from connectors.http import ApiClient, ErrorInfo, TokenRefresher, json_or_empty
from connectors.oauth_app import AppSettings, app_fields
from connectors.session import CrmCredentials, CrmSession, OAuthInfo

CRM_NAME = "Clio"
REGIONS = {
    "US": ("United States", "https://app.clio.com"),
    "EU": ("Europe", "https://eu.app.clio.com"),
    "CA": ("Canada", "https://ca.app.clio.com"),
    "AU": ("Australia", "https://au.app.clio.com"),
}
DEFAULT_REGION = "US"
ENV_SETTINGS = {
    # The US app's client; CLIO_EU_CLIENT_ID, CLIO_CA_..., CLIO_AU_... for the others.
    "CLIENT_ID": "",
    "CLIENT_SECRET": "",
    **{f"{r}_CLIENT_ID": "" for r in REGIONS if r != "US"},
    **{f"{r}_CLIENT_SECRET": "" for r in REGIONS if r != "US"},
    # Host overrides per region (tests point them at a fake).
    **{f"{r}_URL": "" for r in REGIONS},
    "REGION": DEFAULT_REGION,
    "REDIRECT_URI": "",
    "TIMEOUT": "",
    "API_VERSION": "",
    "BODY_MAX": "",
}
# Clio states no length limit for a communication body (SOURCES.md: uncertain); we keep
# bodies within 65,000 characters, shortened by us rather than refused there.
DEFAULT_BODY_MAX = 65_000
PRECONDITION_FAILED = "PreconditionFailed"


def region_code(value: Any) -> str:
    """Return a valid region code for ``value`` (``CrmValidationError`` otherwise)."""
    code = str(value or DEFAULT_REGION).strip().upper()
    if code not in REGIONS:
        known = ", ".join(REGIONS)
        raise CrmValidationError(
            f"Unknown Clio region “{value}”; choose one of {known}.", ["region"]
        )
    return code


@dataclass(frozen=True)
class ClioSettings(AppSettings):
    """Typed view of the connector config for one region."""

    region: str
    host: str
    api_version: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any], region: str | None = None) -> ClioSettings:
        """Return the settings of ``region`` (default: the config's ``region``)."""
        code = region_code(region or config.get("region"))
        prefix = "" if code == "US" else f"{code.lower()}_"
        host = config.get(f"{code.lower()}_url") or REGIONS[code][1]
        return cls(
            **app_fields(config, DEFAULT_BODY_MAX, prefix),
            region=code,
            host=str(host).rstrip("/"),
            api_version=str(config.get("api_version") or ""),
        )

    def oauth_info(self) -> OAuthInfo:
        """Return the region's authorize and token endpoints."""
        return self.app_oauth_info(f"{self.host}/oauth/authorize", f"{self.host}/oauth/token")

    def refresher(self) -> TokenRefresher:
        """Return the region's single-flight refresher (the host is kept in credentials)."""
        host, region = self.host, self.region

        def keep_region(_token: Mapping[str, Any], credentials: CrmCredentials) -> CrmCredentials:
            extra = {**credentials.extra, "region": region}
            return replace(credentials, instance_url=host, extra=extra)

        return TokenRefresher(self.oauth_info(), CRM_NAME, self.timeout, shape=keep_region)


def session_settings(session: CrmSession) -> ClioSettings:
    """Return the settings of the region the session's connection was made in."""
    return ClioSettings.from_config(session.config, session.credentials.extra.get("region"))


def read_error(response: requests.Response) -> ErrorInfo:
    """Return what a Clio error body says."""
    body = json_or_empty(response)
    detail = body.get("error") if isinstance(body, dict) else None
    # A 412 is told apart by its status: the update re-reads the ETag and tries again.
    code = PRECONDITION_FAILED if response.status_code == 412 else None
    if isinstance(detail, dict):
        message = str(detail.get("message") or "")
        return ErrorInfo(message, (), code or detail.get("type"), (detail,))
    if isinstance(body, dict) and body.get("message"):
        return ErrorInfo(str(body["message"]), (), code)
    return ErrorInfo(f"Clio answered HTTP {response.status_code}", (), code)


def regional_host(credentials: CrmCredentials) -> str:
    """Return the API base of the connection's region."""
    if not credentials.instance_url:
        raise CrmAuthError("Clio credentials name no region host; reconnect Clio")
    return credentials.instance_url.rstrip("/") + "/api/v4"


def client(session: CrmSession) -> ApiClient:
    """Return the API client of ``session``'s user, on its region's host."""
    settings = session_settings(session)
    headers = {"X-API-VERSION": settings.api_version} if settings.api_version else {}
    return ApiClient(
        session,
        CRM_NAME,
        base_url=regional_host,
        read_error=read_error,
        refresher=settings.refresher(),
        timeout=settings.timeout,
        headers=headers,
    )
