"""The log-form builder in real Chromium: add a field, preview, publish, use, diff, roll back."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from tests.browser.widget_steps import (
    deliver_from_jane,
    open_log_panel,
    open_thread,
    sign_in_as_alice,
)

pytestmark = pytest.mark.browser


def _sign_in_admin(page, live_server, path: str) -> None:
    page.goto(f"{live_server.url}/auth/signin?next={path}")
    page.locator("label[data-extension-number='101']").click()
    page.get_by_role("button", name="Sign in").click()


def _open_log_panel(page, host_server, conversation_id: int):
    page.goto(host_server.url + "/")
    widget = page.frame_locator("#sidetalk")
    row = sign_in_as_alice(widget, conversation_id)
    thread = open_thread(widget, row, conversation_id)
    return widget, open_log_panel(widget, thread, conversation_id)


def test_admin_adds_a_required_selection_publishes_diffs_and_rolls_back(
    page, browser, live_server, host_server
):
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    conversation_id = deliver_from_jane(live_server, "Did it ship?")

    _sign_in_admin(page, live_server, "/admin/manifests/local")
    expect(page.get_by_role("heading", name="Log form for Local CRM")).to_be_visible()
    builder = page.locator("#builder")
    # The bundled form has an "Outcome" of its own: the admin replaces it.
    builder.get_by_role("button", name="Remove Outcome").click()
    expect(builder.locator("fieldset.builder-field[data-const='outcome']")).to_have_count(0)
    before = builder.locator("fieldset.builder-field").count()

    builder.get_by_role("button", name="Add field").click()
    expect(builder.locator("fieldset.builder-field")).to_have_count(before + 1)
    new = builder.locator("fieldset.builder-field").last
    new.get_by_label("Title").fill("Outcome")
    new.get_by_label("Type").select_option("selection")
    new = builder.locator("fieldset.builder-field[data-const='outcome']")
    expect(new.get_by_role("button", name="Add option")).to_be_visible()
    new.get_by_label("Required").check()
    new.get_by_role("button", name="Add option").click()
    new.get_by_label("Option 1 value").fill("won")
    new.get_by_label("Option 1 title").fill("Won")
    new.get_by_role("button", name="Add option").click()
    new.get_by_label("Option 2 value").fill("lost")
    new.get_by_label("Option 2 title").fill("Lost")

    preview = page.frame_locator("#log-form-preview iframe")
    outcome = preview.get_by_label("Outcome")
    expect(outcome.locator("option")).to_have_text(["Choose…", "Won", "Lost"])
    expect(preview.locator("#log-panel")).to_be_visible()
    box = page.locator("#log-form-preview iframe").bounding_box()
    assert box is not None and round(box["width"]) == 360
    expect(page.locator("#manifest-document")).to_contain_text('"title": "Outcome"')
    expect(page.locator("#manifest-errors")).to_have_attribute("data-error-count", "0")

    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#manifest-errors")).to_contain_text("Published version 1")

    # A user's Log panel shows the field and refuses Log without a choice.
    user = browser.new_page(viewport={"width": 1024, "height": 720})
    widget, panel = _open_log_panel(user, host_server, conversation_id)
    field = panel.get_by_label("Outcome")
    expect(field).to_be_visible()
    expect(field.locator("option")).to_have_text(["Choose…", "Won", "Lost"])
    panel.get_by_role("button", name="Log", exact=True).click()
    assert field.evaluate("e => e.validity.valueMissing") is True
    expect(widget.locator(f"#log-status-{conversation_id}")).not_to_have_attribute(
        "data-state", "logged"
    )
    field.select_option("won")
    panel.get_by_role("button", name="Log", exact=True).click()
    expect(widget.locator(f"#log-status-{conversation_id}")).to_have_attribute(
        "data-state", "logged"
    )

    # The diff shows the change; Rollback removes it.
    page.locator("#manifest-versions li[data-version='1']").get_by_role(
        "button", name="Diff with version 0"
    ).click()
    diff = page.locator("#version-diff")
    expect(diff.locator(".diff-add", has_text='"title": "Won"')).to_be_visible()
    expect(diff.locator(".diff-remove", has_text='"title": "Resolved"')).to_be_visible()
    page.get_by_role("button", name="Roll back to version 0").click()
    expect(page.locator("#manifest-errors")).to_contain_text("Version 0 is active again")
    expect(page.locator("#manifest-versions li.active")).to_have_attribute("data-version", "2")

    widget, panel = _open_log_panel(user, host_server, conversation_id)
    restored = panel.get_by_label("Outcome")
    expect(restored.locator("option")).to_have_text(["Resolved", "Follow-up needed", "No action"])
    user.close()

    page.goto(f"{live_server.url}/admin/audit")
    entries = page.locator("li.audit-entry")
    expect(entries).to_have_count(3)
    expect(entries.locator(".audit-summary")).to_have_text(
        [
            "Rolled back to version 0 (now version 2)",
            "Published version 1",
            "Started a draft from version 0",
        ]
    )
    expect(entries.first.locator(".audit-actor")).to_be_visible()
    assert errors == []


def test_live_validation_names_problems_in_words_and_the_console_refuses_frames(
    page, live_server, host_server
):
    from playwright.sync_api import expect

    _sign_in_admin(page, live_server, "/admin/manifests/local")
    document = page.locator("#manifest-document")
    expect(document).to_contain_text('"const": "outcome"')
    text = document.input_value().replace('"const": "note"', '"const": "outcome"', 1)
    document.fill(text)  # typing: the check runs once the admin pauses

    problems = page.locator("#manifest-errors .manifest-error-list li")
    expect(problems).to_have_count(1)
    pointer = problems.first.get_attribute("data-pointer")
    assert pointer.startswith("/platforms/local/page/messageLog/additionalFields/")
    expect(problems.first).to_contain_text("duplicate const 'outcome': already used by")
    expect(page.locator("#draft-status")).to_contain_text("Your draft")

    document.fill(text[:40])  # not JSON any more: the form view says why it is empty
    expect(problems.first).to_contain_text("not valid JSON")
    expect(page.locator("#builder")).to_contain_text("fix the JSON first")
    expect(page.frame_locator("#log-form-preview iframe").locator("body")).to_have_count(0)

    # An admin page inside another site's frame shows nothing of the console, even with
    # the admin's own credentials (a token, since the frame gets no cookie).
    token = page.evaluate(
        "JSON.parse(document.body.getAttribute('hx-headers'))['X-Sidetalk-Token']"
    )
    allowed = requests.get(
        f"{live_server.url}/admin/", headers={"X-Sidetalk-Token": token}, timeout=10
    )
    assert "Administer" in allowed.text  # the same credentials outside a frame show it
    assert "frame-ancestors 'none'" in allowed.headers["Content-Security-Policy"]
    page.goto(host_server.url + "/?src=" + quote("/admin/", safe=""))
    framed = page.frame_locator("#sidetalk")
    expect(framed.get_by_role("heading", name="Administer")).to_have_count(0)
    [framed_admin] = page.frames[1:]  # goto waited for the frame's load event
    content = framed_admin.content()
    # Without credentials in the URL the frame can only offer sign-in; the console never
    # shows, and its own answer forbids any framing (checked above).
    assert "Administer" not in content
