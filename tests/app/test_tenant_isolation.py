"""Tenant isolation: Bob (102) cannot see, open, page, mark or play Alice's (101) messages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import html, sign_in
from tests.mailbox import demo_extension, fetch
from widget.extensions import db
from widget.inbox.service import encode_cursor
from widget.models import Attachment, Conversation, Message, ReadStatus


def _ids(extension_number: str) -> set[int]:
    extension = demo_extension(extension_number)
    return set(
        db.session.scalars(select(Conversation.id).where(Conversation.extension_id == extension.id))
    )


@pytest.fixture
def bob(demo_client, demo_db):
    return demo_client, sign_in(demo_client, "102")


@pytest.fixture
def alices_unread(demo_db) -> Conversation:
    alice = demo_extension("101")
    return db.session.scalars(
        select(Conversation)
        .where(Conversation.extension_id == alice.id, Conversation.unread_count > 0)
        .order_by(Conversation.id)
    ).first()


def _not_found(response) -> str:
    assert response.status_code == 404, response.status_code
    return html(response).select_one(".error-box").get_text(" ", strip=True)


def test_bob_cannot_open_page_or_mark_alices_conversation(bob, alices_unread):
    client, headers = bob
    target = alices_unread.id
    newest = max(alices_unread.messages, key=lambda m: (m.created_at, m.id))
    cursor = encode_cursor(newest.created_at, newest.id + 1)
    unread_before = alices_unread.unread_count
    missing = max(_ids("101") | _ids("102")) + 1000

    answers = [
        _not_found(client.get(f"/widget/conversations/{target}", headers=headers)),
        _not_found(
            client.get(f"/widget/conversations/{target}/earlier?before={cursor}", headers=headers)
        ),
        _not_found(client.post(f"/widget/conversations/{target}/read", headers=headers)),
    ]

    # Exactly what a conversation that does not exist answers: nothing leaks.
    assert set(answers) == {
        _not_found(client.get(f"/widget/conversations/{missing}", headers=headers))
    }
    db.session.expire_all()
    conversation = db.session.get(Conversation, target)
    assert conversation.unread_count == unread_before
    assert ReadStatus.UNREAD in {m.read_status for m in conversation.messages}


def test_errors_for_htmx_calls_are_fragments_in_the_flash_area(bob, alices_unread):
    client, headers = bob

    response = client.get(f"/widget/conversations/{alices_unread.id}", headers=headers)

    assert response.headers["HX-Retarget"] == "#flash"
    assert html(response).find("html") is None  # a fragment, not a page
    assert html(response).select_one(".error-box")["data-status"] == "404"


def test_bob_cannot_fetch_alices_media_without_her_signed_link(bob, demo_db):
    client, headers = bob
    alice = demo_extension("101")
    recording = db.session.scalars(
        select(Attachment)
        .join(Message)
        .where(Message.extension_id == alice.id, Attachment.kind == "AudioRecording")
    ).first()

    signed_in = fetch(client, f"/widget/media/{recording.id}", headers=headers)
    download = fetch(client, f"/widget/media/{recording.id}?download=1", headers=headers)

    for response in (signed_in, download):
        assert response.status_code == 404
        assert not response.data.startswith(b"RIFF")


def test_bobs_list_never_shows_alices_conversations(bob):
    client, headers = bob
    alice_ids, bob_ids = _ids("101"), _ids("102")

    shown: set[int] = set()
    for params in [
        {},
        {"tab": "text"},
        {"tab": "voicemail"},
        {"tab": "fax"},
        {"tab": "pager"},
        {"unread": "1"},
        {"q": "pallet"},  # text that Alice's mailbox has too
        {"q": "Marco"},  # Alice's personal contact
        {"q": "Alice"},
    ]:
        page = html(client.get("/widget/list", query_string=params, headers=headers))
        shown |= {int(li["data-conversation-id"]) for li in page.select("[data-conversation-id]")}

    assert shown and shown <= bob_ids
    assert not shown & alice_ids


def test_a_token_names_one_extension_even_with_another_session_cookie(demo_client, demo_db):
    alice_headers = sign_in(demo_client, "101")  # also leaves Alice's session cookie
    bob_headers = sign_in(demo_client, "102")
    alice_conversation = min(_ids("101"))

    as_bob = demo_client.get(f"/widget/conversations/{alice_conversation}", headers=bob_headers)
    as_alice = demo_client.get(f"/widget/conversations/{alice_conversation}", headers=alice_headers)

    assert as_bob.status_code == 404
    assert as_alice.status_code == 200
