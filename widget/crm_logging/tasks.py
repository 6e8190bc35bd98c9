"""Background CRM logging on Huey: writes, auto-log, and the sweeper that loses nothing.

- ``write_crm_activity(id)``: one write (see ``writer``); reschedules itself with backoff
  when the CRM is unreachable, and once more when messages arrived during the write.
- ``schedule_write(id)``: coalescing. A burst's first message plans a write
  ``CRM_LOG_COALESCE_SECONDS`` later (compare-and-set on ``write_due_at``); each later
  message bumps the activity's revision and pushes that time back (capped), so 20
  messages pending together are one CRM write.
- ``autolog_messages`` / ``autolog_backfill``: auto-log decisions (``autolog``), queued
  for new messages by ``on_messages_changed`` (connected by the package's ``init_app``).
- ``sweep_crm_logs`` (every minute): re-queues pending activities nobody is writing and
  messages of auto-log users nobody looked at, so a crash between a commit and an
  enqueue only delays work.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from huey import crontab
from sqlalchemy import select, update

from widget.access import actor_params, personal_to
from widget.crm_logging import autolog, case_logs, outcomes, writer
from widget.extensions import db
from widget.inbox.read_along import ReadAlong
from widget.jobs import app_periodic_task, app_task
from widget.models import ActivityState, CrmActivity, CrmConnection, Extension
from widget.models.types import utcnow

log = logging.getLogger(__name__)

SWEEP_AGE = timedelta(minutes=1)
SWEEP_BATCH = 500
# A coalesced write woken this close to its due time writes rather than sleeping again.
EARLY_TOLERANCE_SECONDS = 0.05


@app_task()
def write_crm_activity(activity_id: int, after_burst: bool = False) -> str:
    """Write one activity to the CRM; return what happened (a ``WriteResult`` value).

    ``after_burst`` (coalesced writes) first waits until ``write_due_at``: messages that
    kept arriving pushed it back, and this task goes back to sleep until then.
    """
    if after_burst:
        due = db.session.scalar(
            select(CrmActivity.write_due_at).where(CrmActivity.id == activity_id)
        )
        wait = (due - utcnow()).total_seconds() if due else 0.0
        if wait > EARLY_TOLERANCE_SECONDS:
            write_crm_activity.schedule(args=(activity_id, True), delay=wait)
            return "deferred"
    outcome = writer.write_activity(activity_id)
    if outcome.result != writer.WriteResult.SKIPPED:
        outcomes.announce_outcome(activity_id)  # the widget's mark follows the write
    if outcome.result == writer.WriteResult.RETRY:
        write_crm_activity.schedule(args=(activity_id,), delay=outcome.delay)
    elif outcome.result == writer.WriteResult.DIRTY:
        schedule_write(activity_id)
    return outcome.result.value


def schedule_write(activity_id: int, delay: float | None = None) -> bool:
    """Plan a coalesced write of the activity; return True if this call queued a task.

    A trailing debounce: the write happens ``delay`` seconds after the LAST message of a
    burst, but never later than ``CRM_LOG_COALESCE_MAX_SECONDS`` after the activity fell
    behind. Only the first caller queues a task (compare-and-set on ``write_due_at``);
    later callers push ``write_due_at`` back and the sleeping task follows it.
    """
    config = current_app.config
    if delay is None:
        delay = float(config.get("CRM_LOG_COALESCE_SECONDS", 0))
    if delay <= 0:
        write_crm_activity(activity_id)
        return True
    now = utcnow()
    dirty_since = db.session.scalar(
        select(CrmActivity.dirty_since).where(CrmActivity.id == activity_id)
    )
    longest = float(config.get("CRM_LOG_COALESCE_MAX_SECONDS", 30))
    cap = (dirty_since or now) + timedelta(seconds=longest)
    due = max(now, min(now + timedelta(seconds=delay), cap))
    planned = db.session.execute(
        update(CrmActivity)
        .where(
            CrmActivity.id == activity_id,
            (CrmActivity.write_due_at.is_(None)) | (CrmActivity.write_due_at <= now),
        )
        .values(write_due_at=due)
        .execution_options(synchronize_session=False)
    )
    if planned.rowcount != 1:
        # A write is already planned: push it back to ``due`` (never earlier).
        db.session.execute(
            update(CrmActivity)
            .where(CrmActivity.id == activity_id, CrmActivity.write_due_at < due)
            .values(write_due_at=due)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    if planned.rowcount != 1:
        return False
    write_crm_activity.schedule(args=(activity_id, True), delay=(due - now).total_seconds())
    return True


@app_task()
def autolog_messages(extension_id: int, message_ids: list[int]) -> int:
    """Auto-log new messages of one extension; return how many activities were touched."""
    activity_ids = autolog.process(extension_id, message_ids)
    for activity_id in activity_ids:
        schedule_write(activity_id)
    return len(activity_ids)


@app_task()
def autolog_backfill(extension_id: int) -> int:
    """Auto-log the unlogged messages since the user's ``autolog_since``."""
    activity_ids = autolog.backfill(extension_id)
    for activity_id in activity_ids:
        schedule_write(activity_id)
    return len(activity_ids)


