"""Queues as RingCentral message threads (accounts with the MessageThreads feature).

RingCentral opens a thread when a customer texts a call queue's number; Sidetalk's case
on that conversation is mirrored to it: a claim or a transfer to a member assigns the
thread, a release, a transfer to another queue or a timeout unassigns it, Resolve
resolves it, and notes (and transfer notes) become thread notes.

The case's ``QueueEvent`` rows are the outbox: they commit with each change.
``QueueThreadLink`` is the cursor (the last event RingCentral accepted), advanced and
committed after each call. What a mirror needs is read in a session of its own, closed
before any HTTP call, so no call runs inside an open database transaction; a crash
repeats at most the call in flight (assign and resolve are idempotent; a note could be
written twice then). The periodic ``mirror_threads`` task catches up what failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from widget.extensions import db
from widget.models import (
    Conversation,
    Extension,
    PhoneNumber,
    PlatformLink,
    Queue,
    QueueConversation,
    QueueEvent,
    QueueEventKind,
    QueueMember,
    QueueThreadLink,
)
from widget.models.queries import insert_once
from widget.models.types import utcnow

log = logging.getLogger(__name__)

FEATURES = "/restapi/v1.0/account/~/extension/~/features"
THREADS = "/restapi/v1.0/account/~/message-threads"
FEATURE = "MessageThreads"
# How long a feature answer is trusted in this process.
FEATURE_TTL_SECONDS = 600
BACKOFF_MAX = timedelta(hours=1)

Call = Callable[..., Any]  # call(method, path, params=..., json=...) -> JSON or None
_UNASSIGN = (QueueEventKind.RELEASED, QueueEventKind.TIMED_OUT, QueueEventKind.OVERFLOWED)


@dataclass(frozen=True)
class Step:
    """One thread call for one case event."""

    event_id: int
    action: str  # "assign" | "unassign" | "resolve" | "note"
    value: str | None = None  # assignee's platform extension id, or the note's text


@dataclass(frozen=True)
class CaseMirror:
    """Everything one mirror needs, read before calling out."""

    case_id: int
    caller_id: int | None  # whose sign-in makes the calls
    owner_phone: str | None
    guest_phone: str | None
    thread_id: str | None
    steps: tuple[Step, ...]
    newest_event_id: int  # the last event read (steps may stop before it)


def steps_for(events: list[QueueEvent], platform_ids: dict[int, str]) -> list[Step]:
    """The thread calls the case's events ask for, oldest first."""
    steps: list[Step] = []
    for event in events:
        if event.from_platform:
            continue  # read back from RingCentral (thread_readback.py): it knows already
        kind = event.kind
        if kind == QueueEventKind.CLAIMED and event.actor_id in platform_ids:
            steps.append(Step(event.id, "assign", platform_ids[event.actor_id]))
        elif kind == QueueEventKind.TRANSFERRED:
            if event.text:
                steps.append(Step(event.id, "note", event.text))
            target = event.target_extension_id
            if target in platform_ids:
                steps.append(Step(event.id, "assign", platform_ids[target]))
            else:
                steps.append(Step(event.id, "unassign"))
        elif kind in _UNASSIGN:
            steps.append(Step(event.id, "unassign"))
        elif kind == QueueEventKind.RESOLVED:
            steps.append(Step(event.id, "resolve"))
        elif kind == QueueEventKind.NOTE and event.text:
            steps.append(Step(event.id, "note", event.text))
    return steps


def _caller(session: Session, case: QueueConversation, events: list[QueueEvent]) -> int | None:
    """The member whose RingCentral sign-in makes the calls: the latest actor, else the
    holder, else any member of the queue (timeouts have no actor) — the first of them
    who is signed in."""
    wanted = [e.actor_id for e in reversed(events) if e.actor_id is not None]
    wanted.append(case.claimed_by_id)
    wanted += session.scalars(
        select(QueueMember.extension_id)
        .where(QueueMember.queue_id == case.queue_id)
        .order_by(QueueMember.id)
    ).all()
    candidates = [w for w in wanted if w is not None]
    signed_in = set(
        session.scalars(
            select(PlatformLink.extension_id).where(
                PlatformLink.extension_id.in_(candidates),
                PlatformLink.sealed_tokens.is_not(None),
                PlatformLink.reconnect_required.is_(False),
            )
        )
    )
    return next((c for c in candidates if c in signed_in), None)


def load(case_id: int) -> CaseMirror | None:
    """Read the case's pending thread calls in a short session of its own."""
    with Session(db.engine) as session:
        case = session.get(QueueConversation, case_id)
        if case is None:
            return None
        link = session.scalar(
            select(QueueThreadLink).where(QueueThreadLink.queue_conversation_id == case_id)
        )
        done = link.mirrored_event_id if link else 0
        events = list(
            session.scalars(
                select(QueueEvent)
                .where(QueueEvent.queue_conversation_id == case_id, QueueEvent.id > done)
                .order_by(QueueEvent.id)
            )
        )
        people = {e.actor_id for e in events} | {e.target_extension_id for e in events}
        platform_ids = dict(
            session.execute(
                select(Extension.id, Extension.platform_extension_id).where(
                    Extension.id.in_([p for p in people if p is not None])
                )
            ).all()
        )
        conversation = session.get(Conversation, case.conversation_id)
        queue = session.get(Queue, case.queue_id)
        owner_phone = session.scalar(
            select(PhoneNumber.e164)
            .where(PhoneNumber.extension_id == queue.extension_id)
            .order_by(PhoneNumber.id)
            .limit(1)
        )
        return CaseMirror(
            case_id=case_id,
            caller_id=_caller(session, case, events),
            owner_phone=owner_phone,
            guest_phone=(conversation.addresses or [None])[0],
            thread_id=link.thread_id if link else None,
            steps=tuple(steps_for(events, platform_ids)),
            newest_event_id=events[-1].id if events else done,
        )


