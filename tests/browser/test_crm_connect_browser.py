"""Connecting HubSpot (its fake) through the popup and logging a conversation with a deal
as "Related to", in real Chromium inside a cross-site iframe; the communication is then
read at the fake; connecting Clio in the region chosen beside its button."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.browser

JANE = "+14155550123"
ALICE_NUMBER = "+16505550101"
TEXT = "Is the <b>fleet</b> renewal & pricing final?"


def test_connect_hubspot_then_log_with_a_deal(page, live_server, host_server):
    from playwright.sync_api import expect

    from connectors.http import close_pooled_http
    from fakes.hubspot import FakeHubSpot

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    with FakeHubSpot() as fake:
        live_server.app.config.update(
            HUBSPOT_CLIENT_ID=fake.client_id,
            HUBSPOT_CLIENT_SECRET=fake.client_secret,
            HUBSPOT_API_URL=fake.url,
            HUBSPOT_AUTHORIZE_URL=f"{fake.url}/oauth/authorize",
        )
        company = fake.add_company("Roe Logistics")
        jane = fake.add_contact("Jane", "Roe", phone="(415) 555-0123", company_id=company)
        deal = fake.add_deal("Fleet renewal", jane)
        delivered = requests.post(
            f"{live_server.url}/sandbox/inbound",
            json={"from": JANE, "to": ALICE_NUMBER, "text": TEXT, "type": "SMS"},
            timeout=10,
        )
        assert delivered.status_code == 201, delivered.text
        conversation_id = delivered.json()["conversation_id"]

        page.goto(host_server.url + "/")
        widget = page.frame_locator("#sidetalk")
        widget.locator("label[data-extension-number='101']").click()
        widget.get_by_role("button", name="Sign in").click()
        expect(widget.locator(f"#conversation-{conversation_id} .row-main")).to_be_visible()
        page.context.clear_cookies()  # the popup must not rely on the iframe's cookies
        widget.locator("details.menu > summary").click()
        widget.get_by_role("button", name="Settings").click()
        settings = widget.locator("#crm-settings")
        connect = settings.get_by_role("button", name="Connect HubSpot")
        expect(connect).to_be_in_viewport()

        with page.expect_popup() as opened:
            connect.click()
        opened.value.wait_for_event("close")  # the callback tells the widget, then closes

        expect(settings.locator(".crm-name")).to_have_text("HubSpot")
        expect(settings.get_by_role("button", name="Disconnect HubSpot")).to_be_visible()
        assert fake.call_count("POST", "/oauth/v3/token") == 1
        settings.get_by_role("button", name="‹ Back").click()

        widget.locator(f"#conversation-{conversation_id} .row-main").click()
        thread = widget.locator(f"article.thread[data-conversation-id='{conversation_id}']")
        expect(thread).to_be_visible()
        thread.get_by_role("button", name="Log", exact=True).click()
        panel = widget.locator(f"#log-panel[data-conversation-id='{conversation_id}']")
        expect(panel.get_by_role("heading", name="Log to HubSpot")).to_be_in_viewport()
        person = panel.get_by_role("radio", name="Jane Roe (Contact)")
        person.check()
        related = panel.get_by_label("Related to")
        expect(related.locator("option", has_text="Deal: Fleet renewal")).to_have_count(1)
        expect(related.locator("option", has_text="Company: Roe Logistics")).to_have_count(1)
        related.select_option(label="Deal: Fleet renewal")
        log_button = panel.get_by_role("button", name="Log", exact=True)
        expect(log_button).to_be_in_viewport()
        log_button.click()

        mark = widget.locator(f"#log-status-{conversation_id}")
        expect(mark).to_have_attribute("data-state", "logged")
        expect(mark.locator(".logged-mark")).to_contain_text("Logged to Jane Roe (Contact)")
        expect(widget.locator("#flash .error-box")).to_have_count(0)

        [(comm_id, stored)] = fake.communications.items()
        props = stored["properties"]
        assert props["hs_communication_channel_type"] == "SMS"
        assert "&lt;b&gt;fleet&lt;/b&gt; renewal &amp; pricing" in props["hs_communication_body"]
        assert fake.associations_of(comm_id) == {("contacts", jane), ("deals", deal)}
    close_pooled_http()
    assert errors == []


def test_connect_clio_in_the_chosen_region(page, live_server, host_server):
    from playwright.sync_api import expect

    from connectors.http import close_pooled_http
    from fakes.clio import FakeClio

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    with FakeClio() as us, FakeClio() as europe:
        live_server.app.config.update(
            CLIO_CLIENT_ID=us.client_id,
            CLIO_CLIENT_SECRET=us.client_secret,
            CLIO_US_URL=us.url,
            CLIO_EU_CLIENT_ID=europe.client_id,
            CLIO_EU_CLIENT_SECRET=europe.client_secret,
            CLIO_EU_URL=europe.url,
        )
        page.goto(host_server.url + "/")
        widget = page.frame_locator("#sidetalk")
        widget.locator("label[data-extension-number='101']").click()
        widget.get_by_role("button", name="Sign in").click()
        expect(widget.locator("#rows li[data-conversation-id]").first).to_be_visible()
        page.context.clear_cookies()
        widget.locator("details.menu > summary").click()
        widget.get_by_role("button", name="Settings").click()
        settings = widget.locator("#crm-settings")
        region = settings.get_by_label("Clio region")
        connect = settings.get_by_role("button", name="Connect Clio")
        expect(region).to_be_in_viewport()
        expect(connect).to_be_in_viewport()
        box, button = region.bounding_box(), connect.bounding_box()
        assert box and button
        apart = box["x"] + box["width"] <= button["x"] or box["y"] + box["height"] <= button["y"]
        assert apart, (box, button)  # side by side or stacked, never on top of each other
        region.select_option("EU")

        with page.expect_popup() as opened:
            connect.click()
        opened.value.wait_for_event("close")

        expect(settings.locator(".crm-name")).to_have_text("Clio")
        assert europe.call_count("POST", "/oauth/token") == 1
        assert us.calls == []
    close_pooled_http()
    assert errors == []
