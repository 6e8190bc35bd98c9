"""Read/unread, delete, restore and purge of messages and conversations."""

from flask import Blueprint, Flask

bp = Blueprint("lifecycle", __name__, url_prefix="/widget")


def init_app(app: Flask) -> None:
    """Register the views and the periodic purge (importing ``tasks`` registers it)."""
    from widget.lifecycle import tasks  # noqa: F401

    app.register_blueprint(bp)


from widget.lifecycle import routes  # noqa: E402,F401
