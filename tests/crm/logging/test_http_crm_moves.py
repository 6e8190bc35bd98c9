"""Moving a logged conversation-day to another record through the HubSpot, Pipedrive and
Clio fakes over real HTTP: one log at the CRM afterwards, under the new record, whatever
step a crash or an outage interrupts (re-filed in place where the CRM allows it, deleted
and created again where it does not)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.crm.conftest import JANE, NOON_UTC, deliver
from widget.crm_logging import engine, moves, tasks, writer
from widget.extensions import db
from widget.models import Conversation, CrmActivity, MessageLog

# The call that puts the log under the new record: a re-filing PATCH, or the create
# after the delete.
FILING_CALL = {
    "hubspot": "POST /crm/v3/objects/communications",
    "pipedrive": "PATCH /api/v2/activities",
    "clio": "POST /api/v4/communications.json",
}


class SimulatedCrash(BaseException):
    """The process dies: nothing after this point runs, not even error handlers."""


def _activity() -> CrmActivity:
    db.session.expire_all()
    [activity] = db.session.scalars(select(CrmActivity)).all()
    return activity


def _logged_to_jane(crm_world, crm, fake):
    """Log Jane's day to her record; return it with a second record of her number."""
    world, jane, _ = crm_world
    other, other_related = crm.seed_jane(fake)  # e.g. her home account, same number
    message = deliver(world.alice, JANE, "Hi, it's Jane", NOON_UTC)
    conversation = db.session.get(Conversation, message.conversation_id)
    engine.log_conversation(world.alice, conversation, jane, {})
    assert crm.filed_under(fake) == [jane]
    return world, conversation, _activity(), other, other_related


def _moved_once(crm, fake, activity_id: int, other: str) -> None:
    db.session.expire_all()
    activity = db.session.get(CrmActivity, activity_id)
    assert (activity.state, activity.record_id, activity.moved_from_record_id) == (
        "written",
        other,
        None,
    )
    assert crm.filed_under(fake) == [other]  # one log, under the new record
    [body] = crm.bodies(fake)
    assert "Hi, it" in body
    assert set(db.session.scalars(select(MessageLog.state))) == {"logged"}


def test_a_day_moves_to_another_record_and_stays_one_log(crm_world, crm, fake):
    world, conversation, activity, other, related = _logged_to_jane(crm_world, crm, fake)

    outcome = moves.move_activity(world.alice, conversation, activity.id, other, related)

    assert outcome.state == "written"
    _moved_once(crm, fake, activity.id, other)
    assert _activity().related_to_id == related


def test_an_outage_during_the_move_is_retried_to_one_log(crm_world, crm, fake):
    world, conversation, activity, other, _ = _logged_to_jane(crm_world, crm, fake)
    fake.fail_next(FILING_CALL[crm.id], 503)

    moves.move_activity(world.alice, conversation, activity.id, other)
    assert _activity().state == "pending"  # kept, to be written again after a backoff

    db.session.execute(CrmActivity.__table__.update().values(next_attempt_at=None))
    db.session.commit()
    assert tasks.write_crm_activity(activity.id).get() == "written"
    _moved_once(crm, fake, activity.id, other)


def test_a_crash_between_the_crm_write_and_the_commit_is_reconciled(
    crm_world, crm, fake, clock, monkeypatch
):
    world, conversation, activity, other, _ = _logged_to_jane(crm_world, crm, fake)

    def die(*args, **kwargs):
        raise SimulatedCrash

    monkeypatch.setattr(writer, "finish", die)
    with pytest.raises(SimulatedCrash):
        moves.move_activity(world.alice, conversation, activity.id, other)
    monkeypatch.undo()
    db.session.rollback()
    assert crm.filed_under(fake) == [other]  # the CRM has it; our commit never happened

    clock.shift(writer.CLAIM_LEASE + timedelta(seconds=1))
    assert tasks.sweep()["activities"] == 1
    _moved_once(crm, fake, activity.id, other)
