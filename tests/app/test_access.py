"""The access rule on its own: loaders refuse another mailbox's rows, clauses leave them out."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from widget import access
from widget.errors import NotFound
from widget.extensions import db
from widget.models import Attachment, Contact, Conversation, CrmActivity, Message


def _first(model, owner):
    return db.session.scalars(
        select(model).where(model.extension_id == owner.id).order_by(model.id)
    ).first()


def _attachment_of(owner) -> Attachment:
    return db.session.scalars(
        select(Attachment)
        .join(Message, Attachment.message_id == Message.id)
        .where(Message.extension_id == owner.id)
        .order_by(Attachment.id)
    ).first()


def _activity(owner) -> CrmActivity:
    activity = CrmActivity(
        extension_id=owner.id,
        conversation_id=_first(Conversation, owner).id,
        connector_id="local",
        log_date=date(2025, 3, 4),
        record_id=f"contact-{owner.id}",
    )
    db.session.add(activity)
    db.session.commit()
    return activity


@pytest.fixture
def people(ext):
    return ext("101"), ext("102")


def test_an_extension_reads_and_changes_its_own_mailbox_only(people):
    alice, bob = people
    alices = _first(Conversation, alice)
    assert access.mailboxes_for(alice) == (access.mailbox_of(alice),)
    assert access.mailbox_of(alice).holds(alices)
    assert not access.mailbox_of(bob).holds(alices)
    assert access.may_read(alice, alices) and access.may_change(alice, alices)
    assert not access.may_read(bob, alices) and not access.may_change(bob, alices)


def test_loaders_return_the_actors_own_rows(people):
    alice, _ = people
    conversation, message = _first(Conversation, alice), _first(Message, alice)
    attachment = _attachment_of(alice)
    assert access.conversation_for(alice, conversation.id) is conversation
    assert access.conversation_for(alice, conversation.id, change=True) is conversation
    assert access.message_for(alice, message.id, change=True) is message
    assert access.attachment_for(alice, attachment.id) is attachment
    assert access.own_conversation(alice, conversation) is conversation


def test_another_mailboxs_row_is_not_found_like_a_missing_one(people):
    alice, bob = people
    conversation, message = _first(Conversation, alice), _first(Message, alice)
    attachment = _attachment_of(alice)
    refusals = {
        "That conversation does not exist.": [
            lambda: access.conversation_for(bob, conversation.id),
            lambda: access.conversation_for(bob, conversation.id, change=True),
            lambda: access.conversation_for(bob, 10**9),
            lambda: access.own_conversation(bob, conversation),
            lambda: access.own_conversation(bob, None),
        ],
        "That message does not exist.": [
            lambda: access.message_for(bob, message.id),
            lambda: access.message_for(bob, message.id, change=True),
            lambda: access.message_for(bob, 10**9),
        ],
        "That file does not exist.": [
            lambda: access.attachment_for(bob, attachment.id),
            lambda: access.attachment_for(None, attachment.id),
            lambda: access.attachment_for(bob, 10**9),
            lambda: access.attachment_for(None, attachment.id, signed_for=bob.id),
        ],
    }
    for text, calls in refusals.items():
        for call in calls:
            with pytest.raises(NotFound) as caught:
                call()
            assert (caught.value.message, caught.value.status) == (text, 404)


def test_a_link_signed_for_the_mailbox_opens_its_attachment_without_a_session(people):
    alice, bob = people
    attachment = _attachment_of(alice)
    assert access.attachment_for(None, attachment.id, signed_for=alice.id) is attachment
    assert access.attachment_for(bob, attachment.id, signed_for=alice.id) is attachment


def test_list_clauses_keep_only_the_actors_rows(people):
    alice, bob = people
    _activity(alice)
    _activity(bob)
    for model, clause in (
        (Conversation, access.conversations_visible_to),
        (Message, access.messages_visible_to),
        (CrmActivity, access.activities_visible_to),
    ):
        owners = set(db.session.scalars(select(model.extension_id).where(clause(alice))))
        assert owners == {alice.id}, model
        everyone = set(db.session.scalars(select(model.extension_id)))
        assert {alice.id, bob.id} <= everyone, model


def test_cached_statements_bind_the_actor(people):
    alice, _ = people
    statement = select(Message.extension_id).where(access.messages_visible_to())
    owners = set(db.session.scalars(statement, access.actor_params(alice)))
    assert owners == {alice.id}


def test_personal_rows_are_their_owners(people):
    alice, bob = people
    personal = select(Contact.owner_extension_id).where(
        access.personal_to(alice, Contact.owner_extension_id)
    )
    assert set(db.session.scalars(personal)) == {alice.id}
    cached = select(Contact.owner_extension_id).where(
        access.personal_to(None, Contact.owner_extension_id)
    )
    assert set(db.session.scalars(cached, access.actor_params(bob))) <= {bob.id}
    assert access.is_personal_to(alice, alice.id)
    assert not access.is_personal_to(bob, alice.id)
    assert not access.is_personal_to(alice, None)
