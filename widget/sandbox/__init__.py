"""Sandbox-only endpoints: the phone simulator and the scripting API (``/sandbox/...``)."""

from flask import Blueprint

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")

from widget.sandbox import routes  # noqa: E402,F401
