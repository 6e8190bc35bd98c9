"""Unread, delete, restore over HTTP: the sidebar's buttons, fragments and tenant isolation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.helpers import html, sign_in
from widget.extensions import db
from widget.inbox.presenters import media_url
from widget.lifecycle.service import purge_due_messages
from widget.lifecycle.tasks import purge_deleted_messages, purge_is_due
from widget.models import Availability, Channel, Conversation, Extension, Message, ReadStatus

SAM = "+12125550187"  # 101's direct SMS thread: 5 messages, the last two unread
T0 = datetime(2031, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def alice(demo_client):
    return sign_in(demo_client, "101")


@pytest.fixture
def bob(demo_client):
    return sign_in(demo_client, "102")


def conversation_id(app, channel: Channel, participants: str | None = None) -> int:
    with app.app_context():
        alice = db.session.scalars(
            select(Extension).where(Extension.extension_number == "101")
        ).one()
        stmt = select(Conversation.id).where(
            Conversation.extension_id == alice.id, Conversation.channel == channel
        )
        if participants:
            stmt = stmt.where(Conversation.participants == participants)
        return db.session.scalars(stmt.order_by(Conversation.id)).first()


def message_ids(app, conv_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Message.id)
                .where(Message.conversation_id == conv_id)
                .order_by(Message.created_at, Message.id)
            )
        )


def states(app) -> list[tuple]:
    """Every message's state and every conversation's summary: to prove nothing changed."""
    with app.app_context():
        messages = db.session.execute(
            select(Message.id, Message.availability, Message.read_status, Message.deleted_at)
        ).all()
        conversations = db.session.execute(
            select(Conversation.id, Conversation.availability, Conversation.unread_count)
        ).all()
        return sorted(messages) + sorted(conversations)


def thread(client, headers, conv_id):
    return html(client.get(f"/widget/conversations/{conv_id}", headers=headers))


def test_thread_offers_mark_unread_and_delete_conversation(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.TEXT, f",{SAM},")
    actions = thread(demo_client, alice, conv_id).select_one(".thread-actions")
    buttons = {b.get_text(): b for b in actions.find_all("button")}
    assert buttons["Mark unread"]["hx-post"] == f"/widget/conversations/{conv_id}/unread"
    assert buttons["Delete conversation"]["hx-post"] == f"/widget/conversations/{conv_id}/delete"


@pytest.mark.parametrize("channel", [Channel.TEXT, Channel.VOICEMAIL, Channel.FAX, Channel.PAGER])
def test_every_bubble_has_a_delete_button(demo_client, demo_app, alice, channel):
    conv_id = conversation_id(demo_app, channel)
    bubbles = thread(demo_client, alice, conv_id).select("li.bubble")
    assert bubbles
    for bubble in bubbles:
        delete = bubble.find("button", string="Delete")
        assert delete["hx-post"] == f"/widget/messages/{bubble['data-message-id']}/delete"
        assert delete["hx-target"] == f"#lifecycle-notes-{conv_id}"


@pytest.mark.parametrize("channel", [Channel.VOICEMAIL, Channel.FAX])
def test_voicemail_and_fax_bubbles_have_one_download(demo_client, demo_app, alice, channel):
    bubble = thread(demo_client, alice, conversation_id(demo_app, channel)).select_one("li.bubble")
    downloads = bubble.find_all("a", string="Download")
    assert len(downloads) == 1
    assert "download=1" in downloads[0]["href"]
    if channel == Channel.VOICEMAIL:
        assert bubble.select_one(".transcription").get_text(strip=True).startswith("Transcription:")


def test_mark_unread_returns_the_bold_row_and_counts_out_of_band(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.TEXT, f",{SAM},")
    read = html(demo_client.post(f"/widget/conversations/{conv_id}/read", headers=alice))
    text_unread = int(read.select_one("#count-text")["data-count"])
    response = demo_client.post(f"/widget/conversations/{conv_id}/unread", headers=alice)
    assert response.status_code == 200
    page = html(response)
    row = page.select_one(f"li#conversation-{conv_id}")
    assert row["hx-swap-oob"] == "true"
    assert "unread" in row["class"]
    assert row.select_one(".unread-mark").get_text() == "1"
    assert page.select_one("#count-text")["data-count"] == str(text_unread + 1)
    assert page.select_one("#count-text")["hx-swap-oob"] == "true"
    newest = message_ids(demo_app, conv_id)[-1]
    with demo_app.app_context():
        assert db.session.get(Message, newest).read_status == ReadStatus.UNREAD


def text_unread(client, headers) -> int:
    page = html(
        client.get("/widget/", headers={k: v for k, v in headers.items() if k != "HX-Request"})
    )
    return int(page.select_one("#count-text")["data-count"])


def test_delete_conversation_shows_a_notice_with_restore(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.TEXT, f",{SAM},")
    unread_before = text_unread(demo_client, alice)
    response = demo_client.post(f"/widget/conversations/{conv_id}/delete", headers=alice)
    assert response.status_code == 200
    page = html(response)
    notice = page.select_one("article.deleted-notice")
    assert "Deleted 5 messages" in notice.get_text()
    restore = notice.find("button", string="Restore")
    assert restore["hx-post"] == f"/widget/conversations/{conv_id}/restore"
    removal = page.select_one(f"li#conversation-{conv_id}")
    assert removal["hx-swap-oob"] == "delete"
    # Its two unread messages no longer count.
    assert page.select_one("#count-text")["data-count"] == str(unread_before - 2)
    with demo_app.app_context():
        conv = db.session.get(Conversation, conv_id)
        assert conv.availability == Availability.DELETED
        assert {m.availability for m in conv.messages} == {Availability.DELETED}


def test_deleted_filter_lists_deleted_conversations_with_restore(demo_client, demo_app, alice):
    page = html(
        demo_client.get("/widget/", headers={k: v for k, v in alice.items() if k != "HX-Request"})
    )
    checkbox = page.select_one("#filters input[name=deleted]")
    assert checkbox.find_parent("label").get_text(strip=True) == "Deleted"
    conv_id = conversation_id(demo_app, Channel.TEXT, f",{SAM},")
    demo_client.post(f"/widget/conversations/{conv_id}/delete", headers=alice)
    normal = html(demo_client.get("/widget/list", headers=alice))
    assert normal.select_one(f"#conversation-{conv_id}") is None
    deleted = html(demo_client.get("/widget/list?deleted=1", headers=alice))
    rows = deleted.select("li.row")
    assert [int(r["data-conversation-id"]) for r in rows] == [conv_id]
    link = rows[0].select_one("a.row-main")
    assert link["hx-get"] == f"/widget/conversations/{conv_id}/deleted"
    restore = rows[0].find("button", string="Restore")
    assert restore["hx-post"] == f"/widget/conversations/{conv_id}/restore"


def test_deleted_view_load_more_keeps_the_filter(demo_client, demo_app, alice):
    demo_app.config["PAGE_SIZE"] = 2
    for channel in (Channel.TEXT, Channel.VOICEMAIL, Channel.FAX):
        demo_client.post(
            f"/widget/conversations/{conversation_id(demo_app, channel)}/delete", headers=alice
        )
    first = html(demo_client.get("/widget/list?deleted=1", headers=alice))
    more = first.select_one("#load-more button")["hx-get"]
    assert "deleted=1" in more
    second = html(demo_client.get(more, headers=alice))
    assert len(first.select("li.row")) + len(second.select("li.row")) == 3


def test_deleted_panel_lists_messages_with_restore(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.TEXT, f",{SAM},")
    ids = message_ids(demo_app, conv_id)
    demo_client.post(f"/widget/messages/{ids[0]}/delete", headers=alice)
    demo_client.post(f"/widget/messages/{ids[1]}/delete", headers=alice)
    panel = html(demo_client.get(f"/widget/conversations/{conv_id}/deleted", headers=alice))
    items = panel.select("li.deleted-message")
    assert sorted(int(li["data-message-id"]) for li in items) == ids[:2]
    for li in items:
        restore = li.find("button", string="Restore")
        assert restore["hx-post"] == f"/widget/messages/{li['data-message-id']}/restore"
        assert restore["hx-swap"] == "delete"
        assert "purged after" in li.select_one(".meta").get_text()
    assert panel.find("button", string="Restore all")["hx-post"] == (
        f"/widget/conversations/{conv_id}/restore"
    )


def test_delete_message_returns_a_note_and_updates_the_thread_and_row(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.TEXT, f",{SAM},")
    notes = thread(demo_client, alice, conv_id).select_one(f"ul#lifecycle-notes-{conv_id}")
    assert notes is not None and notes.find("li") is None
    newest = message_ids(demo_app, conv_id)[-1]
    response = demo_client.post(f"/widget/messages/{newest}/delete", headers=alice)
    page = html(response)
    note = page.select_one(f"li#deleted-note-{newest}")
    assert "Message deleted" in note.get_text()
    restore = note.find("button", string="Restore")
    assert restore["hx-post"] == f"/widget/messages/{newest}/restore"
    assert restore["hx-swap"] == "delete"
    assert page.select_one(f"li#message-{newest}")["hx-swap-oob"] == "delete"  # the bubble
    row = page.select_one(f"li#conversation-{conv_id}")
    assert row["hx-swap-oob"] == "true"
    assert row.select_one(".unread-mark").get_text() == "1"  # one unread left
    assert page.select_one("#count-text")["hx-swap-oob"] == "true"
    bubbles = thread(demo_client, alice, conv_id).select("li.bubble")
    assert newest not in [int(b["data-message-id"]) for b in bubbles]


def test_deleting_the_only_message_removes_the_row(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.FAX)
    (only,) = message_ids(demo_app, conv_id)
    page = html(demo_client.post(f"/widget/messages/{only}/delete", headers=alice))
    assert page.select_one(f"li#conversation-{conv_id}")["hx-swap-oob"] == "delete"


def test_restore_message_reloads_the_thread_and_the_list(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.VOICEMAIL)
    (voicemail,) = message_ids(demo_app, conv_id)
    demo_client.post(f"/widget/messages/{voicemail}/delete", headers=alice)
    response = demo_client.post(f"/widget/messages/{voicemail}/restore", headers=alice)
    assert response.status_code == 200
    assert {"sidetalk-list-changed", "sidetalk-thread-changed"} <= set(
        json.loads(response.headers["HX-Trigger"])
    )
    bubble = thread(demo_client, alice, conv_id).select_one(f"li.bubble#message-{voicemail}")
    assert bubble.find("audio") is not None and bubble.find("button", string="Delete")
    listener = thread(demo_client, alice, conv_id).select_one(
        "[hx-trigger='sidetalk-thread-changed from:body']"
    )
    assert listener["hx-get"] == f"/widget/conversations/{conv_id}"
    page = html(
        demo_client.get("/widget/", headers={k: v for k, v in alice.items() if k != "HX-Request"})
    )
    listener = page.select_one("[hx-trigger='sidetalk-list-changed from:body']")
    assert listener["hx-get"] == "/widget/list" and listener["hx-include"] == "#filters"
    assert html(demo_client.get("/widget/list", headers=alice)).select_one(
        f"#conversation-{conv_id}"
    )


def test_restore_conversation_brings_every_message_back(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.TEXT, f",{SAM},")
    unread_before = text_unread(demo_client, alice)
    before = states(demo_app)
    demo_client.post(f"/widget/conversations/{conv_id}/delete", headers=alice)
    response = demo_client.post(f"/widget/conversations/{conv_id}/restore", headers=alice)
    assert response.status_code == 200
    assert "sidetalk-list-changed" in json.loads(response.headers["HX-Trigger"])
    assert html(response).select_one("#count-text")["data-count"] == str(unread_before)
    after = states(demo_app)
    # Everything is as it was, except the restored messages' deleted_at (None again).
    assert after == before


def test_restore_errors_are_clear(demo_client, demo_app, alice):
    fax_conv = conversation_id(demo_app, Channel.FAX)
    (fax,) = message_ids(demo_app, fax_conv)
    not_deleted = demo_client.post(f"/widget/messages/{fax}/restore", headers=alice)
    assert not_deleted.status_code == 409
    assert "not deleted" in html(not_deleted).get_text()
    with time_machine.travel(T0, tick=False):
        # Signed in "then": widget tokens are short-lived, so travelling would expire them.
        assert (
            demo_client.post(
                f"/widget/messages/{fax}/delete", headers=sign_in(demo_client, "101")
            ).status_code
            == 200
        )
    with time_machine.travel(T0 + timedelta(days=5, hours=1), tick=False):
        late = demo_client.post(
            f"/widget/messages/{fax}/restore", headers=sign_in(demo_client, "101")
        )
        assert late.status_code == 410
        assert "more than 5 days ago" in html(late).get_text()
        with demo_app.app_context():
            purge_due_messages()
        before = states(demo_app)
        gone = demo_client.post(
            f"/widget/messages/{fax}/restore", headers=sign_in(demo_client, "101")
        )
        assert gone.status_code == 410
        assert "purged" in html(gone).get_text()
        nothing = demo_client.post(
            f"/widget/conversations/{fax_conv}/restore", headers=sign_in(demo_client, "101")
        )
        assert nothing.status_code == 410
        assert states(demo_app) == before


def media_status(client, link, headers) -> int:
    response = client.get(link, headers=headers)
    response.close()  # a file response streams: close it so the file is released
    return response.status_code


def test_purged_media_is_gone_not_refetched(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.FAX)
    (fax,) = message_ids(demo_app, conv_id)
    with demo_app.test_request_context():
        link = media_url(db.session.get(Message, fax).attachments[0])
    assert media_status(demo_client, link, alice) == 200
    with time_machine.travel(T0, tick=False):
        # Signed in "then": widget tokens are short-lived, so travelling would expire them.
        assert (
            demo_client.post(
                f"/widget/messages/{fax}/delete", headers=sign_in(demo_client, "101")
            ).status_code
            == 200
        )
    assert media_status(demo_client, link, alice) == 200  # restorable: still there
    with time_machine.travel(T0 + timedelta(days=6), tick=False), demo_app.app_context():
        purge_due_messages()
    assert media_status(demo_client, link, alice) == 410


def test_mark_unread_without_a_received_message_is_409(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.PAGER, ",104,")
    with demo_app.app_context():
        for message in db.session.get(Conversation, conv_id).messages:
            if message.direction.value == "Inbound":
                db.session.delete(message)
        db.session.commit()
    before = states(demo_app)
    response = demo_client.post(f"/widget/conversations/{conv_id}/unread", headers=alice)
    assert response.status_code == 409
    assert states(demo_app) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/widget/conversations/{conversation}/unread"),
        ("post", "/widget/conversations/{conversation}/delete"),
        ("post", "/widget/conversations/{conversation}/restore"),
        ("get", "/widget/conversations/{conversation}/deleted"),
        ("post", "/widget/messages/{message}/delete"),
        ("post", "/widget/messages/{message}/restore"),
    ],
)
def test_another_extensions_ids_are_not_found(demo_client, demo_app, alice, bob, method, path):
    conv_id = conversation_id(demo_app, Channel.TEXT, f",{SAM},")
    ids = message_ids(demo_app, conv_id)
    demo_client.post(f"/widget/messages/{ids[0]}/delete", headers=alice)  # restorable by Alice
    before = states(demo_app)
    url = path.format(conversation=conv_id, message=ids[0] if "restore" in path else ids[-1])
    response = getattr(demo_client, method)(url, headers=bob)
    assert response.status_code == 404
    assert states(demo_app) == before


def test_missing_ids_are_not_found(demo_client, alice):
    assert demo_client.post("/widget/messages/999999/delete", headers=alice).status_code == 404
    assert demo_client.post("/widget/conversations/999999/delete", headers=alice).status_code == 404


def test_changes_need_the_csrf_token(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.TEXT, f",{SAM},")
    before = states(demo_app)
    headers = {k: v for k, v in alice.items() if k != "X-CSRF-Token"}
    assert (
        demo_client.post(f"/widget/conversations/{conv_id}/delete", headers=headers).status_code
        == 403
    )
    assert states(demo_app) == before


def test_periodic_purge_runs_on_its_interval(demo_client, demo_app, alice):
    conv_id = conversation_id(demo_app, Channel.FAX)
    (fax,) = message_ids(demo_app, conv_id)
    with time_machine.travel(T0, tick=False):
        # Signed in "then": widget tokens are short-lived, so travelling would expire them.
        assert (
            demo_client.post(
                f"/widget/messages/{fax}/delete", headers=sign_in(demo_client, "101")
            ).status_code
            == 200
        )
    assert purge_is_due(30, 15) and purge_is_due(0, 15) and not purge_is_due(31, 15)
    assert purge_is_due(7, 0)  # a zero interval means every minute, not never
    demo_app.config["PURGE_INTERVAL_MINUTES"] = 15
    off_schedule = T0 + timedelta(days=6, minutes=1)
    on_schedule = T0 + timedelta(days=6, minutes=15)
    with demo_app.app_context():
        with time_machine.travel(off_schedule, tick=False):
            assert purge_deleted_messages.call_local() == 0
        assert db.session.get(Message, fax).availability == Availability.DELETED
        with time_machine.travel(on_schedule, tick=False):
            assert purge_deleted_messages.call_local() == 1
        db.session.expire_all()
        assert db.session.get(Message, fax).availability == Availability.PURGED
