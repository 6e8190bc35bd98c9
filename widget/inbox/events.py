"""Platform notifications in, messages out: the entry point webhooks and the sandbox share."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from widget.extensions import db
from widget.inbox.announce import announce, send_announcements
from widget.inbox.ingest import IngestResult, ingest_record
from widget.models import Account, Extension
from widget.platforms.records import RecordError, parse_instant_event


def find_extension(platform: str, platform_extension_id: str) -> Extension:
    """Return the extension a platform id names; ``RecordError`` when it is not ours."""
    extension = db.session.scalar(
        select(Extension)
        .join(Account)
        .where(
            Account.platform == platform, Extension.platform_extension_id == platform_extension_id
        )
    )
    if extension is None:
        raise RecordError(f"no extension {platform_extension_id!r} on platform {platform!r}")
    return extension


def handle_instant_event(
    platform: str, event: Mapping, content: Mapping[str, bytes] | None = None
) -> IngestResult:
    """Ingest the record of an instant-message notification, commit, then announce it."""
    instant = parse_instant_event(event)
    extension = find_extension(platform, instant.owner_extension_id)
    try:
        result = ingest_record(extension, instant.record, platform, content)
        if result.changed:
            reason = "created" if result.created else "updated"
            announce(extension, [result.message.id], reason)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    send_announcements()
    return result
