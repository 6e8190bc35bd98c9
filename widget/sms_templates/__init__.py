"""Company and personal SMS templates: the manager panel and the compose picker."""

from flask import Blueprint

bp = Blueprint("sms_templates", __name__, url_prefix="/widget/templates")

from widget.sms_templates import routes  # noqa: E402,F401
