"""A write's outcome, announced: the widget's log mark follows the write, never a poll.

When a background write finishes (written, failed, or waiting to retry),
``log_state_changed`` is sent after the commit that recorded it; the real-time capability
pushes the conversation's ``log_status`` block (``status_block``) to the user's widgets.
"""

from __future__ import annotations

from blinker import Namespace
from sqlalchemy import select

from widget.extensions import db
from widget.models import CrmActivity

_signals = Namespace()
# Sent with extension_id and conversation_id after a write's outcome was committed.
log_state_changed = _signals.signal("crm-log-state-changed")


def announce_outcome(activity_id: int) -> None:
    """Tell receivers whose log status a write of ``activity_id`` just changed."""
    owner = db.session.execute(
        select(CrmActivity.extension_id, CrmActivity.conversation_id).where(
            CrmActivity.id == activity_id
        )
    ).one_or_none()
    if owner is not None:
        log_state_changed.send(None, extension_id=owner[0], conversation_id=owner[1])
