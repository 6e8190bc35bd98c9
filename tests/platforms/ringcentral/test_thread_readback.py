"""Queue threads changed in RingCentral's own app are read back into the cases.

An agent assigns, unassigns or resolves a call queue's thread in RingCentral's app (the
fake's ``change_elsewhere``); the next read (``message-threads/sync``) moves the case
with the events a change in Sidetalk records, marked as read back, never told back to
RingCentral, and a repeated read changes nothing. SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fakes.ringcentral.threads import KEEP
from tests.platforms.ringcentral.conftest import rc_app, rc_settings, serving
from tests.platforms.ringcentral.helpers import signed_in
from tests.platforms.ringcentral.test_queue_threads import (
    COLLEAGUE_ID,
    CUSTOMER,
    QUEUE_NUMBER,
    text_in,
)
from tests.queues.support import case_of
from widget.extensions import db
from widget.models import (
    Extension,
    QueueConversation,
    QueueEvent,
    QueueEventKind,
    QueueThreadLink,
    ResolveReason,
)
from widget.platforms.ringcentral import threads
from widget.platforms.shapes import ThreadState
from widget.queues import cases, manage, remote
from widget.queues import tasks as queue_tasks

QUEUE_EXTENSION = "62498880016"
OUTSIDER_ID = "62989330099"


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path, empty_template, fake_rc):
    """Dan (signed in) and Priya in the "Billing" queue; a customer's text opened a case,
    and RingCentral has the call queue's open thread with that customer."""
    if request.param == "sqlite":
        app = rc_app(tmp_path, empty_template, fake_rc)
    else:
        from tests.conftest import make_app

        app = make_app(request.getfixturevalue("postgres_url"), tmp_path, **rc_settings(fake_rc))
        with app.app_context():
            db.create_all()
    with serving(app, fake_rc) as served:
        signed_in(served)
        threads._feature_cache.clear()
        fake = served.fake
        fake.threads.queues[QUEUE_EXTENSION] = "Billing"
        fake.threads.users = {
            fake.extension_id: "Dan Vogel",
            COLLEAGUE_ID: "Priya Nair",
            OUTSIDER_ID: "Omar Outside",
        }
        thread_id = fake.threads.open_thread(QUEUE_EXTENSION, QUEUE_NUMBER, CUSTOMER)
        with app.app_context():
            dan = db.session.scalars(select(Extension)).one()
            priya = Extension(
                account_id=dan.account_id,
                platform_extension_id=COLLEAGUE_ID,
                extension_number="102",
                name="Priya Nair",
            )
            db.session.add(priya)
            db.session.flush()
            queue = manage.create_queue(dan.account, "Billing", [QUEUE_NUMBER])
            manage.add_member(queue, dan)
            manage.add_member(queue, priya)
            db.session.commit()
            case = case_of(text_in("Where is my refund?", to=QUEUE_NUMBER, sender=CUSTOMER))
            ids = {"dan": dan.id, "priya": priya.id, "case": case.id}
        yield served, ids, thread_id


def _read(served) -> int:
    with served.app.app_context():
        return served.app.extensions["sidetalk.platform"].read_back_threads(
            remote.apply_thread_states
        )


def _case(served, case_id: int) -> tuple[QueueConversation, list[QueueEvent]]:
    with served.app.app_context():
        case = db.session.get(QueueConversation, case_id)
        events = list(
            db.session.scalars(
                select(QueueEvent)
                .where(QueueEvent.queue_conversation_id == case_id)
                .order_by(QueueEvent.id)
            )
        )
        db.session.expunge_all()
    return case, events


def _thread_writes(fake) -> list[tuple[str, str]]:
    return [(m, p) for m, p in fake.calls if m == "POST" and "/message-threads" in p]


def test_an_assignment_in_ringcentral_claims_the_case_once_and_is_not_told_back(world):
    served, ids, thread_id = world
    fake = served.fake
    fake.threads.change_elsewhere(thread_id, assignee=COLLEAGUE_ID)

    assert _read(served) == 1  # the first read: FSync, the open threads

    case, events = _case(served, ids["case"])
    assert case.claimed_by_id == ids["priya"]
    claimed = events[-1]
    assert (claimed.kind, claimed.actor_id, claimed.from_platform) == (
        QueueEventKind.CLAIMED,
        ids["priya"],
        True,
    )
    with served.app.app_context():
        link = db.session.scalars(select(QueueThreadLink)).one()
        assert link.thread_id == thread_id
        assert link.mirrored_event_id == claimed.id  # nothing left to tell RingCentral
        assert threads.behind() == []
    assert _thread_writes(fake) == []  # no echo

    # Read again (ISync: nothing changed), and hand the same state once more.
    assert _read(served) == 0
    with served.app.app_context():
        state = ThreadState(ids["case"], thread_id, ids["priya"], elsewhere="RingCentral")
        assert remote.apply_thread_state(state) == []
    assert len(_case(served, ids["case"])[1]) == len(events)
    assert fake.call_count("GET", "/message-threads/sync") == 2


