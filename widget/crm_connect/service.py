"""Connecting a CRM: the OAuth 2 authorization-code flow with PKCE, run in a popup, or
the API-key form its manifest describes (``connect_with_api_key``).

``start_flow`` remembers a random ``state`` with the PKCE verifier, bound to the
extension that started it and to the browser window running the flow (a secret in a
cookie of that window, mixed into the stored hash: ``widget/browser_binding.py``), for
``STATE_LIFETIME``; ``finish_flow`` accepts the CRM's redirect only with that state and
that browser's secret, once, then exchanges the code and stores the credentials
(encrypted, through the engine). Every failure raises a domain error before anything is
stored. One user has at most ``MAX_PENDING_FLOWS`` flows pending: starting another
forgets the oldest.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta

from authlib.common.security import generate_token
from sqlalchemy import delete, select

from connectors.base import Connector
from connectors.errors import CrmAuthError, CrmError, CrmValidationError
from connectors.registry import available_connectors, get_connector
from connectors.session import CrmSession
from widget import browser_binding
from widget.crm_logging import engine
from widget.errors import Invalid, NotFound, Refused, Unavailable
from widget.extensions import db
from widget.models import CrmOAuthState, Extension
from widget.models.types import utcnow

STATE_LIFETIME = timedelta(minutes=10)
VERIFIER_LENGTH = 64  # RFC 7636: 43 to 128 characters
MAX_PENDING_FLOWS = 5


def connector_named(connector_id: str) -> Connector:
    """Return the installed connector ``connector_id`` (``NotFound`` otherwise)."""
    if connector_id not in available_connectors():
        raise NotFound(f"There is no CRM connector “{connector_id}”.")
    return get_connector(connector_id)


def oauth_connector(connector_id: str) -> Connector:
    """Return the connector when it signs in with OAuth (``Invalid`` otherwise)."""
    connector = connector_named(connector_id)
    if connector.get_auth_type() != "oauth":
        raise Invalid(f"{connector.display_name} does not sign in through a CRM window.")
    return connector


def api_key_connector(connector_id: str) -> Connector:
    """Return the connector when it signs in with an API key (``Invalid`` otherwise)."""
    connector = connector_named(connector_id)
    if connector.get_auth_type() != "apiKey":
        raise Invalid(f"{connector.display_name} does not sign in with an API key.")
    return connector


def connect_with_api_key(
    extension: Extension, connector_id: str, submitted: Mapping[str, str]
) -> None:
    """Store the submitted sign-in values (encrypted, like OAuth tokens) as the connection.

    Raises ``CrmValidationError`` naming the fields that are missing, empty or too long,
    or the secret fields when the CRM refuses them; nothing is stored or revoked then.
    """
    connector = api_key_connector(connector_id)
    credentials = connector.credentials_from_api_key(submitted)
    config = engine.connector_config(connector_id)
    try:
        user_info = connector.get_user_info(CrmSession(credentials, config=config))
    except CrmAuthError as error:
        # The CRM refused the key itself: storing it would only fail every later log.
        fields = [spec.const for spec in connector.api_key_fields() if spec.secret]
        raise CrmValidationError(
            f"{connector.display_name} refused these sign-in details: {error.message}", fields
        ) from None
    except CrmError:
        user_info = None  # who we are is cosmetic; the engine asks again when needed
    if engine.connection_for(extension).encrypted_credentials:
        engine.disconnect(extension)
    engine.connect(extension, connector_id, credentials, user_info)


def start_flow(
    extension: Extension,
    connector_id: str,
    default_redirect_uri: str,
    browser_secret: str,
    submitted: Mapping[str, str] | None = None,
) -> str:
    """Remember a new flow for ``extension`` in the browser holding ``browser_secret``;
    return the CRM's authorization URL.

    ``submitted`` carries the connector's connect options (Clio's region): checked here
    (``Invalid`` naming a bad one), then kept with the flow and, once connected, as the
    connection's settings.
    """
    connector = oauth_connector(connector_id)
    config = engine.connector_config(connector_id)
    try:
        choices = connector.connect_choices(config, submitted or {})
    except CrmValidationError as error:
        raise Invalid(error.message, field=",".join(error.fields) or None) from None
    config.update(choices)
    if not connector.get_oauth_info(config).client_id:
        setting = f"{connector.env_prefix()}CLIENT_ID"
        raise Unavailable(
            f"{connector.display_name} is not set up on this server: an administrator must "
            f"set {setting} (and the client secret) first.",
        )
    redirect_uri = str(config.get("redirect_uri") or default_redirect_uri)
    state = secrets.token_urlsafe(32)
    verifier = generate_token(VERIFIER_LENGTH)
    now = utcnow()
    db.session.execute(delete(CrmOAuthState).where(CrmOAuthState.expires_at < now))
    _forget_oldest_flows(extension)
    db.session.add(
        CrmOAuthState(
            state_hash=browser_binding.flow_hash(state, browser_secret),
            extension_id=extension.id,
            connector_id=connector_id,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
            expires_at=now + STATE_LIFETIME,
            settings=choices or None,
        )
    )
    db.session.commit()
    return connector.build_authorization_url(config, redirect_uri, state, verifier)


def _forget_oldest_flows(extension: Extension) -> None:
    """Keep room for one more pending flow of ``extension`` (abandoned popups pile up)."""
    pending = db.session.scalars(
        select(CrmOAuthState.id)
        .where(CrmOAuthState.extension_id == extension.id)
        .order_by(CrmOAuthState.created_at.desc(), CrmOAuthState.id.desc())
        .offset(MAX_PENDING_FLOWS - 1)
    ).all()
    if pending:
        db.session.execute(delete(CrmOAuthState).where(CrmOAuthState.id.in_(pending)))


def _consume_state(connector_id: str, state: str, browser_secret: str) -> CrmOAuthState:
    """Return and delete the flow started with ``state`` in this browser (single use)."""
    if not browser_secret:
        raise Invalid(
            "This sign-in was not started in this browser window. Close it and connect "
            "again from Sidetalk's settings."
        )
    flow = db.session.scalar(
        select(CrmOAuthState).where(
            CrmOAuthState.state_hash == browser_binding.flow_hash(state, browser_secret),
            CrmOAuthState.connector_id == connector_id,
        )
    )
    if flow is None:
        raise Invalid(
            "This sign-in is unknown, was already finished or was started in another "
            "browser. Close this window and connect again from Sidetalk's settings."
        )
    db.session.delete(flow)
    db.session.commit()
    if flow.expires_at < utcnow():
        raise Invalid(
            "This sign-in took too long and expired. Close this window and connect again."
        )
    return flow


def finish_flow(connector_id: str, args: Mapping[str, str], browser_secret: str) -> Extension:
    """Check the CRM's redirect, exchange the code, store the credentials; return the user.

    Raises ``Invalid`` for a missing, unknown, reused or expired ``state``, a browser
    other than the one that started the flow, a refusal at the CRM or a missing
    ``code``; ``Refused`` when the token endpoint fails.
    """
    connector = oauth_connector(connector_id)
    state = args.get("state") or ""
    if not state:
        raise Invalid("The CRM's answer has no state; it did not come from this sign-in.")
    flow = _consume_state(connector_id, state, browser_secret)
    name = connector.display_name
    if args.get("error"):
        reason = args.get("error_description") or args.get("error")
        raise Invalid(f"{name} did not connect: {reason}")
    code = args.get("code") or ""
    if not code:
        raise Invalid(f"{name} sent no authorization code; connect again.")
    extension = db.session.get(Extension, flow.extension_id)
    if extension is None:
        raise NotFound("The user who started this sign-in no longer exists.")
    choices = dict(flow.settings or {})
    config = {**engine.connector_config(connector_id), **choices}
    try:
        credentials = connector.exchange_code(config, code, flow.redirect_uri, flow.code_verifier)
    except CrmError as error:
        raise Refused(f"{name} refused the sign-in: {error.message}") from None
    try:
        user_info = connector.get_user_info(CrmSession(credentials, config=config))
    except CrmError:
        user_info = None  # who we are is cosmetic; the engine asks again when needed
    engine.connect(extension, connector_id, credentials, user_info, settings=choices)
    return extension


def use_connector(extension: Extension, connector_id: str) -> None:
    """Switch to a connector that needs no sign-in (the local CRM).

    Tokens of the CRM being left are revoked first: a connection nobody uses should
    not stay valid at the CRM.
    """
    connector = connector_named(connector_id)
    if connector.get_auth_type() != "none":
        raise Invalid(f"Connect {connector.display_name} through its sign-in window.")
    if engine.connection_for(extension).encrypted_credentials:
        engine.disconnect(extension)
    engine.connect(extension, connector_id, None)
