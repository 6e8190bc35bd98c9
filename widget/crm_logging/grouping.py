"""Conversation-days: a conversation's messages grouped by calendar day in the USER's zone.

The day is decided on the server from ``Extension.timezone`` (never by a browser), so
the same instant can fall on different days for two users: 23:30 in New York is already
the next morning in Tokyo.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from widget.models import Extension, Message


def user_zone(extension: Extension) -> ZoneInfo:
    """Return the extension's time zone (UTC when the stored name is unknown)."""
    try:
        return ZoneInfo(extension.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(extension: Extension, moment: datetime) -> date:
    """Return the calendar day ``moment`` falls on for this user."""
    return moment.astimezone(user_zone(extension)).date()


def day_bounds(extension: Extension, day: date) -> tuple[datetime, datetime]:
    """Return ``[start, end)`` of the user's ``day`` in UTC (23 or 25 hours across DST)."""
    zone = user_zone(extension)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def group_by_day(extension: Extension, messages: Iterable[Message]) -> dict[date, list[Message]]:
    """Return ``{day: messages}`` in the user's zone, each list in message order."""
    days: dict[date, list[Message]] = defaultdict(list)
    for message in sorted(messages, key=lambda m: (m.created_at, m.id)):
        days[local_day(extension, message.created_at)].append(message)
    return dict(sorted(days.items()))
