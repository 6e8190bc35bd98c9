"""What the OAuth HTTP connectors (HubSpot, Pipedrive, Clio) share, written once.

Each reads the same app settings from its configuration (client id and secret, redirect
URI, HTTP timeout, longest body), builds its OAuth endpoints the same way, exchanges a
code the same way (its token refresher, then what the new connection must remember about
the user and account), and revokes at its OAuth host with one form POST. What differs is
given by each: its settings type, ``connection_extra`` and the revocation request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import requests

from connectors.base import Connector
from connectors.http import TokenRefresher
from connectors.oauth import transport_error
from connectors.session import CrmCredentials, CrmSession, OAuthInfo


@dataclass(frozen=True)
class AppSettings:
    """The OAuth app and limits every HTTP connector reads from its configuration."""

    client_id: str
    client_secret: str | None
    redirect_uri: str | None
    timeout: float
    body_max: int

    def app_oauth_info(self, authorize_url: str, token_url: str, scope: str = "") -> OAuthInfo:
        """Return this app's authorization-code endpoints (none of the three uses PKCE)."""
        return OAuthInfo(
            client_id=self.client_id,
            client_secret=self.client_secret,
            authorize_url=authorize_url,
            token_url=token_url,
            scope=scope,
            redirect_uri=self.redirect_uri,
            use_pkce=False,
        )


def app_fields(config: Mapping[str, Any], default_body_max: int, prefix: str = "") -> dict:
    """Return the ``AppSettings`` fields read from ``config`` (``prefix`` picks another
    app's client, e.g. Clio's ``eu_``)."""
    return {
        "client_id": str(config.get(f"{prefix}client_id") or ""),
        "client_secret": config.get(f"{prefix}client_secret") or None,
        "redirect_uri": config.get("redirect_uri") or None,
        "timeout": float(config.get("timeout") or 10),
        "body_max": int(config.get("body_max") or default_body_max),
    }


class _ConnectorSettings(Protocol):
    def oauth_info(self) -> OAuthInfo: ...
    def refresher(self) -> TokenRefresher: ...


class OAuthAppConnector(Connector):
    """A connector signing in through its ``settings_type``'s OAuth app (see the module)."""

    settings_type: ClassVar[Any]  # from_config(config) -> settings with oauth_info, refresher

    def app_settings(self, config: Mapping[str, Any]) -> _ConnectorSettings:
        """Return the connector's settings read from ``config``."""
        settings: _ConnectorSettings = self.settings_type.from_config(config)
        return settings

    def get_oauth_info(self, config: Mapping[str, Any]) -> OAuthInfo:
        """Return the app's authorize and token endpoints."""
        return self.app_settings(config).oauth_info()

    def exchange_code(
        self,
        config: Mapping[str, Any],
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
    ) -> CrmCredentials:
        """Return credentials for a code, with ``connection_extra`` kept in ``extra``."""
        credentials = self.app_settings(config).refresher().exchange(code, redirect_uri)
        credentials.extra.update(self.connection_extra(CrmSession(credentials, config=config)))
        return credentials

    def connection_extra(self, session: CrmSession) -> dict[str, Any]:
        """Return what a new connection keeps about its user and account (default: none).
        Raise ``CrmValidationError`` to refuse the connection."""
        return {}


def post_revocation(url: str, form: Mapping[str, str], timeout: float, crm_name: str, **how: Any):
    """POST a token revocation form to ``url`` (``how``: the client's ``auth`` or
    ``headers``); an unreachable host is a retryable error, an answer is not checked
    (a token the CRM no longer knows is revoked as far as we care)."""
    try:
        requests.post(url, data=dict(form), timeout=timeout, **how)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise transport_error(exc, crm_name) from None
