"""Cases in a queue: arrival, claim, release, transfer, resolve, notes, reopen, removal
(each on SQLite and PostgreSQL, through the ``support`` fixture)."""

from __future__ import annotations

import pytest

from tests.queues.support import (
    case_of,
    extension,
    make_queue,
    text_in,
)
from widget import access
from widget.errors import Conflict, Invalid, NotFound
from widget.extensions import db
from widget.models import NOTE_LIMIT, QueueEventKind, ResolveReason
from widget.queues import cases, history, manage


def kinds(case) -> list[str]:
    db.session.refresh(case)
    return [event.kind.value for event in case.events]


def test_a_customer_text_to_the_queue_number_opens_a_waiting_case(support):
    message = text_in("Hi, my order is late")
    case = case_of(message)
    assert case.queue_id == support.id
    assert case.is_waiting
    assert case.first_message_id == message.id
    assert message.extension_id == support.extension_id
    assert kinds(case) == ["arrived"]
    follow_up = text_in("Hello?")
    assert case_of(follow_up).id == case.id
    assert kinds(case) == ["arrived"]


def test_claim_has_one_winner_and_the_loser_is_told_who(support):
    case = case_of(text_in("Help"))
    cases.claim(extension("101"), case.id)
    with pytest.raises(Conflict, match="Claimed by Alice Chen"):
        cases.claim(extension("102"), case.id)
    db.session.refresh(case)
    assert case.claimed_by_id == extension("101").id
    assert kinds(case) == ["arrived", "claimed"]


def test_release_transfer_and_resolve_record_their_events(support):
    alice, bob = extension("101"), extension("102")
    case = case_of(text_in("Help"))
    cases.claim(alice, case.id)
    cases.release(alice, case.id)
    assert case.is_waiting
    cases.claim(alice, case.id)
    cases.transfer(alice, case.id, to_member_id=bob.id, note="Billing, over to you")
    assert case.claimed_by_id == bob.id
    cases.resolve(bob, case.id, "Other", "Refunded")
    assert case.resolve_reason == ResolveReason.OTHER
    assert kinds(case) == ["arrived", "claimed", "released", "claimed", "transferred", "resolved"]
    transferred = case.events[4]
    assert (transferred.target_name, transferred.text) == ("Bob Martinez", "Billing, over to you")


def test_bad_inputs_change_nothing(support):
    alice, bob, dev = extension("101"), extension("102"), extension("104")
    case = case_of(text_in("Help"))
    cases.claim(alice, case.id)
    with pytest.raises(Conflict, match="Claimed by Alice"):
        cases.release(bob, case.id)
    with pytest.raises(Invalid, match="not a member"):
        cases.transfer(alice, case.id, to_member_id=dev.id)
    with pytest.raises(Invalid, match="no such queue"):
        cases.transfer(alice, case.id, to_queue_id=999_999)
    with pytest.raises(Invalid, match="Choose a reason"):
        cases.resolve(alice, case.id, "")
    with pytest.raises(Invalid, match="Say why"):
        cases.resolve(alice, case.id, "Other", "  ")
    with pytest.raises(Invalid, match=f"at most {NOTE_LIMIT}"):
        cases.add_note(alice, case.id, "x" * (NOTE_LIMIT + 1))
    with pytest.raises(NotFound):
        cases.claim(dev, case.id)  # not a member: the case does not exist for them
    assert kinds(case) == ["arrived", "claimed"]
    cases.resolve(alice, case.id, "Spam")
    with pytest.raises(Conflict, match="Already resolved by Alice Chen"):
        cases.resolve(alice, case.id, "Resolved")
    with pytest.raises(Conflict, match="Already resolved"):
        cases.claim(bob, case.id)
    assert kinds(case) == ["arrived", "claimed", "resolved"]


def test_another_queues_ids_are_not_found(support):
    sales = make_queue("Sales", "+16505550191", members=("104",))
    case = case_of(text_in("Help"))
    other = case_of(text_in("Quote?", to="+16505550191"))
    with pytest.raises(NotFound):
        cases.claim(extension("104"), case.id)
    with pytest.raises(NotFound):
        cases.add_note(extension("101"), other.id, "peek")
    with pytest.raises(NotFound):
        access.queue_for(extension("101"), sales.id)
    with pytest.raises(NotFound):
        access.conversation_for(extension("104"), case.conversation_id)
    seen = access.conversation_for(extension("102"), case.conversation_id)
    assert seen.id == case.conversation_id


def test_members_read_a_claimed_conversation_but_only_the_claimer_replies(support):
    case = case_of(text_in("Help"))
    alice, bob = extension("101"), extension("102")
    conversation = access.conversation_for(bob, case.conversation_id)
    assert access.conversation_to_reply(bob, conversation.id) is conversation  # waiting
    cases.claim(alice, case.id)
    assert access.may_read(bob, conversation)
    with pytest.raises(Conflict, match="Claimed by Alice Chen"):
        access.conversation_to_reply(bob, conversation.id)
    assert access.conversation_to_reply(alice, conversation.id) is conversation
    # The shared copy is nobody's to delete or mark: not even the holder's.
    assert not access.may_change(alice, conversation)
    with pytest.raises(NotFound):
        access.conversation_for(alice, conversation.id, change=True)
    with pytest.raises(NotFound):
        access.conversation_to_reply(extension("104"), conversation.id)


def test_transfer_to_another_queue_waits_there_for_its_members(support):
    billing = make_queue("Billing", "+16505550192", members=("104",))
    case = case_of(text_in("Invoice wrong"))
    cases.claim(extension("101"), case.id)
    cases.transfer(extension("101"), case.id, to_queue_id=billing.id, note="Invoice question")
    assert (case.queue_id, case.claimed_by_id) == (billing.id, None)
    cases.claim(extension("104"), case.id)  # Dev is in Billing only
    with pytest.raises(NotFound):
        cases.claim(extension("102"), case.id)


def test_notes_are_events_not_messages(support):
    message = text_in("Help")
    case = case_of(message)
    before = len(history.messages_of(case))
    event = cases.add_note(extension("102"), case.id, "<b>VIP</b> customer")
    assert event.kind == QueueEventKind.NOTE and event.text == "<b>VIP</b> customer"
    assert len(history.messages_of(case)) == before


def test_writing_after_resolve_opens_a_new_linked_case_and_keeps_the_history(support):
    first = text_in("Help")
    old = case_of(first)
    cases.resolve(extension("101"), old.id, "Resolved")
    again = text_in("One more thing")
    new = case_of(again)
    assert new.id != old.id and new.previous_id == old.id and new.is_waiting
    assert again.conversation_id == first.conversation_id
    assert kinds(new) == ["reopened", "arrived"]
    assert [m.id for m in history.messages_of(old)] == [first.id]
    assert [m.id for m in history.messages_of(new)] == [again.id]
    pills = [e.kind.value for e in history.events_of_conversation(new.conversation_id)]
    assert pills == ["arrived", "resolved", "reopened", "arrived"]


def test_a_removed_member_s_claims_return_to_the_queue(support):
    alice = extension("101")
    case = case_of(text_in("Help"))
    cases.claim(alice, case.id)
    returned = manage.remove_member(support, alice)
    assert [c.id for c in returned] == [case.id]
    db.session.refresh(case)
    assert case.is_waiting
    assert kinds(case)[-1] == "released"
    with pytest.raises(NotFound):
        cases.claim(alice, case.id)


def test_only_available_members_are_offered_cases(support):
    manage.set_available(support, extension("102"), False)
    assert sorted(manage.available_member_ids(support.id)) == sorted(
        [extension("101").id, extension("103").id]
    )
