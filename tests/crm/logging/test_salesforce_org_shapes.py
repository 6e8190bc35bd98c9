"""Logging into orgs unlike the default: no Call Center fields, another closed status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectors.http import close_pooled_http
from connectors.salesforce.tasks import KEY_LINE_PREFIX
from fakes.salesforce import FakeSalesforce
from tests.crm.conftest import JANE, NOON_UTC, deliver
from widget.crm_logging import engine, tasks, writer
from widget.extensions import db
from widget.models import Conversation, CrmActivity


class SimulatedCrash(BaseException):
    """The worker dies between the CRM write and the local commit (not an Exception:
    nothing in the writer may catch it)."""


@pytest.fixture
def fake_sf() -> Iterator[FakeSalesforce]:
    """An org without Call Center (no Task.CallObject) whose closed status is "Done"."""
    statuses = (("Open", False), ("Done", True))
    with FakeSalesforce(call_center=False, task_statuses=statuses) as fake:
        yield fake
    close_pooled_http()
    assert fake.errors == []


def test_a_crash_after_the_create_is_found_again_without_call_object(
    sf_world, fake_sf, clock, monkeypatch
):
    world, ids = sf_world
    conversation = db.session.get(
        Conversation, deliver(world.alice, JANE, "Hi", NOON_UTC).conversation_id
    )
    engine.find_records(world.alice, JANE)

    def die(*args, **kwargs):
        raise SimulatedCrash

    monkeypatch.setattr(writer, "finish", die)
    with pytest.raises(SimulatedCrash):
        engine.log_conversation(world.alice, conversation, ids["jane"], {})
    monkeypatch.undo()
    db.session.rollback()
    [task] = fake_sf.records("Task")
    assert "CallObject" not in task and task["Status"] == "Done"
    assert KEY_LINE_PREFIX in task["Description"]

    clock.shift(writer.CLAIM_LEASE + timedelta(seconds=1))
    assert tasks.sweep()["activities"] == 1

    [again] = fake_sf.records("Task")  # found through its Description, not created twice
    db.session.expire_all()
    activity = db.session.scalars(select(CrmActivity)).one()
    assert (activity.crm_log_id, activity.state) == (again["Id"], "written")
    assert again["Description"].count(KEY_LINE_PREFIX) == 1
