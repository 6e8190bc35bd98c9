"""Editing a company SMS template in the console, in real Chromium, as an admin does it.

Edit opens the template's form in place; a text with a misspelt variable is refused with
the problem beside the field (nothing saved); the corrected text is saved, shown, and
listed in the audit log with its diff. A user composing then finds the new text.
"""

from __future__ import annotations

import pytest

from tests.browser.person import ConsoleWatch, assert_seen, settled

pytestmark = pytest.mark.browser


def test_an_admin_edits_a_company_template_with_a_mistake_first(page, live_server):
    from playwright.sync_api import expect

    console = ConsoleWatch().attach(page)
    page.goto(f"{live_server.url}/auth/signin?next=/admin/settings")
    page.locator("label[data-extension-number='101']").click()
    page.get_by_role("button", name="Sign in").click()
    section = page.locator("#company-templates")
    expect(section.get_by_role("heading", name="Company SMS templates")).to_be_visible()
    # The heading shows before htmx has bound the page's buttons; a click before then
    # does nothing (seen under a loaded suite). A person's first click comes later.
    page.wait_for_load_state("load")

    section.get_by_role("button", name="Edit “Thanks for reaching out”").click()
    settled(page)
    text = section.get_by_label("Text", exact=True).first
    expect(text).to_have_value(
        "Hi {{contact.first_name}}, thanks for contacting {{company.name}}! "
        "We'll get back to you shortly."
    )
    assert_seen(text, "the template's text being edited")

    text.fill("Hi {{contact.firstName}}, thanks for writing!")
    section.get_by_role("button", name="Save template").click()
    problem = section.locator("#edit-template-body-error")
    expect(problem).to_contain_text("Unknown variable {{contact.firstName}}")
    assert_seen(problem, "the problem with the text")
    settled(page)

    section.get_by_label("Text", exact=True).first.fill(
        "Hi {{contact.first_name}}, thanks for writing!"
    )
    section.get_by_role("button", name="Save template").click()
    expect(section.get_by_role("status")).to_have_text("Template saved.")
    expect(section.get_by_text("Hi {{contact.first_name}}, thanks for writing!")).to_be_visible()
    expect(section.locator("form button", has_text="Save template")).to_have_count(0)

    page.get_by_role("link", name="Audit log").click()
    entry = page.locator("li.audit-entry[data-action='template.edit']")
    expect(entry).to_have_count(1)  # the refused edit left no entry
    expect(entry).to_contain_text("Edited “Thanks for reaching out”")
    entry.get_by_text("Diff").click()
    expect(entry.get_by_text("+Hi {{contact.first_name}}, thanks for writing!")).to_be_visible()
    console.assert_clean(expected_status=422)
