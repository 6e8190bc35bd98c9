"""Finding a queue conversation again after it left the Queue section.

``browse(viewer, queue_id, show, query, before)`` is one page of a queue's cases for a
member: "resolved" (the default) or "all" of them, newest case first, optionally only
those whose conversation holds a message matching ``query`` (the same full-text index
as the list's search, over the queue's own mailbox). Access is the queue's: a
non-member gets ``NotFound`` for its id, and only the queue's own cases are listed, so
another queue's or another person's conversations never show. A page costs the same
statements however many cases the queue has (keyset paging on the case id).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from widget.access import queue_for
from widget.contacts.service import names_for
from widget.errors import Invalid
from widget.extensions import db
from widget.inbox.presenters import conversation_title
from widget.inbox.search import matching_where
from widget.inputs import parse_id
from widget.models import Conversation, Extension, Message, Queue, QueueConversation

PAGE_SIZE = 20
SHOWS = ("resolved", "all")
QUERY_LIMIT = 200


@dataclass(frozen=True)
class BrowseRow:
    case: QueueConversation
    conversation: Conversation
    title: str
    holder: str | None
    resolver: str | None


@dataclass(frozen=True)
class BrowsePage:
    queue: Queue
    show: str
    query: str
    rows: list[BrowseRow]
    # The ``before`` of the next (older) page, or None on the last one.
    older: int | None


def _before(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    before = parse_id(raw)
    if before is None:
        raise Invalid("That page does not exist.", "before")
    return before


def browse(
    viewer: Extension,
    queue_id: int,
    show: str | None = None,
    query: str | None = None,
    before: str | None = None,
) -> BrowsePage:
    """One page of queue ``queue_id``'s cases for member ``viewer`` (see the module)."""
    queue = queue_for(viewer, queue_id)
    show = show or "resolved"
    if show not in SHOWS:
        raise Invalid("Show resolved or all conversations.", "show")
    query = (query or "").strip()
    if len(query) > QUERY_LIMIT:
        raise Invalid(f"Search for at most {QUERY_LIMIT} characters.", "q")
    cursor = _before(before)
    holder, resolver = aliased(Extension), aliased(Extension)
    statement = (
        select(QueueConversation, Conversation, holder.name, resolver.name)
        .join(Conversation, Conversation.id == QueueConversation.conversation_id)
        .outerjoin(holder, holder.id == QueueConversation.claimed_by_id)
        .outerjoin(resolver, resolver.id == QueueConversation.resolved_by_id)
        .where(QueueConversation.queue_id == queue.id)
        .order_by(QueueConversation.id.desc())
        .limit(PAGE_SIZE + 1)
    )
    if show == "resolved":
        statement = statement.where(QueueConversation.resolved_at.is_not(None))
    if cursor is not None:
        statement = statement.where(QueueConversation.id < cursor)
    if query:
        in_mailbox = Message.extension_id == queue.extension_id
        statement = statement.where(
            QueueConversation.conversation_id.in_(
                select(Message.conversation_id).where(*matching_where(in_mailbox, query))
            )
        )
    found = db.session.execute(statement).all()
    shown = found[:PAGE_SIZE]
    names = names_for(viewer, {a for _, c, _, _ in shown for a in c.addresses})
    rows = [
        BrowseRow(case, c, conversation_title(c, names), held_by, resolved_by)
        for case, c, held_by, resolved_by in shown
    ]
    older = shown[-1][0].id if len(found) > PAGE_SIZE else None
    return BrowsePage(queue, show, query, rows, older)
