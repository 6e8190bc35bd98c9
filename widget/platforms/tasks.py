"""Background work of the platform outbox: the sweeper of calls left behind."""

from __future__ import annotations

from huey import crontab

from widget.jobs import app_periodic_task
from widget.platforms.outbox import send_due_updates


@app_periodic_task(crontab(minute="*"))
def send_pending_platform_updates() -> int:
    """Make the platform calls a crash, a failure or a Retry-After left behind; return
    how many succeeded."""
    return send_due_updates()
