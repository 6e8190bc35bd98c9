"""Icons are inline SVG with names where they stand alone, never emoji (which render as
empty boxes where no emoji font is installed, and read oddly in screen readers)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.helpers import html, sign_in
from widget.icons import PATHS, icon

TEMPLATES = Path(__file__).resolve().parents[2] / "widget" / "templates"
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u26ff\u2700-\u27bf]")
ALLOWED = {"✓", "×"}  # plain text symbols every font has


def test_no_template_holds_an_emoji():
    found = {
        str(path.relative_to(TEMPLATES)): sorted(set(EMOJI.findall(path.read_text())) - ALLOWED)
        for path in TEMPLATES.rglob("*.html")
    }
    assert {name: chars for name, chars in found.items() if chars} == {}


@pytest.mark.parametrize("name", sorted(PATHS))
def test_an_icon_is_named_or_hidden(name):
    named = BeautifulSoup(icon(name, "Fax <1>"), "html.parser").svg
    assert named["role"] == "img" and named["aria-label"] == "Fax <1>"
    hidden = BeautifulSoup(icon(name), "html.parser").svg
    assert hidden["aria-hidden"] == "true" and "role" not in hidden.attrs


def test_list_rows_name_their_type_with_an_svg(demo_app):
    client = demo_app.test_client()
    headers = sign_in(client, "101")
    page = html(client.get("/widget/", headers=headers))
    kinds = {svg["aria-label"] for svg in page.select("#rows li.row .row-main > span.icon > svg")}
    assert kinds <= {"Text", "Voicemail", "Fax", "Pager"} and "Text" in kinds
