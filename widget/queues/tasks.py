"""The queue timeouts' periodic task (see ``timeouts``)."""

from __future__ import annotations

from huey import crontab

from widget.jobs import app_periodic_task
from widget.queues import timeouts


@app_periodic_task(crontab(minute="*"))
def sweep_queues() -> int:
    """Every minute: unclaimed, unanswered and idle cases move on (idempotent)."""
    return timeouts.sweep()
