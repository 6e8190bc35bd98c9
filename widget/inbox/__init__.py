"""The sidebar's message list and threads."""

from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/widget")

from widget.inbox import routes  # noqa: E402,F401
