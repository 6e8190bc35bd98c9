"""Which messages a Log writes: every one by default, minus those the user unchecked.

A shared-inbox case is one activity for its whole life: its panel lists the case's
messages (newest ``MAX_LISTED``), and what the user leaves out stays out of the later
updates (``case_logs``).

The Log panel lists the messages of the days a Log would write (the days not yet logged
to the chosen record, else the latest day), each with a checkbox, checked. The form
sends the listed ids and the checked ones; the difference is what to leave out. Leaving
out (rather than "only these") keeps a long unlogged history correct when the list is
capped: what the panel did not list is logged, as auto-log would.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from widget.access import messages_visible_to
from widget.crm_logging import case_logs, intents
from widget.crm_logging.grouping import day_bounds, group_by_day, local_day
from widget.errors import Invalid
from widget.extensions import db
from widget.models import Availability, Conversation, Extension, Message, MessageLog

# The panel lists at most this many messages (the newest); older ones are logged as usual.
MAX_LISTED = 200
FIELD = "message_ids"


@dataclass(frozen=True)
class ListedMessage:
    """A message offered for logging; ``logged`` ones are already in the record's log."""

    message: Message
    logged: bool


@dataclass(frozen=True)
class DayMessages:
    day: date
    messages: list[ListedMessage]


def days_to_log(
    extension: Extension, conversation: Conversation, record_id: str, day: date | None = None
) -> list[date]:
    """Return the days a Log to ``record_id`` writes: ``day``, the days with messages not
    yet logged to it, or else the latest day."""
    if day is not None:
        return [day]
    days = intents.unlogged_days(extension, conversation, record_id)
    if days:
        return days
    latest = db.session.scalar(
        select(Message.created_at)
        .where(Message.conversation_id == conversation.id, messages_visible_to(extension))
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    return [local_day(extension, latest)] if latest else []


def messages_to_choose(
    extension: Extension, conversation: Conversation, record_id: str
) -> list[DayMessages]:
    """Return the messages a Log to ``record_id`` would write, by day, newest
    ``MAX_LISTED`` at most, each marked when it is logged to the record already.

    Two queries, however many days: the newest messages from the first day's start to
    the last day's end, and which of them are logged to the record.
    """
    case = case_logs.latest_case(conversation.id)
    if case is not None:
        alive = [m for m in case_logs.messages_of(case) if m.availability == Availability.ALIVE]
        newest = sorted(alive, key=lambda m: (m.created_at, m.id), reverse=True)[:MAX_LISTED]
        return _listed(extension, newest, record_id)
    days = set(days_to_log(extension, conversation, record_id))
    if not days:
        return []
    start, _ = day_bounds(extension, min(days))
    _, end = day_bounds(extension, max(days))
    newest = db.session.scalars(
        select(Message)
        .where(
            messages_visible_to(extension),
            Message.conversation_id == conversation.id,
            Message.availability == Availability.ALIVE,
            Message.created_at >= start,
            Message.created_at < end,
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(MAX_LISTED)
    ).all()
    return _listed(extension, newest, record_id, days)


def _listed(
    extension: Extension,
    newest: Iterable[Message],
    record_id: str,
    days: Collection[date] | None = None,
) -> list[DayMessages]:
    """``newest`` by day (only ``days`` when given), each marked when it is logged to
    ``record_id`` already (one query)."""
    by_day = {
        d: ms for d, ms in group_by_day(extension, newest).items() if days is None or d in days
    }
    shown = [m.id for messages in by_day.values() for m in messages]
    logged = set(
        db.session.scalars(
            select(MessageLog.message_id).where(
                MessageLog.record_id == record_id, MessageLog.message_id.in_(shown)
            )
        )
    )
    return [
        DayMessages(day, [ListedMessage(m, m.id in logged) for m in messages])
        for day, messages in by_day.items()
    ]


def _ids(values: Iterable[str]) -> set[int]:
    try:
        return {int(value) for value in values}
    except (TypeError, ValueError):
        raise Invalid("The chosen messages could not be read; reload the panel.", FIELD) from None


def skipped_ids(listed: Iterable[str], checked: Iterable[str]) -> set[int]:
    """Return the ids the user unchecked, from the form's listed and checked ids."""
    listed_ids, checked_ids = _ids(listed), _ids(checked)
    if not checked_ids <= listed_ids:
        raise Invalid("A checked message was not in the list; reload the panel.", FIELD)
    return listed_ids - checked_ids


def check_skipped(
    extension: Extension, conversation: Conversation, skipped: Collection[int]
) -> None:
    """Raise ``Invalid`` unless every skipped id is a message of this conversation (of
    its latest case, for a shared inbox's, which also keeps at least one message)."""
    if not skipped:
        return
    case = case_logs.latest_case(conversation.id)
    if case is not None:
        message_ids = {m.id for m in case_logs.messages_of(case)}
        if not set(skipped) <= message_ids:
            raise Invalid("Some of the listed messages are not part of this conversation.", FIELD)
        if not message_ids - set(skipped):
            raise Invalid("Choose at least one message to log.", FIELD)
        return
    found = db.session.scalar(
        select(func.count(Message.id)).where(
            Message.id.in_(skipped),
            Message.conversation_id == conversation.id,
            messages_visible_to(extension),
        )
    )
    if found != len(set(skipped)):
        raise Invalid("Some of the listed messages are not part of this conversation.", FIELD)
