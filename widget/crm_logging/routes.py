"""Views of CRM logging: the Log panel and CRM settings in the widget.

Widget views (``/widget/crm/...``) return named blocks of ``crm_logging/log_panel.html``
and ``crm_logging/settings.html``. Logic lives in ``panel`` and the engine; the
manifest editor is the admin console's (``widget/admin``).
"""

from __future__ import annotations

from flask import render_template, request
from jinja2_fragments.flask import render_block

from connectors.errors import CrmError, CrmValidationError
from widget import htmx_support
from widget.access import conversation_for
from widget.auth.service import login_required
from widget.contacts.service import names_for
from widget.crm_logging import bp, engine, moves, new_contact, panel, status_block
from widget.crm_logging.settings_view import SETTINGS_PAGE, settings_context
from widget.errors import DomainError, Forbidden, Invalid
from widget.inbox.presenters import conversation_title
from widget.models import ConflictPolicy

LOG_PAGE = status_block.LOG_PAGE


def _fragment(page: str, block: str, context: dict, status: int = 200):
    """Return one named block of ``page``."""
    return htmx_support.make_fragment_response(render_block(page, block, **context), status)


def _page_or_fragment(page: str, block: str, context: dict):
    """Return ``block`` for htmx calls, the whole page for a plain visit."""
    if htmx_support.is_htmx_request():
        return _fragment(page, block, context)
    return render_template(page, **context)


def _panel_problem(context: dict):
    """Show the whole panel in its "CRM unreachable" state, wherever the call came from.

    A CRM that cannot answer is a state of the panel (with Try again), not a failed
    request: 200, so htmx swaps it in (it swaps no 5xx), in place of the panel.
    """
    response = _fragment(LOG_PAGE, "log_panel", context)
    return htmx_support.retarget(response, "#log-panel", swap="outerHTML")


# -- the Log panel ---------------------------------------------------------------------------


def _loggable_conversation(extension, conversation_id: int):
    conversation = conversation_for(extension, conversation_id)
    if not panel.is_loggable(conversation):
        raise Invalid("Pager conversations stay inside the company; they are not logged.")
    return conversation


def _panel_context(extension, conversation, record_id: str | None = None, form=None) -> dict:
    """Build the panel; ``form`` (what was submitted) fills values and the preview."""
    crm = panel.crm_view(extension, request.host_url)
    built = panel.build_panel(extension, conversation, crm, record_id)
    names = names_for(extension, set(conversation.addresses))
    values = panel.submitted_values(built.fields, form) if form is not None else {}
    return {
        "extension": extension,
        "framed": panel.framed,
        "panel": built,
        "title": conversation_title(conversation, names),
        "known_names": names,
        "values": values,
        "errors": {},
        "record_error": None,
        "preview": None
        if built.problem
        else panel.preview_text(extension, conversation, built, form),
        "status": panel.log_status(extension, conversation, crm),
        "new_contact_fields": new_contact.new_contact_form(crm),
        "new_contact_phone": None,
        "contact_values": {},
        "contact_errors": {},
        "create_problem": None,
        "oob_preview": False,
        "skipped": panel.skipped_messages(form),
        "messages_error": None,
        "move_error": None,
    }


@bp.get("/widget/crm/conversations/<int:conversation_id>/log")
@login_required
def log_panel(extension, conversation_id: int):
    """Return the ``log_panel`` block: Name choices, the manifest form, preview, Log."""
    conversation = _loggable_conversation(extension, conversation_id)
    context = _panel_context(extension, conversation, request.args.get("record_id") or None)
    return _page_or_fragment(LOG_PAGE, "log_panel", context)


def _chosen_record_context(extension, conversation_id: int) -> dict:
    """The panel for ``?record_id=`` with what is filled in; 400 for a record not offered."""
    conversation = _loggable_conversation(extension, conversation_id)
    record_id = request.args.get("record_id") or ""
    context = _panel_context(extension, conversation, record_id, request.args)
    if not context["panel"].problem and context["panel"].chosen is None:
        raise Invalid("That record was not offered for this conversation.", "record_id")
    return context