def test_a_reassign_an_unassign_and_a_resolve_in_ringcentral_follow_in_order(world):
    served, ids, thread_id = world
    fake = served.fake
    with served.app.app_context():
        cases.claim(db.session.get(Extension, ids["dan"]), ids["case"])  # told to RingCentral
    assert fake.threads.threads[thread_id]["assignee"]["extensionId"] == fake.extension_id
    _read(served)  # the first read links nothing new: the claim is RingCentral's state too
    writes = len(_thread_writes(fake))

    fake.threads.change_elsewhere(thread_id, assignee=COLLEAGUE_ID)
    assert _read(served) == 1
    case, events = _case(served, ids["case"])
    assert case.claimed_by_id == ids["priya"]
    assert events[-1].kind == QueueEventKind.TRANSFERRED
    assert events[-1].target_extension_id == ids["priya"]
    assert events[-1].actor_name == "Someone in RingCentral"

    fake.threads.change_elsewhere(thread_id, assignee=None)
    _read(served)
    case, events = _case(served, ids["case"])
    assert case.claimed_by_id is None
    assert (events[-1].kind, events[-1].text) == (
        QueueEventKind.RELEASED,
        "unassigned in RingCentral",
    )

    fake.threads.change_elsewhere(thread_id, resolve="Manual")
    _read(served)
    case, events = _case(served, ids["case"])
    assert case.resolved_at is not None and case.resolve_reason == ResolveReason.RESOLVED
    assert events[-1].kind == QueueEventKind.RESOLVED
    assert [e.from_platform for e in events[-3:]] == [True, True, True]
    assert len(_thread_writes(fake)) == writes  # none of it went back

    # A resolved case stays resolved, whatever RingCentral says later.
    fake.threads.change_elsewhere(thread_id, assignee=COLLEAGUE_ID)
    _read(served)
    assert _case(served, ids["case"])[0].resolved_at is not None


def test_a_thread_ringcentral_expired_resolves_the_case_as_timed_out(world):
    served, ids, thread_id = world
    assert _read(served) == 1  # FSync: the open thread, as Sidetalk has it already
    assert _case(served, ids["case"])[0].resolved_at is None
    served.fake.threads.change_elsewhere(thread_id, assignee=KEEP, resolve="ThreadExpired")
    # Read through the periodic task: ISync from the first read's token.
    with served.app.app_context():
        assert queue_tasks.read_back_threads.call_local() == 1
    case = _case(served, ids["case"])[0]
    assert case.resolved_at is not None and case.resolve_reason == ResolveReason.TIMED_OUT


def test_an_assignee_outside_the_queue_or_unknown_changes_nothing(world):
    served, ids, thread_id = world
    with served.app.app_context():
        dan = db.session.get(Extension, ids["dan"])
        outsider = Extension(
            account_id=dan.account_id,
            platform_extension_id=OUTSIDER_ID,
            extension_number="199",
            name="Omar Outside",
        )
        db.session.add(outsider)
        db.session.commit()
    served.fake.threads.change_elsewhere(thread_id, assignee=OUTSIDER_ID)
    _read(served)
    served.fake.threads.users["62989330123"] = "Nobody Here"
    served.fake.threads.change_elsewhere(thread_id, assignee="62989330123")
    _read(served)
    case, events = _case(served, ids["case"])
    assert case.claimed_by_id is None
    assert [e.kind for e in events] == [QueueEventKind.ARRIVED]


def test_a_token_ringcentral_no_longer_knows_reads_the_open_threads_again(world):
    served, ids, thread_id = world
    fake = served.fake
    _read(served)
    fake.threads.token_generation += 1
    fake.threads.change_elsewhere(thread_id, assignee=COLLEAGUE_ID)
    assert _read(served) == 1
    assert _case(served, ids["case"])[0].claimed_by_id == ids["priya"]
