"""The periodic timeouts, by travelling in time: ``sweep(now)`` is given a later clock."""

from __future__ import annotations

from datetime import timedelta

from tests.queues.support import case_of, extension, make_queue, text_in
from widget.extensions import db
from widget.models import QueueEventKind, ResolveReason
from widget.models.types import utcnow
from widget.queues import cases, manage, timeouts
from widget.queues.tasks import sweep_queues


def kinds(case) -> list[str]:
    db.session.refresh(case)
    return [e.kind.value for e in case.events]


def test_unclaimed_too_long_notifies_again_then_again_after_another_period(support):
    case = case_of(text_in("Help"))
    start = case.opened_at
    assert timeouts.sweep(start + timedelta(minutes=4)) == 0
    assert timeouts.sweep(start + timedelta(minutes=5, seconds=1)) == 1
    assert kinds(case) == ["arrived", "timed_out"]
    assert case.events[-1].text == "Unclaimed for 5 min"
    # Not again at once: the next nudge is one more period later.
    assert timeouts.sweep(start + timedelta(minutes=6)) == 0
    assert timeouts.sweep(start + timedelta(minutes=10, seconds=2)) == 1
    assert case.is_waiting and case.queue_id == support.id


def test_unclaimed_too_long_moves_to_the_overflow_queue(support):
    overflow = make_queue("Overflow", "+16505550193", members=("104",))
    manage.change_settings(support, overflow_queue=overflow)
    db.session.commit()
    case = case_of(text_in("Help"))
    timeouts.sweep(case.opened_at + timedelta(minutes=6))
    db.session.refresh(case)
    assert case.queue_id == overflow.id and case.is_waiting
    assert kinds(case) == ["arrived", "timed_out", "overflowed"]
    assert case.events[-1].target_name == "Overflow"
    cases.claim(extension("104"), case.id)  # Overflow's member may take it now


def test_claimed_without_a_reply_goes_back_to_the_queue(support):
    case = case_of(text_in("Help"))
    cases.claim(extension("101"), case.id)
    claimed_at = case.claimed_at
    assert timeouts.sweep(claimed_at + timedelta(minutes=29)) == 0
    assert timeouts.sweep(claimed_at + timedelta(minutes=31)) == 1
    db.session.refresh(case)
    assert case.is_waiting
    assert kinds(case) == ["arrived", "claimed", "timed_out"]
    assert case.events[-1].reason == "no_reply"


def test_a_reply_stops_the_no_reply_clock(support):
    case = case_of(text_in("Help"))
    cases.claim(extension("101"), case.id)
    db.session.execute(
        db.update(type(case)).where(type(case).id == case.id).values(reply_due_since=None)
    )  # what an agent's reply does (arrivals.agent_replied)
    db.session.commit()
    assert timeouts.sweep(utcnow() + timedelta(minutes=45)) == 0
    db.session.refresh(case)
    assert case.claimed_by_id == extension("101").id


def test_idle_for_hours_is_resolved_timed_out(support):
    case = case_of(text_in("Help"))
    cases.claim(extension("101"), case.id)
    manage.change_settings(support, no_reply_timeout_minutes=None)
    db.session.commit()
    last = case.last_message_at
    assert timeouts.sweep(last + timedelta(hours=23)) == 0
    assert timeouts.sweep(last + timedelta(hours=24, minutes=1)) == 1
    db.session.refresh(case)
    assert case.resolve_reason == ResolveReason.TIMED_OUT and not case.is_open
    assert case.events[-1].kind == QueueEventKind.RESOLVED
    # The customer writes again: a new case, linked to the timed-out one.
    again = case_of(text_in("Still there?"))
    assert again.previous_id == case.id


def test_timeouts_switched_off_do_nothing(support):
    manage.change_settings(
        support, claim_timeout_minutes=None, no_reply_timeout_minutes=None, idle_resolve_hours=None
    )
    db.session.commit()
    case = case_of(text_in("Help"))
    assert timeouts.sweep(case.opened_at + timedelta(days=30)) == 0
    assert kinds(case) == ["arrived"]


def test_the_periodic_task_runs_the_sweep(support):
    assert sweep_queues.call_local() == 0
