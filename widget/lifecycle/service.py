"""A message's life after it arrives: unread again, deleted, restored, purged.

RingCentral's message-store terms: availability goes Alive -> Deleted (restorable for
``DELETED_RETENTION_DAYS``) -> Purged (content gone, metadata kept). Every change is
written, recorded for the platform (``widget.platforms.outbox``) and announced
(``widget.inbox.announce``) in one transaction; the platform and the listeners hear of
it after the commit, so they never act on something that rolled back, and a crash
after the commit still leaves the call and the push to be made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from widget import media_references
from widget.access import messages_visible_to
from widget.errors import Conflict, Gone
from widget.extensions import db
from widget.inbox.announce import announce, commit_and_announce, send_announcements
from widget.inbox.ingest import refresh_conversation
from widget.inbox.service import restorable_since
from widget.models import (
    Attachment,
    Availability,
    Conversation,
    Direction,
    Extension,
    Message,
    PlatformUpdateKind,
    ReadStatus,
)
from widget.models.types import utcnow
from widget.platforms.outbox import record_update, send_recorded_updates

PURGE_BATCH_SIZE = 200
DELETED_PANEL_LIMIT = 200


def _touch(message: Message, now: datetime) -> None:
    message.last_modified_at = max(now, message.last_modified_at)


def _announce(extension: Extension, messages: list[Message], reason: str) -> None:
    announce(extension, [m.id for m in messages], reason)


def mark_conversation_unread(extension: Extension, conversation: Conversation) -> Message:
    """Mark the newest received message of the conversation Unread and return it."""
    newest = db.session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation.id,
            messages_visible_to(extension),
            Message.direction == Direction.INBOUND,
            Message.availability == Availability.ALIVE,
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).first()
    if newest is None:
        raise Conflict("Nothing to mark unread: you have not received a message here.")
    if newest.read_status == ReadStatus.UNREAD:
        return newest
    newest.read_status = ReadStatus.UNREAD
    _touch(newest, utcnow())
    refresh_conversation(conversation)
    record_update(extension, [newest], PlatformUpdateKind.READ_STATUS)
    _announce(extension, [newest], "unread")
    commit_and_announce()
    send_recorded_updates()
    return newest


def _set_availability(
    extension: Extension, messages: list[Message], availability: Availability, reason: str
) -> list[Message]:
    """Move ``messages`` to Deleted or back to Alive, commit, then announce ``reason``."""
    now = utcnow()
    for message in messages:
        message.availability = availability
        message.deleted_at = now if availability == Availability.DELETED else None
        _touch(message, now)
    # Each message changes its conversation's alive count by one: no recount of the thread.
    step = 1 if availability == Availability.ALIVE else -1
    by_conversation: dict[Conversation, int] = defaultdict(int)
    for message in messages:
        by_conversation[message.conversation] += step
    for conversation, alive_delta in by_conversation.items():
        refresh_conversation(conversation, alive_delta)
    record_update(extension, messages, PlatformUpdateKind.AVAILABILITY)
    _announce(extension, messages, reason)
    commit_and_announce()
    send_recorded_updates()
    return messages


def _delete(extension: Extension, messages: list[Message]) -> list[Message]:
    return _set_availability(extension, messages, Availability.DELETED, "deleted")


def delete_message(extension: Extension, message: Message) -> Message:
    """Move one message to Deleted (restorable for the retention period)."""
    if message.availability != Availability.ALIVE:
        raise Conflict("That message is already deleted.")
    _delete(extension, [message])
    return message


def delete_conversation(extension: Extension, conversation: Conversation) -> list[Message]:
    """Move every alive message of the conversation to Deleted; return them."""
    alive = list(
        db.session.scalars(
            select(Message).where(
                Message.conversation_id == conversation.id,
                messages_visible_to(extension),
                Message.availability == Availability.ALIVE,
            )
        )
    )
    if not alive:
        raise Conflict("That conversation is already deleted.")
    return _delete(extension, alive)


def _check_restorable(message: Message, since: datetime) -> None:
    if message.availability == Availability.PURGED:
        raise Gone("That message was purged: it can no longer be restored.")
    if message.availability == Availability.ALIVE:
        raise Conflict("That message is not deleted.")
    if message.deleted_at is None or message.deleted_at < since:
        days = current_app.config["DELETED_RETENTION_DAYS"]
        raise Gone(
            f"That message was deleted more than {days} days ago: it can no longer be restored.",
        )


def _restore(extension: Extension, messages: list[Message]) -> list[Message]:
    return _set_availability(extension, messages, Availability.ALIVE, "restored")


def restore_message(extension: Extension, message: Message) -> Message:
    """Bring a deleted message back; 410 once purged or past retention, 409 if not deleted."""
    _check_restorable(message, restorable_since())
    _restore(extension, [message])
    return message


def deleted_messages(
    extension: Extension, conversation: Conversation, limit: int = DELETED_PANEL_LIMIT
) -> list[Message]:
    """Return the conversation's still-restorable deleted messages, newest first."""
    return list(
        db.session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation.id,
                messages_visible_to(extension),
                Message.availability == Availability.DELETED,
                Message.deleted_at >= restorable_since(),
            )
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
    )


