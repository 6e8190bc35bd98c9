"""Views of the sidebar: the page, list fragments, threads and read state.

Each view returns a named block of ``inbox/widget.html`` (a fragment) for htmx calls.
"""

from __future__ import annotations

from flask import current_app, render_template, request, send_file
from jinja2_fragments.flask import render_block

from widget import htmx_support, media
from widget.auth.service import current_extension, login_required
from widget.errors import BadInput
from widget.extensions import db
from widget.inbox import bp
from widget.inbox.presenters import (
    conversation_title,
    read_media_signature,
    row_views,
    sender_names,
)
from widget.inbox.service import (
    ListFilter,
    get_conversation,
    list_conversations,
    mark_conversation_read,
    thread_messages,
    unread_counts,
)
from widget.models import Attachment, Availability, Extension, Message
from widget.platforms import get_platform

PAGE = "inbox/widget.html"


def _list_context(extension, flt: ListFilter, before: str | None = None) -> dict:
    page = list_conversations(extension, flt, before, current_app.config["PAGE_SIZE"])
    return {
        "extension": extension,
        "filter": flt,
        "rows": row_views(extension, page.rows),
        "next_cursor": page.next_cursor,
        "counts": unread_counts(extension),
    }


@bp.get("/")
@login_required
def index(extension):
    """Return the whole sidebar page: tabs with unread counts, search and the first page."""
    flt = ListFilter.from_args(request.args)
    return render_template(PAGE, **_list_context(extension, flt))


@bp.get("/list")
@login_required
def conversation_list(extension):
    """Return the ``list`` block (first page for a filter) or ``more_rows`` (a later page)."""
    flt = ListFilter.from_args(request.args)
    before = request.args.get("before") or None
    context = _list_context(extension, flt, before)
    return render_block(PAGE, "more_rows" if before else "list", **context)


def _thread_context(extension, conversation, before: str | None = None) -> dict:
    messages, earlier = thread_messages(conversation, before)
    names = sender_names(extension, messages)
    return {
        "extension": extension,
        "conversation": conversation,
        "title": conversation_title(conversation, names),
        "messages": messages,
        "names": names,
        "earlier_cursor": earlier,
    }


@bp.get("/conversations/<int:conversation_id>")
@login_required
def conversation(extension, conversation_id: int):
    """Return the ``thread`` block; the block itself posts the read receipt when shown."""
    found = get_conversation(extension, conversation_id)
    return render_block(PAGE, "thread", **_thread_context(extension, found))


@bp.get("/conversations/<int:conversation_id>/earlier")
@login_required
def earlier_messages(extension, conversation_id: int):
    """Return the ``earlier_messages`` block: the page of messages before the cursor."""
    found = get_conversation(extension, conversation_id)
    before = request.args.get("before") or ""
    if not before:
        raise BadInput("Which messages? The page position is missing.", "before")
    return render_block(PAGE, "earlier_messages", **_thread_context(extension, found, before))


@bp.post("/conversations/<int:conversation_id>/read")
@login_required
def mark_read(extension, conversation_id: int):
    """Mark the conversation read; return the updated row and tab counts out of band."""
    found = get_conversation(extension, conversation_id)
    mark_conversation_read(extension, found)
    context = {
        "extension": extension,
        "row": row_views(extension, [found])[0],
        "counts": unread_counts(extension),
        "oob": True,
    }
    html = render_block(PAGE, "row", **context) + render_block(PAGE, "tab_counts", **context)
    return htmx_support.make_fragment_response(html)


@bp.get("/media/<int:attachment_id>")
def attachment(attachment_id: int):
    """Return an attachment's bytes (inline, or as a download with ``?download=1``).

    Media elements cannot send headers, so a signed link (``sig``) scoped to this one
    attachment stands in for the session in cookie-less iframes.
    """
    found = db.session.get(Attachment, attachment_id)
    message = db.session.get(Message, found.message_id) if found else None
    extension = current_extension()
    signed_for = read_media_signature(request.args.get("sig", ""), attachment_id)
    allowed = message is not None and message.extension_id in {
        extension.id if extension else None,
        signed_for,
    }
    if found is None or message is None or not allowed:
        raise BadInput("That file does not exist.", status=404)
    if message.availability == Availability.PURGED:
        raise BadInput("That file was removed when its deleted message was purged.", status=410)
    if found.storage_path is None:
        owner = db.session.get(Extension, message.extension_id)
        found.storage_path = media.store_bytes(get_platform().fetch_attachment(owner, found))
        db.session.commit()
    return send_file(
        media.path_of(found.storage_path),
        mimetype=found.content_type,
        as_attachment=request.args.get("download") == "1",
        download_name=found.filename or f"attachment-{found.id}",
        conditional=True,
        max_age=3600,
    )
