"""Queues mapped to RingCentral message threads, over real HTTP against the fake.

With the MessageThreads feature, a case's claim assigns the thread to the claimer, a
transfer assigns it to the new holder (its note becomes a thread note), notes become
thread notes and Resolve resolves the thread; every call reaches RingCentral after the
change was committed. Without the feature nothing is sent: the queue stays Sidetalk's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from tests.platforms.ringcentral.helpers import signed_in
from tests.queues.support import case_of
from widget.extensions import db
from widget.inbox.events import handle_instant_event
from widget.models import Extension, MessageType, PhoneNumber, QueueThreadLink
from widget.models.types import utcnow
from widget.platforms.ringcentral import tasks, threads
from widget.platforms.sandbox.delivery import build_record, instant_event
from widget.queues import cases, manage

QUEUE_NUMBER = "+16505550150"
CUSTOMER = "+14155550123"
COLLEAGUE_ID = "62989330017"


@pytest.fixture
def queue_world(rc_server):
    """Dan (signed in over OAuth) and a colleague in the "Billing" queue; RingCentral has
    the call queue's open thread with the customer."""
    signed_in(rc_server)
    fake = rc_server.fake
    threads._feature_cache.clear()
    with rc_server.app.app_context():
        dan = db.session.scalars(select(Extension)).one()
        colleague = Extension(
            account_id=dan.account_id,
            platform_extension_id=COLLEAGUE_ID,
            extension_number="102",
            name="Priya Nair",
        )
        db.session.add(colleague)
        db.session.flush()
        queue = manage.create_queue(dan.account, "Billing", [QUEUE_NUMBER])
        manage.add_member(queue, dan)
        manage.add_member(queue, colleague)
        db.session.commit()
        ids = {"dan": dan.id, "colleague": colleague.id, "queue_mailbox": queue.extension_id}
    fake.threads.queues["62498880016"] = "Billing"
    fake.threads.users = {fake.extension_id: "Dan Vogel", COLLEAGUE_ID: "Priya Nair"}
    thread_id = fake.threads.open_thread("62498880016", QUEUE_NUMBER, CUSTOMER)
    return rc_server, ids, thread_id


def text_in(body: str, to: str, sender: str):
    """The customer's text, ingested into the queue's mailbox (as a webhook would)."""
    mailbox = db.session.scalars(
        select(Extension).join(Extension.phone_numbers).where(PhoneNumber.e164 == to)
    ).one()
    own = {"phoneNumber": to, "name": mailbox.name}
    record, content = build_record(
        mailbox,
        MessageType.SMS,
        "Inbound",
        {"phoneNumber": sender},
        [own],
        body,
        utcnow(),
        [],
        None,
    )
    return handle_instant_event("ringcentral", instant_event(mailbox, record), content).message


def _thread_calls(fake) -> list[tuple[str, str]]:
    return [(m, p) for m, p in fake.calls if "/message-threads" in p]


def test_claim_note_transfer_and_resolve_reach_the_thread_after_commit(queue_world, tmp_path):
    served, ids, thread_id = queue_world
    fake = served.fake
    seen: list[tuple[str, object, object]] = []
    # A separate connection: what it reads was committed before the call arrived.
    outside = create_engine(f"sqlite:///{tmp_path / 'test.db'}")

    def observe(action, body):
        with outside.connect() as connection:
            row = connection.execute(
                text("SELECT claimed_by_id, resolved_at FROM queue_conversations ORDER BY id DESC")
            ).first()
            notes = connection.execute(
                text("SELECT count(*) FROM queue_events WHERE kind = 'note'")
            ).scalar()
        seen.append((action, row, notes))

    fake.threads.observe = observe
    with served.app.app_context():
        dan = db.session.get(Extension, ids["dan"])
        colleague = db.session.get(Extension, ids["colleague"])
        case = case_of(text_in("Where is my refund?", to=QUEUE_NUMBER, sender=CUSTOMER))
        assert _thread_calls(fake) == []  # arrival: RingCentral opened the thread itself

        cases.claim(dan, case.id)
        thread = fake.threads.threads[thread_id]
        assert thread["assignee"] == {
            "extensionId": fake.extension_id,
            "name": "Dan Vogel",
            "extensionType": "User",
        }
        assert seen[-1][0] == "assign" and seen[-1][1][0] == ids["dan"]  # committed first

        cases.add_note(dan, case.id, "Refund <b>approved</b> by billing")
        assert [n["text"] for n in fake.threads.notes] == ["Refund <b>approved</b> by billing"]
        assert seen[-1][0] == "note" and seen[-1][2] == 1

        cases.transfer(dan, case.id, to_member_id=colleague.id, note="Customer prefers email")
        assert thread["assignee"]["extensionId"] == COLLEAGUE_ID
        assert fake.threads.notes[-1]["text"] == "Customer prefers email"

        cases.resolve(colleague, case.id, "Resolved")
        assert (thread["status"], thread["statusReason"]) == ("Resolved", "Manual")
        assert "assignee" not in thread
        assert seen[-1][0] == "resolve" and seen[-1][1][1] is not None

        link = db.session.scalars(select(QueueThreadLink)).one()
        assert link.thread_id == thread_id and link.last_error is None
        # Everything was told once: the sweeper finds nothing behind.
        assert threads.behind(utcnow() + timedelta(hours=2)) == []
    outside.dispose()
    # The shapes are RingCentral's (thread-list-records.json).
    assert set(thread) >= {"id", "status", "availability", "owner", "ownerParty", "guestParty"}


def test_a_failed_call_is_caught_up_by_the_sweeper(queue_world):
    served, ids, thread_id = queue_world
    fake = served.fake
    with served.app.app_context():
        dan = db.session.get(Extension, ids["dan"])
        case = case_of(text_in("Hello?", to=QUEUE_NUMBER, sender=CUSTOMER))
        fake.fail_next("POST /restapi/v1.0/account/", 503)
        cases.claim(dan, case.id)  # the claim stands; RingCentral has not heard yet
        assert "assignee" not in fake.threads.threads[thread_id]
        link = db.session.scalars(select(QueueThreadLink)).one()
        assert link.attempts == 1 and link.last_error

        assert threads.behind() == []  # not before its backoff
        for case_id in threads.behind(utcnow() + timedelta(hours=2)):
            db.session.execute(
                QueueThreadLink.__table__.update()
                .where(QueueThreadLink.queue_conversation_id == case_id)
                .values(not_before=None)
            )
            db.session.commit()
            tasks.mirror_case_thread(case_id)
        assert fake.threads.threads[thread_id]["assignee"]["extensionId"] == fake.extension_id


def test_without_the_feature_queues_stay_native(queue_world):
    served, ids, thread_id = queue_world
    fake = served.fake
    fake.threads.enabled = False
    with served.app.app_context():
        dan = db.session.get(Extension, ids["dan"])
        case = case_of(text_in("Hi", to=QUEUE_NUMBER, sender=CUSTOMER))
        cases.claim(dan, case.id)
        cases.resolve(dan, case.id, "Resolved")
        assert case.resolved_at is not None  # Sidetalk's queue works on its own
    assert _thread_calls(fake) == []
    assert fake.call_count("GET", "/features") == 1  # asked once, remembered
    assert fake.threads.threads[thread_id]["status"] == "Open"
