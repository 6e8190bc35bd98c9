"""Rough edges a newcomer met walking the demo at 360 x 800, each checked the way a
person meets it."""

from __future__ import annotations

import pytest

from tests.browser.person import ConsoleWatch, assert_seen, open_compose, settled, sign_in

pytestmark = pytest.mark.browser


def test_enter_after_typing_a_name_takes_the_suggestion_shown(person, live_server):
    """Typing "Sam" and pressing Enter added a chip "Sam" refused as "not a phone
    number", with "Sam Okafor" suggested right under the box."""
    from playwright.sync_api import expect

    console = ConsoleWatch().attach(person)
    sign_in(person, live_server.url, "101")
    open_compose(person)
    form = person.locator("#compose-form")
    query = form.locator("#recipient-query")
    with person.expect_response(lambda r: "/recipients" in r.url):
        query.fill("Sam")
    assert_seen(person.locator("#recipient-options [data-picker-option]").first, "the suggestion")

    query.press("Enter")

    chip = form.locator("#recipient-chips li.chip")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("Sam Okafor")
    expect(form.locator("#recipient-chips")).not_to_contain_text("not a phone number")
    assert_seen(chip, "the Sam Okafor chip")

    # A number typed whole is still taken as typed.
    with person.expect_response(lambda r: "/recipients" in r.url):
        query.fill("+14155550188")
    query.press("Enter")
    expect(chip).to_have_count(2)
    expect(chip.nth(1)).to_contain_text("555-0188")
    console.assert_clean()


def test_a_sent_picture_is_seen_whole_in_a_long_thread(person, live_server):
    """In a thread longer than the screen, the sent picture's bubble ended below the
    fold: the list scrolled to the newest before the picture had its height."""
    import io

    from PIL import Image
    from playwright.sync_api import expect

    from tests.browser.log_steps import deliver_sms
    from tests.browser.person import open_conversation

    # Marco's seeded thread holds several messages and a picture already.
    conversation_id = deliver_sms(live_server, "+15035550177", "Any news on the crate?")
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 80, 40)).save(out, "PNG")
    console = ConsoleWatch().attach(person)
    sign_in(person, live_server.url, "101")
    open_conversation(person, conversation_id)
    reply = person.locator("#reply-form")
    reply.locator("#compose-file").set_input_files(
        files=[{"name": "crate.png", "mimeType": "image/png", "buffer": out.getvalue()}]
    )
    reply.locator("#compose-text").fill("Here is the crate")
    reply.get_by_role("button", name="Send").click()

    newest = person.locator("#thread li.bubble").last
    expect(newest).to_contain_text("Here is the crate")
    picture = newest.locator("img")
    expect(picture).to_be_visible()
    person.wait_for_function(
        "img => img.complete && img.naturalHeight > 0", arg=picture.element_handle()
    )
    expect(newest.locator(".status")).to_have_text("Delivered")
    settled(person)
    # The Delivered update replaces the bubble: measure the one on the page once it stays.
    person.wait_for_timeout(300)
    assert_seen(newest.locator(".status"), "the bottom of the sent picture's bubble")
    assert_seen(newest.locator("img"), "the sent picture")
    console.assert_clean()
