"""Writes one CRM activity: claim it, compose the whole body, create or update, record.

The steps, each committed before the next CRM call, are what make a crash harmless:

1. **Claim** with a compare-and-set UPDATE (pending, unclaimed or lease expired, not
   before ``next_attempt_at``): only one worker writes an activity at a time.
2. **Reconcile**: an activity without a CRM id whose create was already started may
   have landed in the CRM before a crash; ``connector.find_message_log(log_key)`` finds
   it and the id is committed at once.
3. **Mark the create started** (committed), then create; or update the known id; or,
   for a day the user moved to another record (``moved_from_record_id``), move it in
   the CRM (re-parent, or delete and create again: see ``_move``).
4. **Finish** under the claim token: store the CRM id, the revision written, and mark
   the composed ``message_logs`` logged. A revision bumped meanwhile leaves it pending.

Connector errors become state: ``CrmAuthError`` -> failed "Reconnect your CRM";
``CrmRetryableError`` (and unexpected errors) -> retry later with backoff;
``CrmValidationError`` -> failed with the CRM's own message. Nothing is dropped.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, select, update

from connectors.base import Connector
from connectors.errors import CrmAuthError, CrmError, CrmNotFound, CrmRetryableError
from connectors.records import LogResult, MatchedRecord, MessageLogWrite
from connectors.retry import backoff_delay
from connectors.session import CrmSession
from widget.crm_logging.case_digest import build_case_digest
from widget.crm_logging.connections import RECONNECT_MESSAGE, connection_for, connector_session
from widget.crm_logging.digest import clean_text, render
from widget.crm_logging.transcript import build_digest, message_type_of
from widget.errors import DomainError
from widget.extensions import db
from widget.models import (
    ActivityState,
    Conversation,
    CrmActivity,
    Extension,
    Message,
    MessageLog,
    MessageLogState,
    QueueConversation,
)
from widget.models.types import utcnow

log = logging.getLogger(__name__)

# Longer than the slowest write (a refresh, a reconcile query and a create, each with the
# CRM's HTTP timeout): a worker that dies holding a claim only delays the write this long.
CLAIM_LEASE = timedelta(minutes=2)


class WriteResult(enum.StrEnum):
    SKIPPED = "skipped"  # not claimable: written already, claimed elsewhere, or not due
    WRITTEN = "written"
    DIRTY = "dirty"  # written, but newer messages arrived meanwhile: write again
    RETRY = "retry"  # the CRM was unreachable: try again after ``delay`` seconds
    FAILED = "failed"


@dataclass(frozen=True)
class WriteOutcome:
    result: WriteResult
    delay: float = 0.0


class _Stop(Exception):
    """Ends a write early with an outcome already recorded."""

    def __init__(self, outcome: WriteOutcome) -> None:
        super().__init__(outcome.result)
        self.outcome = outcome


def claim(activity_id: int, token: str, now: datetime) -> bool:
    """Take the activity for this worker (compare-and-set); return True when taken."""
    result = db.session.execute(
        update(CrmActivity)
        .where(
            CrmActivity.id == activity_id,
            CrmActivity.state == ActivityState.PENDING.value,
            (CrmActivity.claimed_until.is_(None)) | (CrmActivity.claimed_until < now),
            (CrmActivity.next_attempt_at.is_(None)) | (CrmActivity.next_attempt_at <= now),
        )
        .values(claim_token=token, claimed_until=now + CLAIM_LEASE, write_due_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _owned(activity_id: int, token: str):
    return (CrmActivity.id == activity_id) & (CrmActivity.claim_token == token)


def _set(activity_id: int, token: str, **values: Any) -> bool:
    """Update the activity if this worker still holds it; commit; return True if it did."""
    result = db.session.execute(
        update(CrmActivity)
        .where(_owned(activity_id, token))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _fail(activity_id: int, token: str, message: str) -> WriteOutcome:
    _set(
        activity_id,
        token,
        state=ActivityState.FAILED.value,
        last_error=message,
        claim_token=None,
        claimed_until=None,
        updated_at=utcnow(),
    )
    return WriteOutcome(WriteResult.FAILED)


def _retry(activity: CrmActivity, token: str, message: str, retry_after: float | None):
    attempts = activity.attempts + 1
    limit = int(current_app.config.get("CRM_LOG_MAX_ATTEMPTS", 8))
    if attempts >= limit:
        return _fail(
            activity.id, token, f"The CRM did not answer after {attempts} tries: {message}"
        )
    delay = backoff_delay(attempts - 1, retry_after)
    _set(
        activity.id,
        token,
        attempts=attempts,
        last_error=message,
        next_attempt_at=utcnow() + timedelta(seconds=delay),
        claim_token=None,
        claimed_until=None,
        updated_at=utcnow(),
    )
    return WriteOutcome(WriteResult.RETRY, delay)


def composed_messages(activity_id: int) -> list[Message]:
    """Return every message linked to the activity, oldest first."""
    return list(
        db.session.scalars(
            select(Message)
            .join(MessageLog, MessageLog.message_id == Message.id)
            .where(MessageLog.activity_id == activity_id)
            .order_by(Message.created_at, Message.id)
        )
    )


def build_write(
    activity: CrmActivity, extension: Extension, messages: list[Message], log_format: str
) -> MessageLogWrite:
    """Return the complete write for the activity's current content."""
    conversation = db.session.get(Conversation, activity.conversation_id)
    if activity.queue_conversation_id is not None:  # a whole shared-inbox case
        case = db.session.get(QueueConversation, activity.queue_conversation_id)
        digest = build_case_digest(
            extension, case, messages, activity.record_name, activity.record_phone
        )
    else:
        digest = build_digest(
            extension,
            conversation,
            activity.log_date,
            messages,
            activity.record_name,
            activity.record_phone,
        )
    return MessageLogWrite(
        log_key=activity.log_key,
        subject=clean_text(digest.subject),
        body=render(digest, log_format),
        activity_date=activity.log_date,
        record=MatchedRecord(
            id=activity.record_id, name=activity.record_name, type=activity.record_type
        ),
        related_to_id=activity.related_to_id,
        message_type=message_type_of(conversation, messages),  # type: ignore[arg-type]
        direction=messages[-1].direction.value if messages else None,
        additional_submission=dict(activity.additional_submission or {}),
        user_name=extension.name,
    )


