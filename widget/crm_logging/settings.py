"""Each user's logging settings, the account's conflict policy, and "open the log page"."""

from __future__ import annotations

from sqlalchemy import select

from widget import audit
from widget.access import may_read, messages_visible_to
from widget.crm_logging import autolog, tasks
from widget.crm_logging.autolog import account_policy
from widget.crm_logging.connections import auto_log_forced, connection_for
from widget.crm_logging.grouping import day_bounds, local_day
from widget.errors import Conflict, Invalid
from widget.extensions import db
from widget.models import (
    Account,
    Channel,
    ConflictPolicy,
    Conversation,
    CrmAccountSettings,
    CrmConnection,
    Direction,
    Extension,
    Message,
)


def user_settings(extension: Extension) -> CrmConnection:
    """Return the user's connection: connector, ``auto_log``, ``open_log_page``."""
    return connection_for(extension)


def set_auto_log(extension: Extension, enabled: bool, backfill: bool = False) -> CrmConnection:
    """Turn auto-log on or off. ``backfill`` also logs the last ``BACKFILL_DAYS`` (7) days.

    Raises ``Conflict`` when turning it off while an admin has it on for everyone.
    """
    if not enabled and auto_log_forced(extension):
        raise Conflict("Your admin has turned auto-log on for everyone in the company.")
    if autolog.set_auto_log(extension, enabled, backfill):
        tasks.autolog_backfill(extension.id)
    return connection_for(extension)


def set_open_log_page(extension: Extension, enabled: bool) -> CrmConnection:
    """Turn "Open SMS logging page after message" on or off."""
    connection = connection_for(extension)
    connection.open_log_page = enabled
    db.session.commit()
    return connection


def set_conflict_policy(
    account: Account, policy: str, actor: Extension | None = None
) -> CrmAccountSettings:
    """Set the account's policy for numbers matching several records (admins only).

    With the ``actor`` (the admin who chose it), the change goes into the audit log.
    """
    try:
        chosen = ConflictPolicy(policy)
    except ValueError:
        allowed = ", ".join(p.value for p in ConflictPolicy)
        raise Invalid(f"Choose a conflict policy: {allowed}.", "conflict_policy") from None
    settings = account_policy(account)
    before = settings.conflict_policy
    settings.conflict_policy = chosen
    if actor is not None and before != chosen:
        diff = audit.text_diff(
            f"conflict policy: {before.value}",
            f"conflict policy: {chosen.value}",
            "before",
            "after",
        )
        audit.record(actor, "policy.update", "Auto-log policy", f"Conflicts: {chosen.value}", diff)
    db.session.commit()
    return settings


def should_open_log_page(extension: Extension, message: Message) -> bool:
    """True for the first message the user sent that day in a text conversation (setting on)."""
    if not may_read(extension, message) or message.direction != Direction.OUTBOUND:
        return False
    conversation = db.session.get(Conversation, message.conversation_id)
    if conversation is None or conversation.channel != Channel.TEXT:
        return False
    if not connection_for(extension).open_log_page:
        return False
    start, _ = day_bounds(extension, local_day(extension, message.created_at))
    earlier = db.session.scalar(
        select(Message.id)
        .where(
            Message.conversation_id == conversation.id,
            messages_visible_to(extension),
            Message.direction == Direction.OUTBOUND.value,
            Message.id != message.id,
            Message.created_at >= start,
            (Message.created_at < message.created_at)
            | ((Message.created_at == message.created_at) & (Message.id < message.id)),
        )
        .limit(1)
    )
    return earlier is None
