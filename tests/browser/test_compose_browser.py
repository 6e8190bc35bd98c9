"""Compose in real Chromium, inside a cross-site iframe: picker, template, picture, Enter.

The live server runs with ``TestConfig`` (Huey immediate, ``DELIVERY_POLL_SECONDS = 0``):
the sandbox's simulated carrier steps run inside the send request, so both messages are
Delivered by the time the list comes back. The scheduled path (Queued now, Sent and
Delivered on later checks) is covered without a browser in tests/compose with time travel.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from tests.browser.person import open_compose, signed_in_widget
from widget.extensions import db
from widget.models import Channel, Conversation, Extension, Message

pytestmark = pytest.mark.browser

RAW_NUMBER, RAW_E164 = "(202) 555-0147", "+12025550147"
JANE = "+14155550123"


def picture_png() -> bytes:
    image = Image.new("RGB", (320, 240), (20, 110, 190))
    for x in range(0, 320, 16):
        for y in range(0, 240, 16):
            image.putpixel((x, y), (250, 250, 250))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def sent_messages(app, text_start: str) -> list[Message]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Message)
                .join(Extension, Extension.id == Message.extension_id)
                .where(Extension.extension_number == "101", Message.subject.startswith(text_start))
                .order_by(Message.id)
            )
        )
        for message in rows:
            _ = message.attachments, message.to_parties  # load before the session ends
        db.session.expunge_all()
        db.session.remove()
        return rows


def test_compose_to_two_recipients_with_template_and_picture(page, live_server, host_server):
    from playwright.sync_api import expect

    widget = signed_in_widget(page, host_server.url)
    widget.locator("label.tab", has_text="Voicemail").click()  # sending must land on All
    expect(widget.locator("#rows li[data-channel='text']")).to_have_count(0)
    open_compose(widget)
    form = widget.locator("#compose-form")
    expect(form).to_be_visible()

    # One recipient from the picker, one typed as a raw number (Enter makes the chip).
    query = form.locator("#recipient-query")
    query.fill("jane")
    option = form.locator("#recipient-options [data-picker-option]", has_text="Jane Roe")
    expect(option).to_be_visible()
    option.click()
    chips = form.locator("#recipient-chips li.chip")
    expect(chips).to_have_count(1)
    expect(query).to_have_value("")
    query.fill(RAW_NUMBER)
    query.press("Enter")
    expect(chips).to_have_count(2)
    expect(chips.nth(1).locator("input[name=to]")).to_have_value(RAW_E164)

    # A template from the picker, inserted at the caret; the counter follows.
    text = form.locator("textarea#compose-text")
    text.fill("")
    form.get_by_text("Insert template").click()
    choice = form.locator(".template-picker [data-insert-text]").first
    expect(choice).to_be_visible()
    inserted = choice.get_attribute("data-insert-text")
    assert inserted
    choice.click()
    expect(text).to_have_value(inserted)
    counter = form.locator("#compose-counter")
    expect(counter).to_contain_text(f"{len(inserted)}/1000")
    text.press("End")
    text.press("Shift+Enter")  # a new line, not a send
    text.type("Photo attached.")
    expect(text).to_have_value(inserted + "\nPhoto attached.")

    form.locator("#compose-file").set_input_files(
        files=[{"name": "site.png", "mimeType": "image/png", "buffer": picture_png()}]
    )
    expect(form.locator("[data-attachment-label]")).to_have_text("Picture: site.png")

    text.press("Enter")  # Enter sends
    expect(widget.locator("#thread")).to_be_empty()
    expect(widget.locator("#flash .notice")).to_contain_text("Sent to Jane Roe")

    messages = sent_messages(live_server.app, inserted[:20])
    assert len(messages) == 2
    assert sorted(m.to_parties[0]["address"] for m in messages) == sorted([JANE, RAW_E164])
    assert len({m.conversation_id for m in messages}) == 2
    assert all(m.attachments and m.attachments[0].kind == "MmsAttachment" for m in messages)

    # Both conversations are at the top of the All list and show Delivered when opened.
    expect(widget.locator("input[name=tab][value=all]")).to_be_checked()
    for message in messages:
        row = widget.locator(f"#rows li[data-conversation-id='{message.conversation_id}']")
        expect(row).to_be_visible()
        expect(row.locator(".preview")).to_contain_text("You:")
    for message in messages:
        widget.locator(f"#conversation-{message.conversation_id} .row-main").click()
        bubble = widget.locator(f"li[data-message-id='{message.id}']")
        expect(bubble.locator(".status")).to_have_text("Delivered")
        expect(bubble.locator("img")).to_be_visible()
        widget.get_by_role("button", name="Back to list").click()


def test_voicemail_plays_and_call_back_asks_the_host_page(page, live_server, host_server):
    from playwright.sync_api import expect

    widget = signed_in_widget(page, host_server.url)
    page.evaluate(
        "() => { window.calls = []; window.addEventListener('message', "
        "e => window.calls.push({data: e.data, origin: e.origin})); }"
    )
    with live_server.app.app_context():
        voicemail_id = db.session.scalar(
            select(Conversation.id)
            .join(Extension, Extension.id == Conversation.extension_id)
            .where(
                Extension.extension_number == "101",
                Conversation.channel == Channel.VOICEMAIL,
                Conversation.participants == f",{JANE},",
            )
        )
        db.session.remove()
    widget.locator("label.tab", has_text="Voicemail").click()
    widget.locator(f"#conversation-{voicemail_id} .row-main").click()
    audio = widget.locator("#thread audio").first
    expect(audio).to_be_attached()
    state = audio.evaluate(
        """async (a) => {
            if (a.readyState < 1) {
                await new Promise((ok, fail) => {
                    a.addEventListener('loadedmetadata', ok, {once: true});
                    a.addEventListener('error', () => fail(new Error('audio error')), {once: true});
                    a.load();
                });
            }
            a.muted = true;  // playback without a sound card or a user gesture
            await a.play();
            return {duration: a.duration, paused: a.paused};
        }"""
    )
    assert state["duration"] > 0 and state["duration"] != float("inf")
    assert state["paused"] is False
    expect(audio).to_have_js_property("paused", False)

    widget.get_by_role("link", name="Call back").click()
    page.wait_for_function("() => window.calls.length > 0")
    calls = page.evaluate("() => window.calls")
    assert calls == [{"data": {"type": "sidetalk:call", "number": JANE}, "origin": live_server.url}]
    expect(widget.locator("#thread")).not_to_be_empty()  # the tel: link did not navigate away


def test_pasting_a_picture_attaches_it(page, live_server, host_server):
    from playwright.sync_api import expect

    widget = signed_in_widget(page, host_server.url)
    open_compose(widget)
    text = widget.locator("#compose-form textarea#compose-text")
    expect(text).to_be_visible()
    text.evaluate(
        """(area) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array([137, 80, 78, 71])], 'clip.png',
                                        {type: 'image/png'}));
            area.dispatchEvent(new ClipboardEvent('paste', {clipboardData: transfer,
                                                            bubbles: true, cancelable: true}));
        }"""
    )
    expect(widget.locator("[data-attachment-label]")).to_have_text("Picture: clip.png")
    assert widget.locator("#compose-file").evaluate("(input) => input.files.length") == 1
    widget.locator("[data-clear-attachment]").click()
    assert widget.locator("#compose-file").evaluate("(input) => input.files.length") == 0