def write_activity(activity_id: int) -> WriteOutcome:
    """Bring the CRM up to date with one activity, if it is due and nobody else is on it."""
    token = uuid.uuid4().hex
    if not claim(activity_id, token, utcnow()):
        return WriteOutcome(WriteResult.SKIPPED)
    activity = db.session.get(CrmActivity, activity_id)
    try:
        return _write_claimed(activity, token)
    except _Stop as stop:
        return stop.outcome
    except CrmAuthError:
        return _fail(activity_id, token, RECONNECT_MESSAGE)
    except CrmRetryableError as exc:
        return _retry(activity, token, exc.message, exc.retry_after)
    except CrmError as exc:  # validation errors and anything else the CRM refused
        return _fail(activity_id, token, exc.message)
    except DomainError as exc:  # e.g. the connector is no longer installed
        return _fail(activity_id, token, exc.message)
    except Exception as exc:
        # A bug or an unwrapped transport error: keep the intent and try again later.
        log.exception("CRM write of activity %s failed unexpectedly", activity_id)
        db.session.rollback()
        activity = db.session.get(CrmActivity, activity_id)
        return _retry(activity, token, f"Unexpected error ({type(exc).__name__})", None)


def _write_claimed(activity: CrmActivity, token: str) -> WriteOutcome:
    revision = activity.revision
    extension = db.session.get(Extension, activity.extension_id)
    connection = connection_for(extension)
    if connection.connector_id != activity.connector_id:
        raise _Stop(_fail(activity.id, token, "Your CRM connection changed since this was logged."))
    connector, session = connector_session(connection)
    messages = composed_messages(activity.id)
    write = build_write(activity, extension, messages, connector.get_log_format_type())
    log_id = activity.crm_log_id
    moving = activity.moved_from_record_id is not None
    if log_id is None and activity.create_started_at is not None:
        # A create may have reached the CRM before we crashed or timed out: look first.
        log_id = connector.find_message_log(session, write.log_key)
        if log_id is not None:
            moving = False  # created under the new record already: nothing to move
        elif moving:  # or created under the record the user moved the day from
            old_key = activity.key_for_record(str(activity.moved_from_record_id))
            log_id = connector.find_message_log(session, old_key)
        if log_id is not None:
            _set(activity.id, token, crm_log_id=log_id)
    result: LogResult | None = None
    if log_id is not None and moving:
        result = _move(activity, token, connector, session, log_id, write)
    elif log_id is not None:
        try:
            result = connector.update_message_log(session, log_id, write)
        except CrmNotFound:
            log.info(
                "CRM log of activity %s was deleted in the CRM; creating it again", activity.id
            )
            _set(activity.id, token, crm_log_id=None, crm_log_url=None)
    if result is None:
        if not _set(activity.id, token, create_started_at=utcnow()):
            raise _Stop(WriteOutcome(WriteResult.SKIPPED))
        result = connector.create_message_log(session, write)
    return finish(activity.id, token, revision, result, [m.id for m in messages])


