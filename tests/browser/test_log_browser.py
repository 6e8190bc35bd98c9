"""Logging a conversation to the local CRM in real Chromium, inside a cross-site iframe."""

from __future__ import annotations

import pytest

from tests.browser.log_steps import deliver_sms, sign_in_as_alice

pytestmark = pytest.mark.browser

JANE = "+14155550123"
TEXT = "Can the delivery move to Friday? <b>urgent</b> & **thanks**"


def test_log_a_conversation_and_see_it_in_the_local_crm(page, live_server, host_server):
    from playwright.sync_api import expect

    conversation_id = deliver_sms(live_server, JANE, TEXT)
    widget = sign_in_as_alice(page, host_server)
    row = widget.locator(f"#conversation-{conversation_id} .row-main")
    expect(row).to_be_visible()
    page.context.clear_cookies()  # from here on only the widget token says who we are

    row.click()
    thread = widget.locator(f"article.thread[data-conversation-id='{conversation_id}']")
    expect(thread).to_be_visible()
    thread.get_by_role("button", name="Log", exact=True).click()

    panel = widget.locator(f"#log-panel[data-conversation-id='{conversation_id}']")
    expect(panel.get_by_role("heading", name="Log to Local CRM")).to_be_visible()
    jane = panel.get_by_role("radio", name="Jane Roe (Contact)")
    jane.check()
    expect(jane).to_be_checked()
    related = panel.get_by_label("Related to")
    expect(related.locator("option", has_text="Opportunity: Warehouse SMS pilot")).to_have_count(1)
    related.select_option(label="Opportunity: Warehouse SMS pilot")
    panel.get_by_label("Note").fill("Confirm the Friday slot")
    preview = panel.locator("#log-preview")
    expect(preview.locator("pre")).to_contain_text("Can the delivery move to Friday?")
    expect(preview.locator("pre")).to_contain_text("&lt;b&gt;urgent&lt;/b&gt;")

    panel.get_by_role("button", name="Log", exact=True).click()

    mark = widget.locator(f"#log-status-{conversation_id}")
    expect(mark).to_have_attribute("data-state", "logged")
    expect(mark.locator(".logged-mark")).to_contain_text("Logged to Jane Roe (Contact)")
    expect(widget.locator("#flash .error-box")).to_have_count(0)

    # "View activity" opens the local CRM in a new tab: the widget hands its token over
    # in a POST body (a token never goes into a URL), the tab keeps a session of its own.
    requested: list[str] = []
    page.context.on("request", lambda request: requested.append(request.url))
    with page.context.expect_page() as opened:
        mark.locator("a.activity-link").click()
    crm = opened.value
    crm.wait_for_load_state()
    assert "/crm/local/activities" in crm.url, crm.url
    assert not [url for url in requested if "token=" in url], requested
    activity = crm.locator("article.crm-activity").filter(
        has=crm.locator("[data-field='record']", has_text="Jane Roe")
    )
    expect(activity).to_have_count(1)
    expect(activity.locator("[data-field='related-to']")).to_contain_text("Warehouse SMS pilot")
    expect(activity.locator("[data-field='note']")).to_have_text("Confirm the Friday slot")
    body = activity.locator("[data-field='body-source']")
    expect(body).to_contain_text("Can the delivery move to Friday?")
    expect(body).to_contain_text("&lt;b&gt;urgent&lt;/b&gt;")  # escaped in the CRM body
    framed = activity.frame_locator("iframe.crm-body")
    expect(framed.locator("body")).to_contain_text("<b>urgent</b>")
    expect(framed.locator("b")).to_have_count(0)


def test_connect_salesforce_in_a_popup_updates_the_open_settings(page, live_server, host_server):
    from playwright.sync_api import expect

    from connectors.http import close_pooled_http
    from fakes.salesforce import FakeSalesforce

    with FakeSalesforce(require_pkce=True) as fake:
        live_server.app.config.update(
            SALESFORCE_CLIENT_ID=fake.client_id,
            SALESFORCE_CLIENT_SECRET=fake.client_secret,
            SALESFORCE_LOGIN_URL=fake.url,
        )
        page.goto(host_server.url + "/")
        widget = page.frame_locator("#sidetalk")
        widget.locator("label[data-extension-number='101']").click()
        widget.get_by_role("button", name="Sign in").click()
        expect(widget.locator("#rows li[data-conversation-id]").first).to_be_visible()
        page.context.clear_cookies()  # the popup must not rely on the iframe's cookies
        widget.locator("details.menu > summary").click()  # the topbar's "More" menu
        widget.get_by_role("button", name="Settings").click()
        settings = widget.locator("#crm-settings")
        expect(settings.locator(".crm-name")).to_have_text("Local CRM")

        with page.expect_popup() as opened:
            settings.get_by_role("button", name="Connect Salesforce").click()
        popup = opened.value
        popup.wait_for_event("close")  # the callback page tells the widget, then closes

        expect(settings.locator(".crm-name")).to_have_text("Salesforce")
        expect(settings.get_by_role("button", name="Disconnect Salesforce")).to_be_visible()
        assert fake.call_count("POST", "/services/oauth2/token") == 1
    close_pooled_http()
