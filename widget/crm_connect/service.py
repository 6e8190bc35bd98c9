"""Connecting a CRM: the OAuth 2 authorization-code flow with PKCE, run in a popup.

``start_flow`` remembers a random ``state`` (hashed) with the PKCE verifier, bound to the
extension that started it, for ``STATE_LIFETIME``; ``finish_flow`` accepts the CRM's
redirect only with that state, once, then exchanges the code and stores the credentials
(encrypted, through the engine). Every failure raises ``BadInput`` before anything is
stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import timedelta

from authlib.common.security import generate_token
from sqlalchemy import delete, select

from connectors.base import Connector, CrmSession
from connectors.errors import CrmError
from connectors.registry import available_connectors, get_connector
from widget.crm_logging import engine
from widget.errors import BadInput
from widget.extensions import db
from widget.models import CrmOAuthState, Extension
from widget.models.types import utcnow

STATE_LIFETIME = timedelta(minutes=10)
VERIFIER_LENGTH = 64  # RFC 7636: 43 to 128 characters


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def connector_named(connector_id: str) -> Connector:
    """Return the installed connector ``connector_id`` (``BadInput(404)`` otherwise)."""
    if connector_id not in available_connectors():
        raise BadInput(f"There is no CRM connector “{connector_id}”.", status=404)
    return get_connector(connector_id)


def oauth_connector(connector_id: str) -> Connector:
    """Return the connector when it signs in with OAuth (``BadInput`` otherwise)."""
    connector = connector_named(connector_id)
    if connector.get_auth_type() != "oauth":
        raise BadInput(f"{connector.display_name} does not sign in through a CRM window.")
    return connector


def start_flow(extension: Extension, connector_id: str, default_redirect_uri: str) -> str:
    """Remember a new flow for ``extension``; return the CRM's authorization URL."""
    connector = oauth_connector(connector_id)
    config = engine.connector_config(connector_id)
    if not config.get("client_id"):
        setting = f"{connector_id.upper()}_CLIENT_ID"
        raise BadInput(
            f"{connector.display_name} is not set up on this server: an administrator must "
            f"set {setting} (and the client secret) first.",
            status=503,
        )
    redirect_uri = str(config.get("redirect_uri") or default_redirect_uri)
    state = secrets.token_urlsafe(32)
    verifier = generate_token(VERIFIER_LENGTH)
    now = utcnow()
    db.session.execute(delete(CrmOAuthState).where(CrmOAuthState.expires_at < now))
    db.session.add(
        CrmOAuthState(
            state_hash=_state_hash(state),
            extension_id=extension.id,
            connector_id=connector_id,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
            expires_at=now + STATE_LIFETIME,
        )
    )
    db.session.commit()
    return connector.build_authorization_url(config, redirect_uri, state, verifier)


def _consume_state(connector_id: str, state: str) -> CrmOAuthState:
    """Return and delete the flow started with ``state`` (single use)."""
    flow = db.session.scalar(
        select(CrmOAuthState).where(
            CrmOAuthState.state_hash == _state_hash(state),
            CrmOAuthState.connector_id == connector_id,
        )
    )
    if flow is None:
        raise BadInput(
            "This sign-in is unknown or was already finished. Close this window and "
            "connect again from Sidetalk's settings."
        )
    db.session.delete(flow)
    db.session.commit()
    if flow.expires_at < utcnow():
        raise BadInput(
            "This sign-in took too long and expired. Close this window and connect again."
        )
    return flow


def finish_flow(connector_id: str, args: Mapping[str, str]) -> Extension:
    """Check the CRM's redirect, exchange the code, store the credentials; return the user.

    Raises ``BadInput``: 400 for a missing, unknown, reused or expired ``state``, a
    refusal at the CRM or a missing ``code``; 502 when the token endpoint fails.
    """
    connector = oauth_connector(connector_id)
    state = args.get("state") or ""
    if not state:
        raise BadInput("The CRM's answer has no state; it did not come from this sign-in.")
    flow = _consume_state(connector_id, state)
    name = connector.display_name
    if args.get("error"):
        reason = args.get("error_description") or args.get("error")
        raise BadInput(f"{name} did not connect: {reason}")
    code = args.get("code") or ""
    if not code:
        raise BadInput(f"{name} sent no authorization code; connect again.")
    extension = db.session.get(Extension, flow.extension_id)
    if extension is None:
        raise BadInput("The user who started this sign-in no longer exists.", status=404)
    config = engine.connector_config(connector_id)
    try:
        credentials = connector.exchange_code(config, code, flow.redirect_uri, flow.code_verifier)
    except CrmError as error:
        raise BadInput(f"{name} refused the sign-in: {error.message}", status=502) from None
    try:
        user_info = connector.get_user_info(CrmSession(credentials, config=config))
    except CrmError:
        user_info = None  # who we are is cosmetic; the engine asks again when needed
    engine.connect(extension, connector_id, credentials, user_info)
    return extension


def use_connector(extension: Extension, connector_id: str) -> None:
    """Switch to a connector that needs no sign-in (the local CRM).

    Tokens of the CRM being left are revoked first: a connection nobody uses should
    not stay valid at the CRM.
    """
    connector = connector_named(connector_id)
    if connector.get_auth_type() != "none":
        raise BadInput(f"Connect {connector.display_name} through its sign-in window.")
    if engine.connection_for(extension).encrypted_credentials:
        engine.disconnect(extension)
    engine.connect(extension, connector_id, None)
