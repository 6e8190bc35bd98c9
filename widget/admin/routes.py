"""The console's home (what there is to administer) and the audit log page."""

from __future__ import annotations

from flask import g, render_template

from connectors.registry import available_connectors, get_connector
from widget import audit
from widget.admin import bp
from widget.crm_logging import manifests


@bp.get("/")
def home():
    """List what an admin manages: log forms per connector, company settings, audit log."""
    admin = g.admin
    connectors = [
        {
            "id": connector_id,
            "name": get_connector(connector_id).display_name,
            "active_version": manifests.active_version(connector_id, admin.account_id),
        }
        for connector_id in sorted(available_connectors())
    ]
    return render_template("admin/home.html", admin=admin, connectors=connectors)


@bp.get("/audit")
def audit_log():
    """The latest admin changes of the company, newest first, each with its diff."""
    entries = audit.entries(g.admin.account_id)
    return render_template(
        "admin/audit.html", admin=g.admin, entries=entries, diff_lines=audit.diff_lines
    )
