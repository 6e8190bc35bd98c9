"""Views of connecting a CRM: the OAuth popup's start and callback, the API-key form,
switch, disconnect.

``start`` is posted by the widget into the popup (the form carries who and CSRF); the
popup then goes to the CRM, and the callback finds its flow from ``state`` together
with the browser secret ``start`` left in a cookie of the popup.
Settings blocks returned here are those of ``crm_logging/settings.html``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import make_response, render_template, request, url_for
from jinja2_fragments.flask import render_block

from connectors.errors import CrmValidationError
from connectors.signin import API_KEY_VALUE_MAX
from widget import browser_binding, htmx_support
from widget.auth.service import login_required
from widget.crm_connect import bp, service
from widget.crm_logging import engine
from widget.crm_logging.settings_view import SETTINGS_PAGE, settings_context
from widget.security import accepts_posted_token


@bp.post("/<connector_id>/start")
@accepts_posted_token
@login_required
def start(extension, connector_id: str):
    """Start a sign-in (state and PKCE) in the popup and send it on to the CRM.

    ``crm.js`` opens the popup within the click and posts the widget's token and CSRF
    secret into it (no token in a URL). The answer binds the flow to the popup's browser
    with a cookie the callback must bring back, and goes on to the CRM.
    """
    callback = url_for("crm_connect.callback", connector_id=connector_id, _external=True)
    secret = browser_binding.new_secret()
    authorize_url = service.start_flow(extension, connector_id, callback, secret, request.form)
    name = service.connector_named(connector_id).display_name
    response = make_response(
        render_template("crm_connect/authorize.html", authorize_url=authorize_url, name=name)
    )
    browser_binding.remember(response, secret, urlsplit(callback).path, service.STATE_LIFETIME)
    return response


@bp.get("/<connector_id>/callback")
def callback(connector_id: str):
    """Finish the sign-in; return the page that tells the widget and closes the popup."""
    service.finish_flow(connector_id, request.args, browser_binding.sent_secret())
    name = service.connector_named(connector_id).display_name
    response = make_response(
        render_template("crm_connect/connected.html", connector_id=connector_id, name=name)
    )
    browser_binding.forget(response, url_for("crm_connect.callback", connector_id=connector_id))
    return response


def _connection_block(extension):
    html = render_block(SETTINGS_PAGE, "crm_connection", **settings_context(extension))
    return htmx_support.make_fragment_response(html)


def _api_key_form(connector_id: str, error: CrmValidationError | None = None, status=200):
    connector = service.api_key_connector(connector_id)
    html = render_template(
        "crm_connect/api_key.html",
        connector_id=connector_id,
        name=connector.display_name,
        warning=connector.api_key_warning(),
        fields=connector.api_key_fields(),
        values=request.form if error else {},
        error=error.message if error else None,
        invalid=set(error.fields) if error else set(),
        max_length=API_KEY_VALUE_MAX,
    )
    return htmx_support.make_fragment_response(html, status)


@bp.get("/<connector_id>/api-key")
@login_required
def api_key_form(extension, connector_id: str):
    """Return the API-key sign-in form the manifest describes (replaces the connection block)."""
    return _api_key_form(connector_id)


@bp.post("/<connector_id>/api-key")
@login_required
def api_key_sign_in(extension, connector_id: str):
    """Connect with the submitted values; return the connection block, or the form (422)
    naming what is wrong."""
    try:
        service.connect_with_api_key(extension, connector_id, request.form)
    except CrmValidationError as error:
        return _api_key_form(connector_id, error, 422)
    return _connection_block(extension)


@bp.post("/<connector_id>/use")
@login_required
def use_connector(extension, connector_id: str):
    """Log to a CRM that needs no sign-in (the local CRM); return the connection block."""
    service.use_connector(extension, connector_id)
    return _connection_block(extension)


@bp.post("/disconnect")
@login_required
def disconnect(extension):
    """Revoke and delete the CRM credentials (back to the default CRM); return the block."""
    engine.disconnect(extension)
    return _connection_block(extension)
