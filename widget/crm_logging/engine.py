"""The CRM logging engine: what the Log panel, settings and auto-log call.

Views call these functions with plain arguments; every one checks that the
conversation belongs to the extension (another user's ids are a 404). Logging records
the intent first (``intents``), commits, then queues the CRM write (``tasks``); the
write itself (``writer``) is idempotent. CRM lookups (``find_records``) are cached per
connection and number and may raise ``connectors.errors`` classes for the caller to show.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from connectors.base import Connector
from connectors.records import MatchedRecord
from widget.access import own_conversation
from widget.crm_logging import case_logs, forms, intents, matching, selection
from widget.crm_logging.autolog import BACKFILL_DAYS, account_policy
from widget.crm_logging.connections import (
    cached_user_info,
    connect,
    connection_for,
    connector_config,
    connector_of,
    connector_session,
    disconnect,
)
from widget.crm_logging.digest import render
from widget.crm_logging.settings import (
    set_auto_log,
    set_conflict_policy,
    set_open_log_page,
    should_open_log_page,
    user_settings,
)
from widget.crm_logging.status import (
    ActivityStatus,
    LogStatus,
    log_status,
    logged_message_ids,
    retry_failed,
)
from widget.crm_logging.transcript import build_digest
from widget.errors import Invalid
from widget.extensions import db
from widget.models import (
    ActivityState,
    Conversation,
    ConversationLogDecision,
    CrmActivity,
    Extension,
    Message,
    MessageLog,
)
from widget.models.types import utcnow

__all__ = [
    "BACKFILL_DAYS",
    "ActivityStatus",
    "LogOutcome",
    "LogStatus",
    "account_policy",
    "cached_user_info",
    "compose_preview",
    "connect",
    "connection_for",
    "connector_config",
    "connector_session",
    "conversation_records",
    "create_contact",
    "disconnect",
    "find_records",
    "log_conversation",
    "log_status",
    "logged_message_ids",
    "retry_failed",
    "set_auto_log",
    "set_conflict_policy",
    "set_open_log_page",
    "should_open_log_page",
    "user_settings",
]


@dataclass(frozen=True)
class LogOutcome:
    """What ``log_conversation`` did: the activities it touched and their overall state."""

    activity_ids: list[int]
    state: str  # "written" | "pending" | "failed"


# -- matching --------------------------------------------------------------------------------


def _loggable(conversation: Conversation) -> None:
    if conversation.channel not in intents.LOGGABLE_CHANNELS:
        raise Invalid("Pager messages are internal: they are not logged to the CRM.")


def find_records(extension: Extension, phone_e164: str) -> list[MatchedRecord]:
    """Return every CRM record matching the number (cached a few minutes)."""
    connection = connection_for(extension)

    def lookup() -> list[MatchedRecord]:
        connector, session = connector_session(connection)
        return connector.find_contact(session, phone_e164)

    return matching.cached_matches(connection.id, connection.connector_id, phone_e164, lookup)


def conversation_records(
    extension: Extension, conversation: Conversation
) -> list[tuple[str, MatchedRecord]]:
    """Return ``(number, record)`` for every record matching a party of the conversation."""
    own_conversation(extension, conversation)
    found: list[tuple[str, MatchedRecord]] = []
    seen: set[str] = set()
    for phone in conversation.addresses:
        for record in find_records(extension, phone):
            if record.id not in seen:
                seen.add(record.id)
                found.append((phone, record))
    return found


def offered_record(
    extension: Extension, conversation: Conversation, record_id: str
) -> tuple[str, MatchedRecord]:
    for phone, record in conversation_records(extension, conversation):
        if record.id == record_id:
            return phone, record
    raise Invalid("Choose a record from the list of matches for this number.", "record_id")


def create_contact(
    extension: Extension,
    phone_e164: str,
    name: str,
    contact_type: str,
    additional_submission: dict[str, Any] | None = None,
) -> MatchedRecord:
    """Create a CRM record for the number and forget its cached matches; return it."""
    if not matching.is_searchable(phone_e164):
        raise Invalid("A contact needs a phone number in international form.", "phone")
    if not (name or "").strip():
        raise Invalid("Enter a name for the new contact.", "name")
    connection = connection_for(extension)
    connector, session = connector_session(connection)
    manifest = forms.active_manifest(connector, extension.account_id)
    if contact_type not in forms.contact_types(manifest, connector.id):
        raise Invalid("Choose one of the offered contact types.", "contact_type")
    record = connector.create_contact(
        session, phone_e164, name.strip(), contact_type, additional_submission or {}
    )
    matching.forget(connection.id, phone_e164)
    return record


# -- logging -----------------------------------------------------------------------------------


def checked_fields(
    extension: Extension,
    connector: Connector,
    record: MatchedRecord,
    additional_submission: dict[str, Any] | None,
    related_to_id: str | None,
) -> tuple[dict[str, Any], str | None]:
    manifest = forms.active_manifest(connector, extension.account_id)
    form = forms.message_log_form(manifest, connector.id, record)
    return forms.checked_submission(form, record, additional_submission, related_to_id)


def compose_preview(
    extension: Extension,
    conversation: Conversation,
    record_id: str,
    additional_submission: dict[str, Any] | None = None,
    day: date | None = None,
    skip_message_ids: Collection[int] = (),
) -> str:
    """Return the exact body ``log_conversation`` would write for one conversation-day.

    Without ``day``: the latest day it would log with a message not skipped. The fields
    do not change the body.
    """
    own_conversation(extension, conversation)
    _loggable(conversation)
    phone, record = offered_record(extension, conversation, record_id)
    case = case_logs.latest_case(conversation.id)
    if case is not None:  # a shared-inbox case is logged whole
        connector, _ = connector_session(connection_for(extension))
        return case_logs.preview(
            extension, case, record, phone, connector.get_log_format_type(), skip_message_ids
        )
    skip = set(skip_message_ids)
    by_day = {
        log_date: [
            m for m in intents.day_messages(extension, conversation, log_date) if m.id not in skip
        ]
        for log_date in selection.days_to_log(extension, conversation, record.id, day)
    }
    chosen = max((d for d, found in by_day.items() if found), default=None)
    if chosen is None:
        return ""
    messages = {m.id: m for m in by_day[chosen]}
    activity = intents.find_activity(extension, conversation, chosen, record.id)
    if activity is not None:
        for message in db.session.scalars(
            select(Message)
            .join(MessageLog, MessageLog.message_id == Message.id)
            .where(MessageLog.activity_id == activity.id)
        ):
            messages.setdefault(message.id, message)
    connector, _ = connector_session(connection_for(extension))
    digest = build_digest(
        extension, conversation, chosen, list(messages.values()), record.name, phone
    )
    return render(digest, connector.get_log_format_type())


def log_conversation(
    extension: Extension,
    conversation: Conversation,
    record_id: str,
    additional_submission: dict[str, Any] | None = None,
    related_to_id: str | None = None,
    day: date | None = None,
    skip_message_ids: Collection[int] = (),
) -> LogOutcome:
    """Log the conversation to ``record_id``: one activity per day (``day`` or every
    day with messages not yet logged to that record, else the latest day), leaving out
    the messages in ``skip_message_ids`` (the ones the user unchecked).

    Raises ``Invalid`` for a record the user was not offered, a "Related to" the record
    does not offer, a submission the manifest refuses, or skipped ids of another
    conversation; nothing is recorded then.
    """
    case_logs.check_may_log(extension, conversation)
    _loggable(conversation)
    skip = set(skip_message_ids)
    case = case_logs.latest_case(conversation.id)
    selection.check_skipped(extension, conversation, skip)
    connection = connection_for(extension)
    connector = connector_of(connection)
    phone, record = offered_record(extension, conversation, record_id)
    submission, related = checked_fields(
        extension, connector, record, additional_submission, related_to_id
    )
    if case is not None:
        activity, dirty = case_logs.record_case_intent(
            extension,
            case,
            record,
            connection.connector_id,
            related_to_id=related,
            additional_submission=submission,
            record_phone=phone,
            from_user=True,
            skip_message_ids=skip,
        )
        return _commit_and_write(conversation, phone, record, [activity.id], dirty)
    days = selection.days_to_log(extension, conversation, record.id, day)
    to_write: list[int] = []
    activity_ids: list[int] = []
    for log_date in days:
        day_messages = intents.day_messages(extension, conversation, log_date)
        messages = [m for m in day_messages if m.id not in skip]
        existing = intents.find_activity(extension, conversation, log_date, record.id)
        if day_messages and not messages and existing is None:
            continue  # every message of the day was unchecked
        if not messages and existing is None:
            raise Invalid("There are no messages on that day to log.", "day")
        activity, dirty = intents.record_intent(
            extension,
            conversation,
            log_date,
            record,
            connection.connector_id,
            [m.id for m in messages],
            related_to_id=related,
            additional_submission=submission,
            record_phone=phone,
            from_user=True,
        )
        activity_ids.append(activity.id)
        if dirty:
            to_write.append(activity.id)
    if not activity_ids and skip:
        raise Invalid("Choose at least one message to log.", selection.FIELD)
    if not activity_ids:
        raise Invalid("This conversation has no messages to log.")
    return _commit_and_write(conversation, phone, record, activity_ids, to_write)


def _commit_and_write(
    conversation: Conversation,
    phone: str,
    record: MatchedRecord,
    activity_ids: list[int],
    to_write: list[int] | bool,
) -> LogOutcome:
    """Settle auto-log's question for the number, commit the intents, then write now
    (``to_write``: the activities to write, or True for all of them)."""
    settle_decision(conversation, phone, record.id)
    db.session.commit()
    from widget.crm_logging.tasks import write_crm_activity

    for activity_id in activity_ids if to_write is True else to_write or []:
        write_crm_activity(activity_id)  # a person is waiting: no coalescing delay
    return LogOutcome(activity_ids, overall_state(activity_ids))


def settle_decision(conversation: Conversation, phone: str, record_id: str) -> None:
    decision = db.session.scalar(
        select(ConversationLogDecision).where(
            ConversationLogDecision.conversation_id == conversation.id,
            ConversationLogDecision.phone_e164 == phone,
        )
    )
    if decision is not None:
        decision.record_id = record_id
        decision.decided_at = utcnow()


def overall_state(activity_ids: list[int]) -> str:
    db.session.expire_all()
    states = set(
        db.session.scalars(select(CrmActivity.state).where(CrmActivity.id.in_(activity_ids)))
    )
    for state in (ActivityState.FAILED, ActivityState.PENDING):
        if state in states:
            return state.value
    return ActivityState.WRITTEN.value
