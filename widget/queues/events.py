"""Case events: recording them in the transaction, announcing them after the commit.

Every change to a case writes one ``QueueEvent`` row in the same transaction as the
change, so the thread's pills, the CRM log of the case and a platform's thread mapping
all read one history. ``announce`` runs after the commit: it tells the platform (a
hook that is a no-op for the sandbox, which keeps queues natively) and sends the
``queue_changed`` signal that realtime pushes and CRM logging listen to.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from blinker import Namespace

from widget.extensions import db
from widget.models import Extension, QueueConversation, QueueEvent, QueueEventKind
from widget.models.types import utcnow

log = logging.getLogger(__name__)

_signals = Namespace()
# Sent after the commit that recorded ``events`` (QueueEvent rows, oldest first), with
# the ``case`` they belong to as the sender. Receivers may query and commit.
queue_changed = _signals.signal("queue-changed")


def record(
    case: QueueConversation,
    kind: QueueEventKind,
    actor: Extension | None = None,
    *,
    target_extension: Extension | None = None,
    target_queue=None,
    reason: str | None = None,
    text: str | None = None,
    at=None,
    queue_id: int | None = None,
    from_platform: bool = False,
) -> QueueEvent:
    """Add an event to ``case`` in the current transaction; the caller commits.

    ``queue_id`` is the queue the case was in (default: its queue now); a transfer or an
    overflow gives the queue it left. ``from_platform``: the change was made in the
    platform's own app and read back (the platform is not told of it again).
    """
    event = QueueEvent(
        queue_conversation_id=case.id,
        kind=kind,
        queue_id=queue_id or case.queue_id,
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else None,
        target_extension_id=target_extension.id if target_extension else None,
        target_queue_id=target_queue.id if target_queue else None,
        target_name=(
            target_extension.name
            if target_extension
            else (target_queue.name if target_queue else None)
        ),
        reason=reason,
        text=text,
        created_at=at or utcnow(),
        from_platform=from_platform,
    )
    db.session.add(event)
    return event


def commit_and_announce(case: QueueConversation, events: Sequence[QueueEvent]) -> None:
    """Commit, then tell the platform and every listener what happened to ``case``."""
    db.session.commit()
    announce(case, events)


def announce(case: QueueConversation, events: Sequence[QueueEvent]) -> None:
    """After the commit: the platform hook first, then the ``queue_changed`` signal.

    A platform that fails here does not undo the change (it is committed); the
    platform's own mapping is expected to retry from the events it was given.
    """
    from widget.platforms import get_platform  # the platform registry needs an app

    if not events:
        return
    try:
        get_platform().queue_events_committed(case, list(events))
    except Exception:  # noqa: BLE001 - the change stands; the platform catches up later
        log.exception("platform hook failed for queue case %s", case.id)
    queue_changed.send(case, events=list(events))
