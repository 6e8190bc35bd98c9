"""Views for unread, delete and restore; each returns only what changed.

The list row and tab counts travel out of band (the ``row`` and ``tab_counts`` blocks of
``inbox/widget.html``, as ``inbox.mark_read`` sends them). A restore may bring back a
row the list does not show and a bubble in the middle of a thread, so it asks the list
and the open thread to reload (``sidetalk-list-changed``, ``sidetalk-thread-changed``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from jinja2_fragments.flask import render_block

from widget import htmx_support
from widget.access import conversation_for, message_for
from widget.auth.service import login_required
from widget.inbox import fragments
from widget.inbox.ingest import preview_text
from widget.inbox.presenters import conversation_title, sender_names
from widget.lifecycle import bp
from widget.lifecycle.service import (
    delete_conversation,
    delete_message,
    deleted_messages,
    mark_conversation_unread,
    restore_conversation,
    restore_message,
)
from widget.models import Availability, Conversation, Extension

PAGE = "lifecycle/deleted.html"
LIST_CHANGED_EVENT = "sidetalk-list-changed"
THREAD_CHANGED_EVENT = "sidetalk-thread-changed"


def _list_updates(extension: Extension, conversation: Conversation) -> str:
    """The conversation's row (or its removal) and the tab counts, out of band."""
    counts = fragments.render_counts(extension)
    if conversation.availability != Availability.ALIVE:
        removal = render_block(PAGE, "removed", element_id=f"conversation-{conversation.id}")
        return removal + counts
    return fragments.render_rows(extension, [conversation]) + counts


def _retention_days() -> int:
    return current_app.config["DELETED_RETENTION_DAYS"]


@bp.post("/conversations/<int:conversation_id>/unread")
@login_required
def mark_unread(extension, conversation_id: int):
    """Mark the newest received message unread; return nothing for the open thread (it
    closes) and the bolded row and tab counts out of band."""
    conversation = conversation_for(extension, conversation_id, change=True)
    mark_conversation_unread(extension, conversation)
    return htmx_support.make_fragment_response(_list_updates(extension, conversation))


@bp.post("/conversations/<int:conversation_id>/delete")
@login_required
def conversation_delete(extension, conversation_id: int):
    """Delete the whole conversation; return the ``deleted_notice`` block (with Restore)
    for the thread panel, the row's removal and the tab counts."""
    conversation = conversation_for(extension, conversation_id, change=True)
    deleted = delete_conversation(extension, conversation)
    names = sender_names(extension, deleted)
    notice = render_block(
        PAGE,
        "deleted_notice",
        conversation=conversation,
        title=conversation_title(conversation, names),
        count=len(deleted),
        retention_days=_retention_days(),
    )
    return htmx_support.make_fragment_response(notice + _list_updates(extension, conversation))


@bp.post("/conversations/<int:conversation_id>/restore")
@login_required
def conversation_restore(extension, conversation_id: int):
    """Restore the conversation's deleted messages; return nothing for the thread panel
    (it closes onto the list), the tab counts, and ask the list to reload."""
    conversation = conversation_for(extension, conversation_id, change=True)
    restore_conversation(extension, conversation)
    response = htmx_support.make_fragment_response(fragments.render_counts(extension))
    return htmx_support.trigger(response, LIST_CHANGED_EVENT)


@bp.get("/conversations/<int:conversation_id>/deleted")
@login_required
def deleted_panel(extension, conversation_id: int):
    """Return the ``deleted_panel`` block: the conversation's restorable deleted messages."""
    conversation = conversation_for(extension, conversation_id)
    messages = deleted_messages(extension, conversation)
    names = sender_names(extension, messages)
    retention = timedelta(days=_retention_days())
    return render_block(
        PAGE,
        "deleted_panel",
        extension=extension,
        conversation=conversation,
        title=conversation_title(conversation, names),
        items=[(m, preview_text(m), m.deleted_at + retention) for m in messages],
        names=names,
        retention_days=_retention_days(),
    )


@bp.post("/messages/<int:message_id>/delete")
@login_required
def message_delete(extension, message_id: int):
    """Delete one message; return a ``deleted_note`` (with Restore) for the thread's notes,
    and out of band the bubble's removal, the row (or its removal) and the tab counts."""
    message = message_for(extension, message_id, change=True)
    delete_message(extension, message)
    note = render_block(PAGE, "deleted_note", message=message, retention_days=_retention_days())
    bubble_removal = render_block(PAGE, "removed", element_id=f"message-{message.id}")
    updates = _list_updates(extension, message.conversation)
    return htmx_support.make_fragment_response(note + bubble_removal + updates)


@bp.post("/messages/<int:message_id>/restore")
@login_required
def message_restore(extension, message_id: int):
    """Restore one message; return the tab counts, and ask the list and the open thread to
    reload (the bubble returns to its place in time, the row to its place in the list)."""
    message = message_for(extension, message_id, change=True)
    restore_message(extension, message)
    response = htmx_support.make_fragment_response(fragments.render_counts(extension))
    htmx_support.trigger(response, LIST_CHANGED_EVENT)
    return htmx_support.trigger(response, THREAD_CHANGED_EVENT)
