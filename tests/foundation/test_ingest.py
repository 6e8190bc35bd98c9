"""Ingestion: one idempotent path from platform records to messages (no HTTP here)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from widget.extensions import db
from widget.inbox import ingest as ingest_module
from widget.inbox.events import handle_instant_event
from widget.inbox.ingest import ingest_record, messages_changed
from widget.inbox.service import thread_messages
from widget.models import (
    Account,
    Attachment,
    Availability,
    Channel,
    Conversation,
    ConversationKind,
    Extension,
    Message,
    MessageStatus,
    PhoneNumber,
    ReadStatus,
)
from widget.platforms.records import RecordError

from .conftest import ALICE_NUMBER, JANE, build_mailbox
from .records import T0, minutes, sms

CONFORMANCE = Path("/work/shared/conformance/ringcentral")
if not CONFORMANCE.is_dir():  # the checkout's sibling, wherever it lives
    CONFORMANCE = Path(__file__).resolve().parents[3] / "shared/conformance/ringcentral"


def _rows() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Message)),
        db.session.scalar(select(func.count()).select_from(Conversation)),
        db.session.scalar(select(func.count()).select_from(Attachment)),
    )


def _ingest(extension, record, content=None):
    result = ingest_record(extension, record, "ringcentral", content)
    db.session.commit()
    return result


def test_the_same_record_twice_is_one_message(mailbox):
    record = sms("9001", other=JANE, own=ALICE_NUMBER, text="Is it shipping today?")

    first = _ingest(mailbox.alice, record)
    second = _ingest(mailbox.alice, dict(record))

    assert (first.created, first.changed) == (True, True)
    assert (second.created, second.changed) == (False, False)
    assert second.message.id == first.message.id
    assert _rows()[:2] == (1, 1)
    conversation = db.session.get(Conversation, first.message.conversation_id)
    assert (conversation.unread_count, conversation.message_count) == (1, 1)
    assert conversation.participants == f",{JANE},"
    assert conversation.preview == "Is it shipping today?"


def test_an_older_version_arriving_late_does_not_overwrite_a_newer_one(mailbox):
    newer = sms("9002", other=JANE, own=ALICE_NUMBER, modified=T0 + minutes(5), read="Read")
    older = sms("9002", other=JANE, own=ALICE_NUMBER, modified=T0 + minutes(1), read="Unread")

    _ingest(mailbox.alice, newer)
    late = _ingest(mailbox.alice, older)

    assert late.changed is False
    message = db.session.scalars(select(Message)).one()
    assert message.read_status == ReadStatus.READ
    assert message.last_modified_at == T0 + minutes(5)
    assert message.conversation.unread_count == 0


def test_a_newer_version_updates_status_read_state_and_unread_count(mailbox):
    _ingest(mailbox.alice, sms("9003", other=JANE, own=ALICE_NUMBER, read="Unread"))
    _ingest(
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

    read = _ingest(
        mailbox.alice,
        sms("9003", other=JANE, own=ALICE_NUMBER, read="Read", modified=T0 + minutes(3)),
    )
    delivered = _ingest(
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
    assert _rows()[0] == 2


def test_deleting_the_only_message_hides_the_conversation(mailbox):
    _ingest(mailbox.alice, sms("9005", other=JANE, own=ALICE_NUMBER))
    deleted = sms("9005", other=JANE, own=ALICE_NUMBER, modified=T0 + minutes(1))
    deleted["availability"] = "Deleted"

    result = _ingest(mailbox.alice, deleted)

    assert result.message.availability == Availability.DELETED
    assert result.message.deleted_at == T0 + minutes(1)
    conversation = result.message.conversation
    assert conversation.availability == Availability.DELETED
    assert conversation.unread_count == 0


def test_out_of_order_messages_order_the_conversation_by_creation_time(mailbox):
    later = sms("9011", other=JANE, own=ALICE_NUMBER, text="second", created=T0 + minutes(10))
    earlier = sms("9010", other=JANE, own=ALICE_NUMBER, text="first", created=T0)

    _ingest(mailbox.alice, later)
    _ingest(mailbox.alice, earlier)

    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.last_message_at == T0 + minutes(10)
    assert conversation.preview == "second"
    messages, _ = thread_messages(conversation)
    assert [m.subject for m in messages] == ["first", "second"]


def test_each_party_set_and_channel_is_its_own_conversation(mailbox):
    _ingest(mailbox.alice, sms("9020", other=JANE, own=ALICE_NUMBER))
    group = _ingest(
        mailbox.alice,
        sms("9021", other=JANE, own=ALICE_NUMBER, extra_recipients=("+12125550187",)),
    )
    pager = {
        **sms("9022", other="102", own="101"),
        "type": "Pager",
        "from": {"extensionNumber": "102"},
        "to": [{"extensionNumber": "101"}],
    }
    pager_result = _ingest(mailbox.alice, pager)

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

    result = _ingest(mailbox.alice, record, {"sandbox://media/x": data})

    (part,) = result.message.attachments
    assert (part.kind, part.content_type, part.size) == ("MmsAttachment", "image/png", len(data))
    from widget import media

    assert media.read_bytes(part.storage_path) == data
    assert result.message.conversation.preview == "Picture message"


# --------------------------------------------------------------- real RingCentral payloads


def _conformance(name: str) -> dict:
    return json.loads((CONFORMANCE / name).read_text())


def _rc_extension(platform_extension_id: str, number: str, extension_number: str = "101"):
    account = db.session.scalar(select(Account)) or Account(
        platform="ringcentral", platform_account_id="rc-acct", name="RC Co"
    )
    extension = Extension(
        account=account,
        platform_extension_id=platform_extension_id,
        extension_number=extension_number,
        name="Dan",
    )
    db.session.add(extension)
    db.session.flush()
    db.session.add(PhoneNumber(account_id=account.id, extension_id=extension.id, e164=number))
    db.session.commit()
    return extension


def test_real_inbound_sms_record(db):
    extension = _rc_extension("178009004", "+13125559821")

    result = _ingest(extension, _conformance("message-sms-inbound.json"))

    message = result.message
    assert message.platform_message_id == "6424569004"
    assert message.platform_conversation_id == "8031152018338945839"
    assert message.from_address == "+16505558379"
    assert message.subject == "Test SMS using a RingCentral Developer account - Hello World"
    assert message.message_status == MessageStatus.RECEIVED
    assert message.read_status == ReadStatus.UNREAD
    assert message.created_at == datetime(2019, 5, 22, 17, 7, 28, tzinfo=UTC)
    assert message.last_modified_at == datetime(2019, 5, 22, 17, 7, 28, 91000, tzinfo=UTC)
    assert message.attachments == []  # the Text part is the subject, not a file
    assert message.conversation.participants == ",+16505558379,"
    assert message.conversation.unread_count == 1


def test_real_instant_sms_notification(db):
    extension = _rc_extension("629893XXXX", "+1657390XXXX")
    event = _conformance("notification-instant-sms-2025.json")
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender.id, kwargs["reason"]))

    messages_changed.connect(receiver)
    try:
        first = handle_instant_event("ringcentral", event)
        again = handle_instant_event("ringcentral", event)
    finally:
        messages_changed.disconnect(receiver)

    assert first.created and not again.changed
    assert seen == [(extension.id, "created")]  # the duplicate announces nothing
    message = db.session.get(Message, first.message.id)
    assert message.extension_id == extension.id
    assert message.subject == "Hi advisor, I'd like to ..."
    assert message.platform_conversation_id == "1638233798595111162"
    assert message.conversation.participants == ",+1650224XXXX,"


def test_real_instant_notification_for_an_unknown_owner_is_refused(db):
    _rc_extension("someone-else", "+1657390XXXX")

    with pytest.raises(RecordError, match="629893XXXX"):
        handle_instant_event("ringcentral", _conformance("notification-instant-sms-2025.json"))
    assert _rows() == (0, 0, 0)


def test_real_voicemail_record(db):
    extension = _rc_extension("4xxx8", "+16505550199")

    message = _ingest(extension, _conformance("message-voicemail.json")).message

    assert message.type.value == "VoiceMail"
    assert message.from_address == "+18445558517"
    (recording,) = message.attachments
    assert recording.kind == "AudioRecording"
    assert recording.content_type == "audio/x-wav"
    assert recording.duration_seconds == 25
    assert recording.storage_path is None  # fetched from the platform on first play
    assert recording.platform_uri.endswith("/content/4xxx8")
    assert message.conversation.channel == Channel.VOICEMAIL
    assert message.conversation.preview == "Voicemail (0:25)"


def test_real_outbound_group_pager_record(db):
    extension = _rc_extension("1346632010", "+16505550100", extension_number="101")

    message = _ingest(extension, _conformance("message-pager-outbound.json")).message

    assert message.type.value == "Pager"
    assert message.direction.value == "Outbound"
    assert message.message_status == MessageStatus.SENT
    assert message.subject == "Hello!"
    conversation = message.conversation
    assert (conversation.channel, conversation.kind) == (Channel.PAGER, ConversationKind.PAGER)
    assert conversation.participants == ",102,103,"
    assert conversation.unread_count == 0  # outbound messages are never "unread" for us


# ------------------------------------------------------------------------------ refusals


def test_a_record_for_another_extensions_message_is_refused(mailbox):
    _ingest(mailbox.alice, sms("9040", other=JANE, own=ALICE_NUMBER, text="for Alice"))
    hijack = sms("9040", other=JANE, own="+16505550102", text="now Bob's", modified=T0 + minutes(9))

    with pytest.raises(RecordError, match="another extension"):
        ingest_record(mailbox.bob, hijack, "ringcentral")
    db.session.rollback()

    message = db.session.scalars(select(Message)).one()
    assert (message.extension_id, message.subject) == (mailbox.alice.id, "for Alice")
    assert _rows()[:2] == (1, 1)


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
    assert _rows() == (0, 0, 0)


def test_a_record_with_no_other_party_is_refused(mailbox):
    own_only = sms("9060", other=ALICE_NUMBER, own=ALICE_NUMBER)

    with pytest.raises(RecordError, match="no party other than"):
        ingest_record(mailbox.alice, own_only, "ringcentral")
    db.session.rollback()
    assert _rows() == (0, 0, 0)


def test_a_record_that_is_not_an_object_is_refused(mailbox):
    for bad in (None, [], "9001", 42):
        with pytest.raises(RecordError, match="JSON object"):
            ingest_record(mailbox.alice, bad, "ringcentral")
    assert _rows() == (0, 0, 0)


# ---------------------------------------------------------------------------- concurrency


def _race(app, extension_id: int, records: list[dict], monkeypatch) -> list[BaseException]:
    """Ingest ``records`` from as many threads, all past the lookup before any insert."""
    barrier = threading.Barrier(len(records), timeout=10)
    local = threading.local()
    original_find = ingest_module._find

    def find_then_wait(platform, platform_message_id):
        found = original_find(platform, platform_message_id)
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()  # everyone has seen "no such message" before anyone inserts
        return found

    monkeypatch.setattr(ingest_module, "_find", find_then_wait)
    errors: list[BaseException] = []

    def worker(record):
        with app.app_context():
            try:
                extension = db.session.get(Extension, extension_id)
                ingest_record(extension, record, "ringcentral")
                db.session.commit()
            except BaseException as exc:  # reported to the test thread
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(r,)) for r in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.postgres
def test_concurrent_delivery_of_one_record_makes_one_message(pg_app, monkeypatch):
    with pg_app.app_context():
        alice_id = build_mailbox().alice.id
        db.session.remove()

    record = sms("9070", other=JANE, own=ALICE_NUMBER)
    errors = _race(pg_app, alice_id, [record, dict(record)], monkeypatch)

    assert errors == []
    with pg_app.app_context():
        assert _rows()[:2] == (1, 1)
        conversation = db.session.scalars(select(Conversation)).one()
        assert (conversation.unread_count, conversation.message_count) == (1, 1)


@pytest.mark.postgres
def test_concurrent_first_messages_share_one_conversation(pg_app, monkeypatch):
    with pg_app.app_context():
        alice_id = build_mailbox().alice.id
        db.session.remove()

    records = [
        sms("9080", other=JANE, own=ALICE_NUMBER, text="one"),
        sms("9081", other=JANE, own=ALICE_NUMBER, text="two", created=T0 + minutes(1)),
    ]
    errors = _race(pg_app, alice_id, records, monkeypatch)

    assert errors == []
    with pg_app.app_context():
        assert _rows()[:2] == (2, 1)
        conversation = db.session.scalars(select(Conversation)).one()
        assert {m.subject for m in conversation.messages} == {"one", "two"}
