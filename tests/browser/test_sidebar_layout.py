"""The sidebar at 360 x 800 as a person sees it: threads open where the person is looking,
at the newest message, with the reply box and the footer never covering each other."""

from __future__ import annotations

import pytest

from tests.browser.person import ConsoleWatch, assert_seen, open_compose, seen, settled, sign_in

pytestmark = pytest.mark.browser


def _open_lower_row(person):
    """Scroll the list down and open a conversation from below the first screen."""
    rows = person.locator("#rows li[data-conversation-id]")
    row = rows.nth(rows.count() - 2)
    row.scroll_into_view_if_needed()
    conversation_id = row.get_attribute("data-conversation-id")
    row.locator(".row-main").click()
    thread = person.locator(f"#thread article.thread[data-conversation-id='{conversation_id}']")
    thread.wait_for(state="visible")
    return thread


def test_a_thread_opened_from_lower_in_the_list_is_on_screen_at_its_newest(person, live_server):
    console = ConsoleWatch().attach(person)
    sign_in(person, live_server.url)

    thread = _open_lower_row(person)

    assert_seen(thread.locator(".thread-head h2"), "the thread's title")
    assert_seen(thread.get_by_role("button", name="Back to list"), "the Back button")
    assert_seen(thread.locator("li.bubble").last, "the newest message")
    assert_seen(thread.locator("#reply-form textarea"), "the reply box")
    console.assert_clean()


def test_the_footer_never_covers_the_thread_even_over_a_short_list(person, live_server):
    from playwright.sync_api import expect

    sign_in(person, live_server.url)
    person.locator("label.tab", has_text="Pager").click()  # a short list behind the thread
    expect(person.locator("#rows li[data-channel=text]")).to_have_count(0)
    person.locator("#rows li[data-conversation-id] .row-main").first.click()
    thread = person.locator("#thread article.thread")

    footer = seen(person.locator("#realtime"))
    for item in (
        thread.locator("#reply-form button[type=submit]"),
        thread.locator("li.bubble").last,
    ):
        box = seen(item)["rect"]
        assert box[3] <= footer["rect"][1] + 0.5, f"{box} runs under the footer {footer['rect']}"
    assert_seen(person.locator("#realtime-status"), "the connection status")


def test_mark_unread_goes_back_to_the_list(person, live_server):
    from playwright.sync_api import expect

    console = ConsoleWatch().attach(person)
    sign_in(person, live_server.url)
    thread = _open_lower_row(person)
    conversation_id = thread.get_attribute("data-conversation-id")

    thread.get_by_role("button", name="Mark unread").click()

    row = person.locator(f"#conversation-{conversation_id}")
    expect(row).to_have_class("row unread")
    expect(person.locator("#thread")).to_be_hidden()
    assert_seen(row, "the row marked unread")
    console.assert_clean()


def test_an_error_goes_once_the_person_fixes_the_field(person, live_server):
    from playwright.sync_api import expect

    console = ConsoleWatch().attach(person)
    sign_in(person, live_server.url)
    thread = _open_lower_row(person)
    reply = thread.locator("#reply-form")
    if not reply.count():
        pytest.skip("this conversation takes no reply")
    reply.get_by_role("button", name="Send").click()  # nothing written
    error = person.locator("#reply-form #compose-text-error")
    expect(error).to_contain_text("Write a message")
    assert_seen(error, "the error")
    person.locator("#reply-form #compose-text").type("Fixed")
    expect(person.locator("#reply-form #compose-text-error")).to_have_count(0)
    expect(person.locator("#reply-form #compose-text")).to_have_attribute("aria-invalid", "false")
    console.assert_clean(expected_status=422)


def test_the_1001st_character_is_refused_visibly_not_dropped(person, live_server):
    from playwright.sync_api import expect

    sign_in(person, live_server.url)
    open_compose(person)
    text = person.locator("#compose-form #compose-text")
    text.fill("x" * 1001)
    expect(text).to_have_value("x" * 1001)  # kept, not silently cut
    counter = person.locator("#compose-form #compose-counter")
    expect(counter).to_contain_text("1001/1000")
    expect(counter).to_contain_text("1 over the limit")
    expect(counter).to_have_class("counter over-limit")
    assert_seen(counter, "the counter saying it is too long")


def test_a_list_reload_asked_before_a_tab_does_not_replace_it(person, live_server):
    """A real-time refresh of the list (asked with the All tab) answered after the person
    chose Voicemail: the Voicemail list stays, as the person chose it last."""
    from playwright.sync_api import expect

    console = ConsoleWatch().attach(person)
    sign_in(person, live_server.url)
    held = []

    def hold_first_reload(route):
        if not held:
            held.append(route)  # answered below, after the tab's own list
        else:
            route.continue_()

    person.route("**/widget/list*", hold_first_reload)
    person.evaluate("htmx.trigger(document.body, 'sidetalk:refresh')")
    while not held:
        person.wait_for_timeout(50)
    with person.expect_response(lambda r: "/widget/list" in r.url and "tab=voicemail" in r.url):
        person.locator("label.tab", has_text="Voicemail").click()
    expect(person.locator("#rows > li.row").first).to_have_attribute("data-channel", "voicemail")

    with person.expect_response(lambda r: "/widget/list" in r.url and "tab=all" in r.url):
        held[0].continue_()
    settled(person)
    rows = person.locator("#rows > li.row")
    assert rows.count() > 0
    channels = {rows.nth(i).get_attribute("data-channel") for i in range(rows.count())}
    assert channels == {"voicemail"}, channels
    assert_seen(rows.first, "the first voicemail row")
    console.assert_clean()


def test_a_frame_that_deletes_then_brings_back_a_row_leaves_it_once(person, live_server):
    """Under load one frame can carry two changes of one row (deleted, then back): the
    later wins, and htmx never looks for a row the earlier piece removed."""
    from playwright.sync_api import expect

    console = ConsoleWatch().attach(person)
    sign_in(person, live_server.url)
    expect(person.locator("#realtime")).to_have_attribute("data-state", "live")
    row = person.locator("#rows > li.row").first
    row_id = row.get_attribute("id")
    person.evaluate(
        """(rowId) => {
          const row = document.getElementById(rowId);
          const back = row.cloneNode(true);
          back.setAttribute('hx-swap-oob', 'true');
          back.querySelector('.preview').textContent = 'back again';
          const frame = `<li id="${rowId}" hx-swap-oob="delete"></li>` + back.outerHTML;
          const socket = document.getElementById('realtime')['htmx-internal-data'].webSocket;
          socket.socket.dispatchEvent(new MessageEvent('message', {data: frame}));
        }""",
        row_id,
    )
    expect(person.locator(f"#{row_id} .preview")).to_have_text("back again")
    expect(person.locator(f"#{row_id}")).to_have_count(1)
    assert_seen(person.locator(f"#{row_id}"), "the row brought back")
    console.assert_clean()
