"""Each user's CRM connection: which connector, its session, connect and disconnect.

Connector configuration comes by naming convention: each setting a connector declares,
``<CONNECTOR ID>_<NAME>`` (``SALESFORCE_CLIENT_ID``, ``SALESFORCE_LOGIN_URL``...) in app
config or else the environment, reaches the connector as ``<name>`` (``client_id``,
``login_url``), so a new connector needs no code here. A connection's own ``settings``
(e.g. a sandbox org's login URL) override it.
"""

from __future__ import annotations

import os
from collections import ChainMap
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from connectors.base import Connector
from connectors.errors import CrmAuthError, CrmError
from connectors.registry import available_connectors, get_connector
from connectors.session import CrmCredentials, CrmSession
from widget.access import personal_to
from widget.crm_logging import matching
from widget.crm_logging.credentials import decrypt_credentials, encrypt_credentials
from widget.errors import Conflict, DomainError, Invalid
from widget.extensions import db
from widget.models import CrmAccountSettings, CrmConnection, Extension
from widget.models.queries import insert_once
from widget.models.types import utcnow

RECONNECT_MESSAGE = "Reconnect your CRM"


def connector_config(connector_id: str) -> dict[str, Any]:
    """Return the connector's settings (``SALESFORCE_CLIENT_ID`` -> client_id), without the
    empty ones, plus the HTTP timeout."""
    config: dict[str, Any] = {"timeout": current_app.config.get("CRM_HTTP_TIMEOUT", 10)}
    cls = available_connectors().get(connector_id)
    if cls is None:
        return config
    for name, value in cls.settings(ChainMap(current_app.config, os.environ)).items():
        if value not in ("", None):
            config[name.lower()] = value
    return config


def auto_log_forced(extension: Extension) -> bool:
    """Whether an admin turned auto-log on for everyone of the extension's company."""
    forced = db.session.scalar(
        select(CrmAccountSettings.force_auto_log).where(
            CrmAccountSettings.account_id == extension.account_id
        )
    )
    return bool(forced)


def connection_for(extension: Extension) -> CrmConnection:
    """Return the user's connection, creating the default one (``DEFAULT_CRM``) on first use."""
    found = db.session.scalar(
        select(CrmConnection).where(personal_to(extension, CrmConnection.extension_id))
    )
    if found is not None:
        return found
    forced = auto_log_forced(extension)
    connection = CrmConnection(
        extension_id=extension.id,
        connector_id=current_app.config.get("DEFAULT_CRM") or "local",
        settings={},
        auto_log=forced,
        autolog_since=utcnow() if forced else None,
    )
    if insert_once(connection):
        db.session.commit()
        return connection
    # Another request created it first: use theirs.
    return db.session.scalars(
        select(CrmConnection).where(personal_to(extension, CrmConnection.extension_id))
    ).one()


def connector_of(connection: CrmConnection) -> Connector:
    """Return the connector instance of ``connection`` (``Conflict`` when not installed)."""
    try:
        return get_connector(connection.connector_id)
    except KeyError:
        raise Conflict(
            f"The CRM connector {connection.connector_id!r} is not installed.",
        ) from None


def _persist_credentials(connection_id: int, credentials: CrmCredentials) -> None:
    # A refreshed token must survive whatever fails next (rotating refresh tokens are
    # single-use), so it is committed at once, before the connector retries its call.
    db.session.execute(
        update(CrmConnection)
        .where(CrmConnection.id == connection_id)
        .values(encrypted_credentials=encrypt_credentials(credentials))
    )
    db.session.commit()


def connector_session(connection: CrmConnection) -> tuple[Connector, CrmSession]:
    """Return the connector and a session carrying the decrypted credentials.

    Raises ``CrmAuthError`` when the connector needs credentials and has none (never
    connected, or credentials that no longer decrypt).
    """
    connector = connector_of(connection)
    credentials = decrypt_credentials(connection.encrypted_credentials)
    if credentials is None:
        if connector.get_auth_type() != "none":
            raise CrmAuthError(RECONNECT_MESSAGE)
        credentials = CrmCredentials(access_token="")
    extension = db.session.get(Extension, connection.extension_id)
    config = {**connector_config(connection.connector_id), **(connection.settings or {})}
    # Sidetalk context for connectors that live in Sidetalk itself (the local CRM).
    config["sidetalk_account_id"] = extension.account_id if extension else None
    config["sidetalk_user_name"] = extension.name if extension else None
    connection_id = connection.id
    session = CrmSession(
        credentials=credentials,
        on_credentials_changed=lambda fresh: _persist_credentials(connection_id, fresh),
        config=config,
        user_timezone=extension.timezone if extension else "UTC",
    )
    return connector, session


def connect(
    extension: Extension,
    connector_id: str,
    credentials: CrmCredentials | None,
    user_info: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> CrmConnection:
    """Point the user's connection at ``connector_id`` with new credentials; return it."""
    try:
        get_connector(connector_id)
    except KeyError:
        raise Invalid(f"Unknown CRM {connector_id!r}.", field="connector_id") from None
    connection = connection_for(extension)
    matching.forget(connection.id)
    connection.connector_id = connector_id
    connection.encrypted_credentials = encrypt_credentials(credentials) if credentials else None
    connection.user_info = user_info
    connection.settings = dict(settings or {})
    db.session.commit()
    return connection


def disconnect(extension: Extension) -> None:
    """Revoke the tokens at the CRM (when reachable), forget them, fall back to the default."""
    connection = connection_for(extension)
    if connection.encrypted_credentials:
        try:
            connector, session = connector_session(connection)
            connector.revoke(session)
        except (CrmError, DomainError):
            pass  # a CRM that is down or already revoked must not keep the user connected
    matching.forget(connection.id)
    connection.connector_id = current_app.config.get("DEFAULT_CRM") or "local"
    connection.encrypted_credentials = None
    connection.user_info = None
    connection.settings = {}
    db.session.commit()


def cached_user_info(extension: Extension) -> dict[str, Any]:
    """Return the CRM user, asking the CRM only when it was never fetched."""
    connection = connection_for(extension)
    if connection.user_info:
        return dict(connection.user_info)
    connector, session = connector_session(connection)
    info = connector.get_user_info(session)
    connection = connection_for(extension)  # the session may have committed a refresh
    connection.user_info = dict(info)
    db.session.commit()
    return dict(info)
