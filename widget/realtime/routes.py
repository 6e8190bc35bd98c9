"""The websocket and the typing endpoint.

``/ws`` authenticates like every view (session cookie, or the widget token in the query
string for cookie-less iframes) but answers refusals with websocket close codes, the
only thing a browser's WebSocket can read: 4401 sign in again, 4403 not yours (or a
page of an origin that is neither Sidetalk's nor a configured frame ancestor), 1008 too
many sockets of one person (``quota.py``).
"""

from __future__ import annotations

from flask import current_app, request

from widget.access import conversation_for
from widget.auth.service import current_extension, login_required
from widget.extensions import sock
from widget.realtime import bp, events
from widget.realtime.connection import (
    CLOSE_FORBIDDEN,
    CLOSE_POLICY,
    CLOSE_UNAUTHENTICATED,
    Connection,
    Subscriber,
    close_socket,
)
from widget.realtime.quota import DEFAULT_MAX_SOCKETS_PER_USER
from widget.realtime.service import channels_for, get_broker, send_typing
from widget.security import current_identity, origin_allowed


@sock.route("/ws", bp=bp)
def socket(ws):
    """Stream the signed-in extension's changes as out-of-band HTML frames until it leaves.

    Query: ``token`` (cookie-less pages), ``last_event_id`` (positions seen, to catch up),
    ``channels`` (optional: a subset of the channels this extension may listen to).
    """
    if not origin_allowed(request.headers.get("Origin")):
        # A page elsewhere would read a signed-in user's messages with their cookie.
        close_socket(ws, CLOSE_FORBIDDEN, "This page's origin may not open Sidetalk's socket.")
        return
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
    quota = current_app.extensions["realtime_sockets"]
    limit = current_app.config.get("REALTIME_MAX_SOCKETS_PER_USER", DEFAULT_MAX_SOCKETS_PER_USER)
    if not quota.acquire(extension.id, limit):
        close_socket(ws, CLOSE_POLICY, "Too many open Sidetalk windows: close one and reload.")
        return
    try:
        subscriber = Subscriber(extension_id=extension.id, identity=identity, channels=chosen)
        Connection(ws, get_broker(), subscriber).run(claimed)
    finally:
        quota.release(extension.id)


@bp.post("/widget/conversations/<int:conversation_id>/typing")
@login_required
def typing(extension, conversation_id: int):
    """Show "NAME is typing" to the colleagues in the conversation; return 204, no content."""
    conversation = conversation_for(extension, conversation_id)
    send_typing(extension, conversation)
    return "", 204
