"""Auto-log: every new message of a conversation whose number matches one CRM record.

Several matches are settled by the account's conflict policy; "ask" leaves the
conversation marked "needs a decision" until the user logs it to one of the candidates
(auto-log then keeps using that record for the number). No match is not an error.
Each message is looked at once (``crm_autolog_checks`` is unique per message); a CRM
that cannot be reached leaves no check, so the sweeper tries the message again.

New messages arrive through ``widget.inbox.ingest.messages_changed`` (sent after the
ingestion commit); its receiver in ``tasks`` only queues a task, never calls the CRM
itself. This module decides and records; it returns the activities to write and leaves
scheduling to ``tasks``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from connectors.errors import CrmAuthError, CrmError, CrmRetryableError
from connectors.records import RELATED_TO, MatchedRecord
from widget.access import Mailbox, activities_visible_to, mailbox_of
from widget.crm_logging import forms, intents, matching
from widget.crm_logging.connections import RECONNECT_MESSAGE, connection_for, connector_session
from widget.crm_logging.grouping import local_day
from widget.extensions import db
from widget.models import (
    Account,
    AutoLogCheck,
    AutoLogOutcome,
    Availability,
    ConflictPolicy,
    Conversation,
    ConversationLogDecision,
    CrmAccountSettings,
    CrmActivity,
    CrmConnection,
    Extension,
    Message,
    MessageLog,
    MessageType,
)
from widget.models.queries import insert_once
from widget.models.types import utcnow

log = logging.getLogger(__name__)

# "Back-fill" when auto-log is turned on covers this many days of history, no more.
BACKFILL_DAYS = 7
# The sweeper leaves brand-new messages to the task their ingestion queued.
SWEEP_MIN_AGE = timedelta(minutes=1)
SWEEP_BATCH = 1000


def conflict_policy(account_id: int) -> ConflictPolicy:
    found = db.session.scalar(
        select(CrmAccountSettings.conflict_policy).where(
            CrmAccountSettings.account_id == account_id
        )
    )
    return ConflictPolicy(found) if found else ConflictPolicy.ASK


def _decision(conversation: Conversation, phone: str) -> ConversationLogDecision | None:
    return db.session.scalar(
        select(ConversationLogDecision).where(
            ConversationLogDecision.conversation_id == conversation.id,
            ConversationLogDecision.phone_e164 == phone,
        )
    )


def decide(
    extension: Extension,
    conversation: Conversation,
    phone: str,
    records: list[MatchedRecord],
    policy: ConflictPolicy,
) -> MatchedRecord | None:
    """Return the record to auto-log to, or None after marking "needs a decision"."""
    if len(records) == 1:
        return records[0]
    decision = _decision(conversation, phone)
    if decision is not None and decision.record_id:
        chosen = next((r for r in records if r.id == decision.record_id), None)
        if chosen is not None:
            return chosen
    chosen = matching.choose_by_policy(records, policy)
    if chosen is not None:
        return chosen
    candidates = [r.id for r in records]
    if decision is None:
        insert_once(  # False when another worker marked it concurrently: the same mark
            ConversationLogDecision(
                extension_id=extension.id,
                conversation_id=conversation.id,
                phone_e164=phone,
                candidate_ids=candidates,
            )
        )
    else:
        decision.record_id = None
        decision.candidate_ids = candidates
    return None


def carried_fields(
    extension: Extension, conversation: Conversation, record: MatchedRecord, defaults: dict
) -> tuple[str | None, dict[str, Any]]:
    """Return the "Related to" and fields of this conversation's latest log to the record.

    A user who chose "Related to: Opportunity X" yesterday gets it again today; a choice
    the record no longer offers is dropped. Without an earlier log: the static defaults.
    """
    latest = db.session.scalar(
        select(CrmActivity)
        .where(
            activities_visible_to(extension),
            CrmActivity.conversation_id == conversation.id,
            CrmActivity.record_id == record.id,
        )
        .order_by(CrmActivity.log_date.desc())
        .limit(1)
    )
    if latest is None:
        return None, defaults
    offered = {str(o.get("const")) for o in record.additional_info.get(RELATED_TO) or []}
    related = latest.related_to_id if latest.related_to_id in offered else None
    fields = dict(latest.additional_submission or {})
    if related is None:
        fields.pop(RELATED_TO, None)
    return related, fields


def _check(message: Message, outcome: AutoLogOutcome, detail: str | None = None) -> bool:
    """Record that auto-log looked at ``message``; False when another worker already did."""
    return insert_once(
        AutoLogCheck(
            message_id=message.id,
            extension_id=message.extension_id,
            outcome=outcome,
            detail=detail,
        )
    )


class AutoLogger:
    """Auto-log for one extension: its connection, policy and cached lookups."""

    def __init__(self, extension: Extension, connection: CrmConnection) -> None:
        self.extension = extension
        self.connection = connection
        self.policy = conflict_policy(extension.account_id)
        self.connector, self.session = connector_session(connection)
        self.manifest = forms.active_manifest(self.connector, extension.account_id)

    def records(self, phone: str) -> list[MatchedRecord]:
        return matching.cached_matches(
            self.connection.id,
            self.connection.connector_id,
            phone,
            lambda: self.connector.find_contact(self.session, phone),
        )

    def log(self, message: Message) -> tuple[AutoLogOutcome, list[int]]:
        """Record the intents for one message; return the outcome and activities to write."""
        since = self.connection.autolog_since
        if (
            message.type == MessageType.PAGER
            or message.availability != Availability.ALIVE
            or (since is not None and message.created_at < since)
        ):
            return AutoLogOutcome.SKIPPED, []
        if db.session.scalar(select(MessageLog.id).where(MessageLog.message_id == message.id)):
            return AutoLogOutcome.LOGGED, []  # the user logged it already (back-fill)
        conversation = db.session.get(Conversation, message.conversation_id)
        day = local_day(self.extension, message.created_at)
        outcome = AutoLogOutcome.NO_MATCH
        activity_ids: list[int] = []
        for phone in conversation.addresses:
            records = self.records(phone)
            if not records:
                continue
            record = decide(self.extension, conversation, phone, records, self.policy)
            if record is None:
                if outcome != AutoLogOutcome.LOGGED:
                    outcome = AutoLogOutcome.NEEDS_DECISION
                continue
            form = forms.message_log_form(self.manifest, self.connector.id, record)
            related, fields = carried_fields(
                self.extension, conversation, record, forms.default_submission(form)
            )
            activity, dirty = intents.record_intent(
                self.extension,
                conversation,
                day,
                record,
                self.connector.id,
                [message.id],
                related_to_id=related,
                additional_submission=fields,
                record_phone=phone,
            )
            outcome = AutoLogOutcome.LOGGED
            if dirty:
                activity_ids.append(activity.id)
        return outcome, activity_ids


def process(extension_id: int, message_ids: list[int]) -> list[int]:
    """Auto-log these messages of one extension; return the activities that need a write.

    The caller schedules the writes (``tasks``): deciding and writing stay apart, so this
    module needs nothing from the task queue.
    """
    extension = db.session.get(Extension, extension_id)
    if extension is None:
        return []
    connection = connection_for(extension)
    if not connection.auto_log:
        return []
    messages = db.session.scalars(
        select(Message)
        .where(Message.id.in_(message_ids), mailbox_of(extension).where(Message))
        .where(Message.id.not_in(select(AutoLogCheck.message_id)))
        .order_by(Message.created_at, Message.id)
    ).all()
    if not messages:
        return []
    try:
        logger = AutoLogger(extension, connection)
    except CrmAuthError:
        for message in messages:
            _check(message, AutoLogOutcome.FAILED, RECONNECT_MESSAGE)
        db.session.commit()
        return []
    to_write: list[int] = []
    for message in messages:
        try:
            outcome, activity_ids = logger.log(message)
        except CrmRetryableError as exc:
            # No check recorded: the sweeper tries this message again in a minute.
            db.session.rollback()
            log.info("auto-log lookup for message %s postponed: %s", message.id, exc.message)
            continue
        except CrmError as exc:
            db.session.rollback()
            detail = RECONNECT_MESSAGE if isinstance(exc, CrmAuthError) else exc.message
            outcome, activity_ids = AutoLogOutcome.FAILED, []
            _check(message, outcome, detail)
            db.session.commit()
            continue
        if _check(message, outcome):
            to_write.extend(a for a in activity_ids if a not in to_write)
        db.session.commit()
    return to_write


def _auto_log_connections() -> list[CrmConnection]:
    return list(db.session.scalars(select(CrmConnection).where(CrmConnection.auto_log)))


def _unchecked_ids(connection: CrmConnection, since: datetime, until: datetime | None) -> list[int]:
    query = select(Message.id).where(
        Mailbox(connection.extension_id).where(Message),
        Message.created_at >= since,
        Message.type != MessageType.PAGER.value,
        Message.availability == Availability.ALIVE.value,
        Message.id.not_in(select(AutoLogCheck.message_id)),
    )
    if until is not None:
        query = query.where(Message.created_at < until)
    return list(db.session.scalars(query.order_by(Message.id).limit(SWEEP_BATCH)))


def unchecked_messages(now: datetime | None = None) -> dict[int, list[int]]:
    """Return ``{extension_id: message ids}`` auto-log should have looked at by now."""
    now = now or utcnow()
    found: dict[int, list[int]] = defaultdict(list)
    for connection in _auto_log_connections():
        since = max(connection.autolog_since or now, now - timedelta(days=BACKFILL_DAYS))
        ids = _unchecked_ids(connection, since, now - SWEEP_MIN_AGE)
        if ids:
            found[connection.extension_id].extend(ids)
    return dict(found)


def backfill(extension_id: int) -> list[int]:
    """Auto-log every unchecked message since the user's ``autolog_since``; return the
    activities that need a write."""
    extension = db.session.get(Extension, extension_id)
    if extension is None:
        return []
    connection = connection_for(extension)
    if not connection.auto_log or connection.autolog_since is None:
        return []
    touched: list[int] = []
    while True:
        ids = _unchecked_ids(connection, connection.autolog_since, None)
        if not ids:
            return touched
        touched.extend(a for a in process(extension.id, ids) if a not in touched)
        still = set(_unchecked_ids(connection, connection.autolog_since, None))
        if still & set(ids):
            return touched  # the CRM is unreachable: the sweeper continues later


def set_auto_log(extension: Extension, enabled: bool, backfill_history: bool = False) -> bool:
    """Turn auto-log on or off; ``backfill_history`` also covers the last BACKFILL_DAYS days.

    Returns True when history must be back-filled now (the caller queues that work).
    """
    connection = connection_for(extension)
    now = utcnow()
    if enabled and (not connection.auto_log or backfill_history):
        connection.autolog_since = now - timedelta(days=BACKFILL_DAYS) if backfill_history else now
    connection.auto_log = enabled
    db.session.commit()
    return enabled and backfill_history


def account_policy(account: Account) -> CrmAccountSettings:
    """Return the account's settings row, creating it (policy "ask") on first use."""
    found = db.session.scalar(
        select(CrmAccountSettings).where(CrmAccountSettings.account_id == account.id)
    )
    if found is not None:
        return found
    settings = CrmAccountSettings(account_id=account.id, conflict_policy=ConflictPolicy.ASK)
    if insert_once(settings):
        db.session.commit()
        return settings
    # Another request created it first: use theirs.
    return db.session.scalars(
        select(CrmAccountSettings).where(CrmAccountSettings.account_id == account.id)
    ).one()
