"""Every seed feature, walked at 360 x 800 the way a person does, asserting what a person
sees: the content is inside the viewport (not only in the DOM), nothing covers it, the
newest message is visible, and the console stays clean. One test per feature; a failing
test leaves a screenshot (see the ``person`` fixture). Logging and scheduled sending are in
``test_person_logging.py``; the steps shared by both in ``person_steps.py``."""

from __future__ import annotations

import contextlib

import pytest

from tests.browser.person import (
    ConsoleWatch,
    assert_seen,
    assert_thread_looks_right,
    open_compose,
    open_conversation,
    sign_in,
)
from tests.browser.person_steps import (
    ALICE_SMS,
    JANE,
    SAM,
    add_recipients,
    conversation,
    create_group,
    inbound,
    jane_thread,
    reply_with_picture,
)
from widget.models import Channel

pytestmark = pytest.mark.browser


def test_list_and_filters(alice, live_server):
    from playwright.sync_api import expect

    rows = alice.locator("#rows li[data-conversation-id]")
    assert_seen(rows.first, "the first row")
    assert_seen(alice.get_by_role("button", name="Compose"), "Compose")
    for tab, channel in (("Voicemail", "voicemail"), ("Fax", "fax"), ("Text", "text")):
        alice.locator("label.tab", has_text=tab).click()
        expect(
            alice.locator(f"#rows li:not([data-channel='{channel}'])[data-channel]")
        ).to_have_count(0)
        assert_seen(rows.first, f"the first {tab} row")
    alice.locator("#search").fill("Roe")
    expect(rows.first).to_contain_text("Jane Roe")
    assert_seen(rows.first, "the search result")
    alice.locator("#search").fill("zzzz-nothing")
    assert_seen(alice.locator("#rows li.empty"), "the empty-search message")


def test_compose_to_several(alice, live_server):
    from playwright.sync_api import expect

    open_compose(alice)
    form = alice.locator("#compose-form")
    query = form.locator("#recipient-query")
    query.fill("jane")
    form.locator("#recipient-options [data-picker-option]", has_text="Jane Roe").click()
    expect(form.locator("#recipient-chips li.chip")).to_have_count(1)
    with alice.expect_response(lambda r: "/recipients" in r.url):
        query.fill("(202) 555-0111")
    query.press("Enter")
    expect(form.locator("#recipient-chips li.chip")).to_have_count(2)
    assert_seen(form.locator("#recipient-chips li.chip").last, "the second chip")
    form.locator("#compose-text").fill("Your order ships today")
    assert_seen(form.get_by_role("button", name="Send"), "Send")
    form.get_by_role("button", name="Send").click()
    notice = alice.locator("#flash .notice")
    expect(notice).to_contain_text("Jane Roe")
    assert_seen(notice, "the sent notice")
    assert_seen(alice.locator("#rows li[data-conversation-id]").first, "the newest row")


def test_templates(alice, live_server):
    from playwright.sync_api import expect

    open_conversation(alice, jane_thread(live_server))
    reply = alice.locator("#reply-form")
    reply.get_by_text("Insert template").click()
    picker = reply.locator(".template-picker")
    choice = picker.locator("[data-insert-text]").first
    assert_seen(choice, "a template in the picker")
    width = picker.evaluate("(p) => p.getBoundingClientRect().right")
    assert width <= 360, f"the template picker runs off the 360 px sidebar ({width}px)"
    inserted = choice.get_attribute("data-insert-text")
    choice.click()
    expect(reply.locator("#compose-text")).to_have_value(inserted)
    assert_seen(reply.locator("#compose-text"), "the reply box with the template")


def test_picture(alice, live_server):
    from playwright.sync_api import expect

    conversation_id = jane_thread(live_server)
    reply = reply_with_picture(alice, conversation_id)
    reply.locator("#compose-text").fill("Here is the dock")
    reply.get_by_role("button", name="Send").click()
    newest = alice.locator("#thread li.bubble").last
    expect(newest.locator("img")).to_be_visible()
    expect(newest.locator(".status")).to_have_text("Delivered")
    assert_seen(newest.locator("img"), "the sent picture")
    assert_thread_looks_right(alice, "after sending a picture")


