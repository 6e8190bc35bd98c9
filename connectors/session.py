"""One user's CRM connection as every connector call receives it: the stored
credentials, the session around them, and the OAuth settings a sign-in runs with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CrmCredentials:
    """What the app stores (encrypted) for one user's CRM connection.

    Secrets are excluded from ``repr`` so credentials never leak into logs or tracebacks.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    instance_url: str | None = None
    token_type: str = "Bearer"  # noqa: S105 - a scheme name, not a secret
    expires_at: dt.datetime | None = None
    api_key: str | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)


def _ignore_credentials(_credentials: CrmCredentials) -> None:
    return None


@dataclass
class CrmSession:
    """One user's connection, passed to every data call.

    ``on_credentials_changed`` is called right after a token refresh, before the original
    request is retried, so the app can persist the new tokens even if a later step fails
    (single-use refresh tokens would otherwise be lost).
    """

    credentials: CrmCredentials
    on_credentials_changed: Callable[[CrmCredentials], None] = _ignore_credentials
    config: Mapping[str, Any] = field(default_factory=dict)
    user_timezone: str = "UTC"


@dataclass
class OAuthInfo:
    """Everything the app needs to run an OAuth 2 authorization-code flow."""

    client_id: str
    client_secret: str | None
    authorize_url: str
    token_url: str
    scope: str = ""
    redirect_uri: str | None = None
    use_pkce: bool = True
