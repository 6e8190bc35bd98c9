"""Sandbox views: inbound messages for scripts and the phone simulator for people."""

from __future__ import annotations

import json

from flask import current_app, jsonify, render_template, request
from jinja2_fragments.flask import render_block

from widget.errors import BadInput, json_endpoint
from widget.extensions import db
from widget.models import Extension
from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound
from widget.sandbox import bp
from widget.sandbox.service import demo_extensions, extension_summaries, phone_thread
from widget.security import csrf_exempt

PHONE = "sandbox/phone.html"


@bp.post("/inbound")
@json_endpoint
@csrf_exempt  # JSON only: a cross-site page cannot send application/json without CORS
def inbound():
    """Deliver a message from an outside number; return 201 with the new message's id."""
    if not request.is_json:
        raise BadInput("Send JSON (Content-Type: application/json).", status=415)
    try:
        # Not get_json(silent=True): it answers None for both a bad body and a JSON null.
        payload = json.loads(request.get_data(as_text=True))
    except ValueError:
        raise BadInput("The body is not valid JSON.") from None
    message = deliver_inbound(parse_inbound(payload, current_app.config["DEFAULT_REGION"]))
    body = {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "platform_message_id": message.platform_message_id,
        "extension_number": db.session.get(Extension, message.extension_id).extension_number,
        "type": message.type.value,
    }
    return jsonify(body), 201


@bp.get("/extensions")
@json_endpoint
def extensions():
    """Return the demo extensions: number, name and phone numbers."""
    return jsonify(extension_summaries())


def _phone_context(outside: str, extension_number: str, error: str | None = None) -> dict:
    region = current_app.config["DEFAULT_REGION"]
    try:
        messages = phone_thread(outside, extension_number, region) if outside else []
    except BadInput:
        messages = []
    return {
        "extensions": demo_extensions(),
        "outside": outside,
        "extension_number": extension_number,
        "messages": messages,
        "error": error,
    }


@bp.get("/phone")
def phone():
    """Return the phone simulator page: play an outside customer texting an extension."""
    outside = request.args.get("from", "+14155550123")
    extension_number = request.args.get("ext", "101")
    return render_template(PHONE, **_phone_context(outside, extension_number))


@bp.get("/phone/thread")
def phone_thread_fragment():
    """Return the ``thread`` block of the simulator for the chosen numbers."""
    context = _phone_context(request.args.get("from", ""), request.args.get("ext", ""))
    return render_block(PHONE, "thread", **context)


@bp.post("/phone/send")
def phone_send():
    """Send the simulator's message; return the updated ``thread`` block or the error in place."""
    form = request.form
    extension_number = form.get("ext", "")
    ext = next((e for e in demo_extensions() if e.extension_number == extension_number), None)
    error = None
    if ext is None or not ext.sms_numbers:
        error = "Choose an extension to text."
    else:
        payload = {
            "from": form.get("from", ""),
            "to": ext.sms_numbers[0].e164,
            "text": form.get("text", ""),
            "type": form.get("type", "SMS"),
        }
        try:
            deliver_inbound(parse_inbound(payload, current_app.config["DEFAULT_REGION"]))
        except BadInput as exc:
            error = exc.message
    context = _phone_context(form.get("from", ""), extension_number, error)
    status = 422 if error else 200
    return render_block(PHONE, "thread", **context), status
