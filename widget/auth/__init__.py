"""Sign-in: who the widget is acting for (sandbox sign-in now, OAuth platforms later)."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from widget.auth import routes  # noqa: E402,F401
