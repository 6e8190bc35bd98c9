"""Unread, delete, restore and purge without HTTP, on the seeded demo."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from widget import media
from widget.access import message_for
from widget.errors import DomainError
from widget.extensions import db
from widget.inbox.ingest import messages_changed
from widget.inbox.service import ListFilter, list_conversations, unread_counts
from widget.lifecycle.service import (
    delete_conversation,
    delete_message,
    deleted_messages,
    mark_conversation_unread,
    purge_due_messages,
    restore_conversation,
    restore_message,
)
from widget.models import (
    Attachment,
    Availability,
    Channel,
    Conversation,
    Direction,
    Extension,
    Message,
    ReadStatus,
)

T0 = datetime(2031, 3, 2, 15, 0, tzinfo=UTC)
SAM = "+12125550187"  # a direct SMS thread with 5 messages in 101's mailbox


@contextmanager
def announcements():
    """Collect every ``messages_changed`` sent inside the block."""
    seen: list[tuple[str, str, list[int]]] = []

    def record(sender, message_ids, reason, **_):
        seen.append((sender.extension_number, reason, list(message_ids)))

    with messages_changed.connected_to(record):
        yield seen


def conversation(extension, channel: Channel, participants: str | None = None) -> Conversation:
    stmt = select(Conversation).where(
        Conversation.extension_id == extension.id, Conversation.channel == channel
    )
    if participants:
        stmt = stmt.where(Conversation.participants == participants)
    return db.session.scalars(stmt.order_by(Conversation.id)).first()


def alive(conv: Conversation) -> list[Message]:
    return [m for m in conv.messages if m.availability == Availability.ALIVE]


def test_mark_unread_marks_the_newest_received_message(ext):
    alice = ext("101")
    conv = conversation(alice, Channel.TEXT, f",{SAM},")
    inbound = [m for m in alive(conv) if m.direction == Direction.INBOUND]
    for message in inbound:
        message.read_status = ReadStatus.READ
    conv.unread_count = 0
    db.session.commit()
    before = unread_counts(alice)["text"]
    with announcements() as seen:
        marked = mark_conversation_unread(alice, conv)
    assert marked.id == max(inbound, key=lambda m: (m.created_at, m.id)).id
    assert marked.read_status == ReadStatus.UNREAD
    assert conv.unread_count == 1
    assert unread_counts(alice)["text"] == before + 1
    assert seen == [("101", "unread", [marked.id])]


def test_mark_unread_without_a_received_message_is_refused(ext):
    alice = ext("101")
    conv = conversation(alice, Channel.TEXT, f",{SAM},")
    for message in conv.messages:
        message.direction = Direction.OUTBOUND
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        mark_conversation_unread(alice, conv)
    assert caught.value.status == 409


def test_delete_a_message_updates_the_conversation_summary(ext):
    alice = ext("101")
    conv = conversation(alice, Channel.TEXT, f",{SAM},")
    newest = alive(conv)[-1]
    count = conv.message_count
    with time_machine.travel(T0, tick=False), announcements() as seen:
        delete_message(alice, newest)
    assert newest.availability == Availability.DELETED
    assert newest.deleted_at == T0
    assert conv.message_count == count - 1
    assert conv.availability == Availability.ALIVE
    assert conv.last_message_at == alive(conv)[-1].created_at
    assert seen == [("101", "deleted", [newest.id])]
    with pytest.raises(DomainError) as caught:
        delete_message(alice, newest)
    assert caught.value.status == 409


def test_delete_a_conversation_hides_it_and_lists_it_under_deleted(ext):
    alice = ext("101")
    # The voicemail conversation holding the unread voicemail (the demo has one).
    conv = next(
        c
        for c in db.session.scalars(
            select(Conversation).where(
                Conversation.extension_id == alice.id, Conversation.channel == Channel.VOICEMAIL
            )
        )
        if c.unread_count
    )
    ids = {m.id for m in alive(conv)}
    with announcements() as seen:
        deleted = delete_conversation(alice, conv)
    assert {m.id for m in deleted} == ids
    assert conv.availability == Availability.DELETED
    assert conv.unread_count == 0
    assert seen == [("101", "deleted", [m.id for m in deleted])]
    listed = list_conversations(alice, ListFilter(), limit=500).rows
    assert conv not in listed
    in_deleted = list_conversations(alice, ListFilter(deleted=True), limit=500).rows
    assert in_deleted == [conv]
    assert unread_counts(alice)["voicemail"] == 0
    with pytest.raises(DomainError) as caught:
        delete_conversation(alice, conv)
    assert caught.value.status == 409


def test_deleted_view_pages_with_the_same_keyset_cursor(ext):
    alice = ext("101")
    convs = list(
        db.session.scalars(select(Conversation).where(Conversation.extension_id == alice.id))
    )
    for conv in convs[:5]:
        delete_conversation(alice, conv)
    first = list_conversations(alice, ListFilter(deleted=True), limit=3)
    second = list_conversations(alice, ListFilter(deleted=True), first.next_cursor, limit=3)
    assert len(first.rows) == 3 and len(second.rows) == 2 and second.next_cursor is None
    assert {c.id for c in first.rows + second.rows} == {c.id for c in convs[:5]}
    voicemail_only = list_conversations(alice, ListFilter(tab="voicemail", deleted=True))
    assert all(c.channel == Channel.VOICEMAIL for c in voicemail_only.rows)


def test_a_partly_deleted_conversation_is_in_both_views(ext):
    alice = ext("101")
    conv = conversation(alice, Channel.TEXT, f",{SAM},")
    delete_message(alice, alive(conv)[0])
    assert conv in list_conversations(alice, ListFilter(), limit=500).rows
    assert list_conversations(alice, ListFilter(deleted=True)).rows == [conv]


def test_restore_a_message_brings_it_back(ext):
    alice = ext("101")
    conv = conversation(alice, Channel.FAX)
    message = alive(conv)[0]
    delete_conversation(alice, conv)
    with announcements() as seen:
        restore_message(alice, message)
    assert message.availability == Availability.ALIVE
    assert message.deleted_at is None
    assert conv.availability == Availability.ALIVE
    assert seen == [("101", "restored", [message.id])]
    with pytest.raises(DomainError) as caught:
        restore_message(alice, message)
    assert caught.value.status == 409


def test_restore_a_conversation_restores_its_recent_deletions_only(ext):
    alice = ext("101")
    conv = conversation(alice, Channel.TEXT, f",{SAM},")
    messages = alive(conv)
    with time_machine.travel(T0, tick=False):
        delete_message(alice, messages[0])
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        delete_conversation(alice, conv)
    with time_machine.travel(T0 + timedelta(days=5, hours=1), tick=False):
        assert [m.id for m in deleted_messages(alice, conv)] == [m.id for m in messages[1:]][::-1]
        restored = restore_conversation(alice, conv)
    assert {m.id for m in restored} == {m.id for m in messages[1:]}
    assert messages[0].availability == Availability.DELETED  # past its window
    assert conv.availability == Availability.ALIVE
    with time_machine.travel(T0 + timedelta(days=5, hours=1), tick=False):
        with pytest.raises(DomainError) as caught:
            restore_message(alice, messages[0])
        assert caught.value.status == 410
        assert "more than 5 days ago" in caught.value.message
        with pytest.raises(DomainError) as caught:
            restore_conversation(alice, conv)
        assert caught.value.status == 410


def test_restore_of_a_purged_message_is_gone(ext):
    alice = ext("101")
    message = alive(conversation(alice, Channel.FAX))[0]
    with time_machine.travel(T0, tick=False):
        delete_message(alice, message)
    with time_machine.travel(T0 + timedelta(days=6), tick=False):
        assert purge_due_messages() >= 1
        with pytest.raises(DomainError) as caught:
            restore_message(alice, message)
    assert caught.value.status == 410
    assert "purged" in caught.value.message


def stored_paths(message: Message) -> list[str]:
    return [a.storage_path for a in message.attachments if a.storage_path]


def test_purge_timing_keeps_what_is_still_in_its_window(ext):
    alice = ext("101")
    voicemail = alive(conversation(alice, Channel.VOICEMAIL))[0]
    fax = alive(conversation(alice, Channel.FAX))[0]
    text = alive(conversation(alice, Channel.TEXT, f",{SAM},"))[0]
    fax_files = stored_paths(fax)  # each fax names its recipient: a file of its own
    assert fax_files and voicemail.transcription
    with time_machine.travel(T0, tick=False):
        delete_message(alice, voicemail)
        delete_message(alice, fax)
    with time_machine.travel(T0 + timedelta(hours=12), tick=False):
        delete_message(alice, text)
    with time_machine.travel(T0 + timedelta(days=4, hours=23), tick=False):
        assert purge_due_messages() == 0
    assert voicemail.availability == fax.availability == Availability.DELETED
    assert all(media.path_of(p).exists() for p in fax_files)
    with time_machine.travel(T0 + timedelta(days=5, hours=1), tick=False), announcements() as seen:
        assert purge_due_messages() == 2
    db.session.expire_all()
    for purged in (voicemail, fax):
        assert purged.availability == Availability.PURGED
        assert purged.purged_at == T0 + timedelta(days=5, hours=1)
        assert stored_paths(purged) == []
        assert purged.attachments[0].size and purged.attachments[0].content_type  # metadata
    assert voicemail.transcription is None and voicemail.subject == ""
    assert voicemail.from_address and fax.attachments[0].page_count
    assert not any(media.path_of(p).exists() for p in fax_files)
    assert text.availability == Availability.DELETED  # deleted 12 h later: 4 d 13 h ago
    assert text.subject
    assert seen == [("101", "purged", sorted([voicemail.id, fax.id]))]


def test_a_shared_file_stays_while_another_message_uses_it(ext):
    alice = ext("101")
    alices = db.session.scalars(
        select(Message)
        .join(Attachment)
        .where(Message.extension_id == alice.id, Attachment.kind == "MmsAttachment")
        .order_by(Message.id)
    ).first()
    shared = stored_paths(alices)[0]
    # The demo sends every extension the same pictures: one content-addressed file.
    copies = list(
        db.session.scalars(
            select(Message)
            .join(Attachment)
            .where(Attachment.storage_path == shared, Message.id != alices.id)
        )
    )
    assert {m.extension_id for m in copies} - {alice.id}
    with time_machine.travel(T0, tick=False):
        delete_message(alice, alices)
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        for copy in copies:
            delete_message(db.session.get(Extension, copy.extension_id), copy)
    with time_machine.travel(T0 + timedelta(days=5, hours=1), tick=False):
        assert purge_due_messages() == 1
    assert media.path_of(shared).exists()
    assert all(stored_paths(m) == [shared] for m in copies)
    with time_machine.travel(T0 + timedelta(days=7, hours=1), tick=False):
        assert purge_due_messages() == len(copies)
    assert not media.path_of(shared).exists()


def test_purge_works_in_batches_and_clears_deleted_previews(ext):
    alice = ext("101")
    conv = conversation(alice, Channel.TEXT, f",{SAM},")
    count = len(alive(conv))
    with time_machine.travel(T0, tick=False):
        delete_conversation(alice, conv)
    assert conv.preview
    with time_machine.travel(T0 + timedelta(days=6), tick=False):
        assert purge_due_messages(batch_size=2) == count
    assert conv.preview == ""
    assert all(m.availability == Availability.PURGED for m in conv.messages)
    assert all(m.subject == "" for m in conv.messages)
    assert list_conversations(alice, ListFilter(deleted=True)).rows == []


def test_retention_is_configurable(ext, demo_ctx):
    demo_ctx.config["DELETED_RETENTION_DAYS"] = 1
    alice = ext("101")
    message = alive(conversation(alice, Channel.FAX))[0]
    with time_machine.travel(T0, tick=False):
        delete_message(alice, message)
    with time_machine.travel(T0 + timedelta(hours=25), tick=False):
        assert purge_due_messages() == 1


def test_other_extensions_messages_are_not_found(ext):
    alice, bob = ext("101"), ext("102")
    alices = alive(conversation(alice, Channel.FAX))[0]
    with pytest.raises(DomainError) as caught:
        message_for(bob, alices.id)
    assert caught.value.status == 404
    assert message_for(alice, alices.id) is alices
