"""Shared-inbox cases logged once per case: created at the first log, updated as it grows.

A queue conversation's case is one ``CrmActivity`` per record for its whole life
(``queue_conversation_id``; unique per case and record), not one per day: its body is
the whole case (``case_digest``). The intent rules are the daily ones (``intents``):
the row and its ``message_logs`` links are inserted in savepoints under unique
constraints, every change bumps ``revision``, the caller commits, then the write is
scheduled and ``writer`` does it with its crash-safe steps.

Who writes it: the member who logged it first (by Log, or by auto-log when the case
was claimed by someone with auto-log on) — their CRM connection writes every later
update, whoever handles the case then. Once a case has an activity, every new message
and every event (claim, transfer, note, resolve) brings it up to date. Messages the user
left out at a Log (unchecked in the panel, ``selection``) stay out: the activity keeps
the case's newest message at that Log (``chosen_through_message_id``), and updates add
only newer ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select

from connectors.errors import CrmError, CrmRetryableError
from connectors.records import MatchedRecord
from widget.access import conversation_to_reply, own_conversation
from widget.crm_logging import forms, intents
from widget.crm_logging.autolog import AutoLogger, carried_fields, decide
from widget.crm_logging.case_digest import build_case_digest
from widget.crm_logging.connections import connection_for
from widget.crm_logging.digest import render
from widget.crm_logging.grouping import local_day
from widget.errors import Conflict
from widget.extensions import db
from widget.models import (
    ActivityState,
    Conversation,
    CrmActivity,
    Extension,
    Message,
    MessageLog,
    QueueConversation,
    QueueEvent,
)

log = logging.getLogger(__name__)

# What a case holds is the queues capability's to say (it sits above this one): its
# ``init_app`` hands over the two readers here (``use_queue_history``).
_history: dict[str, Callable[..., Any]] = {}


def use_queue_history(
    latest: Callable[[int], QueueConversation | None],
    messages: Callable[[QueueConversation], list[Message]],
) -> None:
    """Take the queues' readers: a conversation's latest case, and a case's messages."""
    _history.update(latest=latest, messages=messages)


def latest_case(conversation_id: int) -> QueueConversation | None:
    """The conversation's latest case (None outside queues, or without the queues)."""
    latest = _history.get("latest")
    return latest(conversation_id) if latest else None


def messages_of(case: QueueConversation) -> list[Message]:
    """Exactly the case's messages, oldest first."""
    return _history["messages"](case)


def check_may_log(extension: Extension, conversation: Conversation) -> None:
    """Raise unless ``extension`` may log (or retry the log of) ``conversation``: their
    own; a queue's on the rule of replying — while its case waits or is theirs
    (``Conflict`` naming the holder otherwise; ``NotFound`` for a non-member)."""
    case = latest_case(conversation.id) if conversation.extension_id != extension.id else None
    if case is not None:
        try:
            conversation_to_reply(extension, conversation.id)
        except Conflict:
            holder = db.session.get(Extension, case.claimed_by_id)
            raise Conflict(f"Claimed by {holder.name}: only they can log it.") from None
    else:
        own_conversation(extension, conversation, change=True)


def case_of_messages(message_ids: list[int]) -> list[int]:
    """The cases the messages belong to (each message's conversation's latest case)."""
    conversation_ids = set(
        db.session.scalars(select(Message.conversation_id).where(Message.id.in_(message_ids)))
    )
    found = [latest_case(c) for c in sorted(conversation_ids)]
    return [case.id for case in found if case is not None]


def case_activities(case_id: int) -> list[CrmActivity]:
    return list(
        db.session.scalars(
            select(CrmActivity)
            .where(CrmActivity.queue_conversation_id == case_id)
            .order_by(CrmActivity.id)
        )
    )


def case_activity(case_id: int, record_id: str) -> CrmActivity | None:
    return db.session.scalar(
        select(CrmActivity).where(
            CrmActivity.queue_conversation_id == case_id, CrmActivity.record_id == record_id
        )
    )


def _activity(
    extension: Extension,
    case: QueueConversation,
    record: MatchedRecord,
    connector_id: str,
    fields: dict[str, Any],
) -> tuple[CrmActivity, bool]:
    """The case's activity for ``record`` and whether it was just made."""
    found = case_activity(case.id, record.id)
    if found is not None:
        return found, False
    activity = intents.pending_activity(
        extension,
        case.conversation_id,
        local_day(extension, case.opened_at),
        record,
        connector_id,
        fields,
        case_id=case.id,
    )
    return intents.insert_or_existing(activity, lambda: case_activity(case.id, record.id))


