"""Choosing the CRM a user logs to: the OAuth popup, or the API-key form of the manifest."""

from flask import Blueprint, Flask

bp = Blueprint("crm_connect", __name__, url_prefix="/crm/connect")


def init_app(app: Flask) -> None:
    """Register the views."""
    app.register_blueprint(bp)


from widget.crm_connect import routes  # noqa: E402,F401
