"""The company settings page: auto-log policy, admin roles, company SMS templates."""

from __future__ import annotations

from flask import g, render_template, request
from jinja2_fragments.flask import render_block

from widget import htmx_support
from widget.admin import bp, company
from widget.errors import Invalid
from widget.sms_templates.service import TemplateInvalid
from widget.sms_templates.variables import VARIABLES, placeholder

SETTINGS_PAGE = "admin/company_settings.html"


def _context(**extra) -> dict:
    admin = g.admin
    context = {
        "admin": admin,
        "policy": company.policy(admin),
        "policy_labels": company.POLICY_LABELS,
        "people": company.people(admin),
        "roles_editable": company.roles_editable(),
        "templates": company.company_templates(admin),
        "template_variables": [placeholder(name) for name in VARIABLES],
        "template_errors": {},
        "template_draft": {},
        "editing_id": None,
        "edit_errors": {},
        "edit_draft": {},
        "message": None,
    }
    context.update(extra)
    return context


def _block(name: str, status: int = 200, **extra):
    html = render_block(SETTINGS_PAGE, name, **_context(**extra))
    return htmx_support.make_fragment_response(html, status)


@bp.get("/settings")
def company_settings():
    """The company settings page."""
    return render_template(SETTINGS_PAGE, **_context())


@bp.post("/settings/auto-log")
def update_auto_log_policy():
    """Set "auto-log on for everyone" and the conflict policy; return the policy block."""
    force = request.form.get("force_auto_log") == "on"
    company.set_auto_log_policy(g.admin, force, request.form.get("conflict_policy", ""))
    return _block("auto_log_policy", message="Auto-log policy saved.")


@bp.post("/settings/admins/<int:extension_id>")
def update_admin_role(extension_id: int):
    """Grant (``role=admin``) or revoke (``role=user``) the admin role; return the roles."""
    role = request.form.get("role", "")
    if role not in ("admin", "user"):
        raise Invalid("Choose “admin” or “user”.", "role")
    company.set_admin_role(g.admin, extension_id, role == "admin")
    return _block("admin_roles")


@bp.post("/settings/templates")
def add_company_template():
    """Add a company SMS template; 422 with the problems in place."""
    title, body = request.form.get("title", ""), request.form.get("body", "")
    try:
        company.add_company_template(g.admin, title, body)
    except TemplateInvalid as invalid:
        draft = {"title": title, "body": body}
        return _block(
            "company_templates", 422, template_errors=invalid.errors, template_draft=draft
        )
    return _block("company_templates")


@bp.get("/settings/templates")
def company_templates():
    """The company templates block as it is (what "Cancel" in an edit form goes back to)."""
    return _block("company_templates")


@bp.get("/settings/templates/<int:template_id>/edit")
def edit_company_template_form(template_id: int):
    """The company templates block with this template's edit form in its place."""
    template = company.company_template(g.admin, template_id)
    draft = {"title": template.title, "body": template.body}
    return _block("company_templates", editing_id=template.id, edit_draft=draft)


@bp.post("/settings/templates/<int:template_id>")
def edit_company_template(template_id: int):
    """Save an edit of a company template; 422 with the problems in the edit form."""
    title, body = request.form.get("title", ""), request.form.get("body", "")
    try:
        company.edit_company_template(g.admin, template_id, title, body)
    except TemplateInvalid as invalid:
        draft = {"title": title, "body": body}
        return _block(
            "company_templates",
            422,
            editing_id=template_id,
            edit_errors=invalid.errors,
            edit_draft=draft,
        )
    return _block("company_templates", message="Template saved.")


@bp.post("/settings/templates/<int:template_id>/delete")
def delete_company_template(template_id: int):
    """Delete a company SMS template; return the list."""
    company.delete_company_template(g.admin, template_id)
    return _block("company_templates")
