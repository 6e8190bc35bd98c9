"""The queues' periodic tasks: timeouts (``timeouts``), and changes made in the platform's
own app read back (``remote``)."""

from __future__ import annotations

import logging

from huey import crontab

from widget.jobs import app_periodic_task
from widget.platforms.base import PlatformRefused, PlatformRetryable
from widget.queues import remote, timeouts

log = logging.getLogger(__name__)


@app_periodic_task(crontab(minute="*"))
def sweep_queues() -> int:
    """Every minute: unclaimed, unanswered and idle cases move on (idempotent)."""
    return timeouts.sweep()


@app_periodic_task(crontab(minute="*"))
def read_back_threads() -> int:
    """Every minute: cases follow what agents changed in the platform's own app."""
    from widget.platforms import get_platform

    try:
        return get_platform().read_back_threads(remote.apply_thread_states)
    except (PlatformRefused, PlatformRetryable) as exc:
        log.warning("reading back queue threads stopped: %s", exc.message)  # next minute
        return 0
