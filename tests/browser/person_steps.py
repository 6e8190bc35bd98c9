"""Steps of the person suite: the demo's people, messages delivered through the sandbox,
and what a person does in Compose (add recipients, create a pager group, attach a picture)."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from tests.browser.person import open_compose, open_conversation, settled
from widget.extensions import db
from widget.models import Channel, Conversation, Extension

JANE = "+14155550123"
ALICE_SMS = "+16505550101"
SAM = "+12125550187"  # Sam Okafor, in the company directory


def conversation(app, number: str, channel: Channel, participants: str | None = None) -> int:
    with app.app_context():
        query = (
            select(Conversation.id)
            .join(Extension, Extension.id == Conversation.extension_id)
            .where(Extension.extension_number == number, Conversation.channel == channel)
            .order_by(Conversation.last_message_at.desc())
        )
        if participants:
            query = query.where(Conversation.participants == participants)
        found = db.session.scalars(query).first()
        db.session.remove()
        return found


def inbound(server, sender: str, to: str, text: str, kind: str = "SMS") -> None:
    import requests

    response = requests.post(
        server.url + "/sandbox/inbound",
        json={"from": sender, "to": to, "text": text, "type": kind},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def jane_thread(server) -> int:
    """Alice's one-to-one thread with Jane Roe (Jane texts first)."""
    inbound(server, JANE, ALICE_SMS, "Hi Alice, quick question about the order")
    return conversation(server.app, "101", Channel.TEXT, f",{JANE},")


def add_recipients(form, entries) -> None:
    """Type each entry, wait for the suggestions a person reads, press Enter."""
    from playwright.sync_api import expect

    query = form.locator("#recipient-query")
    chips = form.locator("#recipient-chips li.chip")
    for count, entry in enumerate(entries, start=1):
        with form.page.expect_response(lambda r: "/recipients" in r.url):
            query.fill(entry)
        query.press("Enter")
        expect(chips).to_have_count(count)


def create_group(page, name: str, members: list[str]):
    """Create a pager group from Compose; return its open thread."""
    from playwright.sync_api import expect

    open_compose(page)
    page.get_by_role("button", name="New group").click()
    form = page.locator("#group-form")
    form.wait_for()
    settled(page)
    form.locator("#group-name").fill(name)
    add_recipients(form, members)
    form.get_by_role("button", name="Create group").click()
    thread = page.locator("#thread article.thread")
    expect(thread.locator("h2")).to_have_text(name)
    return thread


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (30, 140, 90)).save(out, "PNG")
    return out.getvalue()


def reply_with_picture(page, conversation_id: int):
    """Open the thread and attach dock.png to its reply form; return the form."""
    from playwright.sync_api import expect

    open_conversation(page, conversation_id)
    reply = page.locator("#reply-form")
    reply.locator("#compose-file").set_input_files(
        files=[{"name": "dock.png", "mimeType": "image/png", "buffer": png()}]
    )
    expect(reply.locator("[data-attachment-label]")).to_have_text("Picture: dock.png")
    return reply
