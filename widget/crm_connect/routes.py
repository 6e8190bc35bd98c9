"""Views of connecting a CRM: the OAuth popup's start and callback, switch, disconnect.

``start`` is called by the widget itself (headers carry who and CSRF); the popup then
goes straight to the CRM, and the callback knows the user from its ``state`` alone.
Settings blocks returned here are those of ``crm_logging/settings.html``.
"""

from __future__ import annotations

from flask import jsonify, render_template, request, url_for
from jinja2_fragments.flask import render_block

from widget import htmx_support
from widget.auth.service import login_required
from widget.crm_connect import bp, service
from widget.crm_logging import engine
from widget.crm_logging.settings_view import SETTINGS_PAGE, settings_context
from widget.errors import json_endpoint


@bp.post("/<connector_id>/start")
@json_endpoint
@login_required
def start(extension, connector_id: str):
    """Start a sign-in (state and PKCE); return ``{"authorize_url"}`` for the popup.

    A POST with CSRF from the widget (``crm.js``), which opens the popup at once (popup
    blockers need the click) and then sends it to ``authorize_url``: no widget token ever
    travels in a URL.
    """
    callback = url_for("crm_connect.callback", connector_id=connector_id, _external=True)
    return jsonify({"authorize_url": service.start_flow(extension, connector_id, callback)})


@bp.get("/<connector_id>/callback")
def callback(connector_id: str):
    """Finish the sign-in; return the page that tells the widget and closes the popup."""
    service.finish_flow(connector_id, request.args)
    name = service.connector_named(connector_id).display_name
    return render_template("crm_connect/connected.html", connector_id=connector_id, name=name)


def _connection_block(extension):
    html = render_block(SETTINGS_PAGE, "crm_connection", **settings_context(extension))
    return htmx_support.make_fragment_response(html)


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
