"""Reading back what agents change in RingCentral's own app to queue cases' threads.

``threads.py`` tells RingCentral what happens to a case in Sidetalk; this is the other
direction. An agent in RingCentral's app assigns, unassigns or resolves a call queue's
thread: ``GET /account/~/message-threads/sync`` (ISync with the token of the last read;
FSync, the Open threads, the first time or when RingCentral no longer knows the token)
lists the threads changed since. Each thread of a case Sidetalk knows becomes a
``ThreadState`` handed to the queues service (``apply``), and only then is the new token
kept: a crash in between reads the same changes again, which ``apply`` takes
idempotently. The conformance data has no thread event for webhooks, so the read is
periodic (the queues' one-minute task).

One signed-in queue member per account reads (the first by id): the sync lists every
thread the user can monitor, so one read covers the account's queues.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
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
    QueueMember,
    QueueThreadLink,
)
from widget.models.message import participants_key
from widget.platforms.ringcentral.client import ApiRefused
from widget.platforms.ringcentral.threads import THREADS, Call, threads_enabled
from widget.platforms.shapes import ThreadState

log = logging.getLogger(__name__)

SYNC = f"{THREADS}/sync"
ELSEWHERE = "RingCentral"


def readers() -> list[int]:
    """The extension whose sign-in reads each account's threads: its first signed-in
    queue member."""
    with Session(db.engine) as session:
        rows = session.execute(
            select(func.min(Extension.id))
            .join(QueueMember, QueueMember.extension_id == Extension.id)
            .join(PlatformLink, PlatformLink.extension_id == Extension.id)
            .where(
                PlatformLink.sealed_tokens.is_not(None),
                PlatformLink.reconnect_required.is_(False),
            )
            .group_by(Extension.account_id)
        ).all()
    return sorted(row[0] for row in rows)


def _sync(call: Call, token: str | None) -> dict:
    if token:
        try:
            return call("GET", SYNC, params={"syncType": "ISync", "syncToken": token}) or {}
        except ApiRefused as exc:
            if exc.status != 400:
                raise
            log.info("thread sync token refused (%s): reading the open threads again", exc.code)
    return call("GET", SYNC, params={"syncType": "FSync"}) or {}


def _case_of(session: Session, account_id: int, thread: Mapping) -> int | None:
    """The case the thread is: linked already, else the open case between the queue's
    number and the customer (linked now, as told: RingCentral's state is where it
    starts from)."""
    linked = session.scalar(
        select(QueueThreadLink.queue_conversation_id).where(
            QueueThreadLink.thread_id == str(thread.get("id"))
        )
    )
    if linked is not None:
        return linked
    owner = (thread.get("ownerParty") or {}).get("phoneNumber")
    guest = (thread.get("guestParty") or {}).get("phoneNumber")
    if not owner or not guest:
        return None
    case_id = session.scalar(
        select(QueueConversation.id)
        .join(Queue, Queue.id == QueueConversation.queue_id)
        .join(PhoneNumber, PhoneNumber.extension_id == Queue.extension_id)
        .join(Conversation, Conversation.id == QueueConversation.conversation_id)
        .where(
            Queue.account_id == account_id,
            PhoneNumber.e164 == owner,
            Conversation.participants == participants_key([guest]),  # one customer's
            QueueConversation.resolved_at.is_(None),
        )
        .limit(1)
    )
    if case_id is None:
        return None
    newest = session.scalar(
        select(func.max(QueueEvent.id)).where(QueueEvent.queue_conversation_id == case_id)
    )
    link = session.scalar(
        select(QueueThreadLink).where(QueueThreadLink.queue_conversation_id == case_id)
    )
    if link is None:
        link = QueueThreadLink(queue_conversation_id=case_id)
        session.add(link)
    link.thread_id = str(thread["id"])
    link.mirrored_event_id = max(link.mirrored_event_id or 0, newest or 0)
    try:
        session.commit()
    except IntegrityError:  # the mirror linked the case at the same moment: its link stands
        session.rollback()
    return case_id


def states_of(account_id: int, records: list) -> list[ThreadState]:
    """The states of the threads (RingCentral's records) that are cases of the account."""
    found: list[ThreadState] = []
    with Session(db.engine) as session:
        for thread in records:
            if not isinstance(thread, Mapping) or not thread.get("id"):
                continue
            case_id = _case_of(session, account_id, thread)
            if case_id is None:
                continue  # not a case here (yet): the customer's text opens it
            resolved = thread.get("status") == "Resolved"
            assignee = (thread.get("assignee") or {}).get("extensionId")
            assignee_id = None
            if assignee and not resolved:
                assignee_id = session.scalar(
                    select(Extension.id).where(
                        Extension.account_id == account_id,
                        Extension.platform_extension_id == str(assignee),
                    )
                )
                if assignee_id is None:
                    log.warning(
                        "thread %s assigned to unknown extension %s", thread["id"], assignee
                    )
                    continue
            found.append(
                ThreadState(
                    case_id=case_id,
                    thread_id=str(thread["id"]),
                    assignee_id=assignee_id,
                    resolved_reason=(thread.get("statusReason") or "Manual") if resolved else None,
                    elsewhere=ELSEWHERE,
                )
            )
    return found


def read_back(
    caller_for: Callable[[int], Call], apply: Callable[[list[ThreadState]], object]
) -> int:
    """Read every account's changed threads, apply them, keep the tokens; return the
    states handed over."""
    handed = 0
    for reader_id in readers():
        call = caller_for(reader_id)
        if not threads_enabled(call, reader_id):
            continue
        with Session(db.engine) as session:
            account_id = session.get(Extension, reader_id).account_id
            token = session.scalar(
                select(PlatformLink.thread_sync_token).where(PlatformLink.extension_id == reader_id)
            )
        body = _sync(call, token)
        states = states_of(account_id, list(body.get("records") or []))
        apply(states)
        handed += len(states)
        new_token = (body.get("syncInfo") or {}).get("syncToken")
        if new_token:
            with Session(db.engine) as session:
                session.execute(
                    update(PlatformLink)
                    .where(PlatformLink.extension_id == reader_id)
                    .values(thread_sync_token=str(new_token))
                )
                session.commit()
    return handed
