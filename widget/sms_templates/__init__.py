"""Company and personal SMS templates: the manager panel and the compose picker."""

from flask import Blueprint, Flask

bp = Blueprint("sms_templates", __name__, url_prefix="/widget/templates")


def init_app(app: Flask) -> None:
    """Register the views and the periodic pull from the platform."""
    from widget.sms_templates import tasks  # noqa: F401 (registers the periodic pull)

    app.register_blueprint(bp)


from widget.sms_templates import routes  # noqa: E402,F401