def restore_conversation(extension: Extension, conversation: Conversation) -> list[Message]:
    """Restore every still-restorable deleted message of the conversation; return them."""
    found = deleted_messages(extension, conversation, limit=None)
    if not found:
        raise Gone(
            "Nothing here can be restored: no message was deleted recently enough.",
        )
    return _restore(extension, found)


def _purge_batch(now: datetime, cutoff: datetime, batch_size: int) -> list[Message]:
    batch = list(
        db.session.scalars(
            select(Message)
            .where(Message.availability == Availability.DELETED, Message.deleted_at <= cutoff)
            .order_by(Message.deleted_at, Message.id)
            .limit(batch_size)
            # Two sweepers at once each take different rows instead of waiting (PostgreSQL).
            .with_for_update(skip_locked=True)
        )
    )
    for message in batch:
        message.availability = Availability.PURGED
        message.purged_at = now
        message.subject = ""
        message.transcription = None
        _touch(message, now)
    for conversation in {m.conversation for m in batch}:
        if conversation.availability != Availability.ALIVE:
            conversation.preview = ""  # it may quote a message whose text is now gone
    return batch


def _release_files(attachments: Iterable[Attachment]) -> set[str]:
    """Detach the stored files of ``attachments``; return the ones nothing else uses."""
    paths = set()
    for attachment in attachments:
        if attachment.storage_path:
            paths.add(attachment.storage_path)
            attachment.storage_path = None
    db.session.flush()
    return media_references.unreferenced(paths)


def purge_due_messages(now: datetime | None = None, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Purge every message deleted longer ago than the retention period; return how many.

    Text and stored files go; the record (type, parties, times, attachment metadata)
    stays. Files are content-addressed and may be shared by several attachments (the
    same picture in two mailboxes), so a file is removed only when no attachment uses it.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["DELETED_RETENTION_DAYS"])
    total = 0
    while True:
        batch = _purge_batch(now, cutoff, batch_size)
        if not batch:
            db.session.rollback()
            return total
        removable = _release_files(a for m in batch for a in m.attachments)
        by_extension: dict[int, list[Message]] = defaultdict(list)
        for message in batch:
            by_extension[message.extension_id].append(message)
        extensions = {
            e.id: e
            for e in db.session.scalars(select(Extension).where(Extension.id.in_(by_extension)))
        }
        for extension_id, messages in by_extension.items():
            record_update(extensions[extension_id], messages, PlatformUpdateKind.AVAILABILITY)
            _announce(extensions[extension_id], messages, "purged")
        db.session.commit()
        # Files go only after the commit: a rollback must not leave records without files.
        # Checked again because an upload of the same bytes may have claimed one meanwhile.
        media_references.remove_unreferenced(removable)
        send_announcements()
        send_recorded_updates()
        total += len(batch)
