"""The websocket and the typing endpoint.

``/ws`` authenticates like every view (session cookie, or the widget token in the query
string for cookie-less iframes) but answers refusals with websocket close codes, the
only thing a browser's WebSocket can read: 4401 sign in again, 4403 not yours.
"""

from __future__ import annotations

from flask import request

from widget.auth.service import current_extension, login_required
from widget.extensions import sock
from widget.inbox.service import get_conversation
from widget.realtime import bp, events
from widget.realtime.connection import (
    CLOSE_FORBIDDEN,
    CLOSE_UNAUTHENTICATED,
    Connection,
    Subscriber,
    close_socket,
)
from widget.realtime.service import channels_for, get_broker, send_typing
from widget.security import current_identity


@sock.route("/ws", bp=bp)
def socket(ws):
    """Stream the signed-in extension's changes as out-of-band HTML frames until it leaves.

    Query: ``token`` (cookie-less pages), ``last_event_id`` (positions seen, to catch up),
    ``channels`` (optional: a subset of the channels this extension may listen to).
    """
    extension = current_extension()
    identity = current_identity()
    if extension is None or identity is None:
        close_socket(ws, CLOSE_UNAUTHENTICATED, "Sign in again: the token is missing or expired.")
        return
    allowed = channels_for(extension)
    chosen = allowed
    if request.args.get("channels"):
        chosen = [c.strip() for c in request.args["channels"].split(",") if c.strip()]
        refused = [c for c in chosen if c not in allowed]
        if refused or not chosen:
            close_socket(ws, CLOSE_FORBIDDEN, f"Not your channel: {', '.join(refused)[:80]}")
            return
    claimed = events.parse_positions(
        request.args.get("last_event_id", ""), events.ext_channel(extension.id)
    )
    subscriber = Subscriber(extension_id=extension.id, identity=identity, channels=chosen)
    Connection(ws, get_broker(), subscriber).run(claimed)


@bp.post("/widget/conversations/<int:conversation_id>/typing")
@login_required
def typing(extension, conversation_id: int):
    """Show "NAME is typing" to the colleagues in the conversation; return 204, no content."""
    conversation = get_conversation(extension, conversation_id)
    send_typing(extension, conversation)
    return "", 204
