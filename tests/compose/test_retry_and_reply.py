"""Failing numbers, Retry as a new attempt, replies in a thread, tenant isolation."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.compose.conftest import (
    compose,
    conversation_with,
    extension,
    form_key,
    messages_of,
    post_form,
)
from tests.helpers import html, sign_in
from widget.extensions import db
from widget.models import Channel, Conversation, Message

FAILING = "+12025550195"  # inside the default failing range +1202555019x
UNSENDABLE = "+12025550181"  # inside the default SendingFailed range +1202555018x
JANE = "+14155550123"


def message_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message))


def test_failing_range_fails_then_retry_delivers_once_the_range_changes(
    demo_app, demo_client, alice
):
    assert compose(demo_client, alice, [FAILING], text="Will fail").status_code == 200
    with demo_app.app_context():
        (failed,) = messages_of("101", subject="Will fail")
        assert failed.message_status.value == "DeliveryFailed"
        assert failed.to_parties[0]["status"] == "DeliveryFailed"
        conversation_id = failed.conversation_id
    thread = html(demo_client.get(f"/widget/conversations/{conversation_id}", headers=alice))
    bubble = thread.find("li", {"data-message-id": str(failed.id)})
    assert bubble.find(class_="status").get_text() == "Not delivered"
    assert "could not deliver it" in bubble.find(class_="status-reason").get_text()
    listed = html(demo_client.get("/widget/list", headers=alice))
    row = listed.find("li", id=f"conversation-{conversation_id}")
    assert "failed" in row["class"]
    assert row.find(class_="row-failed").get_text(strip=True).startswith("Not sent")
    retry_button = bubble.find("button", string="Retry")
    assert retry_button["hx-post"] == f"/widget/compose/messages/{failed.id}/retry"

    demo_app.config["SANDBOX_FAILING_NUMBERS"] = []  # the carrier recovered
    response = demo_client.post(retry_button["hx-post"], headers=alice)
    assert response.status_code == 200, response.data
    page = html(response)
    assert page.find(class_="retry-slot").get_text(strip=True) == "Sent again"
    appended = page.find("ol", id=f"bubbles-{conversation_id}")
    assert appended["hx-swap-oob"] == "beforeend"
    new_bubble = appended.find("li", class_="bubble")
    assert new_bubble.find(class_="status").get_text() == "Delivered"
    with demo_app.app_context():
        attempts = messages_of("101", subject="Will fail")
        assert [m.message_status.value for m in attempts] == ["DeliveryFailed", "Delivered"]
        assert {m.conversation_id for m in attempts} == {conversation_id}

    # Retry is idempotent: a second click (or a replayed POST) makes no third attempt.
    count = message_count(demo_app)
    again = demo_client.post(retry_button["hx-post"], headers=alice)
    assert again.status_code == 200
    assert message_count(demo_app) == count
    thread = html(demo_client.get(f"/widget/conversations/{conversation_id}", headers=alice))
    old = thread.find("li", {"data-message-id": str(failed.id)})
    assert old.find("button", string="Retry") is None
    assert "Sent again" in old.find(class_="retry-slot").get_text()


def test_unsendable_range_ends_in_sending_failed(demo_app, demo_client, alice):
    response = compose(demo_client, alice, [UNSENDABLE], text="Never leaves")
    # The flash tells what happened, not "Sent to" a message that failed.
    flash = html(response).find(id="flash").get_text(" ", strip=True)
    assert flash.startswith("Could not send to (202) 555-0181."), flash
    assert "Sent to" not in flash and "carrier refused" in flash
    with demo_app.app_context():
        (message,) = messages_of("101", subject="Never leaves")
        assert message.message_status.value == "SendingFailed"
    thread = html(
        demo_client.get(f"/widget/conversations/{message.conversation_id}", headers=alice)
    )
    bubble = thread.find("li", {"data-message-id": str(message.id)})
    assert bubble.find(class_="status").get_text() == "Not sent"
    assert "SendingFailed" not in bubble.get_text()


def test_retry_refuses_what_did_not_fail_and_other_extensions_messages(
    demo_app, demo_client, alice
):
    compose(demo_client, alice, [JANE], text="Fine")
    with demo_app.app_context():
        (ok,) = messages_of("101", subject="Fine")
    assert (
        demo_client.post(f"/widget/compose/messages/{ok.id}/retry", headers=alice).status_code
        == 409
    )
    bob = sign_in(demo_client, "102")
    compose(demo_client, bob, [FAILING], text="Bob's failure")
    with demo_app.app_context():
        (bobs,) = messages_of("102", subject="Bob's failure")
    count = message_count(demo_app)
    response = demo_client.post(f"/widget/compose/messages/{bobs.id}/retry", headers=alice)
    assert response.status_code == 404
    assert message_count(demo_app) == count


def reply(client, headers, conversation_id: int, text: str, **fields):
    key = fields.pop("key", None) or form_key(
        client, headers, f"/widget/conversations/{conversation_id}"
    )
    return post_form(
        client,
        f"/widget/compose/conversations/{conversation_id}/reply",
        headers,
        {"idempotency_key": key, "text": text, **fields},
    )


def test_reply_box_in_a_thread_sends_and_appends_the_bubble(demo_app, demo_client, alice):
    compose(demo_client, alice, [JANE], text="Opening line")
    with demo_app.app_context():
        conversation_id = conversation_with("101", JANE).id
    thread = html(demo_client.get(f"/widget/conversations/{conversation_id}", headers=alice))
    form = thread.find("form", id="reply-form")
    assert form["hx-post"] == f"/widget/compose/conversations/{conversation_id}/reply"
    assert form.find("textarea", id="compose-text")["name"] == "text"
    response = reply(demo_client, alice, conversation_id, "Following up")
    assert response.status_code == 200, response.data
    page = html(response)
    fresh = page.find("form", id="reply-form")
    assert fresh.find("textarea").get_text() == ""
    bubble = page.find("ol", id=f"bubbles-{conversation_id}").find("li", class_="bubble")
    assert bubble.find(class_="text").get_text() == "Following up"
    assert page.find("li", id=f"conversation-{conversation_id}")["hx-swap-oob"] == "true"
    with demo_app.app_context():
        (sent,) = messages_of("101", subject="Following up")
        assert sent.conversation_id == conversation_id and sent.to_parties[0]["address"] == JANE


def test_reply_double_submit_sends_once(demo_app, demo_client, alice):
    compose(demo_client, alice, [JANE], text="Hi")
    with demo_app.app_context():
        conversation_id = conversation_with("101", JANE).id
    key = form_key(demo_client, alice, f"/widget/conversations/{conversation_id}")
    first = reply(demo_client, alice, conversation_id, "Once please", key=key)
    second = reply(demo_client, alice, conversation_id, "Once please", key=key)
    assert first.status_code == second.status_code == 200
    assert html(second).find("ol", id=f"bubbles-{conversation_id}") is None  # nothing new
    with demo_app.app_context():
        assert len(messages_of("101", subject="Once please")) == 1


def test_reply_uses_the_number_the_customer_texted(demo_app, demo_client):
    from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound

    with demo_app.app_context():
        message = deliver_inbound(
            parse_inbound({"from": JANE, "to": "+16505550113", "text": "Hi line 2", "type": "SMS"})
        )
        conversation_id = message.conversation_id
    carol = sign_in(demo_client, "103")
    thread = html(demo_client.get(f"/widget/conversations/{conversation_id}", headers=carol))
    selected = thread.find("select", id="reply-from").find("option", selected=True)
    assert selected["value"] == "+16505550113"
    assert reply(demo_client, carol, conversation_id, "Answer on line 2").status_code == 200
    with demo_app.app_context():
        (sent,) = messages_of("103", subject="Answer on line 2")
        assert sent.from_address == "+16505550113"


def test_reply_into_another_extensions_conversation_is_404(demo_app, demo_client, alice):
    bob = sign_in(demo_client, "102")
    compose(demo_client, bob, [JANE], text="Bob to Jane")
    with demo_app.app_context():
        bobs = conversation_with("102", JANE).id
    count = message_count(demo_app)
    response = post_form(
        demo_client,
        f"/widget/compose/conversations/{bobs}/reply",
        alice,
        {"idempotency_key": "k" * 24, "text": "Hijack"},
    )
    assert response.status_code == 404
    assert message_count(demo_app) == count


def test_voicemail_thread_offers_call_back_and_sms_back_not_a_reply_box(
    demo_app, demo_client, alice
):
    with demo_app.app_context():
        voicemail = db.session.scalars(
            select(Conversation).where(
                Conversation.extension_id == extension("101").id,
                Conversation.channel == Channel.VOICEMAIL,
                Conversation.participants == f",{JANE},",
            )
        ).one()
    thread = html(demo_client.get(f"/widget/conversations/{voicemail.id}", headers=alice))
    assert thread.find("form", id="reply-form") is None
    call = thread.find("a", {"data-call-number": JANE})
    assert call["href"] == f"tel:{JANE}" and "Call back" in call.get_text()
    # The icon is an <svg> beside the words: match the button by its text.
    sms_back = next(b for b in thread.find_all("button") if "SMS back" in b.get_text())
    panel = html(demo_client.get(sms_back["hx-get"], headers=alice))
    chip = panel.find(id="recipient-chips").find("li", class_="chip")
    assert chip.find("input", {"name": "to"})["value"] == JANE
    assert chip.find(class_="chip-label").get_text() == "Jane Roe"
    refused = post_form(
        demo_client,
        f"/widget/compose/conversations/{voicemail.id}/reply",
        alice,
        {"idempotency_key": "v" * 24, "text": "Replying to a voicemail"},
    )
    assert refused.status_code == 400
