"""The local CRM's own pages: what landed (``/crm/local/activities``) and each record.

These pages are the CRM, not the widget: they open in a tab, are never framed
(security.py sends ``frame-ancestors 'none'`` outside /widget) and show the records of
the signed-in user's account only: all of them to an admin, to anyone else the
activities logged from their own conversations (``widget.access.crm_logs_readable_by``).

Activity bodies are HTML composed by Sidetalk with every message text escaped, but this
page still does not trust them: a body is shown inside ``<iframe sandbox srcdoc>``. The
sandbox (no ``allow-scripts``, no ``allow-same-origin``) runs no script and gives the
body an opaque origin with no access to this page or its cookies; a CSP meta in the
frame forbids loading anything, so a body cannot even fetch a tracking pixel; Jinja
escapes the whole document into the ``srcdoc`` attribute. The raw source is shown as
escaped text beside it, so a person sees exactly what was written.
"""

from __future__ import annotations

import html

from flask import Blueprint, render_template, request
from sqlalchemy import String, and_, cast, select

from widget.access import crm_logs_readable_by
from widget.auth.service import login_required
from widget.crm_logging.manifests import active_platform
from widget.errors import NotFound
from widget.extensions import db
from widget.local_crm.connector import RECORD_TYPES, LocalConnector, parse_ref, related_options
from widget.local_crm.models import LocalCrmActivity
from widget.models import Extension

bp = Blueprint(
    "local_crm",
    __name__,
    url_prefix="/crm/local",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

PAGE_SIZE = 100
_FRAME_HEAD = (
    '<!doctype html><html><head><meta charset="utf-8">'
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'\">"
    '<base target="_blank">'
    "<style>body{font:14px/1.45 system-ui,sans-serif;margin:.6rem;color:#1d2330}"
    "ul{padding-left:1.1rem}li{margin:.25rem 0}a{color:#0a66c2}</style></head><body>"
)


def frame_document(activity: LocalCrmActivity) -> str:
    """Return the document shown in the activity's sandboxed frame."""
    if activity.body_format == "text/html":
        content = activity.body
    else:  # plain text and Markdown are shown as they were written
        content = f"<pre style='white-space:pre-wrap'>{html.escape(activity.body)}</pre>"
    return f"{_FRAME_HEAD}{content}</body></html>"


def field_titles(extension: Extension) -> dict[str, str]:
    """The manifest's titles of the log form's fields, by key (``followUp`` -> its title):
    the page shows what the person filled in, in the words of the form they used."""
    platform = active_platform(LocalConnector.id, extension.account_id)
    fields = platform.get("page", {}).get("messageLog", {}).get("additionalFields", [])
    return {
        f["const"]: f.get("title") or f["const"]
        for f in fields
        if isinstance(f, dict) and isinstance(f.get("const"), str)
    }


def _readable(extension: Extension):
    """Who reads which activity: an admin all of the account's, a user those logged from
    their own conversations (``widget.access.crm_logs_readable_by``)."""
    return and_(
        LocalCrmActivity.account_id == extension.account_id,
        crm_logs_readable_by(extension, "local", cast(LocalCrmActivity.id, String)),
    )


def _activities(extension: Extension, record_ref: str | None = None) -> list[LocalCrmActivity]:
    query = select(LocalCrmActivity).where(_readable(extension))
    if record_ref:
        query = query.where(LocalCrmActivity.record_ref == record_ref)
    query = query.order_by(
        LocalCrmActivity.activity_date.desc(), LocalCrmActivity.updated_at.desc()
    )
    return list(db.session.scalars(query.limit(PAGE_SIZE)))


@bp.get("/activities")
@login_required
def activities(extension: Extension):
    """Return the page listing the account's logged activities, newest day first."""
    record_ref = request.args.get("record") or None
    return render_template(
        "local_crm/activities.html",
        extension=extension,
        activities=_activities(extension, record_ref),
        record_filter=record_ref,
        frame_document=frame_document,
        field_titles=field_titles(extension),
    )


@bp.get("/activities/<int:activity_id>")
@login_required
def activity(extension: Extension, activity_id: int):
    """Return the page of one activity (404 for another account's activity)."""
    found = db.session.scalar(
        select(LocalCrmActivity).where(LocalCrmActivity.id == activity_id, _readable(extension))
    )
    if found is None:
        raise NotFound("That activity does not exist.")
    return render_template(
        "local_crm/activities.html",
        extension=extension,
        activities=[found],
        record_filter=None,
        single=True,
        frame_document=frame_document,
        field_titles=field_titles(extension),
    )


@bp.get("/records/<record_type>/<ref>")
@login_required
def record(extension: Extension, record_type: str, ref: str):
    """Return a record's page: its details, "Related to" options and logged activities."""
    parsed = parse_ref(ref)
    model = RECORD_TYPES.get(record_type)
    row = (
        db.session.get(model, parsed[1]) if model and parsed and parsed[0] == record_type else None
    )
    if row is None or row.account_id != extension.account_id:
        raise NotFound("That record does not exist.")
    crm_account = row if record_type == "Account" else getattr(row, "crm_account", None)
    return render_template(
        "local_crm/record.html",
        extension=extension,
        record_type=record_type,
        ref=ref,
        row=row,
        crm_account=crm_account,
        related=related_options(crm_account) if record_type != "Lead" else [],
        activities=_activities(extension, ref),
        frame_document=frame_document,
        field_titles=field_titles(extension),
    )
