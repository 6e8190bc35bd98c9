"""The worker's side of scheduled send: every minute, and at each scheduled time, send
what is due. Both paths run ``send_due``; the claim in ``claim_due`` keeps it to one send
per message however many of them run at once, and the schedule lives in the database, so
a restart loses nothing (the next minute's run finds what was due meanwhile)."""

from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab

from widget.jobs import app_periodic_task, app_task
from widget.scheduled.pictures import release_finished_pictures
from widget.scheduled.service import claim_due, send_claimed

log = logging.getLogger(__name__)


def send_due_now() -> int:
    """Claim and send every due scheduled message; return how many were sent or failed."""
    handled = 0
    for scheduled_id in claim_due():
        try:
            send_claimed(scheduled_id)
            handled += 1
        except Exception:
            # Left "sending": the next sweep after STUCK_AFTER retries it with the same key.
            log.exception("scheduled message %s could not be sent now", scheduled_id)
    return handled


@app_task()
def send_due() -> None:
    """At a scheduled time: send what is due."""
    send_due_now()


def wake_at(send_at: datetime) -> None:
    """Ask the worker to look at ``send_at`` itself, not only at its next minute's sweep."""
    send_due.schedule(eta=send_at)


@app_periodic_task(crontab(minute="*"))
def sweep_scheduled() -> None:
    """Every minute: send what is due (a restart, a lost wake-up, a stuck send), and let go
    of the pictures of finished messages that a crash kept."""
    send_due_now()
    release_finished_pictures()
