"""The connector interface every CRM integration implements.

Method names follow RingCentral App Connect's connector interface (in snake_case) so its
connector authors feel at home. A connector is stateless between calls: everything about a
user travels in the :class:`CrmSession` passed to each method, so one instance serves every
user and thread. What the methods exchange lives beside it: the session and credentials
(``connectors.session``), records and activities (``connectors.records``), and the
manifest's sign-in pages (``connectors.signin``).
"""

from __future__ import annotations

import copy
import functools
import json
import re
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, cast

from connectors import signin
from connectors.errors import CrmError, CrmValidationError
from connectors.records import RELATED_TO, LogFormat, LogResult, MatchedRecord, MessageLogWrite
from connectors.session import CrmCredentials, CrmSession, OAuthInfo
from connectors.signin import ApiKeyField, ConnectOption

AuthType = Literal["oauth", "apiKey", "none"]


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
    # The settings an administrator gives through ``<ID>_<NAME>`` environment variables, with
    # their defaults ("" means "the connector's own default"); see ``settings``.
    setting_defaults: ClassVar[Mapping[str, str]] = {}
    # The ``additional_info`` keys ``find_contact`` fills: the consts a manifest's
    # contact-dependent fields can use (the admin's builder warns about any other).
    contact_info_keys: ClassVar[tuple[str, ...]] = (RELATED_TO,)

    # -- configuration -----------------------------------------------------------------------

    @classmethod
    def env_prefix(cls) -> str:
        """Return the prefix of this connector's variables: ``SALESFORCE_`` for ``salesforce``."""
        return re.sub(r"[^0-9A-Za-z]", "_", cls.id).upper() + "_"

    @classmethod
    def settings(cls, environ: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``{NAME: value}`` for every declared setting.

        The value is ``environ["<ID>_<NAME>"]`` when set and not empty, else the default.
        ``environ`` is the app's configuration mapping (falling back to the process
        environment), so no connector needs a line of the app's own configuration.
        """
        prefix = cls.env_prefix()
        found: dict[str, Any] = {}
        for name, default in cls.setting_defaults.items():
            value = environ.get(prefix + name)
            found[name] = default if value in (None, "") else value
        return found

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

    def api_key_fields(self) -> list[ApiKeyField]:
        """Return the inputs of the manifest's API-key sign-in page (buttons and text left
        out), in page order; empty when the connector does not sign in with an API key."""
        return signin.api_key_fields(self._api_key_page())

    def api_key_warning(self) -> str | None:
        """Return the note the API-key sign-in page shows above its fields, if any."""
        return self._api_key_page().get("warning") or None

    def _api_key_page(self) -> dict[str, Any]:
        auth = self._platform_manifest().get("auth") or {}
        page: dict[str, Any] = (auth.get("apiKey") or {}).get("page") or {}
        return page

    def credentials_from_api_key(self, submitted: Mapping[str, Any]) -> CrmCredentials:
        """Return the credentials of a submitted API-key sign-in form; ``CrmValidationError``
        naming every missing, empty or overlong field (``signin.credentials_from_api_key``)."""
        return signin.credentials_from_api_key(self.api_key_fields(), submitted)

    def is_configured(self, config: Mapping[str, Any]) -> bool:
        """Return whether this server can sign users in (an OAuth client id is set)."""
        if self.get_auth_type() != "oauth":
            return True
        try:
            return bool(self.get_oauth_info(config).client_id)
        except (CrmValidationError, KeyError, ValueError):
            return False

    def connect_options(self, config: Mapping[str, Any]) -> list[ConnectOption]:
        """Return the choices to make before signing in (default: none)."""
        return []

    def connect_choices(
        self, config: Mapping[str, Any], submitted: Mapping[str, Any]
    ) -> dict[str, str]:
        """Return the submitted connect choices, defaults filled in; ``CrmValidationError``
        naming each value that is not one of its option's choices (nothing is stored)."""
        return signin.connect_choices(self.connect_options(config), submitted)

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
        return signin.authorization_url(
            self.get_oauth_info(config), redirect_uri, state, code_verifier
        )

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

    def search_contacts(self, session: CrmSession, text: str) -> list[MatchedRecord]:
        """Return records whose name matches ``text`` (for the recipient picker).

        ``phone`` of each record is its number as the CRM stores it. The default returns an
        empty list, meaning "this connector cannot search by name": the picker then finds
        its records by number only (``find_contact``).
        """
        return []

    def move_message_log(
        self, session: CrmSession, log_id: str, log: MessageLogWrite
    ) -> LogResult | None:
        """Point an existing log at ``log.record`` (and its "Related to"), now keyed
        ``log.log_key``; return None when the CRM cannot re-parent an activity, and
        Sidetalk then deletes it and creates it again. ``CrmNotFound`` if it is gone.
        """
        return None

    def delete_message_log(self, session: CrmSession, log_id: str) -> None:
        """Delete a log (a move in CRMs that cannot re-parent); ``CrmNotFound`` if gone."""
        raise CrmError(f"{self.display_name} cannot move a logged activity to another record.")

    def find_message_log(self, session: CrmSession, log_key: str) -> str | None:
        """Return the id of an activity previously created for ``log_key``, or None.

        Used to reconcile after a crash between the CRM write and the local commit.
        Connectors that cannot search by key return None (the default).
        """
        return None