def record_case_intent(
    extension: Extension,
    case: QueueConversation,
    record: MatchedRecord,
    connector_id: str,
    *,
    related_to_id: str | None = None,
    additional_submission: dict[str, Any] | None = None,
    record_phone: str | None = None,
    from_user: bool = False,
    skip_message_ids: Collection[int] = (),
) -> tuple[CrmActivity, bool]:
    """Record that ``case`` (all its messages so far but ``skip_message_ids``) belongs in
    its activity for ``record``; return the activity and whether the CRM needs a write.
    The caller commits.

    ``from_user`` (an explicit Log) replaces the stored fields, retries a failure and
    remembers the case's newest message: what it left out stays out of later updates
    (``sync``), as a day's unchecked messages stay out of its log.
    """
    fields = {
        "related_to_id": related_to_id,
        "additional_submission": additional_submission,
        "record_phone": record_phone,
    }
    activity, changed = _activity(extension, case, record, connector_id, fields)
    if from_user:
        new_fields = (related_to_id, dict(additional_submission or {}))
        if new_fields != (activity.related_to_id, activity.additional_submission):
            activity.related_to_id, activity.additional_submission = new_fields
            changed = True
    message_ids = [m.id for m in messages_of(case)]
    if from_user and message_ids:
        activity.chosen_through_message_id = max(message_ids)
    chosen = [i for i in message_ids if i not in set(skip_message_ids)]
    changed = intents.link(activity, chosen) > 0 or changed
    retry = from_user and activity.state == ActivityState.FAILED
    if changed or retry:
        intents.bump(activity, reset_failure=from_user)
    return activity, changed or retry


def preview(
    extension: Extension,
    case: QueueConversation,
    record: MatchedRecord,
    phone: str,
    log_format: str,
    skip_message_ids: Collection[int] = (),
) -> str:
    """The exact body logging ``case`` to ``record`` would write now, leaving out
    ``skip_message_ids`` (a Log links every other message of the case)."""
    skip = set(skip_message_ids)
    messages = [m for m in messages_of(case) if m.id not in skip]
    digest = build_case_digest(extension, case, messages, record.name, phone)
    return render(digest, log_format)


def sync(case_id: int) -> list[int]:
    """Bring the case's CRM activities up to date after a new message or event; with
    none yet, auto-log it for its holder when their auto-log is on. Return the
    activities to write (the caller schedules them)."""
    case = db.session.get(QueueConversation, case_id)
    if case is None:
        return []
    activities = case_activities(case.id)
    if activities:
        message_ids = [m.id for m in messages_of(case)]
        for activity in activities:
            # Only messages newer than the user's last choice: what they left out stays out.
            chosen_through = activity.chosen_through_message_id or 0
            intents.link(activity, [i for i in message_ids if i > chosen_through])
            # An event changes the body even without a new message: always bump.
            intents.bump(activity, reset_failure=False)
        db.session.commit()
        return [a.id for a in activities if a.state != ActivityState.FAILED]
    return _auto_log(case)


def _auto_log(case: QueueConversation) -> list[int]:
    """Auto-log a case nobody logged yet, for its holder, by the account's policy."""
    holder = db.session.get(Extension, case.claimed_by_id) if case.claimed_by_id else None
    if holder is None:
        return []  # waiting in the queue: the claim (an event) comes back here
    connection = connection_for(holder)
    if not connection.auto_log:
        return []
    conversation = db.session.get(Conversation, case.conversation_id)
    try:
        logger = AutoLogger(holder, connection)
        to_write = []
        for phone in conversation.addresses:
            records = logger.records(phone)
            record = (
                decide(holder, conversation, phone, records, logger.policy) if records else None
            )
            if record is None:
                continue  # no match, or "needs a decision" marked for the holder
            form = forms.message_log_form(logger.manifest, logger.connector.id, record)
            related, fields = carried_fields(
                holder, conversation, record, forms.default_submission(form)
            )
            activity, dirty = record_case_intent(
                holder,
                case,
                record,
                logger.connector.id,
                related_to_id=related,
                additional_submission=fields,
                record_phone=phone,
            )
            if dirty:
                to_write.append(activity.id)
        db.session.commit()
        return to_write
    except CrmRetryableError as exc:
        db.session.rollback()
        log.info("auto-log of case %s postponed: %s", case.id, exc.message)
    except CrmError as exc:
        db.session.rollback()
        log.info("auto-log of case %s refused by the CRM: %s", case.id, exc.message)
    return []


def stale_cases(now: datetime, min_age: timedelta, limit: int = 200) -> list[int]:
    """Logged cases whose activity missed a message or an event (the task that should
    have synced it was lost in a crash): a message of the case not linked to the
    activity's record, or an event newer than the activity's last change, older than
    ``min_age`` (younger ones belong to the task their commit queued)."""
    before = now - min_age
    case = QueueConversation
    later_case = select(QueueConversation.id).where(
        QueueConversation.conversation_id == case.conversation_id,
        QueueConversation.id > case.id,
        QueueConversation.first_message_id <= Message.id,
    )
    unlinked_message = exists().where(
        Message.conversation_id == case.conversation_id,
        Message.id >= case.first_message_id,
        Message.id > func.coalesce(CrmActivity.chosen_through_message_id, 0),
        Message.created_at < before,
        ~exists().where(
            MessageLog.message_id == Message.id, MessageLog.record_id == CrmActivity.record_id
        ),
        ~exists(later_case),
    )
    newer_event = exists().where(
        QueueEvent.queue_conversation_id == case.id,
        QueueEvent.created_at > CrmActivity.updated_at,
        QueueEvent.created_at < before,
    )
    return list(
        db.session.scalars(
            select(CrmActivity.queue_conversation_id)
            .join(case, case.id == CrmActivity.queue_conversation_id)
            .where(
                and_(
                    CrmActivity.state != ActivityState.FAILED.value,
                    unlinked_message | newer_event,
                )
            )
            .distinct()
            .limit(limit)
        )
    )
