"""Ingestion of the real RingCentral payloads in shared/conformance/ringcentral/."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.mailbox import ingest_and_commit, row_counts
from widget.extensions import db
from widget.inbox.events import handle_instant_event
from widget.inbox.ingest import messages_changed
from widget.models import (
    Account,
    Channel,
    ConversationKind,
    Extension,
    Message,
    MessageStatus,
    PhoneNumber,
    ReadStatus,
)
from widget.platforms.records import RecordError

CONFORMANCE = Path("/work/shared/conformance/ringcentral")
if not CONFORMANCE.is_dir():  # the checkout's sibling, wherever it lives
    CONFORMANCE = Path(__file__).resolve().parents[3] / "shared/conformance/ringcentral"


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

    result = ingest_and_commit(extension, _conformance("message-sms-inbound.json"))

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
    assert row_counts() == (0, 0, 0)


def test_real_voicemail_record(db):
    extension = _rc_extension("4xxx8", "+16505550199")

    message = ingest_and_commit(extension, _conformance("message-voicemail.json")).message

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

    message = ingest_and_commit(extension, _conformance("message-pager-outbound.json")).message

    assert message.type.value == "Pager"
    assert message.direction.value == "Outbound"
    assert message.message_status == MessageStatus.SENT
    assert message.subject == "Hello!"
    conversation = message.conversation
    assert (conversation.channel, conversation.kind) == (Channel.PAGER, ConversationKind.PAGER)
    assert conversation.participants == ",102,103,"
    assert conversation.unread_count == 0  # outbound messages are never "unread" for us
