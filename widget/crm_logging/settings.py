"""Each user's logging settings, the account's conflict policy, and "open the log page"."""

from __future__ import annotations

from sqlalchemy import select

from widget.crm_logging import autolog
from widget.crm_logging.autolog import account_policy
from widget.crm_logging.connections import connection_for
from widget.crm_logging.grouping import day_bounds, local_day
from widget.errors import BadInput
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
    """Turn auto-log on or off. ``backfill`` also logs the last ``BACKFILL_DAYS`` (7) days."""
    autolog.set_auto_log(extension, enabled, backfill)
    return connection_for(extension)


def set_open_log_page(extension: Extension, enabled: bool) -> CrmConnection:
    """Turn "Open SMS logging page after message" on or off."""
    connection = connection_for(extension)
    connection.open_log_page = enabled
    db.session.commit()
    return connection


def set_conflict_policy(account: Account, policy: str) -> CrmAccountSettings:
    """Set the account's policy for numbers matching several records (admins only)."""
    try:
        chosen = ConflictPolicy(policy)
    except ValueError:
        allowed = ", ".join(p.value for p in ConflictPolicy)
        raise BadInput(f"Choose a conflict policy: {allowed}.", "conflict_policy") from None
    settings = account_policy(account)
    settings.conflict_policy = chosen
    db.session.commit()
    return settings


def should_open_log_page(extension: Extension, message: Message) -> bool:
    """True for the first message the user sent that day in a text conversation (setting on)."""
    if message.extension_id != extension.id or message.direction != Direction.OUTBOUND:
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
            Message.extension_id == extension.id,
            Message.direction == Direction.OUTBOUND.value,
            Message.id != message.id,
            Message.created_at >= start,
            (Message.created_at < message.created_at)
            | ((Message.created_at == message.created_at) & (Message.id < message.id)),
        )
        .limit(1)
    )
    return earlier is None
