"""Choosing the CRM a user logs to, and the OAuth popup that connects an OAuth CRM."""

from flask import Blueprint

bp = Blueprint("crm_connect", __name__, url_prefix="/crm/connect")

from widget.crm_connect import routes  # noqa: E402,F401