@bp.get("/widget/crm/conversations/<int:conversation_id>/log/fields")
@login_required
def log_fields(extension, conversation_id: int):
    """Return the ``log_fields`` block for the chosen record, with its preview out of band."""
    context = _chosen_record_context(extension, conversation_id)
    if context["panel"].problem:
        return _panel_problem(context)
    return _fragment(LOG_PAGE, "log_fields", {**context, "oob_preview": True})


@bp.get("/widget/crm/conversations/<int:conversation_id>/log/preview")
@login_required
def log_preview(extension, conversation_id: int):
    """Return the ``log_preview`` block: what logging would write with these choices."""
    context = _chosen_record_context(extension, conversation_id)
    if context["panel"].problem:
        return _panel_problem(context)
    return _fragment(LOG_PAGE, "log_preview", context)


@bp.post("/widget/crm/conversations/<int:conversation_id>/log")
@login_required
def log_conversation(extension, conversation_id: int):
    """Log the conversation to the chosen record; return the panel with the logged mark.

    Field errors re-render the panel with each message next to its field (422); a record
    the user was not offered is refused by the engine and shown at Name (400).
    """
    conversation = _loggable_conversation(extension, conversation_id)
    record_id = request.form.get("record_id") or ""
    context = _panel_context(extension, conversation, record_id or None, request.form)
    built = context["panel"]
    if built.problem:
        return _panel_problem(context)
    submission, errors = panel.read_submission(built.fields, request.form)
    if not record_id:
        context["record_error"] = "Choose the record to log to."
        return _fragment(LOG_PAGE, "log_panel", {**context, "errors": errors}, 422)
    if errors and built.chosen is not None:
        return _fragment(LOG_PAGE, "log_panel", {**context, "errors": errors}, 422)
    try:
        engine.log_conversation(
            extension,
            conversation,
            record_id,
            submission,
            panel.related_to_id(submission),
            skip_message_ids=context["skipped"],
        )
    except DomainError as refused:
        if refused.field in {f.const for f in built.fields}:
            context["errors"] = {refused.field: refused.message}
        elif refused.field == "message_ids":
            context["messages_error"] = refused.message
        else:
            context["record_error"] = refused.message
        return _fragment(LOG_PAGE, "log_panel", context, refused.status)
    context["status"] = panel.log_status(extension, conversation, built.crm)
    return _logged(_fragment(LOG_PAGE, "log_panel", context))


def _logged(response):
    """The panel after a Log or a move, shown from its top: the logged mark is there, and
    the button pressed may be far below it (a long list of messages to choose)."""
    return htmx_support.retarget(response, "#log-panel", swap="outerHTML show:#log-panel:top")


@bp.post("/widget/crm/conversations/<int:conversation_id>/log/activities/<int:activity_id>/move")
@login_required
def move_log(extension, conversation_id: int, activity_id: int):
    """Move a logged day to another record; return the panel with the new logged mark."""
    conversation = _loggable_conversation(extension, conversation_id)
    try:
        moves.move_activity(
            extension, conversation, activity_id, request.form.get("record_id") or ""
        )
    except DomainError as refused:
        context = _panel_context(extension, conversation)
        context["move_error"] = refused.message
        return _fragment(LOG_PAGE, "log_panel", context, refused.status)
    # The panel now has the record the day moved to chosen.
    context = _panel_context(extension, conversation, request.form.get("record_id"))
    return _logged(_fragment(LOG_PAGE, "log_panel", context))


def _status_response(extension, conversation):
    # The Log panel's Retry asks for the panel's markup (?view=panel); the thread's for its own.
    context = status_block.status_context(
        extension, conversation, request.host_url, view=request.args.get("view", "")
    )
    return _fragment(LOG_PAGE, "log_status", context)


