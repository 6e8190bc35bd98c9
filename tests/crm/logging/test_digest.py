"""CRM bodies: composed whole from Sidetalk's data, escaped for each format, media linked."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from bs4 import BeautifulSoup

from tests.crm.conftest import DAY, JANE, OLIVER, SAM, deliver
from widget.crm_logging import engine
from widget.crm_logging.digest import Digest, DigestEntry, MediaLink, render
from widget.errors import DomainError
from widget.extensions import db
from widget.models import Conversation, MessageType
from widget.platforms.sandbox.media_parts import fax_part, voicemail_part
from widget.platforms.sandbox.messages import MediaPart

HOSTILE = (
    "<script>alert('x')</script> <img src=x onerror=alert(1)> **bold** _it_ "
    "[click](javascript:alert(1)) # heading `code` | pipe ~strike~ \\ back & amp;"
    "\n1. not a list\x1b[31m red\x07\u202eevil"
)


def _digest(text: str = HOSTILE, sender: str = "Jane <b>Roe</b>") -> Digest:
    sent = datetime(2026, 11, 17, 9, 5)
    link = MediaLink(
        "Image", "https://sidetalk.example/widget/media/7?sig=a.b-c_d", "image/png", "x.png"
    )
    return Digest(
        subject="SMS conversation with Jane (Nov 17, 2026)",
        title="SMS conversation with Jane <b>Roe</b>",
        day=date(2026, 11, 17),
        zone_name="America/New_York",
        participants=("Alice Chen", "Jane <b>Roe</b> (+1 415-555-0123)"),
        logged_by="Alice Chen",
        entries=(
            DigestEntry(sent_at=sent, sender=sender, text=text),
            DigestEntry(
                sent_at=sent + timedelta(minutes=2), sender="Alice Chen", text="Ok", links=(link,)
            ),
        ),
    )


def test_html_escapes_message_text_and_names():
    body = render(_digest(), "text/html")
    soup = BeautifulSoup(body, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None and soup.find("b") is None
    anchors = soup.find_all("a")
    assert [a["href"] for a in anchors] == ["https://sidetalk.example/widget/media/7?sig=a.b-c_d"]
    text = soup.get_text()
    assert "<script>alert('x')</script>" in text  # shown as text, not run
    assert "Jane <b>Roe</b>" in text
    assert "\x1b" not in body and "\x07" not in body and "\u202e" not in body
    assert "&lt;script&gt;" in body and "onerror=alert(1)&gt;" in body


MARKDOWN_CONTROLS = "\\`*_{}[]()<>#+-!|~&"


def _unescaped_controls(line: str) -> list[str]:
    """Return the Markdown control characters in ``line`` not preceded by a backslash."""
    found, escaped = [], False
    for char in line:
        if escaped:
            escaped = False
            continue
        if char == "\\":
            escaped = True
            continue
        if char in MARKDOWN_CONTROLS:
            found.append(char)
    return found


def test_markdown_backslash_escapes_every_control_character():
    body = render(_digest(), "text/markdown")
    message_line = next(line for line in body.splitlines() if "script" in line)
    text_part = message_line.split(":**", 1)[1]
    assert _unescaped_controls(text_part) == []
    assert r"\*\*bold\*\*" in text_part
    assert r"\[click\]\(javascript:alert\(1\)\)" in text_part
    assert r"\<script\>" in text_part
    continuation = next(line for line in body.splitlines() if "not a list" in line)
    assert continuation.strip().startswith("1\\.")  # no ordered list sneaks in
    assert _unescaped_controls(continuation) == []
    assert "**9:05 AM Jane \\<b\\>Roe\\</b\\>:**" in message_line
    assert "\x1b" not in body and "\u202e" not in body
    assert "(https://sidetalk.example/widget/media/7?sig=a.b-c_d)" in body


def test_plain_text_keeps_the_words_and_drops_control_characters():
    body = render(_digest(), "text/plain")
    assert "<script>alert('x')</script>" in body
    assert "**bold**" in body
    assert "\x1b" not in body and "\x07" not in body and "\u202e" not in body
    assert "[31m red" in body and "evil" in body
    assert "    1. not a list" in body  # continuation lines stay with their message
    lines = body.splitlines()
    assert lines[0] == "SMS conversation with Jane <b>Roe</b>"
    assert lines[lines.index("") + 1].startswith("[9:05 AM] Jane <b>Roe</b>: <script>")
    assert (
        "    Image (image/png, x.png): https://sidetalk.example/widget/media/7?sig=a.b-c_d" in lines
    )


def test_unknown_format_and_non_http_links_are_refused():
    with pytest.raises(ValueError, match="unknown log format"):
        render(_digest(), "application/json")
    bad = Digest(
        subject="s",
        title="t",
        day=date(2026, 11, 17),
        zone_name="UTC",
        participants=(),
        logged_by="A",
        entries=(
            DigestEntry(
                sent_at=datetime(2026, 11, 17, 9, 5),
                sender="A",
                text="",
                links=(MediaLink("Image", "javascript:alert(1)", "image/png"),),
            ),
        ),
    )
    with pytest.raises(ValueError, match="absolute http"):
        render(bad, "text/html")


def _conversation(message) -> Conversation:
    return db.session.get(Conversation, message.conversation_id)


def test_voicemail_fax_and_mms_bodies_carry_working_signed_links(world, client):
    at = DAY.replace(hour=15)
    png = MediaPart("MmsAttachment", "image/png", b"\x89PNG fake image bytes", "photo.png")
    mms = deliver(world.alice, JANE, "Photo of the crate", at, parts=(png,))
    voicemail = deliver(
        world.alice,
        SAM,
        "Call me back about the quote",
        at,
        message_type=MessageType.VOICEMAIL,
        parts=(voicemail_part("Call me back about the quote"),),
    )
    part, pages = fax_part("Order", "Two pallets", OLIVER, world.alice.phone_numbers[0].e164)
    fax = deliver(
        world.alice, OLIVER, "", at, message_type=MessageType.FAX, parts=(part,), pages=pages
    )

    preview = engine.compose_preview(world.alice, _conversation(mms), "contact-1")
    soup = BeautifulSoup(preview, "html.parser")
    image = soup.find("a", string="Image (image/png, photo.png)")
    assert image is not None and image["href"].startswith("http://127.0.0.1:5000/widget/media/")

    vm_body = engine.compose_preview(world.alice, _conversation(voicemail), "contact-2")
    vm = BeautifulSoup(vm_body, "html.parser")
    recording = vm.find("a", string=lambda s: s and s.startswith("Recording (audio/wav"))
    download = recording.find_next_sibling("a")
    assert download.get_text() == "Download" and "download=1" in download["href"]
    assert "Transcription: Call me back about the quote" in vm.get_text()
    assert "Voicemail from Sam Okafor" in vm.get_text()

    # Oliver matches no CRM record: a fax to him cannot be previewed against a record.
    with pytest.raises(DomainError):
        engine.compose_preview(world.alice, _conversation(fax), "contact-1")

    # A CRM user (no Sidetalk session) opens the links for 30 days, not longer.
    for link in (image["href"], recording["href"], download["href"]):
        assert fetch(client, link)[0] == 200, link
    assert fetch(client, recording["href"])[1][:4] == b"RIFF"
    later = datetime.now().astimezone()
    with time_machine.travel(later + timedelta(days=29), tick=False):
        assert fetch(client, image["href"])[0] == 200
    with time_machine.travel(later + timedelta(days=31), tick=False):
        assert fetch(client, image["href"])[0] == 404


def fetch(client, url: str) -> tuple[int, bytes]:
    """GET an absolute link through the test client; return status and body (closed)."""
    parts = urlsplit(url)
    with client.get(f"{parts.path}?{parts.query}") as response:
        return response.status_code, response.get_data()


def test_a_crm_link_opens_only_its_own_attachment(world, client):
    at = DAY.replace(hour=15)
    first = deliver(
        world.alice,
        JANE,
        "one",
        at,
        parts=(MediaPart("MmsAttachment", "image/png", b"1", "1.png"),),
    )
    second = deliver(
        world.alice,
        JANE,
        "two",
        at,
        parts=(MediaPart("MmsAttachment", "image/png", b"2", "2.png"),),
    )
    from widget.inbox.presenters import crm_media_url

    link = crm_media_url(first.attachments[0])
    forged = link.replace(
        f"/media/{first.attachments[0].id}?", f"/media/{second.attachments[0].id}?"
    )
    assert fetch(client, link) == (200, b"1")
    assert fetch(client, forged)[0] == 404
