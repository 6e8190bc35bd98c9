"""The call-center file, and the matched records the bridge screen-pops."""

from __future__ import annotations

from flask import current_app, jsonify, render_template

from connectors.errors import CrmError
from widget.access import conversation_for
from widget.auth.service import login_required
from widget.crm_logging import engine, panel
from widget.errors import Unavailable, json_endpoint
from widget.opencti import bp
from widget.opencti.callcenter import call_center


@bp.get("/salesforce/callcenter.xml")
def callcenter_definition():
    """The call-center definition an admin imports in Salesforce Setup (no secrets in it)."""
    center = call_center(current_app.config["PUBLIC_URL"])
    body = render_template("opencti/callcenter.xml", center=center)
    response = current_app.response_class(body, mimetype="application/xml")
    response.headers["Content-Disposition"] = 'attachment; filename="sidetalk-callcenter.xml"'
    return response


@bp.get("/widget/salesforce/conversations/<int:conversation_id>/records")
@json_endpoint
@login_required
def matched_records(extension, conversation_id: int):
    """The CRM records matching the conversation's numbers, for the bridge's screen pop."""
    conversation = conversation_for(extension, conversation_id)
    if not panel.is_loggable(conversation):
        return jsonify({"records": [], "phone": None})
    try:
        found = engine.conversation_records(extension, conversation)
    except CrmError as error:
        raise Unavailable(f"The CRM could not be asked: {error.message}") from None
    records = [
        {"id": record.id, "name": record.name, "type": record.type, "phone": phone}
        for phone, record in found
    ]
    phone = conversation.addresses[0] if conversation.addresses else None
    return jsonify({"records": records, "phone": phone})
