"""The connector interface every CRM integration implements.

Method names follow RingCentral App Connect's connector interface (in snake_case) so its
connector authors feel at home. A connector is stateless between calls: everything about a
user travels in the :class:`CrmSession` passed to each method, so one instance serves every
user and thread.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, cast

AuthType = Literal["oauth", "apiKey", "none"]
LogFormat = Literal["text/plain", "text/html", "text/markdown"]
MessageType = Literal["SMS", "MMS", "VoiceMail", "Fax", "Pager"]


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
class MatchedRecord:
    """A CRM record matching a phone number.

    ``additional_info`` is keyed by the manifest field ``const`` of contact-dependent
    selections; each value is a list of ``{"const": id, "title": label}`` options.
    """

    id: str
    name: str
    type: str
    phone: str | None = None
    additional_info: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    updated_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    url: str | None = None


@dataclass
class MessageLogWrite:
    """One CRM activity to create or update: a conversation-day for one contact.

    ``body`` is already composed by Sidetalk in the connector's log format;
    ``log_key`` is Sidetalk's idempotency key (e.g. ``"conv-123/2026-11-22/003xx"``).
    """

    log_key: str
    subject: str
    body: str
    activity_date: dt.date
    record: MatchedRecord
    related_to_id: str | None = None
    message_type: MessageType = "SMS"
    direction: str | None = None
    additional_submission: dict[str, Any] = field(default_factory=dict)
    user_name: str | None = None


@dataclass
class LogResult:
    """The CRM id of a created/updated activity and, when known, a link to open it."""

    log_id: str
    url: str | None = None


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


@functools.lru_cache(maxsize=32)
def _read_manifest(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


class Connector(ABC):
    """Base class of CRM connectors, registered through the ``sidetalk.connectors`` group.

    Subclasses set ``id`` (the entry-point name and manifest platform key) and
    ``display_name``, ship a ``manifest.json`` beside their module, and implement the
    abstract data methods. Errors are reported with the classes of ``connectors.errors``.
    """

    id: ClassVar[str]
    display_name: ClassVar[str]
    manifest_filename: ClassVar[str] = "manifest.json"

    # -- manifest and capabilities ---------------------------------------------------------

    @classmethod
    def manifest_path(cls) -> Path:
        """Return the path of the bundled manifest (``manifest.json`` beside the module)."""
        module_file = sys.modules[cls.__module__].__file__
        if module_file is None:  # pragma: no cover - namespace packages only
            raise FileNotFoundError(f"connector {cls.__name__} has no module file")
        return Path(module_file).resolve().parent / cls.manifest_filename

    def manifest(self) -> dict[str, Any]:
        """Return the bundled manifest (version 0) as a fresh dict the caller may mutate."""
        return copy.deepcopy(_read_manifest(self.manifest_path()))

    def _platform_manifest(self) -> dict[str, Any]:
        platforms = self.manifest().get("platforms", {})
        platform: dict[str, Any] = platforms.get(self.id, {})
        return platform

    def get_auth_type(self) -> AuthType:
        """Return ``"oauth"``, ``"apiKey"`` or ``"none"`` (default: the manifest's auth type)."""
        return cast(AuthType, self._platform_manifest().get("auth", {}).get("type", "none"))

    def get_log_format_type(self) -> LogFormat:
        """Return the MIME type log bodies must be composed in (default: manifest logFormat)."""
        return cast(LogFormat, self._platform_manifest().get("logFormat", "text/plain"))

    # -- authentication ----------------------------------------------------------------------

    def get_oauth_info(self, config: Mapping[str, Any]) -> OAuthInfo:
        """Return the OAuth endpoints and client settings (OAuth connectors only)."""
        raise NotImplementedError(f"connector {self.id!r} does not use OAuth")

    def build_authorization_url(
        self,
        config: Mapping[str, Any],
        redirect_uri: str,
        state: str,
        code_verifier: str | None = None,
    ) -> str:
        """Return the URL to open in the OAuth popup (with an S256 challenge when PKCE is on)."""
        from authlib.integrations.requests_client import OAuth2Session

        info = self.get_oauth_info(config)
        use_pkce = info.use_pkce and code_verifier is not None
        with OAuth2Session(
            client_id=info.client_id,
            scope=info.scope or None,
            redirect_uri=redirect_uri,
            code_challenge_method="S256" if use_pkce else None,
        ) as oauth:
            url, _ = oauth.create_authorization_url(
                info.authorize_url, state=state, code_verifier=code_verifier if use_pkce else None
            )
        return str(url)

    def exchange_code(
        self,
        config: Mapping[str, Any],
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
    ) -> CrmCredentials:
        """Exchange an authorization code for credentials (OAuth connectors only)."""
        raise NotImplementedError(f"connector {self.id!r} does not use OAuth")

    def revoke(self, session: CrmSession) -> None:  # noqa: B027 - optional hook, no-op default
        """Revoke the session's tokens at the CRM, when it supports that (default: nothing)."""

    # -- data ----------------------------------------------------------------------------------

    @abstractmethod
    def get_user_info(self, session: CrmSession) -> dict[str, Any]:
        """Return the connected CRM user: at least ``id`` and ``name`` (``email`` if known)."""

    @abstractmethod
    def find_contact(self, session: CrmSession, phone_e164: str) -> list[MatchedRecord]:
        """Return every record matching the number (empty list when none)."""

    @abstractmethod
    def create_contact(
        self,
        session: CrmSession,
        phone_e164: str,
        name: str,
        contact_type: str,
        additional_submission: Mapping[str, Any],
    ) -> MatchedRecord:
        """Create a record of ``contact_type`` (a manifest contactTypes value); return it."""

    @abstractmethod
    def create_message_log(self, session: CrmSession, log: MessageLogWrite) -> LogResult:
        """Create the CRM activity for ``log``; return its id."""

    @abstractmethod
    def update_message_log(
        self, session: CrmSession, log_id: str, log: MessageLogWrite
    ) -> LogResult:
        """Replace the content of activity ``log_id``; raise ``CrmNotFound`` if it is gone."""

    def find_message_log(self, session: CrmSession, log_key: str) -> str | None:
        """Return the id of an activity previously created for ``log_key``, or None.

        Used to reconcile after a crash between the CRM write and the local commit.
        Connectors that cannot search by key return None (the default).
        """
        return None
