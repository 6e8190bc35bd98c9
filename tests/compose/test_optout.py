"""SMS opt-out: keywords, recorded at ingestion per (our number, their number), enforced."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.compose.conftest import (
    compose,
    conversation_with,
    extension,
    form_key,
    messages_of,
    post_form,
)
from tests.helpers import html, sign_in
from widget.compose.optout import is_blocked, keyword_action
from widget.extensions import db
from widget.models import SmsOptOut
from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound

JANE = "+14155550123"
ALICE = "+16505550101"


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", "  Stop\n", "UNSUBSCRIBE", "end", "Quit", "CANCEL", "revoke", "OptOut"],
)
def test_stop_keywords(text):
    assert keyword_action(text) == "stop"


@pytest.mark.parametrize("text", ["START", " unstop "])
def test_start_keywords(text):
    assert keyword_action(text) == "start"


@pytest.mark.parametrize(
    "text", ["stop it", "Please stop", "STOP!", "opt out", "", "stopped", "the end", "STARTS"]
)
def test_other_texts_are_not_keywords(text):
    assert keyword_action(text) is None


def inbound(app, sender: str, to: str, text: str):
    with app.app_context():
        deliver_inbound(parse_inbound({"from": sender, "to": to, "text": text, "type": "SMS"}))


def blocked(app, ours=ALICE, theirs=JANE) -> bool:
    with app.app_context():
        return is_blocked(extension("101").account_id, ours, theirs)


def test_stop_blocks_then_start_lifts(demo_app, demo_client, alice):
    inbound(demo_app, JANE, ALICE, "Stop")
    with demo_app.app_context():
        rows = db.session.scalars(select(SmsOptOut)).all()
        assert [(r.our_number, r.their_number, r.keyword) for r in rows] == [(ALICE, JANE, "Stop")]
    inbound(demo_app, JANE, ALICE, "STOP")  # a repeat is one row, not an error
    with demo_app.app_context():
        assert len(db.session.scalars(select(SmsOptOut)).all()) == 1

    response = compose(demo_client, alice, [JANE, "+12025550123"], text="Promo")
    assert response.status_code == 422
    page = html(response)
    chip = page.find("li", {"data-recipient": JANE})
    error = chip.find(class_="field-error").get_text()
    assert "Jane Roe opted out of texts from (650) 555-0101" in error
    assert "replied STOP" in error
    assert "Sent to (202) 555-0123" in page.find(class_="notice").get_text()  # the other went
    with demo_app.app_context():
        sent = messages_of("101", subject="Promo")
        assert [m.to_parties[0]["address"] for m in sent] == ["+12025550123"]

    inbound(demo_app, JANE, ALICE, "start")
    assert not blocked(demo_app)
    assert compose(demo_client, alice, [JANE], text="Welcome back").status_code == 200


def test_opt_out_is_per_sender_number(demo_app, demo_client):
    carol = sign_in(demo_client, "103")
    inbound(demo_app, JANE, "+16505550113", "STOP")
    refused = compose(demo_client, carol, [JANE], text="Line two", **{"from": "+16505550113"})
    assert refused.status_code == 422
    allowed = compose(demo_client, carol, [JANE], text="Line one", **{"from": "+16505550103"})
    assert allowed.status_code == 200


def test_thread_shows_the_opt_out_and_the_reply_is_refused(demo_app, demo_client, alice):
    inbound(demo_app, JANE, ALICE, "UNSUBSCRIBE")
    with demo_app.app_context():
        conversation = conversation_with("101", JANE)
        conversation_id = conversation.id
        before = len(messages_of("101"))
    thread = html(demo_client.get(f"/widget/conversations/{conversation_id}", headers=alice))
    notice = thread.find(class_="opted-out").get_text()
    assert "(415) 555-0123 opted out of texts from (650) 555-0101" in notice
    path = f"/widget/conversations/{conversation_id}"
    key = form_key(demo_client, alice, path)
    reply = post_form(
        demo_client,
        f"/widget/compose/conversations/{conversation_id}/reply",
        alice,
        {"idempotency_key": key, "text": "Are you sure?"},
    )
    assert reply.status_code == 422
    assert "opted out" in html(reply).find(id="compose-text-error").get_text()
    with demo_app.app_context():
        assert len(messages_of("101")) == before


def test_keyword_inside_a_longer_message_or_outbound_changes_nothing(demo_app, demo_client, alice):
    inbound(demo_app, JANE, ALICE, "Please don't stop the deliveries")
    compose(demo_client, alice, [JANE], text="STOP")  # our own outbound text
    assert not blocked(demo_app)
