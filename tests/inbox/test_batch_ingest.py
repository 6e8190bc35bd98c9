"""Batch ingestion (``ingest_page`` and the sink's ``records_changed``): idempotent,
newest version wins, summaries exact, a few statements per page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.inbox.summary_check import assert_summaries_exact, counting_statements
from tests.mailbox import ALICE_NUMBER, JANE, MARCO, row_counts
from tests.records import T0, minutes, sms, voicemail
from widget.extensions import db
from widget.inbox.batch import ingest_page
from widget.inbox.events import IngestionSink
from widget.models import Availability, Message, ReadStatus, RealtimeEvent
from widget.platforms.records import RecordError

OTHERS = [f"+1415555{n:04d}" for n in range(1, 9)]


def page(start: int, count: int, **changes) -> list[dict]:
    """``count`` SMS records with ids from ``start``, spread over eight customers."""
    records = []
    for n in range(start, start + count):
        record = sms(
            str(n),
            other=OTHERS[n % len(OTHERS)],
            own=ALICE_NUMBER,
            text=f"message {n}",
            created=T0 + minutes(n),
        )
        record.update(changes)
        records.append(record)
    return records


def ingest(mailbox, records):
    results = ingest_page(mailbox.alice, records, "ringcentral")
    db.session.commit()
    return results


def snapshot():
    return sorted(
        db.session.execute(
            select(
                Message.platform_message_id,
                Message.read_status,
                Message.availability,
                Message.last_modified_at,
            )
        ).all()
    )


def test_a_page_stores_every_record_with_exact_summaries(any_db_mailbox):
    results = ingest(
        any_db_mailbox, page(1, 40) + [voicemail("vm-1", caller=JANE, own=ALICE_NUMBER)]
    )

    assert len(results) == 41 and all(r.created for r in results.values())
    assert row_counts() == (41, 9, 1)
    assert_summaries_exact()


def test_the_same_page_twice_changes_nothing_the_second_time(any_db_mailbox):
    records = page(1, 30)
    ingest(any_db_mailbox, records)
    before = snapshot()

    again = ingest(any_db_mailbox, [dict(r) for r in records])

    assert not any(r.changed for r in again.values())
    assert snapshot() == before
    assert row_counts()[:2] == (30, 8)
    assert_summaries_exact()


def test_out_of_order_pages_leave_the_newest_version(any_db_mailbox):
    newer = page(1, 20, readStatus="Read", lastModifiedTime="2025-06-03T10:00:00.000Z")
    older = page(1, 20, readStatus="Unread")

    ingest(any_db_mailbox, newer)
    late = ingest(any_db_mailbox, older)

    assert not any(r.changed for r in late.values())
    assert {row[1] for row in snapshot()} == {ReadStatus.READ}
    assert_summaries_exact()

    # And in the right order, the newer page updates every message in place.
    ingest(
        any_db_mailbox,
        page(1, 20, readStatus="Unread", lastModifiedTime="2025-06-04T10:00:00.000Z"),
    )
    assert {row[1] for row in snapshot()} == {ReadStatus.UNREAD}
    assert row_counts()[0] == 20
    assert_summaries_exact()


def test_duplicates_inside_a_page_are_one_message_at_the_newest_version(any_db_mailbox):
    first = sms("77", other=JANE, own=ALICE_NUMBER, text="hi")
    deleted = dict(first, availability="Deleted", lastModifiedTime="2025-06-02T16:00:00.000Z")
    read = dict(first, readStatus="Read", lastModifiedTime="2025-06-02T15:30:00.000Z")

    results = ingest(any_db_mailbox, [deleted, first, read, dict(first)])

    assert list(results) == ["77"]
    message = db.session.scalars(select(Message)).one()
    assert message.availability == Availability.DELETED
    assert_summaries_exact()


def test_versions_of_stored_messages_move_the_summaries(any_db_mailbox):
    ingest(any_db_mailbox, page(1, 16))
    changes = page(1, 8, readStatus="Read", lastModifiedTime="2025-06-05T10:00:00.000Z")
    changes += page(9, 4, availability="Deleted", lastModifiedTime="2025-06-05T10:00:00.000Z")
    changes += page(100, 3)  # and new ones in the same page

    ingest(any_db_mailbox, changes)

    assert row_counts()[0] == 19
    assert_summaries_exact()
    # Deleted ones come back alive with a newer version.
    ingest(any_db_mailbox, page(9, 4, lastModifiedTime="2025-06-06T10:00:00.000Z"))
    assert_summaries_exact()


def test_a_bad_record_refuses_the_whole_page(mailbox):
    records = page(1, 5) + [{"id": "x", "type": "Carrier pigeon"}]

    with pytest.raises(RecordError):
        ingest_page(mailbox.alice, records, "ringcentral")
    db.session.rollback()

    assert row_counts() == (0, 0, 0)


def test_a_record_of_another_mailbox_refuses_the_page(mailbox):
    ingest(mailbox, page(1, 2))
    with pytest.raises(RecordError):
        ingest_page(mailbox.bob, page(1, 2), "ringcentral")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Message)) == 2


def test_statements_per_page_do_not_grow_with_the_page(mailbox):
    ingest(mailbox, page(1, 8))  # every conversation exists: pages add to them

    with counting_statements() as small:
        ingest(mailbox, page(1000, 10))
    with counting_statements() as large:
        ingest(mailbox, page(2000, 400))

    assert small["statements"] == large["statements"] <= 5
    assert small["commits"] == large["commits"] == 1


def test_the_sink_takes_a_page_with_one_commit_and_one_push(mailbox):
    sink = IngestionSink()
    records = page(1, 12) + [dict(page(1, 1)[0])]
    with counting_statements() as counts:
        messages = sink.records_changed(mailbox.alice, records)

    assert len(messages) == 13 and messages[0].id == messages[-1].id
    assert counts["commits"] == 1
    assert db.session.scalar(select(func.count()).select_from(RealtimeEvent)) == 1
    frame = db.session.scalars(select(RealtimeEvent)).one().html
    assert frame.count('id="conversation-') >= 8  # every affected conversation's row
    assert_summaries_exact()


def test_personal_contact_conversations_batch_like_any_other(mailbox):
    ingest(mailbox, [sms("m1", other=MARCO, own=ALICE_NUMBER, created=T0 + minutes(1))])
    ingest(mailbox, [sms("m2", other=MARCO, own=ALICE_NUMBER, created=T0 + minutes(2))])
    assert row_counts()[:2] == (2, 1)
    assert_summaries_exact()


def test_tombstones_in_a_page_purge_stored_messages_and_skip_unknown_ones(any_db_mailbox):
    ingest(any_db_mailbox, page(1, 8))
    tombstones = [
        {"id": "3", "availability": "Purged"},
        {"id": "nowhere", "availability": "Purged"},
    ]

    results = ingest(any_db_mailbox, tombstones + page(50, 2))

    assert set(results) == {"3", "50", "51"}  # the unknown id is nothing to change
    purged = db.session.scalars(select(Message).where(Message.platform_message_id == "3")).one()
    assert purged.availability == Availability.PURGED
    assert_summaries_exact()


def test_a_page_keeps_every_value_exactly_whatever_it_holds(any_db_mailbox):
    """A page travels to PostgreSQL as one JSON text: quotes, backslashes, JSON-looking
    text, emoji, int64 ids past 2^53, party lists and millisecond times come back as sent."""
    hostile = 'He said "hi" \\ {"rows": [1]} \';DROP TABLE messages;-- <b>&amp;</b> 😀 \u2028'
    big_id = str(2**63 - 1)
    record = sms(
        big_id,
        other=JANE,
        own=ALICE_NUMBER,
        text=hostile,
        created=T0 + timedelta(milliseconds=123),
        extra_recipients=("+14155550199",),
    )

    ingest(any_db_mailbox, [record, sms(str(2**53 + 1), other=MARCO, own=ALICE_NUMBER)])
    db.session.expire_all()

    stored = db.session.scalars(select(Message).where(Message.platform_message_id == big_id))
    message = stored.one()
    assert message.subject == hostile
    assert message.created_at == T0 + timedelta(milliseconds=123)
    assert [party["address"] for party in message.to_parties] == [
        ALICE_NUMBER,
        "+14155550199",
    ]
    assert message.priority == "Normal"  # the model's default, filled for the INSERT
    ids = set(db.session.scalars(select(Message.platform_message_id)))
    assert ids == {big_id, str(2**53 + 1)}
    assert_summaries_exact()
