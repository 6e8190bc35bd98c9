"""The admin console under ``/admin/``: log-form builder, company settings, audit log.

Every route of this blueprint is for the account's admins only: the guard below runs
before each of them (a view cannot forget it), answering 401 to nobody signed in and
403 to everyone else. Pages are never framed (``security.py``).
"""

from flask import Blueprint, Flask, g, redirect, request, url_for
from werkzeug.exceptions import Unauthorized

from widget import htmx_support
from widget.auth.service import current_extension
from widget.errors import Forbidden, wants_json

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    extension = current_extension()
    if extension is None:
        if wants_json() or request.method != "GET" or htmx_support.is_htmx_request():
            raise Unauthorized("Sign in first: your session has expired.")
        return redirect(url_for("auth.signin", next=request.full_path))
    if not extension.is_admin:
        raise Forbidden("Only an admin of your company can use the admin console.")
    g.admin = extension
    return None


def init_app(app: Flask) -> None:
    """Register the console's views."""
    app.register_blueprint(bp)


from widget.admin import (  # noqa: E402,F401
    manifest_routes,
    queue_routes,
    routes,
    settings_routes,
)
