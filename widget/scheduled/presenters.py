"""What the thread shows of scheduled messages, and the "Send later" field's bounds."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from widget.models import Conversation, Extension, ScheduledMessage, ScheduleState
from widget.models.types import utcnow
from widget.scheduled.service import MAX_LEAD, MIN_LEAD, pending_in

STATE_WORDS = {
    ScheduleState.SCHEDULED: "Scheduled",
    ScheduleState.SENDING: "Sending now",
    ScheduleState.FAILED: "Not sent",
}


def scheduled_in(extension: Extension, conversation: Conversation) -> list[ScheduledMessage]:
    return pending_in(extension, conversation)


def local_input_value(moment: datetime, timezone: str) -> str:
    """``moment`` as a datetime-local field value in ``timezone``."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def send_later_bounds(extension: Extension) -> dict[str, str]:
    """The earliest and latest times the field offers, in the user's time zone."""
    now = utcnow()
    return {
        "min": local_input_value(now + MIN_LEAD, extension.timezone),
        "max": local_input_value(now + MAX_LEAD, extension.timezone),
        "zone": extension.timezone,
    }


def state_words(row: ScheduledMessage) -> str:
    return STATE_WORDS.get(row.state, row.state.value.capitalize())


TEMPLATE_GLOBALS = {
    "scheduled_in": scheduled_in,
    "scheduled_input_value": local_input_value,
    "send_later_bounds": send_later_bounds,
    "scheduled_state_words": state_words,
}
