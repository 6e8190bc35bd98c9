"""What the Log panel shows about a conversation: its activities, failures, decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from widget.access import activities_visible_to, messages_visible_to, own_conversation
from widget.crm_logging.case_logs import check_may_log
from widget.extensions import db
from widget.models import (
    ActivityState,
    Conversation,
    ConversationLogDecision,
    CrmActivity,
    Extension,
    Message,
    MessageLog,
    MessageLogState,
)
from widget.models.types import utcnow


@dataclass(frozen=True)
class ActivityStatus:
    """One CRM activity of a conversation, as the Log panel shows it."""

    activity_id: int
    log_date: date
    record_name: str
    record_type: str
    record_id: str
    crm_log_id: str | None
    crm_log_url: str | None
    state: str
    last_error: str | None
    # A shared-inbox case's one activity (not a day's).
    is_case: bool = False


@dataclass(frozen=True)
class LogStatus:
    activities: list[ActivityStatus]
    needs_decision: bool
    failed_error: str | None


def retry_failed(extension: Extension, conversation: Conversation) -> int:
    """Queue the conversation's failed activities again; return how many."""
    check_may_log(extension, conversation)
    failed = list(
        db.session.scalars(
            select(CrmActivity).where(
                activities_visible_to(extension),
                CrmActivity.conversation_id == conversation.id,
                CrmActivity.state == ActivityState.FAILED.value,
            )
        )
    )
    for activity in failed:
        activity.state = ActivityState.PENDING
        activity.attempts = 0
        activity.last_error = None
        activity.next_attempt_at = None
        activity.updated_at = utcnow()
    db.session.commit()
    from widget.crm_logging.tasks import write_crm_activity

    ids = [a.id for a in failed]
    for activity_id in ids:
        write_crm_activity(activity_id)
    return len(ids)


def log_status(extension: Extension, conversation: Conversation) -> LogStatus:
    """Return the conversation's CRM activities (newest day first) and what needs the user."""
    own_conversation(extension, conversation)
    activities = list(
        db.session.scalars(
            select(CrmActivity)
            .where(
                activities_visible_to(extension),
                CrmActivity.conversation_id == conversation.id,
            )
            .order_by(CrmActivity.log_date.desc(), CrmActivity.record_name, CrmActivity.id)
        )
    )
    rows = [
        ActivityStatus(
            activity_id=a.id,
            log_date=a.log_date,
            record_name=a.record_name,
            record_type=a.record_type,
            record_id=a.record_id,
            crm_log_id=a.crm_log_id,
            crm_log_url=a.crm_log_url,
            state=ActivityState(a.state).value,
            last_error=a.last_error,
            is_case=a.queue_conversation_id is not None,
        )
        for a in activities
    ]
    needs_decision = (
        db.session.scalar(
            select(ConversationLogDecision.id).where(
                ConversationLogDecision.conversation_id == conversation.id,
                ConversationLogDecision.record_id.is_(None),
            )
        )
        is not None
    )
    failed = next((r.last_error for r in rows if r.state == ActivityState.FAILED), None)
    return LogStatus(activities=rows, needs_decision=needs_decision, failed_error=failed)


def logged_message_ids(extension: Extension, message_ids: list[int]) -> set[int]:
    """Return which of the extension's messages are in a CRM activity already."""
    if not message_ids:
        return set()
    return set(
        db.session.scalars(
            select(MessageLog.message_id)
            .join(Message, Message.id == MessageLog.message_id)
            .where(
                messages_visible_to(extension),
                MessageLog.message_id.in_(message_ids),
                MessageLog.state == MessageLogState.LOGGED.value,
            )
        )
    )
