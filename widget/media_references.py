"""Which stored media files something still needs, and removing the ones nothing needs.

The media store names a file by its content's hash (``widget.media``), so one file can
stand for several rows: the same picture received in two mailboxes, a picture scheduled
twice, a scheduled picture and the message it became once sent. A file may go only when
none of them points at it any more:

- an attachment of a message (sent, received, or deleted but not yet purged), by its
  stored copy or, for the embedded sandbox, by the platform URI naming a stored file
  (a purged record keeps that URI, but not its content);
- a scheduled message that has not gone yet (scheduled, or claimed and sending);
- a send waiting for the platform (``PendingSend``; its payload lists its parts' paths).
"""

from __future__ import annotations

from sqlalchemy import select

from widget import media
from widget.extensions import db
from widget.models import (
    Attachment,
    Availability,
    Message,
    PendingSend,
    ScheduledMessage,
    ScheduleState,
)

# A scheduled message in these states will still read its picture.
PICTURE_NEEDED_WHILE = (ScheduleState.SCHEDULED, ScheduleState.SENDING)


def in_use(paths: set[str]) -> set[str]:
    """The stored files among ``paths`` that a row still points at."""
    if not paths:
        return set()
    used = set(
        db.session.scalars(
            select(Attachment.storage_path).where(Attachment.storage_path.in_(paths))
        )
    )
    store_uris = {media.STORE_URI_PREFIX + path for path in paths}
    used.update(
        uri.removeprefix(media.STORE_URI_PREFIX)
        for uri in db.session.scalars(
            select(Attachment.platform_uri)
            .join(Message, Message.id == Attachment.message_id)
            # A purged record keeps its attachments' metadata, not their content.
            .where(
                Attachment.platform_uri.in_(store_uris),
                Message.availability != Availability.PURGED,
            )
        )
    )
    used.update(
        db.session.scalars(
            select(ScheduledMessage.picture_path).where(
                ScheduledMessage.picture_path.in_(paths),
                ScheduledMessage.state.in_(PICTURE_NEEDED_WHILE),
            )
        )
    )
    # Waiting sends are few (only those the platform has not taken yet) and keep their
    # paths inside a JSON payload, which no index reaches: read them.
    for payload in db.session.scalars(select(PendingSend.payload)):
        used.update(part.get("path") for part in (payload or {}).get("parts") or [])
    return used & paths


def unreferenced(paths: set[str]) -> set[str]:
    """The stored files among ``paths`` that nothing points at any more."""
    return paths - in_use(paths)


def remove_unreferenced(paths: set[str]) -> set[str]:
    """Remove the files among ``paths`` that nothing needs; return the ones removed.

    Call it after the commit that let go of them: a rollback must never leave a row
    whose file is gone.
    """
    removable = unreferenced(paths)
    for path in removable:
        media.remove(path)
    return removable
