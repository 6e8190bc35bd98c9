"""PostgreSQL: the statement that stores a new message reads, along with it, what the
message's receivers need (``widget.inbox.read_along``): the tab counts and contact names
for its push and the owner's auto-log switch. What it read must be what a read afterwards gives."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.inbox.summary_check import assert_summaries_exact
from tests.inbox.test_ingest_cost import inbound_cost, thread_of
from tests.mailbox import ALICE_NUMBER, BOB_NUMBER, JANE, MARCO, build_mailbox
from tests.records import T0, minutes, sms, voicemail
from widget.contacts.service import names_for
from widget.extensions import db
from widget.inbox.ingest import ingest_record
from widget.inbox.presenters import message_addresses
from widget.inbox.service import UNREAD_COUNTS, unread_counts
from widget.models import CrmConnection, Extension, RealtimeEvent
from widget.realtime.frames import NAMES

pytestmark = pytest.mark.postgres

OTHER = "+13125550177"


def deleted(record: dict) -> dict:
    return {**record, "availability": "Deleted"}


def test_the_counts_read_along_are_the_counts_after_each_message(pg_app):
    with pg_app.app_context():
        mailbox = build_mailbox()
        db.session.commit()
        # Bob's unread messages are his: never counted in Alice's tabs.
        ingest_record(mailbox.bob, sms("bob-1", other=JANE, own=BOB_NUMBER), "ringcentral")
        steps = [
            sms("a1", other=JANE, own=ALICE_NUMBER),  # a new conversation, unread
            sms("a2", other=JANE, own=ALICE_NUMBER, created=T0 + minutes(1)),  # one more
            sms("b1", other=MARCO, own=ALICE_NUMBER, read="Read"),  # read: counts unchanged
            sms("b2", other=MARCO, own=ALICE_NUMBER, direction="Outbound"),  # outbound
            voicemail("v1", caller=JANE, own=ALICE_NUMBER),  # another tab
            deleted(sms("d1", other=OTHER, own=ALICE_NUMBER)),  # a conversation with none alive
            sms("d2", other=OTHER, own=ALICE_NUMBER, created=T0 + minutes(2)),  # revives it
        ]
        for record in steps:
            result = ingest_record(mailbox.alice, record, "ringcentral")
            assert result.created
            assert result.read_along[UNREAD_COUNTS] == unread_counts(mailbox.alice), record["id"]
        assert unread_counts(mailbox.alice) == {
            "all": 4,
            "text": 3,
            "voicemail": 1,
            "fax": 0,
            "pager": 0,
        }
        db.session.commit()
        assert_summaries_exact()


def test_a_record_stored_already_reads_nothing_along(pg_app):
    with pg_app.app_context():
        mailbox = build_mailbox()
        record = sms("twice", other=JANE, own=ALICE_NUMBER)
        assert ingest_record(mailbox.alice, record, "ringcentral").read_along
        again = ingest_record(mailbox.alice, record, "ringcentral")
        assert not again.created and again.read_along == {}


def test_the_auto_log_switch_is_read_along(pg_app):
    with pg_app.app_context():
        mailbox = build_mailbox()
        first = ingest_record(mailbox.alice, sms("s1", other=JANE, own=ALICE_NUMBER), "ringcentral")
        assert first.read_along["auto_log"] is False  # no CRM connected
        connection = CrmConnection(extension_id=mailbox.alice.id, connector_id="local")
        connection.auto_log = True
        db.session.add(connection)
        db.session.flush()
        on = ingest_record(mailbox.alice, sms("s2", other=JANE, own=ALICE_NUMBER), "ringcentral")
        assert on.read_along["auto_log"] is True
        connection.auto_log = False
        db.session.flush()
        off = ingest_record(mailbox.alice, sms("s3", other=JANE, own=ALICE_NUMBER), "ringcentral")
        assert off.read_along["auto_log"] is False


def test_the_names_read_along_are_the_names_the_frame_would_look_up(pg_app):
    with pg_app.app_context():
        mailbox = build_mailbox()
        db.session.commit()
        steps = [
            sms("n1", other=JANE, own=ALICE_NUMBER),  # a directory contact
            sms("n2", other=MARCO, own=ALICE_NUMBER, direction="Outbound"),  # a personal one
            sms("n3", other=JANE, own=ALICE_NUMBER, extra_recipients=(MARCO, BOB_NUMBER)),
            sms("n4", other=OTHER, own=ALICE_NUMBER),  # nobody known but Alice's own number
            voicemail("n5", caller=MARCO, own=ALICE_NUMBER),
        ]
        for record in steps:
            result = ingest_record(mailbox.alice, record, "ringcentral")
            message = result.message
            shown = set(message.conversation.addresses) | message_addresses([message])
            assert result.read_along[NAMES] == names_for(mailbox.alice, shown), record["id"]
        # Bob's personal contacts are his: Marco has no name in his mailbox.
        bobs = ingest_record(mailbox.bob, sms("n6", other=MARCO, own=BOB_NUMBER), "ringcentral")
        assert MARCO not in bobs.read_along[NAMES]
        assert bobs.read_along[NAMES][BOB_NUMBER] == "Bob Martinez"


def test_an_inbound_notification_on_postgresql_is_three_statements_with_counts_and_names(
    pg_app,
):
    with pg_app.app_context():
        mailbox = build_mailbox()
        alice_id = mailbox.alice.id
        thread_of(mailbox, JANE, 5, "t-")
        inbound_cost(JANE, "warm-up")
        counted = inbound_cost(JANE, "counted")
        # The extension the notification names; the store, with the reads along; the
        # push's event.
        assert counted["statements"] == 3, "\n".join(s[:120] for s in counted["sql"])
        reads_alone = [
            s
            for s in counted["sql"]
            if s.lstrip().startswith("SELECT")
            and any(
                read in s
                for read in ("crm_connections", "sum(conversations.unread_count)", "contacts")
            )
        ]
        assert not reads_alone
        frame = db.session.scalar(select(RealtimeEvent.html).order_by(RealtimeEvent.id.desc()))
        assert 'id="count-text" class="badge" data-count="2"' in frame
        assert "Jane Roe" in frame
        assert unread_counts(db.session.get(Extension, alice_id))["text"] == 2
