"""The sidebar's message list and threads."""

from flask import Blueprint, Flask

bp = Blueprint("inbox", __name__, url_prefix="/widget")


def init_app(app: Flask) -> None:
    """Register the views and ``media_url``, the signed link every page's media uses."""
    from widget.inbox.presenters import media_url

    app.register_blueprint(bp)
    app.jinja_env.globals["media_url"] = media_url


from widget.inbox import routes  # noqa: E402,F401