@bp.get("/widget/crm/conversations/<int:conversation_id>/log/status")
@login_required
def log_status(extension, conversation_id: int):
    """Return the ``log_status`` block: logged mark, pending, failed (Retry), decision."""
    return _status_response(extension, _loggable_conversation(extension, conversation_id))


@bp.post("/widget/crm/conversations/<int:conversation_id>/log/retry")
@login_required
def retry_log(extension, conversation_id: int):
    """Queue the failed logs of the conversation again; return the ``log_status`` block."""
    conversation = _loggable_conversation(extension, conversation_id)
    engine.retry_failed(extension, conversation)
    return _status_response(extension, conversation)


@bp.post("/widget/crm/conversations/<int:conversation_id>/contacts")
@login_required
def create_contact(extension, conversation_id: int):
    """Create a CRM contact for an unmatched number; return the panel with it chosen."""
    conversation = _loggable_conversation(extension, conversation_id)
    crm = panel.crm_view(extension, request.host_url)
    new, errors = new_contact.read_new_contact(conversation, crm, request.form)
    if new is None:
        phone = request.form.get("phone", "")
        context = _panel_context(extension, conversation)
        context.update(
            new_contact_phone=phone,
            contact_values=new_contact.new_contact_values(crm, phone, request.form),
            contact_errors=errors,
        )
        return _fragment(LOG_PAGE, "log_panel", context, 422)
    try:
        record = engine.create_contact(
            extension, new.phone, new.name, new.contact_type, new.submission
        )
    except CrmValidationError as refused:
        context = _panel_context(extension, conversation)
        context.update(
            new_contact_phone=new.phone,
            contact_values=new_contact.new_contact_values(crm, new.phone, request.form),
            create_problem=panel.crm_problem(refused, crm.name),
        )
        return _fragment(LOG_PAGE, "log_panel", context, 422)
    except CrmError as error:
        context = _panel_context(extension, conversation)
        context["panel"].problem = panel.crm_problem(error, crm.name)
        return _panel_problem(context)
    return _fragment(LOG_PAGE, "log_panel", _panel_context(extension, conversation, record.id))


# -- settings ----------------------------------------------------------------------------------


@bp.get("/widget/crm/settings")
@login_required
def settings_panel(extension):
    """Return the ``crm_settings`` block: connected CRM, auto-log, log page, policy."""
    return _page_or_fragment(SETTINGS_PAGE, "crm_settings", settings_context(extension))


def _enabled() -> bool:
    return request.form.get("enabled") == "1"


@bp.post("/widget/crm/settings/auto-log")
@login_required
def update_auto_log(extension):
    """Turn auto-log on or off (``backfill=1`` also logs earlier messages); return its block."""
    backfill = request.form.get("backfill") == "1"
    engine.set_auto_log(extension, _enabled(), backfill=backfill and _enabled())
    context = settings_context(extension, backfilled=backfill and _enabled())
    return _fragment(SETTINGS_PAGE, "auto_log_setting", context)


@bp.post("/widget/crm/settings/open-log-page")
@login_required
def update_open_log_page(extension):
    """Turn "Open SMS logging page after message" on or off; return its block."""
    engine.set_open_log_page(extension, _enabled())
    return _fragment(SETTINGS_PAGE, "open_log_page_setting", settings_context(extension))


@bp.post("/widget/crm/settings/conflict-policy")
@login_required
def update_conflict_policy(extension):
    """Set the account's conflict policy (admins only); return its block (422 if unknown)."""
    if not extension.is_admin:
        raise Forbidden("Only an admin can change the conflict policy.")
    raw = request.form.get("policy", "")
    try:
        policy = ConflictPolicy(raw)
    except ValueError:
        context = settings_context(extension, policy_error="Choose one of the listed policies.")
        return _fragment(SETTINGS_PAGE, "conflict_policy_setting", context, 422)
    engine.set_conflict_policy(extension.account, policy, actor=extension)
    return _fragment(SETTINGS_PAGE, "conflict_policy_setting", settings_context(extension))