def test_pager_and_groups(alice, live_server):
    from playwright.sync_api import expect

    thread = create_group(alice, "Floor 3", ["102", "103"])
    thread.locator("#compose-text").fill("Standup in 5")
    thread.get_by_role("button", name="Send").click()
    expect(thread.locator("li.bubble").last).to_contain_text("Standup in 5")
    expect(thread.locator("#compose-counter")).not_to_contain_text("SMS")
    assert_thread_looks_right(alice, "the pager group")


def test_mixed_group_reply(alice, browser, live_server):
    """Jane (outside) answers Alice's group text: Bob, another member, sees it live in his
    copy of the group, and Sam, the other outside member, on his phone."""
    from playwright.sync_api import expect

    from tests.browser.person import PERSON_VIEWPORT

    bob_context = browser.new_context(viewport=PERSON_VIEWPORT)
    bob = bob_context.new_page()
    bob_console = ConsoleWatch().attach(bob)
    try:
        sign_in(bob, live_server.url, "102")
        thread = create_group(alice, "Install crew", ["102", "103", "(415) 555-0123", SAM])
        thread.locator("#compose-text").fill("Install is Monday 9am")
        with alice.expect_response(lambda r: r.url.endswith("/reply")):  # pages and texts
            thread.get_by_role("button", name="Send").click()
        expect(thread.locator("li.bubble").last).to_contain_text("Install is Monday 9am")

        group_row = bob.locator("#rows li.row", has_text="Install crew")
        expect(group_row).to_be_visible()
        group_row.locator(".row-main").click()
        bob_thread = bob.locator("#thread article.thread")
        expect(bob_thread.locator("h2")).to_have_text("Install crew")

        inbound(live_server, JANE, ALICE_SMS, "Monday works for me")
        answer = thread.locator("li.bubble", has_text="Monday works for me")
        expect(answer).to_be_visible()  # pushed into Alice's group thread
        assert_seen(answer, "the outside member's answer in the sender's group")
        # The other member: pushed into his open copy of the group, once.
        bob_answer = bob_thread.locator("li.bubble", has_text="Monday works for me")
        expect(bob_answer).to_have_count(1)
        assert_seen(bob_answer, "the outside member's answer in another member's group")
        assert_thread_looks_right(bob, "Bob's copy of the group")
        bob_console.assert_clean()

        # The other outside member: the carrier relays the answer to his phone.
        bob.goto(f"{live_server.url}/sandbox/phone?from={SAM}&ext=101")
        relayed = bob.locator("#phone-thread li.bubble", has_text="Monday works for me")
        expect(relayed).to_have_count(1)
        expect(relayed.locator(".relayed")).to_contain_text(JANE)
        relayed.scroll_into_view_if_needed()  # the phone lists the newest text last
        assert_seen(relayed, "the answer on the other outside member's phone")
    finally:
        bob_context.close()


def test_read_receipts_and_typing_with_two_people(alice, browser, live_server):
    from playwright.sync_api import expect

    from tests.browser.person import PERSON_VIEWPORT

    bob_context = browser.new_context(viewport=PERSON_VIEWPORT)
    bob = bob_context.new_page()
    bob_console = ConsoleWatch().attach(bob)
    try:
        sign_in(bob, live_server.url, "102")
        open_compose(alice)
        form = alice.locator("#compose-form")
        add_recipients(form, ["102"])
        form.locator("#compose-text").fill("Lunch at noon?")
        form.get_by_role("button", name="Send").click()
        expect(alice.locator("#flash .notice")).to_contain_text("Bob")

        alice_row = alice.locator("#rows li.row", has_text="Lunch at noon?")
        alice_row.locator(".row-main").click()
        expect(alice.locator("#thread li.bubble").last).to_contain_text("Lunch at noon?")

        row = bob.locator("#rows li.row", has_text="Lunch at noon?")
        expect(row).to_be_visible()
        row.locator(".row-main").click()
        assert_thread_looks_right(bob, "Bob's copy")
        bob.locator("#compose-text").type("Sure", delay=50)

        typing = alice.locator("#thread .typing.active")
        expect(typing).to_contain_text("Bob Martinez is typing")
        receipt = alice.locator("#thread li.bubble").last.locator(".receipt")
        expect(receipt).to_have_text("Read by Bob Martinez ✓")
        assert_seen(receipt, "the read receipt")
        bob_console.assert_clean()
    finally:
        bob_context.close()


