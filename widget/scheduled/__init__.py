"""Scheduled send: "Send later" in Compose and in a thread, listed in the conversation,
edited or cancelled until the worker sends it at the chosen time."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("scheduled", __name__, url_prefix="/widget/scheduled")


def init_app(app: Flask) -> None:
    """Register the views, the worker's tasks and the thread's template helper."""
    from widget.scheduled import tasks  # noqa: F401 (registers the worker's tasks)
    from widget.scheduled.presenters import TEMPLATE_GLOBALS

    app.register_blueprint(bp)
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)


from widget.scheduled import routes  # noqa: E402,F401
