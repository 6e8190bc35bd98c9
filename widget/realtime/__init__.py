"""Real-time push: the websocket, the broker, the event log, typing and read receipts.

``init_app`` sets everything up: the views, the broker (in-process, or Redis pub/sub
when ``REDIS_URL`` is set), the ``messages_changed`` receiver that turns committed
changes into frames, and the template helpers the page uses.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import Blueprint, Flask, g, request, url_for

from widget import htmx_support

bp = Blueprint("realtime", __name__)


def init_app(app: Flask) -> None:
    """Register the views, the broker, the outbox sweeper and the push receivers, with
    the names a new message's frame shows read along with it."""
    from widget.contacts.service import names_from_rows, names_json
    from widget.crm_logging.outcomes import log_state_changed
    from widget.inbox import read_along
    from widget.inbox.ingest import messages_changed, messages_staged
    from widget.realtime import (
        frames,
        tasks,  # noqa: F401 (registers the outbox sweeper)
    )
    from widget.realtime.broker import InProcessBroker
    from widget.realtime.connection import MAX_CLIENT_FRAME
    from widget.realtime.quota import SocketQuota
    from widget.realtime.redis_broker import RedisBroker
    from widget.realtime.service import (
        TypingGate,
        on_messages_changed,
        push_log_status,
        stage_message_changes,
    )
    from widget.realtime.watch import LogWatch

    # Protocol pings every 25 s keep proxies from closing idle sockets (browsers answer
    # them by themselves); client frames above the limit close the socket with 1009.
    # The page offers "sidetalk" plus its token as subprotocols (see htmx_support);
    # accepting "sidetalk" keeps the token out of the socket's URL.
    app.config.setdefault(
        "SOCK_SERVER_OPTIONS",
        {
            "ping_interval": 25,
            "max_message_size": MAX_CLIENT_FRAME,
            "subprotocols": [htmx_support.SOCKET_PROTOCOL],
        },
    )
    if app.config.get("REDIS_URL"):
        # Several installations may share one Redis: pub/sub channels ignore the db number.
        prefix = (
            app.config.get("REALTIME_CHANNEL_PREFIX")
            or os.environ.get("SIDETALK_CHANNEL_PREFIX")
            or "sidetalk:"
        )
        app.extensions["realtime"] = RedisBroker(app.config["REDIS_URL"], prefix=prefix)
    else:
        app.extensions["realtime"] = InProcessBroker()
    app.extensions["realtime_typing_gate"] = TypingGate()
    app.extensions["realtime_sockets"] = SocketQuota()
    app.extensions["realtime_watch"] = LogWatch(app)
    messages_changed.connect(on_messages_changed)
    messages_staged.connect(stage_message_changes)
    read_along.register(
        read_along.ReadAlong(
            frames.NAMES,
            lambda _upserted: names_json(),
            names_from_rows,
            frames.new_message_names_params,
        )
    )
    log_state_changed.connect(push_log_status)
    app.register_blueprint(bp)


@bp.before_app_request
def _remember_positions() -> None:
    # The page's cursor must predate the list it shows: read it before the view queries
    # the list, so an event committed in between is replayed rather than missed.
    if request.endpoint == "inbox.index":
        from widget.auth.service import current_extension
        from widget.realtime import events
        from widget.realtime.service import channels_for

        extension = current_extension()
        if extension is not None:
            g.realtime_positions = events.latest(channels_for(extension))


@bp.app_template_global()
def realtime_positions() -> dict[str, int]:
    """The last event number of each channel the page listens to."""
    if "realtime_positions" not in g:
        from widget.auth.service import current_extension
        from widget.realtime import events
        from widget.realtime.service import channels_for

        extension = current_extension()
        g.realtime_positions = events.latest(channels_for(extension)) if extension else {}
    return g.realtime_positions


@bp.app_template_global()
def realtime_socket_path() -> str:
    """``/ws`` as a path: the ws extension adds ws:// or wss:// from the page's own origin
    (``url_for`` would build an absolute ws:// URL from the request, wrong behind TLS)."""
    return urlsplit(url_for("realtime.socket")).path


@bp.app_template_global()
def typing_url(conversation) -> str | None:
    """Where the thread posts typing events; None when no colleague is in it."""
    from widget.extensions import db
    from widget.models import Extension
    from widget.realtime.colleagues import has_colleagues

    owner = db.session.get(Extension, conversation.extension_id)
    if owner is None or not has_colleagues(owner, conversation):
        return None
    return url_for("realtime.typing", conversation_id=conversation.id)


@bp.app_template_global()
def read_by(message) -> list[str]:
    """Names of the colleagues who read ``message`` (one query per rendered thread)."""
    from widget.realtime.colleagues import read_by_thread

    return read_by_thread(message)


from widget.realtime import routes  # noqa: E402,F401
