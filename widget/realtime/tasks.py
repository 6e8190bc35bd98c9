"""Background work of real-time push: the outbox sweeper."""

from __future__ import annotations

from huey import crontab

from widget.jobs import app_periodic_task
from widget.realtime.service import push_leftovers


@app_periodic_task(crontab(minute="*"))
def push_pending() -> None:
    """Push committed changes whose push was lost (a crash, a failed push)."""
    push_leftovers()
