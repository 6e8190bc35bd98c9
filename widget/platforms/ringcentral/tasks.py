"""Background work of the RingCentral platform: sync and its 5-minute safety net, subscriptions,
the periodic provisioning refresh, and forgetting webhook uuids past the replay window.

Every task is idempotent: a sync hands records to idempotent ingestion, and subscription
upkeep only renews or re-creates what is missing.
"""

from __future__ import annotations

import logging

from huey import crontab

from widget.extensions import db
from widget.jobs import app_periodic_task, app_task
from widget.models import Extension
from widget.models.platform_link import signed_in_extension_ids
from widget.models.types import utcnow
from widget.platforms.base import PlatformRefused, PlatformRetryable
from widget.platforms.registry import get_platform
from widget.platforms.ringcentral.client import SIGNING_IN
from widget.sealing import unseal

log = logging.getLogger(__name__)


def _ringcentral():
    platform = get_platform()
    return platform if platform.name == "ringcentral" else None


def _for_everyone(task) -> int:
    """Run ``task`` for every signed-in user (none unless RingCentral is the platform)."""
    if _ringcentral() is None:
        return 0
    extension_ids = signed_in_extension_ids()
    for extension_id in extension_ids:
        task(extension_id)
    return len(extension_ids)


@app_task()
def sync_extension(extension_id: int) -> int:
    """Sync one user's mailbox (FSync the first time, ISync after); return records seen."""
    platform = _ringcentral()
    extension = db.session.get(Extension, extension_id)
    if platform is None or extension is None:
        return 0
    try:
        return platform.synchronize(extension)
    except (PlatformRefused, PlatformRetryable) as exc:
        # The next notification or the 5-minute sweep tries again; nothing is lost.
        log.warning("sync of extension %s stopped: %s", extension_id, exc.message)
        return 0


@app_task()
def keep_subscribed(extension_id: int) -> str | None:
    platform = _ringcentral()
    extension = db.session.get(Extension, extension_id)
    if platform is None or extension is None:
        return None
    try:
        return platform.keep_subscribed(extension, utcnow())
    except (PlatformRefused, PlatformRetryable) as exc:
        log.warning("subscription upkeep of extension %s failed: %s", extension_id, exc.message)
        return None


@app_task(retries=6, retry_delay=300)
def revoke_later(sealed_token: str) -> bool:
    """Revoke a signed-out user's token that RingCentral did not answer for at sign-out.

    Raises while RingCentral is unavailable, so Huey retries (six times, five minutes
    apart); a token RingCentral no longer knows is done with.
    """
    platform = _ringcentral()
    data = unseal(sealed_token)
    if platform is None or not data:
        return False
    try:
        # A payload sealed before revokes named their user shares the sign-in budget.
        platform.client.revoke(data["token"], str(data.get("user") or SIGNING_IN))
    except PlatformRefused:
        return False
    return True


def after_sign_in(extension_id: int) -> None:
    """A user signed in: subscribe to their events, then sync their mailbox."""
    keep_subscribed(extension_id)
    sync_extension(extension_id)


@app_periodic_task(crontab(minute="*/5"))
def sync_everyone() -> int:
    """The safety net under webhooks: an ISync of every connected user every 5 minutes."""
    return _for_everyone(sync_extension)


@app_task()
def refresh_provisioning(extension_id: int) -> bool:
    """Follow changes of a signed-in user's numbers, directory and contacts in RingCentral."""
    platform = _ringcentral()
    extension = db.session.get(Extension, extension_id)
    if platform is None or extension is None:
        return False
    try:
        platform.refresh_provisioning(extension)
    except (PlatformRefused, PlatformRetryable) as exc:
        db.session.rollback()
        log.warning("provisioning of extension %s not refreshed: %s", extension_id, exc.message)
        return False
    return True


@app_periodic_task(crontab(hour="*/6", minute="41"))
def refresh_everyones_provisioning() -> int:
    """Every six hours: numbers and colleagues change while users stay signed in."""
    return _for_everyone(refresh_provisioning)


@app_periodic_task(crontab(minute="*/15"))
def forget_old_webhook_receipts() -> int:
    """Uuids outside the replay window: their notifications are refused by timestamp."""
    from widget.platforms.ringcentral.replay import forget_old

    return forget_old(utcnow())


@app_periodic_task(crontab(minute="17"))
def renew_subscriptions() -> int:
    """Renew subscriptions before they expire; re-create the gone, expired or blacklisted."""
    return _for_everyone(keep_subscribed)


@app_task()
def mirror_case_thread(case_id: int) -> int:
    """Mirror a queue case's new events to its RingCentral message thread; return the
    calls made. A failure is kept on the case's thread link for ``mirror_threads``."""
    from widget.platforms.ringcentral import threads

    platform = _ringcentral()
    if platform is None:
        return 0
    try:
        return platform.mirror_case(case_id)
    except PlatformRetryable as exc:
        threads.postpone(case_id, exc.message, exc.retry_after)
    except PlatformRefused as exc:
        log.warning("RingCentral refused the thread of case %s: %s", case_id, exc.message)
        threads.postpone(case_id, exc.message, None)
    return 0


@app_periodic_task(crontab(minute="*"))
def mirror_threads() -> int:
    """Every minute: catch up the queue cases whose thread missed an event."""
    from widget.platforms.ringcentral import threads

    if _ringcentral() is None:
        return 0
    case_ids = threads.behind()
    for case_id in case_ids:
        mirror_case_thread(case_id)
    return len(case_ids)
