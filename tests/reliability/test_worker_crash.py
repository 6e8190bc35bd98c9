"""A CRM-logging worker process SIGKILLed at each step of a write, then a restarted sweeper.

The steps are the writer's (``widget/crm_logging/writer.py``): claim, mark the create
started, the CRM's create (or update) answered, the reconcile of a create that landed,
finish. The worker is a real process (``crm_worker``) on PostgreSQL, killed with
SIGKILL right after the step, holding its claim and its connection; a new process runs
the sweeper once the dead worker's lease has run out. Counted at the fake Salesforce:
exactly one Task per conversation-day, every message logged, nothing left pending.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.crm.conftest import JANE, NOON_UTC, deliver
from tests.reliability.conftest import assert_each_activity_in_the_crm_once, sweep_result
from widget.crm_logging import engine, intents, writer
from widget.extensions import db
from widget.models import Conversation, CrmActivity

pytestmark = [pytest.mark.reliability, pytest.mark.processes, pytest.mark.postgres]

KILLED = -signal.SIGKILL
LEASE_RUN_OUT = 4  # minutes: longer than the claim lease (2) plus the sweeper's age (1)


@pytest.mark.parametrize(
    "kills",
    [
        ("claimed",),
        ("create-started",),
        ("crm-created",),  # between the CRM write and the commit
        ("crm-created", "reconciled"),  # and the restarted worker killed after its reconcile
        ("finished",),
    ],
    ids="+".join,
)
def test_a_worker_killed_at_any_step_of_a_create_leaves_one_crm_activity(sf_pg, kills):
    activity_id = sf_pg.pending_activity()

    first = sf_pg.worker("write", str(activity_id), kill_at=kills[0])
    assert first.returncode == KILLED, first.stderr
    for restart, step in enumerate(kills[1:], start=1):
        again = sf_pg.worker("sweep", "--later-minutes", str(LEASE_RUN_OUT * restart), kill_at=step)
        assert again.returncode == KILLED, again.stderr

    later = str(LEASE_RUN_OUT * len(kills))
    swept = sweep_result(sf_pg.worker("sweep", "--later-minutes", later))
    assert swept["activities"] == (0 if kills == ("finished",) else 1)
    assert_each_activity_in_the_crm_once(sf_pg.fake)
    (task,) = sf_pg.fake.records("Task")
    assert all(text in task["Description"] for text in ("a", "b", "c"))
    assert sf_pg.fake.call_count("POST", "sobjects/Task") == 1


def test_a_worker_killed_between_the_crms_update_and_the_commit_updates_again(sf_pg):
    activity_id = sf_pg.pending_activity(texts=("first",))
    assert writer.write_activity(activity_id).result == writer.WriteResult.WRITTEN
    later = deliver(sf_pg.world.alice, JANE, "second", NOON_UTC.replace(minute=30))
    conversation = db.session.get(Conversation, later.conversation_id)
    activity = db.session.get(CrmActivity, activity_id)
    (record,) = [r for r in engine.find_records(sf_pg.world.alice, JANE) if r.id == sf_pg.jane_id]
    intents.record_intent(
        sf_pg.world.alice, conversation, activity.log_date, record, "salesforce", [later.id]
    )
    db.session.commit()

    killed = sf_pg.worker("write", str(activity_id), kill_at="crm-updated")
    assert killed.returncode == KILLED, killed.stderr
    assert "second" in sf_pg.fake.records("Task")[0]["Description"]  # the CRM has it ...
    db.session.expire_all()
    assert db.session.get(CrmActivity, activity_id).state == "pending"  # ... we did not know

    assert (
        sweep_result(sf_pg.worker("sweep", "--later-minutes", str(LEASE_RUN_OUT)))["activities"]
        == 1
    )
    assert_each_activity_in_the_crm_once(sf_pg.fake)
    assert sf_pg.fake.call_count("POST", "sobjects/Task") == 1


def test_two_worker_processes_sweeping_at_once_write_each_activity_once(sf_pg):
    for day in range(4):
        sf_pg.pending_activity(days=day, texts=(f"day {day}",))
    sf_pg.fake.latency = 0.2  # widen the window in which both could write one activity

    racers = [sf_pg.start_worker("sweep", "--later-minutes", "2") for _ in range(2)]
    deadline = time.monotonic() + 120
    for racer in racers:
        racer.wait(timeout=max(1, deadline - time.monotonic()))
        assert racer.returncode == 0
        racer.stdout.close()

    assert_each_activity_in_the_crm_once(sf_pg.fake)
    assert sf_pg.fake.call_count("POST", "sobjects/Task") == 4
