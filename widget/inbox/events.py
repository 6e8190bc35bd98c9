"""Platform notifications in, messages out: the entry point webhooks and the sandbox share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import select

from widget.extensions import db
from widget.inbox.ingest import IngestResult, ingest_record, messages_changed
from widget.models import Account, Extension
from widget.platforms.records import RecordError, parse_instant_event

_importing_history: ContextVar[bool] = ContextVar("sidetalk_importing_history", default=False)


@contextmanager
def importing_history() -> Iterator[None]:
    """Ingest old messages without announcing them.

    Seeded or back-filled history is not news: nobody should be pushed a frame for it
    or have it auto-logged as if it had just arrived.
    """
    token = _importing_history.set(True)
    try:
        yield
    finally:
        _importing_history.reset(token)


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
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if result.changed and not _importing_history.get():
        messages_changed.send(
            extension,
            message_ids=[result.message.id],
            reason="created" if result.created else "updated",
        )
    return result
