"""Websocket frames: out-of-band HTML rendered from the page's own blocks.

A frame describes every view that may be open (the list, the tab counts, an open
thread); the browser applies the pieces whose targets it shows (``realtime.js``).
Markup comes from the named blocks of ``inbox/widget.html`` (``row``, ``tab_counts``,
``bubble``, ``typing``, ``realtime_*``) with the context their owner
(``widget.inbox.fragments``) builds for the views too, and from ``log_status`` of the
Log panel (owned by ``widget.crm_logging.status_block``), so a pushed row is exactly the
row a reload would show. The only markup written here is the two-element wrappers htmx
needs to insert or delete by id.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, has_request_context
from markupsafe import escape

from widget.contacts.service import names_for, names_params
from widget.crm_logging import status_block
from widget.inbox import fragments
from widget.inbox.fragments import render
from widget.inbox.ingest import preview_text
from widget.inbox.presenters import message_addresses, party_addresses
from widget.models import Availability, Conversation, Direction, Extension, Message
from widget.models.message import participants_in

# A new or restored message moves its conversation to the top of the list; other
# changes (read state, delivery status, a deleted older message) update it in place.
MOVING_REASONS = {"created", "restored"}
# Read state never shows on a bubble: only the row and the counts change.
ROW_ONLY_REASONS = {"read", "unread"}
# The name the frame's contact names are read along under (``widget.inbox.read_along``).
NAMES = "names"


@contextmanager
def rendering():
    """A request context to render in: jobs and seeding run with an application context
    only, and ``url_for`` (links, signed media URLs) needs a request to build paths."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context():
        yield


def insert(container: str, element_id: str, swap: str, inner: str) -> str:
    """Wrap ``inner`` (list items) in its container, which htmx inserts them into by id.

    ``<ul id="rows" hx-swap-oob="afterbegin">`` puts the row first in the list;
    ``inner`` is markup we rendered ourselves from the page's blocks, already escaped.
    """
    return f'<{container} id="{escape(element_id)}" hx-swap-oob="{swap}">{inner}</{container}>'


def removal(element_id: str) -> str:
    """An element that deletes ``#element_id`` (a row or a bubble) when swapped in."""
    return f'<li id="{escape(element_id)}" hx-swap-oob="delete"></li>'


@dataclass(frozen=True)
class Frame:
    html: str
    notice: dict[str, str] | None = None


def message_changes(
    extension: Extension,
    messages: Iterable[Message],
    reason: str,
    counts: dict[str, int] | None = None,
    names: dict[str, str] | None = None,
) -> Frame:
    """The frame for ``messages`` of ``extension`` that changed for ``reason``; the tab
    ``counts`` and the ``names`` of the addresses shown are read unless given (for one
    new message, by the statement storing it: ``new_message_names_params``)."""
    messages = sorted(messages, key=lambda m: (m.created_at, m.id))
    conversations: dict[int, Conversation] = {}
    for message in messages:
        conversations.setdefault(message.conversation_id, message.conversation)
    alive = [c for c in conversations.values() if c.availability == Availability.ALIVE]
    if names is None:
        # One name lookup serves the rows and the bubbles.
        addresses = {a for c in conversations.values() for a in c.addresses}
        names = names_for(extension, addresses | message_addresses(messages))
    rows = {view.conversation.id: view for view in fragments.rows(extension, alive, names)}
    parts: list[str] = []
    for conversation in conversations.values():
        row = rows.get(conversation.id)
        if row is None:
            parts.append(removal(f"conversation-{conversation.id}"))
        elif reason in MOVING_REASONS:
            row_html = render("row", **fragments.row_context(extension, row))
            parts.append(insert("ul", "rows", "afterbegin", row_html))
        else:
            parts.append(render("row", **fragments.row_context(extension, row, oob=True)))
    parts.append(fragments.render_counts(extension, counts))
    notice = None
    if reason not in ROW_ONLY_REASONS:
        for conversation in conversations.values():
            own = [m for m in messages if m.conversation_id == conversation.id]
            parts.extend(_bubble_parts(extension, conversation, own, reason, names))
            notice = notice or _notice(own, rows.get(conversation.id), reason)
    return Frame(html="".join(parts), notice=notice)


def new_message_names_params(owner: Extension, conversation_row: dict, values: dict) -> dict:
    """The parameters of the names read along with one new message (``names_json``):
    the addresses its frame shows, its conversation's and its own, taken from the row
    and the values being stored (``Conversation.addresses``, ``message_addresses``)."""
    addresses = set(participants_in(conversation_row["participants"]))
    addresses |= party_addresses(values["from_address"], values["to_parties"])
    return names_params(owner, addresses)


def _bubble_parts(extension, conversation, messages, reason, names) -> list[str]:
    context = fragments.bubble_context(extension, conversation, messages, names)
    parts = []
    stopped_typing = False
    for message in messages:
        if message.availability != Availability.ALIVE:
            parts.append(removal(f"message-{message.id}"))
        elif reason in MOVING_REASONS:
            bubble = render("bubble", message=message, **context)
            parts.append(insert("ol", f"bubbles-{conversation.id}", "beforeend", bubble))
            stopped_typing = stopped_typing or message.direction == Direction.INBOUND
        else:
            parts.append(render("bubble", message=message, oob=True, **context))
    if stopped_typing:
        # The colleague who was typing has sent: their indicator goes away at once.
        parts.append(render("typing", **fragments.typing_context(conversation, None)))
    return parts


def _notice(messages: list[Message], row, reason: str) -> dict[str, str] | None:
    if reason != "created" or row is None:
        return None
    inbound = [m for m in messages if m.direction == Direction.INBOUND]
    if not inbound:
        return None
    newest = inbound[-1]
    return {
        "id": str(newest.id),
        "title": row.title,
        "body": preview_text(newest),
        "conversation_id": str(newest.conversation_id),
    }


def read_receipts(owner: Extension, copies: Iterable[Message]) -> str:
    """Replace the bubbles of ``owner``'s messages that colleagues have now read."""
    return "".join(
        fragments.render_bubbles(owner, message.conversation, [message], oob=True)
        for message in copies
    )


def typing(conversation: Conversation, typer: str | None) -> str:
    """Show (or, with ``typer=None``, clear) the indicator in ``conversation``'s thread."""
    return render("typing", **fragments.typing_context(conversation, typer))


def log_status(extension: Extension, conversation: Conversation) -> str:
    """Replace the conversation's log status (logged, failed, retrying) where it shows.

    Rendered by its owner, ``widget.crm_logging.status_block``; links to the embedded CRM
    use the public URL, as there is no request to take a host from.
    """
    public_url = current_app.config["PUBLIC_URL"].rstrip("/") + "/"
    return status_block.render_pushed_status(extension, conversation, public_url)


def refresh(extension: Extension, refresh_id: str) -> str:
    """Too much was missed to replay: fresh counts, and ask the page to reload its views."""
    return fragments.render_counts(extension) + render(
        "realtime_refresh", refresh_id=refresh_id, oob=True
    )


def cursors(positions: dict[str, int]) -> str:
    """The markers holding the last event seen per channel (sent back on reconnect)."""
    return "".join(
        render("realtime_cursor", channel=channel, seq=seq, oob=True)
        for channel, seq in sorted(positions.items())
    )


def notice(data: dict[str, str]) -> str:
    return render("realtime_notice", notice=data, oob=True)


def fresh_token(token: str) -> str:
    return render("realtime_token", fresh_token=token, oob=True)
