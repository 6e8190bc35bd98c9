"""Re-associate: move a logged conversation-day to another record.

The move is recorded first, like any intent: in one transaction the activity takes the
new record (name, type, number, "Related to"), its message links follow, and
``moved_from_record_id`` remembers the record the CRM still files it under; the
revision is bumped. Only then is the CRM told (``writer``): re-parented in one call
where the CRM allows it (Salesforce, the local CRM), else deleted and created again. Each
step is committed before the next CRM call, so a crash anywhere leaves one activity in
the CRM, under the new record once the write completes.

A shared-inbox case's one activity moves the same way: its CRM key names the case and
the record (``CrmActivity.key_for_record``), and it collides with the case's activity
for the new record rather than a day's.
"""

from __future__ import annotations

from sqlalchemy import select, update

from connectors.records import RELATED_TO
from widget.access import activities_visible_to
from widget.crm_logging import case_logs, intents
from widget.crm_logging.case_logs import check_may_log
from widget.crm_logging.connections import connection_for, connector_of
from widget.crm_logging.engine import (
    LogOutcome,
    checked_fields,
    offered_record,
    overall_state,
    settle_decision,
)
from widget.errors import Conflict, Invalid, NotFound
from widget.extensions import db
from widget.models import Conversation, CrmActivity, Extension, MessageLog, MessageLogState


def move_activity(
    extension: Extension,
    conversation: Conversation,
    activity_id: int,
    record_id: str,
    related_to_id: str | None = None,
) -> LogOutcome:
    """Move the conversation's activity ``activity_id`` to ``record_id`` (one of the
    records offered for the conversation) with ``related_to_id``; write it at once.

    Raises ``NotFound`` for an activity not of this conversation (or not the user's),
    ``Invalid`` for a record not offered, the same record, or a "Related to" the record
    does not offer, and ``Conflict`` when that day is already logged to the new record.
    Nothing changes then.
    """
    check_may_log(extension, conversation)
    activity = db.session.scalar(
        select(CrmActivity).where(
            activities_visible_to(extension),
            CrmActivity.id == activity_id,
            CrmActivity.conversation_id == conversation.id,
        )
    )
    if activity is None:
        raise NotFound("That logged day does not exist.")
    # A shared-inbox case's one activity moves the same way: its CRM key names the case
    # and the record (``CrmActivity.key_for_record``), so the writer finds the old log.
    what = "This day" if activity.queue_conversation_id is None else "This conversation"
    if activity.record_id == record_id:
        raise Invalid(f"{what} is already logged to {activity.record_name}.", "record_id")
    connection = connection_for(extension)
    if connection.connector_id != activity.connector_id:
        raise Conflict(f"{what} was logged to another CRM than the one connected now.")
    phone, record = offered_record(extension, conversation, record_id)
    submission = {
        k: v for k, v in (activity.additional_submission or {}).items() if k != RELATED_TO
    }
    if related_to_id:
        submission[RELATED_TO] = related_to_id
    submission, related = checked_fields(
        extension, connector_of(connection), record, submission, related_to_id
    )
    if _logged_to(extension, conversation, activity, record.id):
        raise Conflict(f"{what} is already logged to {record.name}; open that log instead.")
    if activity.moved_from_record_id is None and activity.crm_log_id is not None:
        activity.moved_from_record_id = activity.record_id  # the CRM's record until told
    elif activity.moved_from_record_id is None and activity.create_started_at is not None:
        activity.moved_from_record_id = activity.record_id  # a create may have landed
    activity.record_id = record.id
    activity.record_name = record.name[:255]
    activity.record_type = record.type[:64]
    activity.record_phone = phone
    activity.related_to_id = related
    activity.additional_submission = submission
    db.session.execute(
        update(MessageLog)
        .where(MessageLog.activity_id == activity.id)
        .values(record_id=record.id, state=MessageLogState.PENDING.value, logged_at=None)
        .execution_options(synchronize_session=False)
    )
    intents.bump(activity, reset_failure=True)
    settle_decision(conversation, phone, record.id)
    db.session.commit()
    from widget.crm_logging.tasks import write_crm_activity

    write_crm_activity(activity.id)  # a person is waiting: no coalescing delay
    return LogOutcome([activity.id], overall_state([activity.id]))


def _logged_to(
    extension: Extension, conversation: Conversation, activity: CrmActivity, record_id: str
) -> CrmActivity | None:
    """The activity the moved one would collide with: the same day's (or, for a case,
    the same case's) activity for ``record_id``."""
    if activity.queue_conversation_id is not None:
        return case_logs.case_activity(activity.queue_conversation_id, record_id)
    return intents.find_activity(extension, conversation, activity.log_date, record_id)
