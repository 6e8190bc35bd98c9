"""``POST /webhooks/<platform>``: the platform's notifications (RingCentral's WebHook transport)."""

from __future__ import annotations

from flask import jsonify, request

from widget.errors import json_endpoint
from widget.security import csrf_exempt
from widget.webhooks import bp
from widget.webhooks.service import MAX_BODY_BYTES, receive


@bp.post("/<platform_name>")
@json_endpoint
@csrf_exempt  # verified by the platform's token instead: no browser sends these
def notification(platform_name: str):
    """Answer the validation handshake, or take a verified notification."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        body = b"x" * (MAX_BODY_BYTES + 1)  # refused below without reading it all
    else:
        body = request.get_data(cache=False)
    answer = receive(platform_name, request.headers, body)
    response = jsonify({"outcome": answer.outcome})
    response.status_code = answer.status
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response
