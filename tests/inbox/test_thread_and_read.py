"""Threads: bubbles, statuses, names, media links; marking read updates row and counts."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from sqlalchemy import select

from tests.helpers import add_contact, html, sign_in
from tests.mailbox import demo_extension, fetch
from widget import htmx_support
from widget.extensions import db
from widget.inbox.presenters import media_url
from widget.models import (
    Attachment,
    Channel,
    ContactSource,
    Conversation,
    ConversationKind,
    Message,
    MessageStatus,
    ReadStatus,
)


@pytest.fixture
def alice(demo_client, demo_db):
    return demo_client, sign_in(demo_client, "101")


def _conversations(extension_number: str, **where) -> list[Conversation]:
    extension = demo_extension(extension_number)
    stmt = select(Conversation).where(Conversation.extension_id == extension.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Conversation, name) == value)
    return list(db.session.scalars(stmt.order_by(Conversation.id)))


def _open(client, headers, conversation_id: int):
    response = client.get(f"/widget/conversations/{conversation_id}", headers=headers)
    assert response.status_code == 200, response.data
    return html(response)


def _badges(page) -> dict[str, int]:
    return {b["id"].removeprefix("count-"): int(b["data-count"]) for b in page.select(".badge")}


def test_thread_shows_bubbles_in_time_order_with_outbound_status(alice):
    client, headers = alice
    conversation = next(
        c for c in _conversations("101", channel=Channel.TEXT) if c.message_count >= 4
    )

    page = _open(client, headers, conversation.id)

    thread = page.select_one("article.thread")
    assert int(thread["data-conversation-id"]) == conversation.id
    bubbles = thread.select("li.bubble")
    messages = sorted(conversation.messages, key=lambda m: (m.created_at, m.id))
    assert [int(b["data-message-id"]) for b in bubbles] == [m.id for m in messages]
    for bubble, message in zip(bubbles, messages, strict=True):
        assert message.direction.value.lower() in bubble["class"]
        status = bubble.select_one(".status")
        if message.direction.value == "Outbound":
            assert status.get_text(strip=True) == message.message_status.value
            assert MessageStatus(status.get_text(strip=True))
        else:
            assert status is None
        if message.subject:
            assert bubble.select_one(".text").get_text() == message.subject


def test_group_thread_names_each_sender(alice):
    client, headers = alice
    (group,) = _conversations("101", kind=ConversationKind.GROUP)

    page = _open(client, headers, group.id)

    senders = [s.get_text(strip=True) for s in page.select("li.bubble.inbound .sender")]
    assert senders == ["Jane Roe", "Sam Okafor"]
    assert page.select_one(".thread-head h2").get_text(strip=True) == "Sam Okafor, Jane Roe"
    assert page.select("li.bubble.outbound .sender") == []


def test_direct_thread_does_not_repeat_the_sender_name(alice):
    client, headers = alice
    direct = _conversations("101", kind=ConversationKind.DIRECT, channel=Channel.TEXT)[0]

    assert _open(client, headers, direct.id).select(".sender") == []


def test_unread_thread_posts_its_read_receipt_on_load_and_read_one_does_not(alice):
    client, headers = alice
    unread = next(c for c in _conversations("101") if c.unread_count)
    read = next(c for c in _conversations("101") if not c.unread_count)

    receipt = "[hx-post='/widget/conversations/{}/read'][hx-trigger=load]"

    assert _open(client, headers, unread.id).select_one(receipt.format(unread.id)) is not None
    assert _open(client, headers, read.id).select(receipt.format(read.id)) == []
    db.session.refresh(unread)
    assert unread.unread_count > 0  # opening alone (a GET) changes nothing


def test_mark_read_returns_the_row_and_new_counts_out_of_band(alice):
    client, headers = alice
    page = html(client.get("/widget/", headers={"X-Sidetalk-Token": headers["X-Sidetalk-Token"]}))
    before = _badges(page)
    conversation = next(c for c in _conversations("101", channel=Channel.TEXT) if c.unread_count)
    dropped = conversation.unread_count

    response = client.post(f"/widget/conversations/{conversation.id}/read", headers=headers)

    assert response.status_code == 200
    fragment = html(response)
    row = fragment.select_one(f"li#conversation-{conversation.id}")
    assert row["hx-swap-oob"] == "true"
    assert "unread" not in row["class"]
    assert row.select_one(".unread-mark") is None
    after = _badges(fragment)
    assert all(b["hx-swap-oob"] == "true" for b in fragment.select(".badge"))
    assert after["all"] == before["all"] - dropped
    assert after["text"] == before["text"] - dropped
    assert after["voicemail"] == before["voicemail"]
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).unread_count == 0
    assert {m.read_status for m in conversation.messages} == {ReadStatus.READ}

    again = client.post(f"/widget/conversations/{conversation.id}/read", headers=headers)
    assert _badges(html(again)) == after


def test_mark_read_needs_post_and_csrf(alice):
    client, headers = alice
    conversation = next(c for c in _conversations("101") if c.unread_count)
    no_csrf = {k: v for k, v in headers.items() if k != "X-CSRF-Token"}

    assert (
        client.get(f"/widget/conversations/{conversation.id}/read", headers=headers).status_code
        == 405
    )
    refused = client.post(f"/widget/conversations/{conversation.id}/read", headers=no_csrf)

    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).unread_count > 0


def test_names_and_texts_from_outside_are_escaped(alice):
    client, headers = alice
    extension = demo_extension("101")
    add_contact(
        extension.account_id,
        "+13105550199",
        ContactSource.PERSONAL,
        extension.id,
        first_name='<img src=x onerror="alert(1)">',
        last_name="Evil",
    )
    text = "<script>alert('x')</script> & <b>bold</b>"
    delivered = client.post(
        "/sandbox/inbound", json={"from": "+13105550199", "to": "+16505550101", "text": text}
    )
    conversation_id = delivered.json["conversation_id"]

    row = html(client.get("/widget/list", headers=headers)).select_one(
        f"li[data-conversation-id='{conversation_id}']"
    )
    page = _open(client, headers, conversation_id)

    assert row.select_one(".who").get_text() == '<img src=x onerror="alert(1)"> Evil'
    assert row.find("img") is None
    assert page.find("script") is None and page.find("img") is None and page.find("b") is None
    assert page.select_one("li.bubble .text").get_text() == text
    assert page.select_one(".thread-head h2").get_text() == '<img src=x onerror="alert(1)"> Evil'


def _media_links(page, selector: str) -> list[str]:
    return [el.get("src") or el.get("href") for el in page.select(selector)]


def test_voicemail_thread_plays_real_wav_through_a_signed_link(alice, demo_app):
    client, headers = alice
    voicemail = _conversations("101", channel=Channel.VOICEMAIL)[0]

    page = _open(client, headers, voicemail.id)

    (src,) = _media_links(page, "audio")
    assert "sig=" in src
    # The <audio> element sends no token header and the iframe may have no cookie.
    anonymous = demo_app.test_client()
    audio = fetch(anonymous, src)
    assert audio.status_code == 200
    assert audio.mimetype == "audio/wav"
    assert audio.data[:4] == b"RIFF" and audio.data[8:12] == b"WAVE"
    assert page.select_one(".transcription").get_text(strip=True).startswith("Transcription:")

    download = fetch(anonymous, page.select_one("audio ~ a.small")["href"])
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "voicemail.wav" in download.headers["Content-Disposition"]
    assert download.data == audio.data


def test_fax_thread_opens_a_real_pdf(alice, demo_app):
    client, headers = alice
    fax = _conversations("101", channel=Channel.FAX)[0]

    page = _open(client, headers, fax.id)

    document = fetch(demo_app.test_client(), page.select_one("a.doc")["href"])
    assert document.status_code == 200
    assert document.mimetype == "application/pdf"
    assert document.data.startswith(b"%PDF-")
    assert "inline" in document.headers.get("Content-Disposition", "inline")


def test_list_rows_play_voicemail_and_open_fax_inline(alice, demo_app):
    client, headers = alice

    page = html(client.get("/widget/list", headers=headers))

    audio = page.select("li[data-channel=voicemail] audio.inline-audio")
    faxes = page.select("li[data-channel=fax] a.inline-doc")
    assert audio and faxes
    anonymous = demo_app.test_client()
    assert fetch(anonymous, audio[0]["src"]).data[:4] == b"RIFF"
    assert fetch(anonymous, faxes[0]["href"]).data[:5] == b"%PDF-"


def test_mms_images_are_served(alice, demo_app):
    client, headers = alice
    with_images = [
        c
        for c in _conversations("101", channel=Channel.TEXT)
        if any(a.is_image for m in c.messages for a in m.attachments)
    ]
    signatures = {"image/jpeg": b"\xff\xd8", "image/png": b"\x89PNG", "image/gif": b"GIF8"}
    served = set()
    anonymous = demo_app.test_client()

    for conversation in with_images:
        for img in _open(client, headers, conversation.id).select("img"):
            image = fetch(anonymous, img["src"])
            assert image.status_code == 200
            assert image.data.startswith(signatures[image.mimetype])
            served.add(image.mimetype)

    assert served == set(signatures)


def _alice_attachment(kind: str) -> Attachment:
    extension = demo_extension("101")
    return db.session.scalars(
        select(Attachment)
        .join(Message)
        .where(Message.extension_id == extension.id, Attachment.kind == kind)
        .order_by(Attachment.id)
    ).first()


def _with_query(url: str, **changes) -> str:
    parts = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def test_tampered_or_borrowed_media_links_are_404(demo_app, demo_db):
    client = demo_app.test_client()
    recording = _alice_attachment("AudioRecording")
    document = _alice_attachment("RenderedDocument")
    bob = demo_extension("102")
    with demo_app.test_request_context():
        good = media_url(recording)
        for_bob = media_url(recording, extension_id=bob.id)  # signed for the wrong mailbox
        other_file = media_url(document)
    assert fetch(client, good).status_code == 200

    sig = parse_qs(urlparse(good).query)["sig"][0]
    tampered = [
        _with_query(good, sig=sig[:-2] + ("AA" if not sig.endswith("AA") else "BB")),
        _with_query(good, sig=""),
        good.split("?")[0],
        for_bob,
        # A valid signature for one file does not open another.
        _with_query(other_file, sig=sig),
        f"/widget/media/{recording.id + 100000}?sig={sig}",
    ]
    for url in tampered:
        response = fetch(client, url)
        assert response.status_code == 404, url
        assert b"RIFF" not in response.data


def test_media_is_private_to_the_browser_and_cannot_run_script(demo_app, demo_db):
    document = _alice_attachment("RenderedDocument")
    client = demo_app.test_client()
    headers = sign_in(client, "101")
    with demo_app.test_request_context():
        url = media_url(document)

    inline = client.get(url, headers=headers)
    # Chromium's PDF viewer refuses to start in a sandboxed document: a fax shown inline
    # is the one file without the sandbox (its script was refused at upload).
    assert "sandbox" not in inline.headers.get("Content-Security-Policy", "")
    for response in (inline, client.get(_with_query(url, download="1"), headers=headers)):
        assert response.status_code == 200
        cache = response.headers["Cache-Control"]
        assert "private" in cache and "public" not in cache
        assert "Cookie" in response.headers.get("Vary", "")
        # A shared cache must never keep a fresh widget token next to the file.
        assert htmx_support.TOKEN_REFRESH_HEADER not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        response.close()
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.headers["Content-Disposition"].startswith("attachment")
    with demo_app.test_request_context():
        recording = media_url(_alice_attachment("AudioRecording"))
    played = client.get(recording, headers=headers)
    assert played.headers["Content-Security-Policy"].startswith("sandbox")
    played.close()
