"""The sidebar's main search finds a queue's conversation for its members, in Chromium.

A customer texts the Support number. Alice (a member) types a word of the text in the
search box above the list: the conversation is listed, marked with its queue and claim
state and the matching word, and opens as a queue conversation (Claim in its header).
Dev (in no queue) searching the same word sees nothing of it. Both at 360 px, with
nothing covering what they should see and no console error.
"""

from __future__ import annotations

import pytest

from tests.browser.person import assert_seen, settled
from tests.browser.test_queues_browser import _agent, _deliver

pytestmark = pytest.mark.browser


def _search(page, text: str) -> None:
    settled(page)
    page.locator("#search").fill(text)


def test_a_member_finds_and_opens_a_queue_conversation_a_non_member_does_not(browser, live_server):
    from playwright.sync_api import expect

    alice_context, alice, alice_watch = _agent(browser, live_server, "101")
    dev_context, dev, dev_watch = _agent(browser, live_server, "104")
    try:
        conversation_id = _deliver(live_server, "My walrus plush arrived torn")

        _search(alice, "walrus")
        row = alice.locator(f"#rows li.queue-row[data-conversation-id='{conversation_id}']")
        expect(row.locator(".row-queue")).to_have_text("Queue · Support · Waiting")
        assert_seen(row.locator(".row-queue"), "the row's queue and claim state")
        expect(row.locator(".preview mark")).to_have_text("walrus")
        assert_seen(row.locator(".preview"), "the matching text")

        row.locator(".row-main").click()
        thread = alice.locator(
            f"#thread article.queue-thread[data-conversation-id='{conversation_id}']"
        )
        expect(thread.locator(".queue-state")).to_contain_text("Support · Waiting to be claimed")
        assert_seen(thread.get_by_role("button", name="Claim"), "Claim in the thread header")

        _search(dev, "walrus")
        expect(dev.locator("#rows li.empty")).to_have_text("No conversations match “walrus”.")
        assert_seen(dev.locator("#rows li.empty"), "Dev's empty result")
        expect(dev.locator(f"#conversation-{conversation_id}")).to_have_count(0)

        alice_watch.assert_clean()
        dev_watch.assert_clean()
    finally:
        alice_context.close()
        dev_context.close()
