"""The CRM logging engine: what the Log panel, settings and auto-log call.

Views call these functions with plain arguments; every one checks that the
conversation belongs to the extension (another user's ids are a 404). Logging records
the intent first (``intents``), commits, then queues the CRM write (``tasks``); the
write itself (``writer``) is idempotent. CRM lookups (``find_records``) are cached per
connection and number and may raise ``connectors.errors`` classes for the caller to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from connectors.base import Connector, MatchedRecord
from widget.crm_logging import forms, intents, matching
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
from widget.crm_logging.grouping import local_day
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
    own_conversation,
    retry_failed,
)
from widget.crm_logging.transcript import build_digest
from widget.errors import BadInput
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
        raise BadInput("Pager messages are internal: they are not logged to the CRM.")


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


def _offered(
    extension: Extension, conversation: Conversation, record_id: str
) -> tuple[str, MatchedRecord]:
    for phone, record in conversation_records(extension, conversation):
        if record.id == record_id:
            return phone, record
    raise BadInput("Choose a record from the list of matches for this number.", "record_id")


def create_contact(
    extension: Extension,
    phone_e164: str,
    name: str,
    contact_type: str,
    additional_submission: dict[str, Any] | None = None,
) -> MatchedRecord:
    """Create a CRM record for the number and forget its cached matches; return it."""
    if not matching.is_searchable(phone_e164):
        raise BadInput("A contact needs a phone number in international form.", "phone")
    if not (name or "").strip():
        raise BadInput("Enter a name for the new contact.", "name")
    connection = connection_for(extension)
    connector, session = connector_session(connection)
    manifest = forms.active_manifest(connector, extension.account_id)
    if contact_type not in forms.contact_types(manifest, connector.id):
        raise BadInput("Choose one of the offered contact types.", "contact_type")
    record = connector.create_contact(
        session, phone_e164, name.strip(), contact_type, additional_submission or {}
    )
    matching.forget(connection.id, phone_e164)
    return record


# -- logging -----------------------------------------------------------------------------------


def _days_to_log(
    extension: Extension, conversation: Conversation, record_id: str, day: date | None
) -> list[date]:
    if day is not None:
        return [day]
    days = intents.unlogged_days(extension, conversation, record_id)
    if days:
        return days
    latest = db.session.scalar(
        select(Message.created_at)
        .where(Message.conversation_id == conversation.id, Message.extension_id == extension.id)
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    return [local_day(extension, latest)] if latest else []


def _checked(
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
) -> str:
    """Return the exact body ``log_conversation`` would write for one conversation-day.

    Without ``day``: the latest day it would log. The fields do not change the body.
    """
    own_conversation(extension, conversation)
    _loggable(conversation)
    phone, record = _offered(extension, conversation, record_id)
    days = _days_to_log(extension, conversation, record.id, day)
    if not days:
        return ""
    chosen = days[-1]
    messages = {m.id: m for m in intents.day_messages(extension, conversation, chosen)}
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
) -> LogOutcome:
    """Log the conversation to ``record_id``: one activity per day (``day`` or every
    day with messages not yet logged to that record, else the latest day).

    Raises ``BadInput`` for a record the user was not offered, a "Related to" the record
    does not offer or a submission the manifest refuses; nothing is recorded then.
    """
    own_conversation(extension, conversation)
    _loggable(conversation)
    connection = connection_for(extension)
    connector = connector_of(connection)
    phone, record = _offered(extension, conversation, record_id)
    submission, related = _checked(
        extension, connector, record, additional_submission, related_to_id
    )
    days = _days_to_log(extension, conversation, record.id, day)
    to_write: list[int] = []
    activity_ids: list[int] = []
    for log_date in days:
        messages = intents.day_messages(extension, conversation, log_date)
        if (
            not messages
            and intents.find_activity(extension, conversation, log_date, record.id) is None
        ):
            raise BadInput("There are no messages on that day to log.", "day")
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
    if not activity_ids:
        raise BadInput("This conversation has no messages to log.")
    _settle_decision(conversation, phone, record.id)
    db.session.commit()
    from widget.crm_logging.tasks import write_crm_activity

    for activity_id in to_write:
        write_crm_activity(activity_id)  # a person is waiting: no coalescing delay
    return LogOutcome(activity_ids, _overall_state(activity_ids))


def _settle_decision(conversation: Conversation, phone: str, record_id: str) -> None:
    decision = db.session.scalar(
        select(ConversationLogDecision).where(
            ConversationLogDecision.conversation_id == conversation.id,
            ConversationLogDecision.phone_e164 == phone,
        )
    )
    if decision is not None:
        decision.record_id = record_id
        decision.decided_at = utcnow()


def _overall_state(activity_ids: list[int]) -> str:
    db.session.expire_all()
    states = set(
        db.session.scalars(select(CrmActivity.state).where(CrmActivity.id.in_(activity_ids)))
    )
    for state in (ActivityState.FAILED, ActivityState.PENDING):
        if state in states:
            return state.value
    return ActivityState.WRITTEN.value
