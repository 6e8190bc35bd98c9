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
from typing import Any

from sqlalchemy import inspect

from widget.extensions import db
from widget.inbox.ingest import messages_changed, messages_staged
from widget.models import Extension, Message, PendingPush

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


def announce_staged(
    extension: Extension,
    messages: list[Message],
    reason: str,
    read_along: dict[str, Any] | None = None,
) -> None:
    """Like ``announce``, with the push prepared inside the change's transaction.

    Receivers of ``messages_staged`` (the real-time capability) render the frames now
    and log them in this transaction, so the change and its logged push are one commit
    and no outbox row needs a second one; what they return is handed back to them with
    ``messages_changed`` after the commit, to publish. Without such a receiver this is
    ``announce``. ``read_along`` is what the statement storing the messages read for
    the receivers (``widget.inbox.read_along``).
    """
    if not messages or _importing_history.get():
        return
    replies = messages_staged.send(
        extension, messages=messages, reason=reason, read_along=read_along or {}
    )
    staged = [result for _, result in replies if result is not None]
    if not staged:
        announce(extension, [m.id for m in messages], reason)
        return
    ids = [m.id for m in messages]
    db.session.info.setdefault(_SESSION_KEY, []).append((extension, ids, reason, staged))


def discard_announcements() -> None:
    """After a rollback: forget what the rolled-back transaction announced."""
    db.session.info.pop(_SESSION_KEY, None)


def send_announcements() -> None:
    """After a commit: send ``messages_changed`` for every change announced in it."""
    for extension, ids, reason, pending in db.session.info.pop(_SESSION_KEY, []):
        if isinstance(pending, list):  # staged: the push is logged, only publishing is left
            messages_changed.send(extension, message_ids=ids, reason=reason, staged=pending)
            continue
        # The row's identity, read without loading it again (the commit expired it).
        key = inspect(pending).key
        if key is None:
            continue  # announced in a transaction that was rolled back
        messages_changed.send(extension, message_ids=ids, reason=reason, pending_push_id=key[1][0])


def commit_and_announce() -> None:
    """Commit the session, then send what was announced in the transaction."""
    db.session.commit()
    send_announcements()
