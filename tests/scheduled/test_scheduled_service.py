"""Scheduled send, without HTTP: times in the user's zone, edit and cancel until it goes,
exactly one send however many workers race, opt-out checked at send time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.compose.conftest import conversation_with, extension, messages_of
from tests.scheduled.conftest import tomorrow_at
from widget.compose import optout
from widget.errors import Conflict, Invalid, NotFound
from widget.extensions import db
from widget.models import Direction, MessageStatus, ScheduledMessage, ScheduleState
from widget.scheduled import service
from widget.scheduled.service import LaterDraft, claim_due, parse_send_at, send_claimed
from widget.scheduled.tasks import send_due_now

JANE = "+14155550123"
ALICE_SMS = "+16505550101"
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def alice(demo_ctx):
    from tests.realtime.conftest import deliver

    deliver(JANE, ALICE_SMS, "Hi Alice, any news?")  # Alice's thread with Jane
    return extension("101")


def later(text="See you tomorrow", at="2026-12-04T09:30", sender=""):
    return LaterDraft(text=text, send_at=at, sender=sender)


def test_the_time_is_read_in_the_users_time_zone():
    assert parse_send_at("2026-12-04T09:30", "America/New_York", NOW) == datetime(
        2026, 12, 4, 14, 30, tzinfo=UTC
    )
    assert parse_send_at("2026-12-04T09:30", "Europe/Paris", NOW) == datetime(
        2026, 12, 4, 8, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "Choose the date and time"),
        ("tomorrow", "is not a date and time"),
        ("2026-12-03T09:59", "at least a minute from now"),  # 14:59 UTC: already past
        ("2028-01-01T09:00", "within a year"),
        ("2027-03-14T02:30", "does not exist on the clock"),  # New York springs forward
    ],
)
def test_bad_times_are_refused_clearly(value, says):
    with pytest.raises(Invalid) as refused:
        parse_send_at(value, "America/New_York", NOW)
    assert says in refused.value.message
    assert refused.value.field == "send_at"


def _scheduled_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ScheduledMessage))


@pytest.mark.parametrize(
    ("text", "says"), [("   ", "Write a message"), ("x" * 1001, "limit is 1000")]
)
def test_bad_text_changes_nothing(alice, text, says):
    conversation = conversation_with("101", JANE)
    with pytest.raises(Invalid) as refused:
        service.schedule_reply(alice, conversation, later(text=text), now=NOW)
    assert says in refused.value.message
    assert _scheduled_count() == 0


def test_it_waits_then_goes_once_like_any_sent_message(alice):
    conversation = conversation_with("101", JANE)
    row = service.schedule_reply(alice, conversation, later(), now=NOW)
    assert row.state == ScheduleState.SCHEDULED
    assert service.pending_in(alice, conversation) == [row]

    assert claim_due(now=row.send_at - timedelta(seconds=1)) == []
    assert claim_due(now=row.send_at) == [row.id]
    assert claim_due(now=row.send_at) == []  # claimed once
    send_claimed(row.id)
    send_claimed(row.id)  # a second run of the same id sends nothing more

    (sent,) = messages_of("101", subject="See you tomorrow")
    assert sent.direction == Direction.OUTBOUND
    assert sent.conversation_id == conversation.id
    assert sent.message_status == MessageStatus.DELIVERED  # tracked like any send
    db.session.refresh(row)
    assert row.state == ScheduleState.SENT
    assert row.sent_message_ids == [sent.id]
    assert service.pending_in(alice, conversation) == []


def test_workers_racing_send_it_exactly_once(demo_app, alice):
    conversation = conversation_with("101", JANE)
    row = service.schedule_reply(alice, conversation, later(text="Race me"), now=NOW)
    due = row.send_at
    db.session.commit()
    claims: list[list[int]] = []

    def worker():
        with demo_app.app_context():
            claims.append(claim_due(now=due))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(c) for c in claims) == [0, 0, 0, 1]


def test_a_crash_while_sending_is_retried_without_a_second_message(alice):
    conversation = conversation_with("101", JANE)
    row = service.schedule_reply(alice, conversation, later(text="Once only"), now=NOW)
    assert claim_due(now=row.send_at) == [row.id]
    send_claimed(row.id)
    # The worker died after sending, before recording it: the row still says sending.
    row.state = ScheduleState.SENDING
    db.session.commit()
    retried = claim_due(now=row.send_at + service.STUCK_AFTER + timedelta(seconds=1))
    assert retried == [row.id]
    send_claimed(row.id)
    assert len(messages_of("101", subject="Once only")) == 1
    db.session.refresh(row)
    assert row.state == ScheduleState.SENT


def test_edit_and_cancel_until_it_goes(alice):
    conversation = conversation_with("101", JANE)
    row = service.schedule_reply(alice, conversation, later(), now=NOW)
    service.edit(alice, row.id, later(text="Moved to 10", at="2026-12-04T10:00"), now=NOW)
    assert row.text == "Moved to 10"
    assert row.send_at == datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # Alice is in New York
    service.cancel(alice, row.id)
    assert row.state == ScheduleState.CANCELLED
    assert claim_due(now=row.send_at) == []
    with pytest.raises(Conflict, match="already cancelled"):
        service.edit(alice, row.id, later(), now=NOW)

    second = service.schedule_reply(alice, conversation, later(text="Too late"), now=NOW)
    claim_due(now=second.send_at)
    with pytest.raises(Conflict, match="already being sent"):
        service.cancel(alice, second.id)


def test_another_extensions_scheduled_message_is_not_found(alice):
    conversation = conversation_with("101", JANE)
    row = service.schedule_reply(alice, conversation, later(), now=NOW)
    bob = extension("102")
    with pytest.raises(NotFound):
        service.cancel(bob, row.id)
    with pytest.raises(NotFound):
        service.edit(bob, row.id, later(text="mine now"), now=NOW)
    assert row.state == ScheduleState.SCHEDULED and row.text == "See you tomorrow"


def test_opt_out_is_checked_when_it_goes_not_when_it_was_written(alice):
    conversation = conversation_with("101", JANE)
    row = service.schedule_reply(alice, conversation, later(text="Deal ends Friday"), now=NOW)
    optout.opt_out(alice.account_id, ALICE_SMS, JANE, "STOP")  # Jane replied STOP meanwhile
    db.session.commit()

    claim_due(now=row.send_at)
    send_claimed(row.id)

    assert messages_of("101", subject="Deal ends Friday") == []
    db.session.refresh(row)
    assert row.state == ScheduleState.FAILED
    assert "opted out" in row.result
    assert service.pending_in(alice, conversation) == [row]  # the failure stays in view


def test_compose_schedules_one_per_recipient_and_lists_it_where_it_will_land(alice):
    draft = later(text="Team call at 4", at=tomorrow_at(16))  # the sweep reads the real clock
    rows = service.schedule_compose(alice, [JANE, "102"], draft)
    assert [r.recipients for r in rows] == [[JANE], ["102"]]
    assert rows[0].conversation_id == conversation_with("101", JANE).id
    assert send_due_now() == 0  # not due yet
    assert sorted(claim_due(now=rows[0].send_at)) == sorted(r.id for r in rows)
    for row in rows:
        send_claimed(row.id)
        db.session.refresh(row)
        assert row.state == ScheduleState.SENT, row.result
    assert len(messages_of("101", subject="Team call at 4")) == 2


def test_a_bad_compose_recipient_changes_nothing(alice):
    with pytest.raises(Invalid):
        service.schedule_compose(alice, [JANE, "not a number"], later(), now=NOW)
    assert _scheduled_count() == 0
