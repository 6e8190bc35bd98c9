"""Connector configuration for Salesforce, read from the app's config mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_API_VERSION = "66.0"
DEFAULT_TIMEOUT = 10.0
# "id" lets us read the identity URL (user name/email) and "refresh_token" gets a refresh
# token at all: without it Salesforce returns access tokens only.
DEFAULT_SCOPE = "api id refresh_token"
# What ``SALESFORCE_<NAME>`` variables may set; "" leaves the default of ``from_config``.
ENV_SETTINGS = {
    "CLIENT_ID": "",
    "CLIENT_SECRET": "",
    "LOGIN_URL": DEFAULT_LOGIN_URL,
    # The callback URL registered in the connected app; default: this server's own
    # /crm/connect/salesforce/callback (set it when a proxy changes scheme or host).
    "REDIRECT_URI": "",
    "API_VERSION": "",
    "SCOPE": "",
    "TIMEOUT": "",
    "VERIFY_SIGNATURE": "",
}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SalesforceSettings:
    """Typed view of the connector config (client id/secret, login host, API version...)."""

    client_id: str
    client_secret: str | None
    login_url: str
    api_version: str
    timeout: float
    scope: str
    redirect_uri: str | None
    verify_signature: bool

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SalesforceSettings:
        """Return settings from ``config``, filling Salesforce defaults for missing keys."""
        version = str(config.get("api_version") or DEFAULT_API_VERSION).lstrip("vV")
        return cls(
            client_id=str(config.get("client_id") or ""),
            client_secret=config.get("client_secret") or None,
            login_url=str(config.get("login_url") or DEFAULT_LOGIN_URL).rstrip("/"),
            api_version=version,
            timeout=float(config.get("timeout") or DEFAULT_TIMEOUT),
            scope=str(config.get("scope") or DEFAULT_SCOPE),
            redirect_uri=config.get("redirect_uri") or None,
            verify_signature=_flag(config.get("verify_signature", True)),
        )

    @property
    def authorize_url(self) -> str:
        """Return the OAuth authorize endpoint on the login host."""
        return f"{self.login_url}/services/oauth2/authorize"

    @property
    def token_url(self) -> str:
        """Return the OAuth token endpoint on the login host."""
        return f"{self.login_url}/services/oauth2/token"

    @property
    def revoke_url(self) -> str:
        """Return the OAuth revocation endpoint on the login host."""
        return f"{self.login_url}/services/oauth2/revoke"


def _flag(value: Any) -> bool:
    """Return a setting as a boolean; environment strings such as "false" are False."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    return bool(value)
