"""``GET /``: the start page, so the address ``make run`` prints leads somewhere.

Each link is listed only when its page exists in this configuration: the phone simulator
only with the sandbox platform, the admin console only when it is installed.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

bp = Blueprint("start", __name__)

# (path, title, what a person does there)
PLACES = (
    ("/widget/", "Sidebar", "Read and answer messages as a demo extension."),
    ("/sandbox/phone", "Phone simulator", "Play an outside customer: text, call or fax."),
    ("/crm/local/activities", "Local CRM", "What was logged to the embedded CRM."),
    ("/admin/", "Admin", "Log forms, company templates, policies."),
)


def init_app(app: Flask) -> None:
    """Register ``/``."""
    app.register_blueprint(bp)


def places() -> list[tuple[str, str, str]]:
    """The start page's links whose pages this application serves: (path, title, purpose)."""
    served = {rule.rule for rule in current_app.url_map.iter_rules() if "GET" in rule.methods}
    return [place for place in PLACES if place[0] in served]


@bp.get("/")
def start():
    """A small page linking the sidebar and the demo's other pages."""
    return render_template("start.html", places=places(), demo=current_app.config["DEMO_MODE"])
