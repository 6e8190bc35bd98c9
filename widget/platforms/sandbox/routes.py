"""The sandbox's own pages (``/sandbox/...``): inbound messages for scripts, the phone
simulator for people. The platform contributes this blueprint; no other platform has it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from jinja2_fragments.flask import render_block
from werkzeug.exceptions import UnsupportedMediaType

from widget.errors import DomainError, json_endpoint
from widget.inputs import json_body
from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound
from widget.platforms.sandbox.phone import (
    demo_extensions,
    extension_summaries,
    phone_thread,
    queue_summaries,
)
from widget.platforms.sandbox.pictures import picture_part
from widget.security import csrf_exempt

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")
PHONE = "sandbox/phone.html"


@bp.post("/inbound")
@json_endpoint
@csrf_exempt  # JSON only: a cross-site page cannot send application/json without CORS
def inbound():
    """Deliver a message from an outside number; return 201 with the new message's id."""
    if not request.is_json:
        raise UnsupportedMediaType("Send JSON (Content-Type: application/json).")
    # Not get_json(silent=True): it answers None for both a bad body and a JSON null.
    payload = json_body()
    inbound = parse_inbound(payload, current_app.config["DEFAULT_REGION"])
    message = deliver_inbound(inbound)
    body = {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "platform_message_id": message.platform_message_id,
        "extension_number": inbound.recipient.extension_number,
        "type": message.type.value,
    }
    return jsonify(body), 201


@bp.get("/extensions")
@json_endpoint
def extensions():
    """Return the demo extensions: number, name and phone numbers."""
    return jsonify(extension_summaries())


@bp.get("/queues")
@json_endpoint
def queues():
    """Return the demo's shared inboxes: id, name, phone numbers, members' numbers."""
    return jsonify(queue_summaries())


def _phone_context(outside: str, extension_number: str, error: str | None = None) -> dict:
    region = current_app.config["DEFAULT_REGION"]
    try:
        messages = phone_thread(outside, extension_number, region) if outside else []
    except DomainError:
        messages = []
    return {
        "extensions": demo_extensions(with_queues=True),
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


def _picture_parts() -> tuple:
    """The simulator's picture, if one was chosen, as an MMS part."""
    file = request.files.get("picture")
    if file is None or not file.filename:
        return ()
    config = current_app.config
    data = file.stream.read(config["UPLOAD_MAX_BYTES"] + 1)
    part = picture_part(
        data, file.filename[:120], config["UPLOAD_MAX_BYTES"], config["IMAGE_MAX_PIXELS"]
    )
    return (part,)


@bp.post("/phone/send")
def phone_send():
    """Send the simulator's message; return the updated ``thread`` block or the error in place."""
    form = request.form
    extension_number = form.get("ext", "")
    recipients = demo_extensions(with_queues=True)
    ext = next((e for e in recipients if e.extension_number == extension_number), None)
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
            parts = _picture_parts()
            inbound = parse_inbound(payload, current_app.config["DEFAULT_REGION"], parts)
            deliver_inbound(inbound)
        except DomainError as exc:
            error = exc.message
    context = _phone_context(form.get("from", ""), extension_number, error)
    status = 422 if error else 200
    return render_block(PHONE, "thread", **context), status
