"""The log-form builder page: form and JSON views of a draft, live checks, preview, history.

Every edit (a field typed in the builder, the JSON typed in its text area) saves the
admin's draft and answers out-of-band blocks of ``admin/manifest_editor.html``: the
other view, the problems at their JSON pointers, the preview and the draft's status.
Logic lives in ``drafts``, ``preview`` and ``manifest.builder``.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, render_template, request
from jinja2_fragments.flask import render_block

from manifest import builder
from manifest.json_text import loads_bounded
from widget import htmx_support
from widget.admin import bp, drafts, preview
from widget.crm_logging import manifests
from widget.errors import Invalid
from widget.inputs import json_body

EDITOR_PAGE = "admin/manifest_editor.html"


def _builder_page() -> str:
    page = request.values.get("builder_page") or "messageLog"
    if page not in builder.BUILDER_PAGES:
        raise Invalid("Choose the message log, call log or new contact form.", "builder_page")
    return page


def _base_version() -> int:
    raw = request.values.get("base_version", "")
    if not raw.isdigit() or len(raw) > 9:
        raise Invalid("The editor lost track of its version; reload the page.", "base_version")
    return int(raw)


def _parsed(text: str) -> Any:
    try:
        return loads_bounded(text)
    except ValueError:  # not JSON, or nested deeper than any manifest (JsonTooDeep)
        return None


def _context(connector_id: str, text: str, base_version: int, page: str, **extra) -> dict:
    """Everything the editor's blocks need for ``text``, checked and previewed."""
    admin = g.admin
    state = drafts.editor_state(admin, connector_id)
    checked = drafts.check(text, connector_id)
    rows = extra.pop("rows", None)
    if rows is None:
        rows = builder.page_fields(_parsed(text), connector_id, page)
    context = {
        "admin": admin,
        "connector_id": connector_id,
        "display_name": state.display_name,
        "document_text": text,
        "base_version": base_version,
        "active_version": state.active_version,
        "draft": state.draft,
        "builder_page": page,
        "pages": builder.PAGE_TITLES,
        "field_types": builder.FIELD_TYPES,
        "rows": rows,
        "row_name": builder.row_name,
        "errors": checked.errors,
        "warnings": checked.warnings,
        "message": None,
        "preview_html": preview.render_preview(connector_id, checked.document, request.host_url)
        if checked.document is not None
        else None,
        "versions": manifests.list_versions(connector_id, admin.account_id),
        "conflict": None,
        "diff_lines": drafts.audit.diff_lines,
        "oob": False,
    }
    context.update(extra)
    return context


def _blocks(context: dict, *names: str) -> str:
    return "".join(render_block(EDITOR_PAGE, name, **context) for name in names)


@bp.get("/manifests/<connector_id>")
def manifest_editor(connector_id: str):
    """The builder page: the admin's draft (or the active version) in both views."""
    state = drafts.editor_state(g.admin, connector_id)
    page = _builder_page()
    context = _context(connector_id, state.text, state.base_version, page)
    return render_template(EDITOR_PAGE, **context)


def _edited(connector_id: str, text: str, base: int, page: str, **extra) -> dict:
    drafts.save_draft(g.admin, connector_id, text, base)
    context = _context(connector_id, text, base, page, oob=True, **extra)
    return context


@bp.post("/manifests/<connector_id>/validate")
def validate_manifest_document(connector_id: str):
    """The JSON view changed: save the draft; answer problems, preview and the builder."""
    manifests.known_connector(connector_id)
    text = request.form.get("document", "")
    context = _edited(connector_id, text, _base_version(), _builder_page())
    context["oob"] = False
    html = render_block(EDITOR_PAGE, "manifest_errors", **context)
    context["oob"] = True
    html += _blocks(context, "builder", "preview", "draft_status")
    return htmx_support.make_fragment_response(html)


def _structural_edit(rows: list[builder.BuilderField], action: str) -> list:
    verb, _, index_text = action.partition(":")
    index = int(index_text) if index_text.isdigit() and len(index_text) < 6 else -1
    if verb == "add":
        return builder.add_field(rows)
    if verb == "remove":
        return builder.remove_field(rows, index)
    if verb in ("up", "down"):
        return builder.move_field(rows, index, -1 if verb == "up" else 1)
    if verb == "add-option":
        return builder.add_option(rows, index)
    raise Invalid("Unknown builder action.", "action")


@bp.post("/manifests/<connector_id>/builder")
def builder_changed(connector_id: str):
    """The form view changed: write it into the JSON, save, answer every other block.

    The builder itself is only re-rendered when its shape changed (a field added,
    removed, moved, an option row added, a type changed): typing never loses focus.
    """
    manifests.known_connector(connector_id)
    page = _builder_page()
    base = _base_version()
    document = _parsed(request.form.get("document", ""))
    if builder.page_fields(document, connector_id, page) is None:
        raise Invalid("Fix the JSON first: the form view needs a manifest it can read.")
    rows = builder.fields_from_form(request.form)
    action = request.form.get("action", "")
    reshaped = bool(action) or any(
        request.form.get(builder.row_name(i, "rendered_type"), row.type) != row.type
        for i, row in enumerate(rows)
    )
    if action:
        rows = _structural_edit(rows, action)
    text = manifests.manifest_text(builder.with_page_fields(document, connector_id, page, rows))
    context = _edited(connector_id, text, base, page, rows=rows)
    names = ["document", "manifest_errors", "preview", "draft_status"]
    if reshaped:
        names.append("builder")
    return htmx_support.make_fragment_response(_blocks(context, *names))


