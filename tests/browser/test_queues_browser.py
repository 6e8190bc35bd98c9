"""Shared inbox in real Chromium: two agents, two 360 px sidebars, no reloads.

A customer texts the Support number: the conversation appears in both agents' Queue
sections. Alice claims it; Bob sees it leave his queue with "Claimed by Alice Chen".
Alice replies (from the queue's number), transfers it to Bob with a note; Bob resolves
it with a reason. Both threads show the pills in order, and neither page logs an error.
Bob logs the conversation: the local CRM shows one activity for all of it, notes included.
"""

from __future__ import annotations

import pytest
import requests

from tests.browser.person import (
    PERSON_VIEWPORT,
    ConsoleWatch,
    assert_seen,
    axe_violations,
    seen,
    settled,
    sign_in,
)

pytestmark = pytest.mark.browser

SUPPORT_NUMBER = "+16505550150"
CUSTOMER = "+13125550144"


def _agent(browser, live_server, number: str):
    from playwright.sync_api import expect

    # As the shared page fixture does: a loaded 2-core machine can take seconds to send
    # and render; waits are for things that will happen, so a long limit costs nothing.
    expect.set_options(timeout=20_000)
    # bypass_csp only so the test may inject axe-core (the page's CSP refuses it).
    context = browser.new_context(viewport=PERSON_VIEWPORT, bypass_csp=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    watch = ConsoleWatch().attach(page)
    sign_in(page, live_server.url, number)
    expect(page.locator("#realtime")).to_have_attribute("data-state", "live")
    return context, page, watch


def _deliver(live_server, text: str, sender: str = CUSTOMER, kind: str = "SMS") -> int:
    """The customer's text (or voicemail) to the Support number; its conversation id."""
    delivered = requests.post(
        f"{live_server.url}/sandbox/inbound",
        json={"from": sender, "to": SUPPORT_NUMBER, "text": text, "type": kind},
        timeout=10,
    )
    assert delivered.status_code == 201, delivered.text
    return delivered.json()["conversation_id"]


def _assert_seen_after_swaps(page, locator, what: str) -> None:
    """``assert_seen`` for something pushes swap in anew (a bubble's status steps, a
    thread's pills): a measure taken while one copy replaces the other has no size (not
    what a person sees), so it is taken again once htmx has settled, at most three times."""
    for _ in range(3):
        settled(page)
        facts = seen(locator)
        if any(facts["rect"]):
            break
    assert facts["shown"], f"{what} is outside the visible area: {facts}"
    assert not facts["covered"], f"{what} is covered by {facts['covered']}: {facts}"


def _pills(thread) -> list[str]:
    return thread.locator("[data-event-kind]").evaluate_all(
        "items => items.map(i => i.dataset.eventKind)"
    )


def test_two_agents_claim_reply_transfer_and_resolve(browser, live_server):
    from playwright.sync_api import expect

    alice_context, alice, alice_watch = _agent(browser, live_server, "101")
    bob_context, bob, bob_watch = _agent(browser, live_server, "102")
    try:
        conversation_id = _deliver(live_server, "Is my <b>order</b> late?")

        # The text appears in both Queue sections, pushed, without a reload.
        rows = {}
        for name, page in (("alice", alice), ("bob", bob)):
            row = page.locator(
                f"#queue-section li.queue-case[data-conversation-id='{conversation_id}']"
            )
            expect(row).to_contain_text("Is my <b>order</b> late?")
            assert_seen(row.get_by_role("button", name="Claim"), f"{name}'s Claim button")
            rows[name] = row

        # Alice claims; Bob sees it leave his queue with "Claimed by".
        rows["alice"].get_by_role("button", name="Claim").click()
        thread = alice.locator(f"#thread article[data-conversation-id='{conversation_id}']")
        expect(thread.locator(".queue-state")).to_contain_text("Claimed by you")
        expect(rows["bob"]).to_contain_text("Claimed by Alice Chen")
        expect(rows["bob"].get_by_role("button", name="Claim")).to_have_count(0)
        expect(alice.locator("#queue-section .queue-case.mine")).to_have_count(1)

        # Alice replies from the thread.
        settled(alice)
        thread.locator("textarea[name=text]").fill("It ships today.")
        thread.get_by_role("button", name="Send").click()
        reply = thread.locator("li.bubble.outbound", has_text="It ships today.")
        expect(reply).to_be_visible()
        _assert_seen_after_swaps(alice, reply, "Alice's reply")

        # Alice transfers to Bob with a note.
        thread.locator("details.queue-transfer summary").click()
        transfer = thread.locator("details.queue-transfer form")
        transfer.get_by_label("Transfer to").select_option(label="Bob Martinez")
        transfer.get_by_label("Note (members only)").fill("Wants a refund if late")
        transfer.get_by_role("button", name="Transfer").click()
        expect(thread.locator(".queue-state")).to_contain_text("Claimed by Bob Martinez")

        # Bob opens it from "Mine" and resolves it with a reason.
        mine = bob.locator(
            f"#queue-section .queue-case.mine[data-conversation-id='{conversation_id}']"
        )
        expect(mine).to_be_visible()
        mine.locator(".queue-open").click()
        bob_thread = bob.locator(f"#thread article[data-conversation-id='{conversation_id}']")
        expect(bob_thread.locator(".queue-state")).to_contain_text("Claimed by you")
        transferred = bob_thread.locator("[data-event-kind='transferred']")
        expect(transferred).to_contain_text("Wants a refund if late")
        _assert_seen_after_swaps(bob, transferred, "the transfer pill with its note")
        settled(bob)
        bob_thread.locator("details.queue-resolve summary").click()
        resolve = bob_thread.locator("details.queue-resolve form")
        # The Queue section, the controls with the Resolve panel open and the pills pass
        # axe (no serious or critical finding).
        assert axe_violations(bob) == []
        resolve.get_by_label("Resolved").check()
        resolve.get_by_role("button", name="Resolve").click()
        expect(bob_thread.locator(".queue-state")).to_contain_text("Resolved")

        # The pills, in order, in both threads (Alice's pushed while she watched).
        expected = ["arrived", "claimed", "transferred", "resolved"]
        expect(thread.locator("[data-event-kind='resolved']")).to_be_visible()
        assert _pills(bob_thread) == expected
        assert _pills(thread) == expected
        resolved = bob_thread.locator("[data-event-kind='resolved']")
        _assert_seen_after_swaps(bob, resolved, "the resolved pill")

        # Bob logs it: the local CRM shows one activity for the whole conversation, with
        # its handling history and the transfer note in it.
        bob_thread.get_by_role("button", name="Log", exact=True).click()
        panel = bob.locator(f"#log-panel[data-conversation-id='{conversation_id}']")
        priya = panel.get_by_role("radio", name="Priya Shah (Contact)")
        priya.check()
        expect(priya).to_be_checked()
        preview = panel.locator("#log-preview pre")
        expect(preview).to_contain_text("Wants a refund if late")
        panel.get_by_role("button", name="Log", exact=True).click()
        mark = bob.locator(f"#log-status-{conversation_id}")
        expect(mark).to_have_attribute("data-state", "logged")
        assert_seen(mark, "the Logged mark")
        with bob_context.expect_page() as opened:
            mark.locator("a.activity-link").click()
        crm = opened.value
        crm.wait_for_load_state()
        activity = crm.locator("article.crm-activity").filter(
            has=crm.locator("[data-field='record']", has_text="Priya Shah")
        )
        expect(activity).to_have_count(1)
        body = activity.locator("[data-field='body-source']")
        expect(body).to_contain_text("Handled by: Alice Chen, Bob Martinez")
        expect(body).to_contain_text("(transfer to Bob Martinez) Wants a refund if late")
        expect(body).to_contain_text("It ships today.")
        expect(body).to_contain_text("Is my &lt;b&gt;order&lt;/b&gt; late?")  # escaped
        crm.close()

        alice_watch.assert_clean()
        bob_watch.assert_clean()
    finally:
        alice_context.close()
        bob_context.close()


def test_who_has_it_resolved_line_browse_and_voicemail_at_360px(browser, live_server):
    """Follow-ups: the holder stays named after a reload, a resolved case shows who
    resolved it instead of a reply box, members find it again under "Resolved", and a
    voicemail to the queue number arrives in the Queue section like a text."""
    from playwright.sync_api import expect

    alice_context, alice, alice_watch = _agent(browser, live_server, "101")
    bob_context, bob, bob_watch = _agent(browser, live_server, "102")
    try:
        conversation_id = _deliver(live_server, "Lost my <i>key</i>")
        selector = f"#queue-section li.queue-case[data-conversation-id='{conversation_id}']"
        expect(alice.locator(selector)).to_contain_text("Lost my <i>key</i>")
        alice.locator(selector).get_by_role("button", name="Claim").click()
        thread = alice.locator(f"#thread article[data-conversation-id='{conversation_id}']")
        expect(thread.locator(".queue-state")).to_contain_text("Claimed by you")

        # Bob's section re-rendered from scratch still says who has it.
        bob.reload()
        expect(bob.locator("#realtime")).to_have_attribute("data-state", "live")
        held = bob.locator(selector)
        expect(held).to_contain_text("Claimed by Alice Chen")
        assert_seen(held.locator(".claimed-by"), "who holds the case, after a reload")

        # A voicemail to the queue number arrives in Bob's Queue section, pushed.
        voicemail_id = _deliver(live_server, "Call me", "+13125550199", "VoiceMail")
        vm_row = bob.locator(f"#queue-section li.queue-case[data-conversation-id='{voicemail_id}']")
        assert_seen(vm_row.get_by_role("button", name="Claim"), "Claim on the voicemail")

        # Alice resolves: the reply box gives way to who resolved it and why.
        settled(alice)
        thread.locator("details.queue-resolve summary").click()
        resolve = thread.locator("details.queue-resolve form")
        resolve.get_by_label("Spam").check()
        resolve.get_by_role("button", name="Resolve").click()
        line = thread.locator(".queue-resolved")
        expect(line).to_contain_text("Resolved by Alice Chen · Spam")
        expect(line).to_contain_text("A new text from the customer reopens it")
        assert_seen(line, "the resolved line")
        expect(thread.locator("textarea[name=text]")).to_have_count(0)

        # Bob finds it again under Resolved and opens it.
        settled(bob)
        bob.locator("#queue-section .queue-browse-links").get_by_role(
            "button", name="Resolved"
        ).click()
        found = bob.locator(f".queue-browse li[data-conversation-id='{conversation_id}']")
        expect(found).to_contain_text("Resolved by Alice Chen")
        assert_seen(found, "the resolved conversation in the Resolved list")
        found.locator(".queue-open").click()
        bob_thread = bob.locator(f"#thread article[data-conversation-id='{conversation_id}']")
        assert_seen(bob_thread.locator(".queue-resolved"), "Bob's resolved line")

        alice_watch.assert_clean()
        bob_watch.assert_clean()
    finally:
        alice_context.close()
        bob_context.close()
