"""Views of CRM logging: the Log panel and CRM settings in the widget, the manifest editor.

Widget views (``/widget/crm/...``) return named blocks of ``crm_logging/log_panel.html``
and ``crm_logging/settings.html``; the editor (``/admin/manifests/...``, never framed)
returns blocks of ``crm_logging/manifests.html``. Logic lives in ``panel``,
``manifests`` and the engine.
"""

from __future__ import annotations

from flask import jsonify, render_template, request
from jinja2_fragments.flask import render_block

from connectors.errors import CrmError, CrmValidationError
from connectors.registry import get_connector
from widget import htmx_support
from widget.auth.service import login_required
from widget.contacts.service import names_for
from widget.crm_logging import bp, engine, manifests, new_contact, panel
from widget.crm_logging.settings_view import SETTINGS_PAGE, settings_context
from widget.errors import BadInput
from widget.inbox.presenters import conversation_title
from widget.inbox.service import get_conversation
from widget.models import ConflictPolicy

LOG_PAGE = "crm_logging/log_panel.html"
MANIFESTS_PAGE = "crm_logging/manifests.html"


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
    conversation = get_conversation(extension, conversation_id)
    if not panel.is_loggable(conversation):
        raise BadInput("Pager conversations stay inside the company; they are not logged.")
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
        raise BadInput("That record was not offered for this conversation.", "record_id")
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
            extension, conversation, record_id, submission, panel.related_to_id(submission)
        )
    except BadInput as refused:
        if refused.field in {f.const for f in built.fields}:
            context["errors"] = {refused.field: refused.message}
        else:
            context["record_error"] = refused.message
        return _fragment(LOG_PAGE, "log_panel", context, refused.status)
    context["status"] = panel.log_status(extension, conversation, built.crm)
    return _fragment(LOG_PAGE, "log_panel", context)


def _status_response(extension, conversation):
    crm = panel.crm_view(extension, request.host_url)
    context = {
        "panel": None,
        "conversation": conversation,
        "status": panel.log_status(extension, conversation, crm),
    }
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
        raise BadInput("Only an admin can change the conflict policy.", status=403)
    raw = request.form.get("policy", "")
    try:
        policy = ConflictPolicy(raw)
    except ValueError:
        context = settings_context(extension, policy_error="Choose one of the listed policies.")
        return _fragment(SETTINGS_PAGE, "conflict_policy_setting", context, 422)
    engine.set_conflict_policy(extension.account, policy)
    return _fragment(SETTINGS_PAGE, "conflict_policy_setting", settings_context(extension))


# -- manifest editor (admins) -------------------------------------------------------------


def _require_admin(extension) -> None:
    if not extension.is_admin:
        raise BadInput("Only an admin can edit the CRM log form.", status=403)


def _editor_context(extension, connector_id: str, **extra) -> dict:
    active = manifests.active_manifest(connector_id, extension.account_id)
    context = {
        "extension": extension,
        "connector_id": connector_id,
        "display_name": get_connector(connector_id).display_name,
        "document_text": manifests.manifest_text(active),
        "versions": manifests.list_versions(connector_id, extension.account_id),
        "errors": [],
        "message": None,
        "form_preview": None,
    }
    context.update(extra)
    return context


@bp.get("/admin/manifests/<connector_id>")
@login_required
def manifest_editor(extension, connector_id: str):
    """Return the editor page: the active manifest in a textarea, errors, versions."""
    _require_admin(extension)
    manifests.known_connector(connector_id)
    return render_template(MANIFESTS_PAGE, **_editor_context(extension, connector_id))


@bp.post("/admin/manifests/<connector_id>/validate")
@login_required
def validate_manifest_document(extension, connector_id: str):
    """Return the ``manifest_errors`` block for the submitted text (nothing is stored)."""
    _require_admin(extension)
    manifests.known_connector(connector_id)
    text = request.form.get("document", "")
    errors = manifests.check_document(text, connector_id)
    context = {
        "errors": errors,
        "message": None if errors else "Valid: this manifest can be published.",
        "form_preview": None if errors else manifests.form_preview(text, connector_id),
    }
    return render_block(MANIFESTS_PAGE, "manifest_errors", **context)


@bp.post("/admin/manifests/<connector_id>/versions")
@login_required
def publish_manifest_version(extension, connector_id: str):
    """Publish the submitted manifest; return the status block and the versions (OOB).

    JSON callers send the manifest as the body and get ``{"version": N}`` (201) or the
    error lines (422). An invalid manifest changes nothing: 422 with one line per error.
    """
    as_json = request.is_json
    source = request.get_json(silent=True) if as_json else request.form.get("document", "")
    if as_json and not isinstance(source, dict):
        raise BadInput("Send the manifest as a JSON object.", status=400)
    try:
        version = manifests.publish_manifest(connector_id, source, extension)
    except manifests.ManifestRejected as rejected:
        if as_json:
            lines = [{"pointer": e.pointer, "message": e.message} for e in rejected.errors]
            body = {"error": {"status": 422, "message": rejected.message, "errors": lines}}
            return jsonify(body), 422
        html = render_block(
            MANIFESTS_PAGE, "manifest_errors", errors=rejected.errors, message=rejected.message
        )
        return htmx_support.make_fragment_response(html, 422)
    if as_json:
        return jsonify({"connector_id": connector_id, "version": version.version}), 201
    context = _editor_context(
        extension, connector_id, message=f"Published version {version.version}; it is now active."
    )
    html = render_block(MANIFESTS_PAGE, "manifest_errors", **context) + render_block(
        MANIFESTS_PAGE, "versions", **context, versions_oob=True
    )
    return htmx_support.make_fragment_response(html)


@bp.post("/admin/manifests/<connector_id>/versions/<int:number>/rollback")
@login_required
def rollback_manifest_version(extension, connector_id: str, number: int):
    """Make version ``number`` active again; return the editor (with it) and the versions."""
    version = manifests.rollback_to(connector_id, number, extension)
    context = _editor_context(
        extension,
        connector_id,
        message=f"Version {number} is active again (as version {version.version}).",
    )
    html = render_block(MANIFESTS_PAGE, "editor", **context) + render_block(
        MANIFESTS_PAGE, "versions", **context, versions_oob=True
    )
    return htmx_support.make_fragment_response(html)
