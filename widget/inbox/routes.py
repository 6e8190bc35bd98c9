"""Views of the sidebar: the page, list fragments, threads and read state.

Each view returns a named block of ``inbox/widget.html`` (a fragment) for htmx calls.
"""

from __future__ import annotations

from flask import render_template, request, send_file

from widget import htmx_support, media, security
from widget.access import attachment_for, conversation_for
from widget.auth.service import current_extension, login_required
from widget.errors import Gone, Invalid
from widget.extensions import db
from widget.inbox import bp, fragments
from widget.inbox.presenters import read_media_signature
from widget.inbox.service import ListFilter, mark_conversation_read
from widget.models import Availability, Extension
from widget.platforms import get_platform


@bp.get("/")
@login_required
def index(extension):
    """Return the whole sidebar page: tabs with unread counts, search and the first page."""
    flt = ListFilter.from_args(request.args)
    notice = get_platform().account_notice(extension)
    return render_template(
        fragments.PAGE, platform_notice=notice, **fragments.list_context(extension, flt)
    )


@bp.get("/list")
@login_required
def conversation_list(extension):
    """Return the ``list`` block (first page for a filter) or ``more_rows`` (a later page)."""
    flt = ListFilter.from_args(request.args)
    return fragments.render_list(extension, flt, request.args.get("before") or None)


@bp.get("/conversations/<int:conversation_id>")
@login_required
def conversation(extension, conversation_id: int):
    """Return the ``thread`` block; the block itself posts the read receipt when shown."""
    found = conversation_for(extension, conversation_id)
    return fragments.render_thread(extension, found)


@bp.get("/conversations/<int:conversation_id>/earlier")
@login_required
def earlier_messages(extension, conversation_id: int):
    """Return the ``earlier_messages`` block: the page of messages before the cursor."""
    found = conversation_for(extension, conversation_id)
    before = request.args.get("before") or ""
    if not before:
        raise Invalid("Which messages? The page position is missing.", "before")
    return fragments.render_earlier(extension, found, before)


@bp.post("/conversations/<int:conversation_id>/read")
@login_required
def mark_read(extension, conversation_id: int):
    """Mark the conversation read; return the updated row and tab counts out of band."""
    found = conversation_for(extension, conversation_id)
    mark_conversation_read(extension, found)
    html = fragments.render_rows(extension, [found]) + fragments.render_counts(extension)
    return htmx_support.make_fragment_response(html)


@bp.get("/media/<int:attachment_id>")
def attachment(attachment_id: int):
    """Return an attachment's bytes (inline, or as a download with ``?download=1``).

    Media elements cannot send headers, so a signed link (``sig``) scoped to this one
    attachment stands in for the session in cookie-less iframes.
    """
    signed_for = read_media_signature(request.args.get("sig", ""), attachment_id)
    found = attachment_for(current_extension(), attachment_id, signed_for=signed_for)
    message = found.message
    if message.availability == Availability.PURGED:
        raise Gone("That file was removed when its deleted message was purged.")
    if found.storage_path is None:
        owner = db.session.get(Extension, message.extension_id)
        found.storage_path = media.store_bytes(get_platform().fetch_attachment(owner, found))
        db.session.commit()
    download = request.args.get("download") == "1"
    response = send_file(
        media.path_of(found.storage_path),
        mimetype=found.content_type,
        as_attachment=download,
        download_name=media.download_name(
            found.filename, found.content_type, f"attachment-{found.id}"
        ),
        conditional=True,
        max_age=3600,
    )
    # One reader's file: a shared cache must not keep it, and a file opened from the
    # link runs no script in Sidetalk's origin. The exception is a PDF shown inline:
    # Chromium refuses to start its PDF viewer in any sandboxed document, that viewer
    # runs a PDF's script in its own process without access to this origin, and
    # uploads carrying script are refused (widget.pdf).
    response.cache_control.public = False
    response.cache_control.private = True
    response.vary.add("Cookie")
    if download or found.content_type != "application/pdf":
        response.headers["Content-Security-Policy"] = "sandbox"
    # An inline PDF gets the site-wide policy (object-src 'none' included): Chromium
    # still opens a top-level PDF in its viewer (tests/browser/test_csp_browser.py).
    response.headers["X-Content-Type-Options"] = "nosniff"
    security.skip_token_refresh(response)
    return response