def test_voicemail_and_fax_actions(alice, live_server):
    from playwright.sync_api import expect

    open_conversation(alice, conversation(live_server.app, "101", Channel.VOICEMAIL))
    thread = alice.locator("#thread article.thread")
    assert_seen(thread.locator("audio").last, "the voicemail player")
    assert_seen(thread.get_by_role("link", name="Call back"), "Call back")
    thread.get_by_role("button", name="SMS back").click()
    expect(alice.locator("#compose-form #recipient-chips li.chip")).to_have_count(1)
    alice.get_by_role("button", name="Back to list").click()

    open_conversation(alice, conversation(live_server.app, "101", Channel.FAX))
    doc = alice.locator("#thread li.bubble").last.locator("a.doc")
    assert_seen(doc, "the fax document link")
    alice.locator("#thread").get_by_role("button", name="Fax back").click()
    assert_seen(alice.locator("#fax-form #fax-document"), "the fax-back document field")


def test_delete_and_restore(alice, live_server):
    from playwright.sync_api import expect

    conversation_id = jane_thread(live_server)
    open_conversation(alice, conversation_id)
    alice.once("dialog", lambda dialog: dialog.accept())
    alice.get_by_role("button", name="Delete conversation").click()
    notice = alice.locator("#thread .deleted-notice")
    expect(notice).to_contain_text("Deleted")
    assert_seen(notice, "the deleted notice")
    alice.get_by_role("button", name="Back to list").click()
    alice.get_by_label("Deleted").check()
    row = alice.locator(f"#conversation-{conversation_id}")
    assert_seen(row.get_by_role("button", name="Restore"), "Restore")
    with alice.expect_response(lambda r: r.url.endswith("/restore")):
        row.get_by_role("button", name="Restore").click()
    expect(alice.locator(f"#rows #conversation-{conversation_id}")).to_have_count(0)
    alice.get_by_label("Deleted").uncheck()
    expect(alice.locator(f"#conversation-{conversation_id}")).to_be_visible()


def test_deleting_a_thread_before_its_read_mark_is_answered_leaves_the_console_clean(
    alice, live_server
):
    """Opening a thread marks it read; the answer brings the row and counts out of band.
    Deleting the thread first takes the row away: the late answer must not be swapped
    (it made htmx log oobErrorNoTarget), and nothing else on the page suffers."""
    from playwright.sync_api import Error, expect

    conversation_id = jane_thread(live_server)
    held = []
    alice.route(f"**/conversations/{conversation_id}/read", lambda route: held.append(route))
    open_conversation(alice, conversation_id)
    for _ in range(100):  # the thread asks for the read mark as it loads
        if held:
            break
        alice.wait_for_timeout(50)
    assert held, "opening the thread did not ask to mark it read"

    alice.once("dialog", lambda dialog: dialog.accept())
    alice.get_by_role("button", name="Delete conversation").click()
    expect(alice.locator("#thread .deleted-notice")).to_contain_text("Deleted")
    expect(alice.locator(f"#conversation-{conversation_id}")).to_have_count(0)
    # The read mark's answer arrives only now (unless the page abandoned the request).
    with contextlib.suppress(Error):
        held[0].continue_()
    alice.wait_for_timeout(1000)
    expect(alice.locator("#thread .deleted-notice")).to_contain_text("Deleted")
    # The alice fixture asserts the console stayed clean.
