"""Sign-in: who the widget is acting for, through the platform's own sign-in flow."""

from flask import Blueprint, Flask

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_app(app: Flask) -> None:
    """Register the views."""
    app.register_blueprint(bp)


from widget.auth import routes  # noqa: E402,F401
