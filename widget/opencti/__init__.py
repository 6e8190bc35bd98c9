"""Salesforce Open CTI: the call-center definition file and what the bridge script asks.

Salesforce shows Sidetalk in its softphone panel once an admin imports the call-center
definition (``GET /salesforce/callcenter.xml``). Inside that panel the widget loads
``opencti-bridge.js``, which loads Salesforce's own ``opencti_min.js`` from the framing
org and connects the two (screen pop, current record, click-to-dial).
"""

from flask import Blueprint, Flask

bp = Blueprint("opencti", __name__)


def init_app(app: Flask) -> None:
    """Register the call-center file and the bridge's lookups."""
    app.register_blueprint(bp)


from widget.opencti import routes  # noqa: E402,F401
