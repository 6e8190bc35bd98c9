"""The periodic pull of templates from the platform (RingCentral's message-store-templates).

The manager reconciles when it opens; without this pull, a template changed in the
RingCentral app would reach the compose picker only after someone opened the manager.
Every ``PULL_MINUTES`` each signed-in user's lists are reconciled: two light GETs and,
when nothing changed, two SELECTs and no write (``test_template_pull``).
"""

from __future__ import annotations

import logging

from huey import crontab

from widget.extensions import db
from widget.jobs import app_periodic_task, app_task
from widget.models import Extension
from widget.models.platform_link import signed_in_extension_ids
from widget.platforms import get_platform
from widget.sms_templates.platform_sync import reconcile

log = logging.getLogger(__name__)

PULL_MINUTES = 10


@app_task()
def pull_templates(extension_id: int) -> bool:
    """Bring one user's personal and company templates up to date; False if not signed in."""
    extension = db.session.get(Extension, extension_id)
    if extension is None:
        return False
    reconcile(extension)  # platform refusals and outages are logged there, retried next time
    return True


@app_periodic_task(crontab(minute=f"*/{PULL_MINUTES}"))
def pull_templates_of_everyone() -> int:
    """Queue a pull for every signed-in user of a platform that keeps templates."""
    if not get_platform().keeps_templates:
        return 0
    extension_ids = signed_in_extension_ids()
    db.session.commit()
    for extension_id in extension_ids:
        pull_templates(extension_id)
    return len(extension_ids)
