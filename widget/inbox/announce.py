"""Announcing message changes: recorded with the change, heard after its commit.

``announce`` runs inside the change's transaction. It adds a ``PendingPush`` row (the
real-time outbox) and remembers the change on the session; ``send_announcements``
runs after the commit and sends ``messages_changed`` for each change, naming its row.
The real-time receiver logs the frames and deletes the row in one transaction, so a
crash or a failed push between the change's commit and that one leaves the row behind,
and ``realtime.tasks.push_pending`` delivers it later: every committed change is pushed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import inspect

from widget.extensions import db
from widget.inbox.ingest import messages_changed
from widget.models import Extension, PendingPush

_SESSION_KEY = "sidetalk_announcements"
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


def announce(extension: Extension, message_ids: Iterable[int], reason: str) -> None:
    """Record, in the current transaction, that ``message_ids`` of ``extension`` changed.

    Nothing is heard before ``send_announcements`` runs after the commit; a rollback
    drops the record with the change.
    """
    ids = list(message_ids)
    if not ids or _importing_history.get():
        return
    pending = PendingPush(extension_id=extension.id, message_ids=ids, reason=reason)
    db.session.add(pending)
    db.session.info.setdefault(_SESSION_KEY, []).append((extension, ids, reason, pending))


def send_announcements() -> None:
    """After a commit: send ``messages_changed`` for every change announced in it."""
    for extension, ids, reason, pending in db.session.info.pop(_SESSION_KEY, []):
        # The row's identity, read without loading it again (the commit expired it).
        key = inspect(pending).key
        if key is None:
            continue  # announced in a transaction that was rolled back
        messages_changed.send(extension, message_ids=ids, reason=reason, pending_push_id=key[1][0])


def commit_and_announce() -> None:
    """Commit the session, then send what was announced in the transaction."""
    db.session.commit()
    send_announcements()