@app_task()
def sync_case_log(case_id: int) -> int:
    """Bring a shared-inbox case's CRM activity up to date (or auto-log it for its
    holder); return how many activities were scheduled for a write."""
    activity_ids = case_logs.sync(case_id)
    for activity_id in activity_ids:
        schedule_write(activity_id)
    return len(activity_ids)


def on_queue_changed(case, events=(), **_: Any) -> None:
    """``queue_changed`` receiver (after the commit): the case's body changed."""
    try:
        sync_case_log(case.id)
    except Exception:
        log.exception("could not queue the CRM log of case %s", case.id)
        db.session.rollback()


def on_queue_messages(sender: Extension, message_ids=(), reason: str = "", **_: Any) -> None:
    """``messages_changed`` receiver for a queue's mailbox: new messages of its cases."""
    if reason != "created" or not message_ids or not getattr(sender, "is_queue_mailbox", False):
        return
    try:
        for case_id in case_logs.case_of_messages(list(message_ids)):
            sync_case_log(case_id)
    except Exception:
        log.exception("could not queue the CRM log of queue messages %s", list(message_ids))
        db.session.rollback()


# The auto-log switch of an extension, read inside a change's own transaction (see
# ``on_messages_staged``) and used after its commit by ``on_messages_changed``.
_SWITCH_READ = "sidetalk_auto_log_switch"


# Read for every new message: built once (building it cost more CPU than running it),
# executed with the actor's parameters.
_SWITCH = select(CrmConnection.auto_log).where(personal_to(None, CrmConnection.extension_id))


# Read along with every new message by the statement storing it (``widget.inbox.read_along``).
AUTO_LOG = "auto_log"
READ_ALONG = ReadAlong(AUTO_LOG, lambda _upserted: _SWITCH.scalar_subquery(), bool)


def _auto_log_switch(extension: Extension) -> bool:
    # One column, no object: the session's connection runs it without the ORM layer.
    return bool(db.session.connection().scalar(_SWITCH, actor_params(extension)))


def on_messages_staged(
    sender: Extension, messages=(), reason: str = "", read_along=None, **_: Any
) -> None:
    """Read the auto-log switch inside the transaction that creates the messages: after
    its commit the session would take a connection again (a ping, ``BEGIN`` and
    ``ROLLBACK`` more) for this one value. The statement that stored them may have read
    it already (``read_along``). Stages nothing (returns None)."""
    if reason == "created" and messages:
        read_along = read_along or {}
        enabled = read_along[AUTO_LOG] if AUTO_LOG in read_along else _auto_log_switch(sender)
        db.session.info.setdefault(_SWITCH_READ, {})[sender.id] = enabled


def on_messages_changed(sender: Extension, message_ids=(), reason: str = "", **_: Any) -> None:
    """Queue auto-log of newly created messages when their owner has auto-log on."""
    if reason != "created" or not message_ids:
        return
    try:
        enabled = db.session.info.get(_SWITCH_READ, {}).pop(sender.id, None)
        if enabled is None:  # announced without staging: read it now
            enabled = _auto_log_switch(sender)
        if enabled:
            autolog_messages(sender.id, list(message_ids))
    except Exception:
        # Ingestion already committed; the sweeper picks the messages up. Never fail it.
        log.exception("could not queue auto-log for extension %s", sender.id)
        db.session.rollback()


def stale_activity_ids(now=None, limit: int = SWEEP_BATCH) -> list[int]:
    """Return pending activities due for a write that nobody is writing or about to."""
    now = now or utcnow()
    cutoff = now - SWEEP_AGE
    return list(
        db.session.scalars(
            select(CrmActivity.id)
            .where(
                CrmActivity.state == ActivityState.PENDING.value,
                (CrmActivity.claimed_until.is_(None)) | (CrmActivity.claimed_until < now),
                (CrmActivity.next_attempt_at.is_(None)) | (CrmActivity.next_attempt_at <= now),
                (CrmActivity.write_due_at.is_(None)) | (CrmActivity.write_due_at < cutoff),
                CrmActivity.updated_at < cutoff,
            )
            .order_by(CrmActivity.updated_at)
            .limit(limit)
        )
    )


def sweep(now=None) -> dict[str, int]:
    """Re-queue forgotten CRM work (writes, auto-log checks, logged queue cases that
    missed a message or an event); return how many activities and messages were queued."""
    activity_ids = stale_activity_ids(now)
    for activity_id in activity_ids:
        write_crm_activity(activity_id)
    stale_cases = case_logs.stale_cases(now or utcnow(), SWEEP_AGE)
    for case_id in stale_cases:
        sync_case_log(case_id)
    queued_messages = 0
    for extension_id, message_ids in autolog.unchecked_messages(now).items():
        queued_messages += len(message_ids)
        autolog_messages(extension_id, message_ids)
    if activity_ids or queued_messages or stale_cases:
        log.info(
            "CRM sweeper re-queued %d activities, %d messages and %d queue cases",
            len(activity_ids),
            queued_messages,
            len(stale_cases),
        )
    return {"activities": len(activity_ids), "messages": queued_messages}


@app_periodic_task(crontab(minute="*"))
def sweep_crm_logs() -> dict[str, int]:
    """Every minute: re-queue pending CRM writes and unlooked-at auto-log messages."""
    return sweep()
