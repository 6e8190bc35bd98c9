"""Voicemail and fax to a queue number arrive like a text: a case waiting in the queue,
the ARRIVED pill, and the push to the available members (never to non-members)."""

from __future__ import annotations

import pytest

from tests.queues.support import CUSTOMER, SUPPORT_NUMBER, case_of, extension
from widget.models import Channel, Direction, MessageType
from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound
from widget.queues import cases


def leave(kind: str, text: str = "Please call me back about <b>invoice</b>"):
    inbound = parse_inbound({"from": CUSTOMER, "to": SUPPORT_NUMBER, "text": text, "type": kind})
    return deliver_inbound(inbound)


@pytest.mark.parametrize(
    ("kind", "channel"), [("VoiceMail", Channel.VOICEMAIL), ("Fax", Channel.FAX)]
)
def test_voicemail_and_fax_open_a_waiting_case_pushed_to_members(demo_app, kind, channel):
    with demo_app.app_context():
        broker = demo_app.extensions["realtime"]
        bob, dev = extension("102"), extension("104")
        subs = {p.extension_number: broker.subscribe([f"ext:{p.id}"]) for p in (bob, dev)}
        message = leave(kind)
        assert message.type == MessageType(kind) and message.direction == Direction.INBOUND
        assert message.conversation.channel == channel
        case = case_of(message)
        assert case is not None and case.is_waiting
        assert [event.kind.value for event in case.events] == ["arrived"]
        pushed = "".join(d.html for d in subs["102"].drain() if hasattr(d, "html"))
        assert f'id="case-{case.id}"' in pushed and "Claim" in pushed
        assert subs["104"].drain() == []
        # Handled like a text: claimed, then resolved once someone called or faxed back.
        cases.claim(extension("101"), case.id)
        cases.resolve(extension("101"), case.id, "Resolved")
        assert [event.kind.value for event in case.events] == ["arrived", "claimed", "resolved"]


def test_a_second_voicemail_feeds_the_open_case(demo_app):
    with demo_app.app_context():
        first = case_of(leave("VoiceMail"))
        second = leave("VoiceMail", "Me again")
        assert second.conversation_id == first.conversation_id
        assert case_of(second).id == first.id
        assert [event.kind.value for event in first.events] == ["arrived"]


def test_a_voicemail_to_a_person_opens_no_case(demo_app):
    with demo_app.app_context():
        person = extension("101")
        number = person.phone_numbers[0].e164
        inbound = parse_inbound({"from": CUSTOMER, "to": number, "text": "hi", "type": "VoiceMail"})
        assert case_of(deliver_inbound(inbound)) is None


def test_a_claimed_voicemail_is_not_sent_back_for_want_of_a_text_reply(support):
    from datetime import timedelta

    from widget.queues import timeouts

    case = case_of(leave("VoiceMail"))
    cases.claim(extension("101"), case.id)
    claimed_at = case.claimed_at
    assert timeouts.sweep(claimed_at + timedelta(minutes=31)) == 0
    assert case.claimed_by_id == extension("101").id
    assert [event.kind.value for event in case.events] == ["arrived", "claimed"]
