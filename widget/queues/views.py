"""What the sidebar shows of queues: the Queue section and a queue conversation's thread.

``section_context(viewer)`` is the Queue section at the top of the list: for each queue
the viewer belongs to, the "Available" toggle, (when available) the waiting cases with
Claim, and the cases other members hold ("Claimed by NAME" for as long as they hold
them); then the cases the viewer holds ("Mine"). ``thread_context`` is what a queue
conversation's thread adds: its latest case (header controls, or the "Resolved by" line
in place of the reply box), the case events as pills
placed among the bubbles, and whether the viewer may act. Both are rendered from the
named blocks of ``queues/_queue.html`` (``queue_section``, ``queue_controls``,
``queue_pill``), the same markup for a page load, a view's answer and a pushed frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from jinja2_fragments.flask import render_block
from sqlalchemy import select

from widget.contacts.service import names_for
from widget.extensions import db
from widget.inbox.presenters import conversation_title
from widget.models import (
    Conversation,
    Extension,
    Message,
    Queue,
    QueueConversation,
    QueueEvent,
    QueueMember,
)
from widget.queues.cases import AGENT_REASONS, latest_case
from widget.queues.history import events_of_conversation
from widget.queues.manage import queues_of

PAGE = "queues/_queue.html"
# The Queue section shows this many waiting cases per queue (oldest first); the rest
# wait their turn, so the section costs the same however long the queue gets.
WAITING_SHOWN = 20
# Cases other members hold, newest claim first, shown with the holder's name.
CLAIMED_SHOWN = 20


def render(block: str, **context) -> str:
    return render_block(PAGE, block, **context)


@dataclass(frozen=True)
class CaseRow:
    case: QueueConversation
    conversation: Conversation
    title: str
    # The holder's name on a case another member has claimed.
    claimed_by: str | None = None


@dataclass
class QueueBox:
    queue: Queue
    member: QueueMember
    waiting: list[CaseRow] = field(default_factory=list)
    more_waiting: bool = False
    claimed: list[CaseRow] = field(default_factory=list)
    more_claimed: bool = False


def _rows(viewer: Extension, pairs: Sequence[tuple[QueueConversation, Conversation]], **extra):
    names = names_for(viewer, {a for _, c in pairs for a in c.addresses})
    return [
        CaseRow(case, conversation, conversation_title(conversation, names), **extra)
        for case, conversation in pairs
    ]


def _cases(*where, limit: int | None = None) -> list[tuple[QueueConversation, Conversation]]:
    statement = (
        select(QueueConversation, Conversation)
        .join(Conversation, Conversation.id == QueueConversation.conversation_id)
        .where(QueueConversation.resolved_at.is_(None), *where)
        .order_by(QueueConversation.waiting_since, QueueConversation.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return [tuple(row) for row in db.session.execute(statement).all()]


def section_context(viewer: Extension, notice: str | None = None) -> dict:
    """Context of ``queue_section``: per queue, the waiting cases (when available) and the
    open cases other members hold, each with "Claimed by NAME" for as long as they hold it."""
    boxes = []
    for queue, member in queues_of(viewer):
        box = QueueBox(queue, member)
        if member.available:
            pairs = _cases(
                QueueConversation.queue_id == queue.id,
                QueueConversation.claimed_by_id.is_(None),
                limit=WAITING_SHOWN + 1,
            )
            box.more_waiting = len(pairs) > WAITING_SHOWN
            box.waiting = _rows(viewer, pairs[:WAITING_SHOWN])
        box.claimed, box.more_claimed = _claimed_by_others(viewer, queue)
        boxes.append(box)
    mine = _rows(viewer, _cases(QueueConversation.claimed_by_id == viewer.id))
    return {"extension": viewer, "boxes": boxes, "mine": mine, "notice": notice}


def _claimed_by_others(viewer: Extension, queue: Queue) -> tuple[list[CaseRow], bool]:
    """The queue's open cases held by other members, latest claim first, with the
    holder's name (one statement, however many there are)."""
    found = db.session.execute(
        select(QueueConversation, Conversation, Extension.name)
        .join(Conversation, Conversation.id == QueueConversation.conversation_id)
        .join(Extension, Extension.id == QueueConversation.claimed_by_id)
        .where(
            QueueConversation.queue_id == queue.id,
            QueueConversation.resolved_at.is_(None),
            QueueConversation.claimed_by_id != viewer.id,
        )
        .order_by(QueueConversation.claimed_at.desc(), QueueConversation.id.desc())
        .limit(CLAIMED_SHOWN + 1)
    ).all()
    shown = found[:CLAIMED_SHOWN]
    names = names_for(viewer, {a for _, c, _ in shown for a in c.addresses})
    rows = [
        CaseRow(case, c, conversation_title(c, names), claimed_by=holder)
        for case, c, holder in shown
    ]
    return rows, len(found) > CLAIMED_SHOWN


