"""The Markdown CRM body rendered by a real CommonMark parser: what a message says stays
words; it never becomes a heading, a code block, a list, a link or markup."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from widget.crm_logging.digest import Digest, DigestEntry, render

ATTACKS = [
    "Quarterly report\n===",
    "Quarterly report\n---",
    "line one\n        indented like code",
    "\tstarts with a tab",
    "first\n\n    four spaces after a blank line",
    "> quoted\n# heading\n* bullet\n1) ordered",
    "<div>html</div>\n[link](https://evil.example)\n![img](https://evil.example/x.png)",
    "```\nfenced\n```\n~~~\ntilde\n~~~",
    "| a | b |\n|---|---|\n| 1 | 2 |",
]


def _body(text: str) -> str:
    entry = DigestEntry(sent_at=datetime(2026, 11, 17, 9, 5), sender="Jane Roe", text=text)
    digest = Digest(
        subject="SMS with Jane",
        title="SMS conversation with Jane Roe",
        day=date(2026, 11, 17),
        zone_name="America/New_York",
        participants=("Alice Chen", "Jane Roe"),
        logged_by="Alice Chen",
        entries=(entry,),
    )
    return render(digest, "text/markdown")


@pytest.mark.parametrize("text", ATTACKS)
def test_message_text_stays_text_in_commonmark(text):
    page = BeautifulSoup(
        MarkdownIt("commonmark").enable("table").render(_body(text)), "html.parser"
    )

    for tag in ("h1", "h2", "h3", "h4", "h5", "h6", "pre", "code", "blockquote", "table", "img"):
        assert page.find(tag) is None, (tag, _body(text))
    assert page.find("a") is None
    assert page.find("div") is None
    assert page.find("ol") is None and page.select("li ul") == []  # no list of its own
    shown = page.get_text()
    for word in text.replace("\t", " ").split():
        assert word in shown, (word, shown)
