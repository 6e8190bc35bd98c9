"""The thread header says each thing once: names in the title, numbers under it."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import html, sign_in
from widget.extensions import db
from widget.models import Conversation, ConversationKind, Extension

JANE, SAM = "+14155550123", "+12125550187"


def test_an_unnamed_group_text_shows_names_then_numbers(demo_app, demo_client):
    with demo_app.app_context():
        alice = db.session.scalar(select(Extension).filter_by(extension_number="101"))
        group = db.session.scalar(
            select(Conversation).where(
                Conversation.extension_id == alice.id,
                Conversation.kind == ConversationKind.GROUP,
                Conversation.participants == f",{SAM},{JANE},",
            )
        )
        assert group is not None and group.title is None
        group_id = group.id
    headers = sign_in(demo_client, "101")
    page = html(demo_client.get(f"/widget/conversations/{group_id}", headers=headers))
    assert page.select_one(".thread-head h2").get_text() == "Sam Okafor, Jane Roe"
    line = page.select_one(f"#thread-people-{group_id}").get_text()
    assert line == "(212) 555-0187, (415) 555-0123"