def render_section(viewer: Extension, **extra) -> str:
    return render("queue_section", **section_context(viewer, **extra))


@dataclass
class QueueThread:
    """What a queue conversation's thread adds for one viewer."""

    case: QueueConversation
    queue: Queue
    viewer: Extension
    events: list[QueueEvent]
    claimer: Extension | None
    members: list[Extension]
    # Who resolved the case (None while open, or when the idle sweep resolved it).
    resolver: Extension | None
    other_queues: list[Queue]
    reasons: Sequence = AGENT_REASONS
    _placed: dict[int, list[QueueEvent]] = field(default_factory=dict)
    trailing: list[QueueEvent] = field(default_factory=list)

    @property
    def mine(self) -> bool:
        return self.case.is_open and self.case.claimed_by_id == self.viewer.id

    @property
    def waiting(self) -> bool:
        return self.case.is_waiting

    @property
    def resolved(self) -> bool:
        """A resolved case has no reply box: its thread says why, and that the
        customer's next text reopens it (sending here would be refused with 409)."""
        return not self.case.is_open

    def place(self, messages: Sequence[Message], has_earlier: bool) -> QueueThread:
        """Put each event before the first shown message that is newer than it; events
        older than the page are left out when an earlier page holds them."""
        self._placed, self.trailing = {}, []
        ordered = sorted(messages, key=lambda m: (m.created_at, m.id))
        for event in self.events:
            later = next((m for m in ordered if m.created_at > event.created_at), None)
            if later is None:
                self.trailing.append(event)
            elif later is ordered[0] and has_earlier:
                continue
            else:
                self._placed.setdefault(later.id, []).append(event)
        return self

    def before(self, message: Message) -> list[QueueEvent]:
        return self._placed.get(message.id, [])


def thread_context(viewer: Extension, conversation: Conversation) -> QueueThread | None:
    """The queue side of ``conversation``'s thread for ``viewer``; None outside queues."""
    if conversation.extension_id == viewer.id:
        return None
    case = latest_case(conversation.id)
    if case is None:
        return None
    queue = db.session.get(Queue, case.queue_id)
    members = list(
        db.session.scalars(
            select(Extension)
            .join(QueueMember, QueueMember.extension_id == Extension.id)
            .where(QueueMember.queue_id == queue.id, Extension.id != viewer.id)
            .order_by(Extension.name)
        )
    )
    others = list(
        db.session.scalars(
            select(Queue)
            .where(Queue.account_id == queue.account_id, Queue.id != queue.id)
            .order_by(Queue.name)
        )
    )
    claimer = db.session.get(Extension, case.claimed_by_id) if case.claimed_by_id else None
    resolver = db.session.get(Extension, case.resolved_by_id) if case.resolved_by_id else None
    return QueueThread(
        case=case,
        queue=queue,
        viewer=viewer,
        events=events_of_conversation(conversation.id),
        claimer=claimer,
        members=members,
        resolver=resolver if case.resolved_at is not None else None,
        other_queues=others,
    )


def render_controls(viewer: Extension, conversation: Conversation) -> str:
    """The thread header's queue controls, out of band (the case changed)."""
    queue_thread = thread_context(viewer, conversation)
    if queue_thread is None:
        return ""
    return render("queue_controls", qt=queue_thread, conversation=conversation, oob=True)


def render_pills(events: Sequence[QueueEvent], viewer: Extension) -> str:
    return "".join(render("queue_pill", event=event, extension=viewer) for event in events)
