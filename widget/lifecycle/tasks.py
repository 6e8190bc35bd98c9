"""The periodic sweeper that purges deleted messages once their retention is over."""

from __future__ import annotations

from flask import current_app
from huey import crontab

from widget.jobs import app_periodic_task
from widget.lifecycle.service import purge_due_messages
from widget.models.types import utcnow


def purge_is_due(minute_of_epoch: int, interval_minutes: int) -> bool:
    return minute_of_epoch % max(1, interval_minutes) == 0


# Huey reads the schedule when this module is imported, before any configuration exists,
# so the task wakes every minute and the configured interval decides whether to work.
@app_periodic_task(crontab(minute="*"))
def purge_deleted_messages() -> int:
    """Purge the messages whose restore window has closed; return how many were purged."""
    now = utcnow()
    if not purge_is_due(int(now.timestamp()) // 60, current_app.config["PURGE_INTERVAL_MINUTES"]):
        return 0
    return purge_due_messages(now)
