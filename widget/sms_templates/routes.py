"""Views of the templates manager and the compose picker.

Each view returns a named block of ``sms_templates/templates.html``: a whole list after a
change to it, one item after an edit, a form with field errors (422) when it cannot save.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from jinja2_fragments.flask import render_block

from widget import htmx_support
from widget.access import conversation_for
from widget.auth.service import login_required
from widget.errors import DomainError, Forbidden, Invalid
from widget.inputs import parse_id
from widget.models import Extension, SmsTemplate, TemplateScope
from widget.phone import is_extension_number, to_e164
from widget.sms_templates import bp, platform_sync
from widget.sms_templates.service import (
    TemplateInvalid,
    can_edit,
    create_template,
    delete_template,
    get_template,
    list_templates,
    move_template,
    parse_position,
    parse_scope,
    picker_items,
    template_list,
    update_template,
)
from widget.sms_templates.variables import VARIABLES, placeholder, recipient_values

PAGE = "sms_templates/templates.html"
SCOPES = (TemplateScope.PERSONAL, TemplateScope.COMPANY)
MAX_PICKER_RECIPIENTS = 50
MAX_RAW_RECIPIENT = 40


def _section(extension: Extension, scope: TemplateScope, status: int = 200, **form):
    """Render one list (``section`` block), optionally with the new-template form's errors."""
    section = template_list(extension, scope)
    section.errors = form.get("errors", {})
    section.draft = form.get("draft", {})
    html = render_block(PAGE, "section", extension=extension, section=section)
    return htmx_support.make_fragment_response(html, status)


def _item(extension: Extension, template: SmsTemplate):
    return render_block(
        PAGE,
        "item",
        template=template,
        editable=can_edit(extension, template.scope),
        list_size=len(list_templates(extension, template.scope)),
    )


@bp.get("/")
@login_required
def manager(extension):
    """Return the manager (personal and company lists): a block for htmx, else a page."""
    platform_sync.reconcile(extension)  # what changed in RingCentral shows here
    context = {
        "extension": extension,
        "sections": [template_list(extension, scope) for scope in SCOPES],
        "variables": [placeholder(name) for name in VARIABLES],
        "standalone": not htmx_support.is_htmx_request(),
    }
    if context["standalone"]:
        return render_template(PAGE, **context)
    return render_block(PAGE, "manager", **context)


@bp.post("/")
@login_required
def create(extension):
    """Add a template; return its list, or the list with the form's errors (422)."""
    scope = parse_scope(request.form.get("scope"))
    try:
        create_template(extension, scope, request.form.get("title"), request.form.get("body"))
    except TemplateInvalid as exc:
        draft = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
        return _section(extension, scope, 422, errors=exc.errors, draft=draft)
    return _section(extension, scope)


@bp.get("/<int:template_id>")
@login_required
def item(extension, template_id: int):
    """Return one template's ``item`` block (what "Cancel" in its edit form goes back to)."""
    return _item(extension, get_template(extension, template_id))


@bp.get("/<int:template_id>/edit")
@login_required
def edit_form(extension, template_id: int):
    """Return the ``edit_form`` block for a template the user may change (403 otherwise)."""
    template = get_template(extension, template_id)
    if not can_edit(extension, template.scope):
        raise Forbidden("Only an administrator can change company templates.")
    draft = {"title": template.title, "body": template.body}
    return render_block(PAGE, "edit_form", template=template, draft=draft, errors={})


@bp.post("/<int:template_id>")
@login_required
def update(extension, template_id: int):
    """Save an edit; return the ``item`` block, or the edit form with its errors (422)."""
    template = get_template(extension, template_id)
    try:
        update_template(extension, template, request.form.get("title"), request.form.get("body"))
    except TemplateInvalid as exc:
        draft = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
        html = render_block(PAGE, "edit_form", template=template, draft=draft, errors=exc.errors)
        return htmx_support.make_fragment_response(html, 422)
    return _item(extension, template)


@bp.post("/<int:template_id>/delete")
@login_required
def delete(extension, template_id: int):
    """Delete a template; return its list with the positions closed up."""
    template = get_template(extension, template_id)
    scope = template.scope
    delete_template(extension, template)
    return _section(extension, scope)


@bp.post("/<int:template_id>/position")
@login_required
def move(extension, template_id: int):
    """Move a template to the posted ``position`` (0 = top); return its list in the new order."""
    template = get_template(extension, template_id)
    move_template(extension, template, parse_position(request.form.get("position")))
    return _section(extension, template.scope)


def _address_or_raw(value: str, region: str) -> str:
    """The E.164 form of a typed recipient, or the text itself when it is no number.

    Recipients are checked by the compose form, next to each one; the picker only needs
    to know that nobody matches an invalid one, so it never fails because of it.
    """
    if is_extension_number(value):
        return value
    try:
        return to_e164(value, region, "to")
    except DomainError:
        return value[:MAX_RAW_RECIPIENT]


def _picker_addresses(extension: Extension) -> list[str]:
    region = current_app.config["DEFAULT_REGION"]
    raw = [value for value in request.args.getlist("to") if value.strip()]
    if len(raw) > MAX_PICKER_RECIPIENTS:
        raise Invalid(f"At most {MAX_PICKER_RECIPIENTS} recipients at a time.", "to")
    addresses = [_address_or_raw(value.strip(), region) for value in raw]
    raw_id = request.args.get("conversation_id") or ""
    if raw_id:
        conversation_id = parse_id(raw_id)
        if conversation_id is None:
            raise Invalid("conversation_id must be a conversation's number.", "conversation_id")
        addresses += conversation_for(extension, conversation_id).addresses
    return addresses


@bp.get("/picker")
@login_required
def picker(extension):
    """Return the ``picker`` block: every template, filled for the recipients in ``to``
    (repeatable) or of ``conversation_id``, with a warning wherever a value is missing."""
    context = recipient_values(
        extension, _picker_addresses(extension), current_app.config["DEFAULT_REGION"]
    )
    groups = [(scope, picker_items(extension, scope, context)) for scope in SCOPES]
    has_templates = any(items for _, items in groups)
    return render_block(PAGE, "picker", groups=groups, has_templates=has_templates)