def _move(
    activity: CrmActivity,
    token: str,
    connector: Connector,
    session: CrmSession,
    log_id: str,
    write: MessageLogWrite,
) -> LogResult | None:
    """Move the CRM's log to the activity's new record; None when it must be created anew.

    A CRM that can re-parent does it in one idempotent call. Otherwise the old log is
    deleted (a log already gone counts as deleted, so a crash between the delete and the
    commit below is harmless) and forgotten, and the caller creates the new one the usual
    crash-safe way.
    """
    try:
        moved = connector.move_message_log(session, log_id, write)
    except CrmNotFound:
        moved, gone = None, True
    else:
        gone = False
    if moved is not None:
        return moved
    if not gone:
        with contextlib.suppress(CrmNotFound):  # deleted meanwhile: just as good
            connector.delete_message_log(session, log_id)
    _set(activity.id, token, crm_log_id=None, crm_log_url=None, create_started_at=None)
    return None


def finish(
    activity_id: int, token: str, revision: int, result: LogResult, message_ids: list[int]
) -> WriteOutcome:
    """Record a successful write under the claim; return WRITTEN or DIRTY."""
    now = utcnow()
    values: dict[str, Any] = {
        "crm_log_id": result.log_id,
        "written_revision": revision,
        "dirty_since": case(
            (CrmActivity.revision == revision, None), else_=CrmActivity.dirty_since
        ),
        "moved_from_record_id": case(
            (CrmActivity.revision == revision, None), else_=CrmActivity.moved_from_record_id
        ),
        "state": case(
            (CrmActivity.revision == revision, ActivityState.WRITTEN.value),
            else_=ActivityState.PENDING.value,
        ),
        "attempts": 0,
        "last_error": None,
        "next_attempt_at": None,
        "claim_token": None,
        "claimed_until": None,
        "written_at": now,
        "updated_at": now,
    }
    if result.url:
        values["crm_log_url"] = result.url
    db.session.execute(
        update(MessageLog)
        .where(
            MessageLog.activity_id == activity_id,
            MessageLog.message_id.in_(message_ids),
            MessageLog.state == MessageLogState.PENDING.value,
        )
        .values(state=MessageLogState.LOGGED.value, logged_at=now)
        .execution_options(synchronize_session=False)
    )
    if not _set(activity_id, token, **values):
        # Our lease ran out mid-write and another worker took over: keep the CRM id anyway.
        db.session.execute(
            update(CrmActivity)
            .where(CrmActivity.id == activity_id, CrmActivity.crm_log_id.is_(None))
            .values(crm_log_id=result.log_id)
        )
        db.session.commit()
        return WriteOutcome(WriteResult.SKIPPED)
    state = db.session.scalar(select(CrmActivity.state).where(CrmActivity.id == activity_id))
    if state == ActivityState.PENDING:
        return WriteOutcome(WriteResult.DIRTY)
    return WriteOutcome(WriteResult.WRITTEN)
