"""File names from outside are cleaned before they are stored, and downloads are named
after the type the file is served as (review: a NUL reached Content-Disposition, and
"invoice.html" was kept for a PNG)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.compose.conftest import compose, small_png
from tests.helpers import sign_in
from widget.extensions import db
from widget.media import clean_filename, download_name
from widget.models import Attachment


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("in\x00voice.html", "in_voice.html"),
        ('a"b;c\r\nd.png', "a_b_c_d.png"),
        ("\u202egnp.exe", "gnp.exe"),
        ("C:\\Users\\x\\y.pdf", "y.pdf"),
        ("...", None),
        ("", None),
        (None, None),
        ("x" * 300 + ".png", "x" * 100),
    ],
)
def test_names_are_cleaned(raw, clean):
    assert clean_filename(raw) == clean


@pytest.mark.parametrize(
    ("name", "content_type", "saved_as"),
    [
        ("invoice.html", "image/png", "invoice.png"),
        ("scan", "application/pdf", "scan.pdf"),
        ("a.b.c.gif", "image/gif", "a.b.c.gif"),
        (None, "audio/wav", "attachment-9.wav"),
        ("weird", "application/x-unknown", "weird.bin"),
    ],
)
def test_downloads_are_named_after_the_served_type(name, content_type, saved_as):
    assert download_name(name, content_type, "attachment-9") == saved_as


def test_an_uploaded_picture_with_a_hostile_name_downloads_as_a_png(demo_client, demo_db):
    alice = sign_in(demo_client, "101")
    response = compose(
        demo_client,
        alice,
        ["+12025550123"],
        text="see picture",
        files={"attachment": (small_png(), "in\x00voice.html")},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    attachment = db.session.scalars(select(Attachment).order_by(Attachment.id.desc())).first()
    assert attachment.filename is None or "\x00" not in attachment.filename

    download = demo_client.get(f"/widget/media/{attachment.id}?download=1", headers=alice)

    disposition = download.headers["Content-Disposition"]
    assert download.status_code == 200
    assert disposition.startswith("attachment;")
    assert ".png" in disposition and ".html" not in disposition and "\x00" not in disposition
    download.close()
