"""Company settings an admin changes: auto-log policy, admin roles, company templates.

Each change writes its audit entry in the same commit. The rules live here; the
settings page's views only read forms.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from widget import audit
from widget.crm_logging.autolog import account_policy
from widget.crm_logging.connections import connection_for
from widget.errors import Conflict, Forbidden, Invalid, NotFound
from widget.extensions import db
from widget.models import ConflictPolicy, CrmAccountSettings, Extension, SmsTemplate, TemplateScope
from widget.models.types import utcnow
from widget.platforms import get_platform
from widget.sms_templates import service as templates

POLICY_LABELS = {
    ConflictPolicy.ASK: "Ask the user (mark the conversation “needs a decision”)",
    ConflictPolicy.MOST_RECENT: "Log to the most recently updated record",
    ConflictPolicy.EARLIEST_CREATED: "Log to the earliest created record",
    ConflictPolicy.ALPHABETICAL: "Log to the first record by name",
}
SUBJECT_POLICY = "Auto-log policy"
SUBJECT_ROLES = "Admin roles"


@dataclass(frozen=True)
class Person:
    """One user of the company as the roles table shows them."""

    id: int
    name: str
    extension_number: str
    is_admin: bool


def policy(admin: Extension) -> CrmAccountSettings:
    """Return the company's auto-log policy row."""
    return account_policy(admin.account)


def _forced_text(force_auto_log: bool) -> str:
    return "on for everyone" if force_auto_log else "each user's choice"


def _policy_text(force_auto_log: bool, conflict_policy: ConflictPolicy) -> str:
    return f"auto-log: {_forced_text(force_auto_log)}\nconflict policy: {conflict_policy.value}"


def _turn_auto_log_on_for_everyone(admin: Extension) -> None:
    # Users who never opened their settings get a connection now, so the ingestion
    # hook and the sweeper (which read connections) cover them too.
    now = utcnow()
    members = db.session.scalars(
        select(Extension).where(Extension.account_id == admin.account_id, Extension.people())
    )
    for member in members:
        connection = connection_for(member)
        if not connection.auto_log:
            connection.auto_log = True
            connection.autolog_since = now


def set_auto_log_policy(admin: Extension, force_auto_log: bool, conflict_policy: str) -> None:
    """Set "auto-log for everyone" and the conflict policy; 400 for an unknown policy."""
    try:
        chosen = ConflictPolicy(conflict_policy)
    except ValueError:
        raise Invalid("Choose one of the listed conflict policies.", "conflict_policy") from None
    settings = account_policy(admin.account)
    before = (settings.force_auto_log, settings.conflict_policy)
    if before == (force_auto_log, chosen):
        return
    settings.force_auto_log = force_auto_log
    if force_auto_log and not before[0]:
        _turn_auto_log_on_for_everyone(admin)
    settings.conflict_policy = chosen
    diff = audit.text_diff(
        _policy_text(*before), _policy_text(force_auto_log, chosen), "before", "after"
    )
    summary = f"Auto-log {_forced_text(force_auto_log)}; conflicts: {chosen.value}"
    audit.record(admin, "policy.update", SUBJECT_POLICY, summary, diff)
    db.session.commit()


def roles_editable() -> bool:
    """Whether admins are chosen here (False when the platform's permissions decide)."""
    return not get_platform().admin_roles_from_platform


def people(admin: Extension) -> list[Person]:
    """Return the company's users, admins first (one query)."""
    rows = db.session.execute(
        select(Extension.id, Extension.name, Extension.extension_number, Extension.is_admin)
        .where(Extension.account_id == admin.account_id, Extension.people())
        .order_by(Extension.is_admin.desc(), Extension.extension_number)
    )
    return [Person(*row) for row in rows]


def set_admin_role(admin: Extension, extension_id: int, make_admin: bool) -> Extension:
    """Grant or revoke the admin role; the company always keeps at least one admin."""
    if not roles_editable():
        raise Forbidden(
            "Admins come from your telephony platform's permissions; change them there."
        )
    target = db.session.get(Extension, extension_id)
    if target is None or target.account_id != admin.account_id:
        raise NotFound("That user does not exist.")
    if target.is_admin == make_admin:
        return target
    if not make_admin:
        admins = db.session.scalar(
            select(func.count(Extension.id)).where(
                Extension.account_id == admin.account_id, Extension.is_admin.is_(True)
            )
        )
        if admins <= 1:
            raise Conflict(
                "The company needs at least one admin; grant the role to someone else first."
            )
    target.is_admin = make_admin
    verb = "Granted" if make_admin else "Revoked"
    summary = f"{verb} admin for {target.name} (ext. {target.extension_number})"
    audit.record(admin, "role.grant" if make_admin else "role.revoke", SUBJECT_ROLES, summary)
    db.session.commit()
    return target


def company_templates(admin: Extension) -> templates.TemplateList:
    """Return the company template list as the settings page shows it."""
    return templates.template_list(admin, TemplateScope.COMPANY)


def add_company_template(admin: Extension, title: str, body: str) -> SmsTemplate:
    """Add a company template (same variables and limits as the widget's manager)."""
    return templates.create_template(admin, TemplateScope.COMPANY, title, body)


def company_template(admin: Extension, template_id: int) -> SmsTemplate:
    """Return a company template of the admin's company (404 for a personal one or none)."""
    template = templates.get_template(admin, template_id)
    if template.scope != TemplateScope.COMPANY:
        raise NotFound("That template does not exist.")
    return template


def edit_company_template(admin: Extension, template_id: int, title: str, body: str) -> SmsTemplate:
    """Change a company template's title and text (same variables and limits as adding)."""
    return templates.update_template(admin, company_template(admin, template_id), title, body)


def delete_company_template(admin: Extension, template_id: int) -> None:
    """Delete a company template of the admin's company."""
    templates.delete_template(admin, company_template(admin, template_id))