_feature_cache: dict[int, tuple[float, bool]] = {}


def threads_enabled(call: Call, caller_id: int) -> bool:
    """Whether the caller's account has MessageThreads (asked once per ten minutes)."""
    cached = _feature_cache.get(caller_id)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    answer = call("GET", FEATURES, params={"featureId": FEATURE}) or {}
    enabled = any(
        r.get("id") == FEATURE and r.get("available") is True for r in answer.get("records", [])
    )
    _feature_cache[caller_id] = (time.monotonic() + FEATURE_TTL_SECONDS, enabled)
    return enabled


def find_thread(call: Call, owner_phone: str, guest_phone: str) -> str | None:
    """The open thread between the queue's number and the customer, or None."""
    answer = call(
        "GET",
        THREADS,
        params={
            "status": "Open",
            "ownerPhoneNumber": owner_phone,
            "guestPhoneNumber": guest_phone,
            "perPage": 1,
        },
    )
    records = (answer or {}).get("records") or []
    return records[0]["id"] if records else None


def perform(call: Call, thread_id: str, step: Step) -> None:
    if step.action == "assign":
        call(
            "POST", f"{THREADS}/{thread_id}/assign", json={"assignee": {"extensionId": step.value}}
        )
    elif step.action == "unassign":
        call("POST", f"{THREADS}/{thread_id}/assign", json={"assignee": None})
    elif step.action == "resolve":
        call("POST", f"{THREADS}/{thread_id}/resolve")
    elif step.action == "note":
        call("POST", f"{THREADS}/notes", json={"threadId": thread_id, "text": step.value})


def _link(case_id: int) -> None:
    """Make sure the case has its cursor row (committed)."""
    if db.session.scalar(
        select(QueueThreadLink.id).where(QueueThreadLink.queue_conversation_id == case_id)
    ):
        db.session.rollback()
        return
    insert_once(QueueThreadLink(queue_conversation_id=case_id))
    db.session.commit()


def _save(case_id: int, **values: Any) -> None:
    db.session.execute(
        update(QueueThreadLink)
        .where(QueueThreadLink.queue_conversation_id == case_id)
        .values(updated_at=utcnow(), **values)
    )
    db.session.commit()


def mirror(caller_for: Callable[[int], Call], case_id: int) -> int:
    """Tell RingCentral the case's events it has not heard of; return the calls made.

    ``caller_for(extension_id)`` gives the HTTP call function as that user. Platform
    errors propagate after the cursor was saved up to the last accepted event.
    """
    found = load(case_id)
    if found is not None and not found.steps and found.thread_id is not None:
        # Only events RingCentral needs not hear of (read back from it, an arrival):
        # move the cursor past them, or the sweeper would find the case behind forever.
        _save(case_id, mirrored_event_id=found.newest_event_id)
        return 0
    if found is None or found.caller_id is None or not found.steps:
        return 0  # e.g. an arrival: RingCentral opened the thread itself
    call = caller_for(found.caller_id)
    if not threads_enabled(call, found.caller_id):
        return 0  # queues stay Sidetalk's own for this account
    _link(case_id)
    thread_id = found.thread_id
    if thread_id is None and found.owner_phone and found.guest_phone:
        thread_id = find_thread(call, found.owner_phone, found.guest_phone)
        if thread_id is not None:
            _save(case_id, thread_id=thread_id)
    if thread_id is None:
        return 0  # RingCentral has no open thread for this pair: nothing to mirror
    for step in found.steps:
        perform(call, thread_id, step)
        _save(case_id, mirrored_event_id=step.event_id, attempts=0, last_error=None)
    _save(case_id, mirrored_event_id=found.newest_event_id, not_before=None)
    return len(found.steps)


def postpone(case_id: int, error: str, retry_after: float | None) -> None:
    """A mirror failed: leave it to the sweeper, after ``retry_after`` or a backoff."""
    db.session.rollback()
    _link(case_id)
    attempts = db.session.scalar(
        select(QueueThreadLink.attempts).where(QueueThreadLink.queue_conversation_id == case_id)
    )
    wait = (
        timedelta(seconds=retry_after)
        if retry_after
        else min(timedelta(minutes=2 ** (attempts or 0)), BACKOFF_MAX)
    )
    _save(
        case_id,
        attempts=(attempts or 0) + 1,
        last_error=error[:500],
        not_before=utcnow() + wait,
    )


def behind(now=None, limit: int = 100) -> list[int]:
    """Cases with events RingCentral has not heard of, due for another try."""
    now = now or utcnow()
    newest = (
        select(QueueEvent.queue_conversation_id, func.max(QueueEvent.id).label("newest"))
        .group_by(QueueEvent.queue_conversation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(newest.c.queue_conversation_id)
        .join(
            QueueThreadLink,
            QueueThreadLink.queue_conversation_id == newest.c.queue_conversation_id,
        )
        .where(
            QueueThreadLink.thread_id.is_not(None),
            newest.c.newest > QueueThreadLink.mirrored_event_id,
            (QueueThreadLink.not_before.is_(None)) | (QueueThreadLink.not_before <= now),
        )
        .limit(limit)
    ).all()
    db.session.rollback()
    return [row[0] for row in rows]