@bp.post("/manifests/<connector_id>/versions")
def publish_manifest_version(connector_id: str):
    """Publish the draft over the version it started from.

    Invalid: 422 with each problem at its pointer, nothing stored. Someone published
    meanwhile: 409 with the diff of what they changed, and a way to publish over it.
    JSON callers send the manifest as the body and get ``{"version": N}`` (201).
    """
    admin = g.admin
    if request.is_json:
        return _publish_json(connector_id)
    text = request.form.get("document", "")
    over = request.form.get("publish_over", "")
    base = int(over) if over.isdigit() and len(over) < 10 else _base_version()
    page = _builder_page()
    try:
        version = drafts.publish(admin, connector_id, text, base)
    except manifests.ManifestRejected as rejected:
        context = _context(connector_id, text, base, page, errors=rejected.errors)
        context["message"] = rejected.message
        html = render_block(EDITOR_PAGE, "manifest_errors", **context)
        return htmx_support.make_fragment_response(html, 422)
    except drafts.PublishConflict as conflict:
        context = _context(connector_id, text, base, page, conflict=conflict)
        html = render_block(EDITOR_PAGE, "manifest_errors", **context)
        return htmx_support.make_fragment_response(html, 409)
    context = _context(
        connector_id,
        text,
        version.version,
        page,
        message=f"Published version {version.version}; it is now active.",
    )
    html = render_block(EDITOR_PAGE, "manifest_errors", **context)
    context["oob"] = True
    html += _blocks(context, "versions", "base_version_input", "draft_status")
    return htmx_support.make_fragment_response(html)


def _publish_json(connector_id: str):
    source = json_body()  # bounded nesting: a deep body is a 400, never a RecursionError
    if not isinstance(source, dict):
        raise Invalid("Send the manifest as a JSON object.")
    try:
        version = drafts.publish(g.admin, connector_id, source, None)
    except manifests.ManifestRejected as rejected:
        lines = [{"pointer": e.pointer, "message": e.message} for e in rejected.errors]
        body = {"error": {"status": 422, "message": rejected.message, "errors": lines}}
        return jsonify(body), 422
    return jsonify({"connector_id": connector_id, "version": version.version}), 201


def _reopened(connector_id: str, message: str):
    """The whole editor on the active version (after a rollback, import or discard)."""
    state = drafts.editor_state(g.admin, connector_id)
    page = _builder_page()
    context = _context(connector_id, state.text, state.base_version, page, message=message)
    html = render_block(EDITOR_PAGE, "editor", **context)
    context["oob"] = True
    html += _blocks(context, "versions", "draft_status")
    return htmx_support.make_fragment_response(html)


@bp.post("/manifests/<connector_id>/versions/<int:number>/rollback")
def rollback_manifest_version(connector_id: str, number: int):
    """Make version ``number`` active again (as a new version); the editor shows it."""
    version = drafts.rollback(g.admin, connector_id, number)
    drafts.discard_draft(g.admin, connector_id)
    message = f"Version {number} is active again (as version {version.version})."
    return _reopened(connector_id, message)


@bp.post("/manifests/<connector_id>/draft/discard")
def discard_manifest_draft(connector_id: str):
    """Throw the admin's draft away; the editor shows the active version."""
    manifests.known_connector(connector_id)
    drafts.discard_draft(g.admin, connector_id)
    return _reopened(connector_id, "Draft discarded.")


@bp.post("/manifests/<connector_id>/import")
def import_manifest(connector_id: str):
    """Read an uploaded App Connect manifest into the draft (legacy shapes upgraded)."""
    manifests.known_connector(connector_id)
    upload = request.files.get("manifest_file")
    if upload is None or not upload.filename:
        raise Invalid("Choose a manifest file (.json) to import.", "manifest_file")
    raw = upload.read(manifests.MAX_DOCUMENT_CHARACTERS + 1)
    base = manifests.active_version(connector_id, g.admin.account_id)
    try:
        drafts.import_file(g.admin, connector_id, raw, base)
    except manifests.ManifestRejected as rejected:
        context = _context(
            connector_id, *_current(connector_id), errors=rejected.errors, message=rejected.message
        )
        html = render_block(EDITOR_PAGE, "manifest_errors", **context)
        return htmx_support.retarget(
            htmx_support.make_fragment_response(html, 422), "#manifest-errors", swap="outerHTML"
        )
    return _reopened(connector_id, f"Imported {upload.filename} as your draft; check and publish.")


def _current(connector_id: str) -> tuple[str, int, str]:
    state = drafts.editor_state(g.admin, connector_id)
    return state.text, state.base_version, _builder_page()


def _version_number(name: str) -> int:
    raw = request.args.get(name, "")
    if not raw.isdigit() or len(raw) > 9:
        raise Invalid("Choose two versions to compare.", name)
    return int(raw)


@bp.get("/manifests/<connector_id>/diff")
def versions_diff(connector_id: str):
    """The diff between two versions (``from`` and ``to``), as a block."""
    first, second = _version_number("from"), _version_number("to")
    diff = drafts.versions_diff(connector_id, g.admin.account_id, first, second)
    context = {
        "diff": diff,
        "first": first,
        "second": second,
        "diff_lines": drafts.audit.diff_lines,
    }
    return htmx_support.make_fragment_response(render_block(EDITOR_PAGE, "diff", **context))
