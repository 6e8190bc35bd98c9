"""Templates and message lifecycle in real Chromium, inside a cross-site iframe."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.person import signed_in_widget
from widget.extensions import db
from widget.models import Availability, Conversation, Extension, Message

pytestmark = pytest.mark.browser


def test_manage_templates_and_insert_one_into_a_reply(page, live_server, host_server):
    from playwright.sync_api import expect

    widget = signed_in_widget(page, host_server.url)
    widget.locator("details.menu > summary").click()  # the topbar's "More" menu
    widget.get_by_role("button", name="Templates").click()
    personal = widget.locator("#templates-personal")
    expect(personal.locator("li.template")).to_have_count(2)

    # A variable that does not exist: the form comes back with the error, nothing saved.
    personal.get_by_label("Title").fill("Shoe size")
    personal.get_by_label("Text").fill("Your size is {{contact.shoe_size}}")
    personal.get_by_role("button", name="Add template").click()
    expect(personal.locator("#new-personal-body-error")).to_contain_text(
        "Unknown variable {{contact.shoe_size}}"
    )
    expect(personal.locator("li.template")).to_have_count(2)

    personal.get_by_label("Text").fill("Hello {{contact.first_name}}, {{user.first_name}} here.")
    personal.get_by_role("button", name="Add template").click()
    expect(personal.locator("li.template")).to_have_count(3)
    newest = personal.locator("li.template").last
    expect(newest.locator(".template-title")).to_have_text("Shoe size")
    newest.get_by_role("button", name="Move up").click()
    expect(personal.locator("li.template").nth(1).locator(".template-title")).to_have_text(
        "Shoe size"
    )
    expect(widget.locator("#flash .error-box")).to_have_count(0)

    widget.get_by_role("button", name="Back to list").click()
    with live_server.app.app_context():
        sam_id = db.session.scalar(
            select(Conversation.id)
            .join(Extension, Extension.id == Conversation.extension_id)
            .where(
                Extension.extension_number == "101",
                Conversation.participants == ",+12125550187,",
                Conversation.channel == "text",
            )
        )
        db.session.remove()
    widget.locator(f"#conversation-{sam_id} .row-main").click()
    reply = widget.locator("#reply-form")
    expect(reply).to_be_visible()
    reply.locator("textarea#compose-text").fill(">> ")
    reply.get_by_text("Insert template").click()
    choice = reply.get_by_role("button", name="Shoe size")
    expect(choice).to_be_visible()
    choice.click()
    expect(reply.locator("textarea#compose-text")).to_have_value(">> Hello Sam, Alice here.")


def test_delete_a_message_restore_it_and_find_a_deleted_conversation(
    page, live_server, host_server
):
    from playwright.sync_api import expect

    widget = signed_in_widget(page, host_server.url)
    fax_row = widget.locator("#rows li[data-channel='fax']").first
    conversation_id = fax_row.get_attribute("data-conversation-id")
    fax_row.locator(".row-main").click()
    bubble = widget.locator("#thread li.bubble").first
    message_id = bubble.get_attribute("data-message-id")
    expect(bubble.get_by_role("link", name="Download")).to_have_count(1)

    bubble.get_by_role("button", name="Delete").click()
    note = widget.locator(f"#deleted-note-{message_id}")
    expect(note).to_contain_text("Message deleted")
    expect(widget.locator(f"#message-{message_id}")).to_have_count(0)
    expect(widget.locator(f"#conversation-{conversation_id}")).to_have_count(0)  # its only one

    note.get_by_role("button", name="Restore").click()
    expect(widget.locator(f"#message-{message_id}.bubble a.doc")).to_be_visible()
    expect(widget.locator(f"#message-{message_id}")).to_have_count(1)
    expect(note).to_have_count(0)
    expect(widget.locator(f"#conversation-{conversation_id}")).to_have_count(1)  # list reloaded

    # Deleting a whole conversation asks first: dismissed, nothing happens.
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    widget.get_by_role("button", name="Delete conversation").click()
    expect(widget.locator(f"#message-{message_id}")).to_have_count(1)
    assert questions and "Delete this whole conversation?" in questions[0]
    page.once("dialog", lambda dialog: dialog.accept())
    widget.get_by_role("button", name="Delete conversation").click()
    expect(widget.locator("#thread .deleted-notice")).to_contain_text("Deleted 1 message")
    widget.get_by_role("button", name="Back to list").click()
    widget.get_by_label("Deleted").check()
    deleted_row = widget.locator(f"#conversation-{conversation_id}")
    expect(deleted_row.get_by_role("button", name="Restore")).to_be_visible()
    expect(widget.locator("#rows li.row")).to_have_count(1)
    deleted_row.locator(".row-main").click()
    expect(widget.locator("#thread .deleted-message")).to_have_count(1)
    widget.locator("#thread").get_by_role("button", name="Restore all").click()
    expect(widget.locator("#thread")).to_be_empty()
    expect(widget.locator("#rows li.row")).to_have_count(0)  # nothing deleted any more
    expect(widget.locator("#flash .error-box")).to_have_count(0)

    with live_server.app.app_context():
        message = db.session.scalars(select(Message).where(Message.id == int(message_id))).one()
        assert message.availability == Availability.ALIVE
        db.session.remove()


def test_insert_a_template_in_compose_for_the_chosen_recipient(page, live_server, host_server):
    from playwright.sync_api import expect

    widget = signed_in_widget(page, host_server.url)
    fax_from_priya = widget.locator("#rows li[data-channel='fax']").filter(has_text="Priya Shah")
    fax_from_priya.first.locator(".row-main").click()
    widget.get_by_role("button", name="SMS back").click()
    compose = widget.locator("#compose-form")
    expect(compose.locator("li.chip[data-recipient='+13125550144']")).to_be_visible()
    compose.get_by_text("Insert template").click()
    picker = compose.locator("#template-picker")
    reminder = picker.get_by_role("button", name="Appointment reminder")
    expect(reminder).to_be_visible()
    expect(picker.locator(".warning")).to_have_count(0)
    reminder.click()
    expect(compose.locator("textarea#compose-text")).to_have_value(
        "Hi Priya, a reminder of your appointment tomorrow. Reply C to confirm or call us to "
        "reschedule. Sidetalk Demo Co"
    )
    expect(compose.locator("#compose-counter")).not_to_contain_text("0/1000")
    expect(widget.locator("#flash .error-box")).to_have_count(0)
