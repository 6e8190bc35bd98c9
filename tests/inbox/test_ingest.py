"""Ingestion: one idempotent path from platform records to messages (no HTTP here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.mailbox import ALICE_NUMBER, JANE, ingest_and_commit, row_counts
from tests.records import T0, minutes, sms
from widget.extensions import db
from widget.inbox.ingest import ingest_record
from widget.inbox.service import thread_messages
from widget.models import (
    Availability,
    Channel,
    Conversation,
    ConversationKind,
    Message,
    MessageStatus,
    ReadStatus,
)
from widget.platforms.records import RecordError

CONFORMANCE = Path("/work/shared/conformance/ringcentral")
if not CONFORMANCE.is_dir():  # the checkout's sibling, wherever it lives
    CONFORMANCE = Path(__file__).resolve().parents[3] / "shared/conformance/ringcentral"


def test_the_same_record_twice_is_one_message(mailbox):
    record = sms("9001", other=JANE, own=ALICE_NUMBER, text="Is it shipping today?")

    first = ingest_and_commit(mailbox.alice, record)
    second = ingest_and_commit(mailbox.alice, dict(record))

    assert (first.created, first.changed) == (True, True)
    assert (second.created, second.changed) == (False, False)
    assert second.message.id == first.message.id
    assert row_counts()[:2] == (1, 1)
    conversation = db.session.get(Conversation, first.message.conversation_id)
    assert (conversation.unread_count, conversation.message_count) == (1, 1)
    assert conversation.participants == f",{JANE},"
    assert conversation.preview == "Is it shipping today?"


def test_an_older_version_arriving_late_does_not_overwrite_a_newer_one(mailbox):
    newer = sms("9002", other=JANE, own=ALICE_NUMBER, modified=T0 + minutes(5), read="Read")
    older = sms("9002", other=JANE, own=ALICE_NUMBER, modified=T0 + minutes(1), read="Unread")

    ingest_and_commit(mailbox.alice, newer)
    late = ingest_and_commit(mailbox.alice, older)

    assert late.changed is False
    message = db.session.scalars(select(Message)).one()
    assert message.read_status == ReadStatus.READ
    assert message.last_modified_at == T0 + minutes(5)
    assert message.conversation.unread_count == 0


def test_a_newer_version_updates_status_read_state_and_unread_count(mailbox):
    ingest_and_commit(mailbox.alice, sms("9003", other=JANE, own=ALICE_NUMBER, read="Unread"))
    ingest_and_commit(
        mailbox.alice,
        sms(
            "9004",
            other=JANE,
            own=ALICE_NUMBER,
            direction="Outbound",
            status="Queued",
            read="Read",
            created=T0 + minutes(1),
        ),
    )
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.unread_count == 1

    read = ingest_and_commit(
        mailbox.alice,
        sms("9003", other=JANE, own=ALICE_NUMBER, read="Read", modified=T0 + minutes(3)),
    )
    delivered = ingest_and_commit(
        mailbox.alice,
        sms(
            "9004",
            other=JANE,
            own=ALICE_NUMBER,
            direction="Outbound",
            status="Delivered",
            read="Read",
            created=T0 + minutes(1),
            modified=T0 + minutes(2),
        ),
    )

    assert read.changed and delivered.changed
    assert read.message.read_status == ReadStatus.READ
    assert delivered.message.message_status == MessageStatus.DELIVERED
    db.session.refresh(conversation)
    assert (conversation.unread_count, conversation.message_count) == (0, 2)
    assert row_counts()[0] == 2


def test_deleting_the_only_message_hides_the_conversation(mailbox):
    ingest_and_commit(mailbox.alice, sms("9005", other=JANE, own=ALICE_NUMBER))
    deleted = sms("9005", other=JANE, own=ALICE_NUMBER, modified=T0 + minutes(1))
    deleted["availability"] = "Deleted"

    result = ingest_and_commit(mailbox.alice, deleted)

    assert result.message.availability == Availability.DELETED
    assert result.message.deleted_at == T0 + minutes(1)
    conversation = result.message.conversation
    assert conversation.availability == Availability.DELETED
    assert conversation.unread_count == 0


def test_out_of_order_messages_order_the_conversation_by_creation_time(mailbox):
    later = sms("9011", other=JANE, own=ALICE_NUMBER, text="second", created=T0 + minutes(10))
    earlier = sms("9010", other=JANE, own=ALICE_NUMBER, text="first", created=T0)

    ingest_and_commit(mailbox.alice, later)
    ingest_and_commit(mailbox.alice, earlier)

    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.last_message_at == T0 + minutes(10)
    assert conversation.preview == "second"
    messages, _ = thread_messages(conversation)
    assert [m.subject for m in messages] == ["first", "second"]


def test_each_party_set_and_channel_is_its_own_conversation(mailbox):
    ingest_and_commit(mailbox.alice, sms("9020", other=JANE, own=ALICE_NUMBER))
    group = ingest_and_commit(
        mailbox.alice,
        sms("9021", other=JANE, own=ALICE_NUMBER, extra_recipients=("+12125550187",)),
    )
    pager = {
        **sms("9022", other="102", own="101"),
        "type": "Pager",
        "from": {"extensionNumber": "102"},
        "to": [{"extensionNumber": "101"}],
    }
    pager_result = ingest_and_commit(mailbox.alice, pager)

    kinds = {c.participants: c.kind for c in db.session.scalars(select(Conversation))}
    assert kinds == {
        f",{JANE},": ConversationKind.DIRECT,
        f",+12125550187,{JANE},": ConversationKind.GROUP,
        ",102,": ConversationKind.PAGER,
    }
    assert group.message.conversation.channel == Channel.TEXT
    assert pager_result.message.conversation.channel == Channel.PAGER


def test_media_bytes_in_hand_are_stored_with_the_attachment(mailbox):
    record = sms("9030", other=JANE, own=ALICE_NUMBER, text="")
    record["attachments"].append(
        {
            "id": "90301",
            "uri": "sandbox://media/x",
            "type": "MmsAttachment",
            "contentType": "image/png",
            "fileName": "p.png",
        }
    )
    data = b"\x89PNG\r\n\x1a\nnot-really"

    result = ingest_and_commit(mailbox.alice, record, {"sandbox://media/x": data})

    (part,) = result.message.attachments
    assert (part.kind, part.content_type, part.size) == ("MmsAttachment", "image/png", len(data))
    from widget import media

    assert media.read_bytes(part.storage_path) == data
    assert result.message.conversation.preview == "Picture message"


# ------------------------------------------------------------------------------ refusals


def test_a_record_for_another_extensions_message_is_refused(mailbox):
    ingest_and_commit(mailbox.alice, sms("9040", other=JANE, own=ALICE_NUMBER, text="for Alice"))
    hijack = sms("9040", other=JANE, own="+16505550102", text="now Bob's", modified=T0 + minutes(9))

    with pytest.raises(RecordError, match="another extension"):
        ingest_record(mailbox.bob, hijack, "ringcentral")
    db.session.rollback()

    message = db.session.scalars(select(Message)).one()
    assert (message.extension_id, message.subject) == (mailbox.alice.id, "for Alice")
    assert row_counts()[:2] == (1, 1)


def _broken(field: str, value) -> dict:
    record = sms("9050", other=JANE, own=ALICE_NUMBER)
    if value is _MISSING:
        del record[field]
    else:
        record[field] = value
    return record


_MISSING = object()


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("type", "Telegram", "type"),
        ("type", _MISSING, "type"),
        ("id", _MISSING, "id"),
        ("id", "", "id"),
        ("creationTime", "yesterday", "creationTime"),
        ("creationTime", "2025-06-02T15:00:00", "creationTime"),  # no zone
        ("creationTime", 1717340400, "creationTime"),
        ("lastModifiedTime", "2025-13-02T15:00:00Z", "lastModifiedTime"),
        ("direction", "Sideways", "direction"),
        ("readStatus", "Skimmed", "readStatus"),
        ("messageStatus", "Lost", "messageStatus"),
        ("to", "+14155550123", "to"),
        ("from", "+14155550123", "from"),
    ],
)
def test_bad_records_name_the_field_and_write_nothing(mailbox, field, value, named):
    with pytest.raises(RecordError) as caught:
        ingest_record(mailbox.alice, _broken(field, value), "ringcentral")
    db.session.rollback()

    assert named in str(caught.value)
    assert row_counts() == (0, 0, 0)


def test_a_record_with_no_other_party_is_refused(mailbox):
    own_only = sms("9060", other=ALICE_NUMBER, own=ALICE_NUMBER)

    with pytest.raises(RecordError, match="no party other than"):
        ingest_record(mailbox.alice, own_only, "ringcentral")
    db.session.rollback()
    assert row_counts() == (0, 0, 0)


def test_a_record_that_is_not_an_object_is_refused(mailbox):
    for bad in (None, [], "9001", 42):
        with pytest.raises(RecordError, match="JSON object"):
            ingest_record(mailbox.alice, bad, "ringcentral")
    assert row_counts() == (0, 0, 0)
