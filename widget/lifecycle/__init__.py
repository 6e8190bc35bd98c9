"""Read/unread, delete, restore and purge of messages and conversations."""

from flask import Blueprint

bp = Blueprint("lifecycle", __name__, url_prefix="/widget")

# tasks: imported so the worker's scheduler knows the periodic purge.
from widget.lifecycle import routes, tasks  # noqa: E402,F401
