"""The body of a CRM activity, composed by Sidetalk in the connector's log format.

A digest is built from Sidetalk's own data (see ``transcript.py``) and rendered whole
on every write: connectors never parse a CRM note to update it. Everything that came
from a person (message text, names, transcriptions) is escaped for the target format:

- ``text/html``: HTML-escaped (``<script>`` arrives as text), newlines become ``<br>``;
- ``text/markdown``: every Markdown control character is backslash-escaped, so
  ``**bold**`` or ``[link](x)`` in a message stays literal;
- ``text/plain``: nothing to escape, but control characters are removed so a message
  cannot rewrite a terminal or hide text behind bidi overrides.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

FORMATS = ("text/plain", "text/html", "text/markdown")

# C0/C1 controls except tab and newline, DEL, and the bidi embedding/override/isolate marks.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# "=" too: a line of "===" under a line of text would make that line a heading.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-!|~&=])")
# Indentation would make a code block: leading blanks become no-break spaces, which
# Markdown does not count as indentation but a reader still sees.
_LEADING_BLANKS = re.compile(r"^[ \t]+", re.MULTILINE)
_ORDERED_LIST_START = re.compile(r"^(\s*\d+)\.", re.MULTILINE)


@dataclass(frozen=True)
class MediaLink:
    """A link a CRM user can open: a recording, fax document or image."""

    label: str  # "Recording", "Fax document", "Image"
    url: str
    content_type: str
    detail: str = ""  # "0:42", "2 pages", file name
    download_url: str | None = None


@dataclass(frozen=True)
class DigestEntry:
    """One message of the conversation-day, as the CRM user reads it."""

    sent_at: datetime  # already in the user's zone
    sender: str
    text: str
    links: tuple[MediaLink, ...] = ()
    transcription: str | None = None


@dataclass(frozen=True)
class DigestSection:
    """A titled list before the messages (a case's handling history, its notes)."""

    heading: str
    entries: tuple[DigestEntry, ...]


@dataclass(frozen=True)
class Digest:
    """Everything a body says, independent of its format.

    ``details`` are extra header lines as (label, value) pairs, and ``sections`` come
    before the messages: a shared-inbox case has both (queue, status; history, notes).
    """

    subject: str
    title: str
    day: date
    zone_name: str
    participants: tuple[str, ...]
    logged_by: str
    entries: tuple[DigestEntry, ...]
    details: tuple[tuple[str, str], ...] = ()
    sections: tuple[DigestSection, ...] = ()


def clean_text(text: str | None) -> str:
    """Return ``text`` without control characters (tab and newline kept), line ends unified."""
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))


def escape_markdown(text: str | None) -> str:
    """Return ``text`` with Markdown control characters backslash-escaped."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", clean_text(text))
    escaped = _LEADING_BLANKS.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), escaped)
    # "1. x" at a line start would become an ordered list.
    return _ORDERED_LIST_START.sub(r"\1\\.", escaped)


def escape_html(text: str | None) -> str:
    return html.escape(clean_text(text), quote=True)


def _clock(moment: datetime) -> str:
    return moment.strftime("%-I:%M %p")


def _long_date(day: date) -> str:
    return day.strftime("%a, %b %-d, %Y")


def _link_text(link: MediaLink) -> str:
    details = ", ".join(part for part in (link.content_type, link.detail) if part)
    return f"{link.label} ({details})" if details else link.label


def _safe_url(url: str) -> str:
    # Our links are http(s) URLs we built; refuse anything else outright.
    if not url.startswith(("http://", "https://")):
        raise ValueError("media links must be absolute http(s) URLs")
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C")


def _header_lines(digest: Digest, escape: Callable[[str], str]) -> list[str]:
    return [
        f"Date: {_long_date(digest.day)} ({escape(digest.zone_name)})",
        f"Participants: {escape(', '.join(digest.participants))}",
        *(f"{escape(label)}: {escape(value)}" for label, value in digest.details),
        f"Logged by: {escape(digest.logged_by)}",
        f"Messages: {len(digest.entries)}",
    ]


def _parts(digest: Digest) -> list[tuple[str | None, tuple[DigestEntry, ...]]]:
    """The lists of the body in order: each section, then the messages (headed
    "Messages" only when sections came before them)."""
    parts: list[tuple[str | None, tuple[DigestEntry, ...]]] = [
        (section.heading, section.entries) for section in digest.sections
    ]
    parts.append(("Messages" if digest.sections else None, digest.entries))
    return parts


def render_plain(digest: Digest) -> str:
    lines = [clean_text(digest.title), *_header_lines(digest, clean_text), ""]
    for heading, entries in _parts(digest):
        if heading:
            lines.append(f"{clean_text(heading)}:")
        _plain_entries(lines, entries)
        if entries is not digest.entries:
            lines.append("")  # a blank line between sections
    return "\n".join(lines) + "\n"


def _plain_entries(lines: list[str], entries: tuple[DigestEntry, ...]) -> None:
    for entry in entries:
        text_lines = clean_text(entry.text).split("\n") if entry.text else [""]
        head = f"[{_clock(entry.sent_at)}] {clean_text(entry.sender)}:"
        lines.append(f"{head} {text_lines[0]}".rstrip())
        lines.extend(f"    {line}" for line in text_lines[1:])
        if entry.transcription:
            lines.append(f"    Transcription: {clean_text(entry.transcription)}")
        for link in entry.links:
            lines.append(f"    {clean_text(_link_text(link))}: {_safe_url(link.url)}")
            if link.download_url:
                lines.append(f"    Download: {_safe_url(link.download_url)}")


def render_markdown(digest: Digest) -> str:
    lines = [f"**{escape_markdown(digest.title)}**", ""]
    lines += [f"- {line}" for line in _header_lines(digest, escape_markdown)]
    lines.append("")
    for heading, entries in _parts(digest):
        if heading:
            lines += [f"**{escape_markdown(heading)}**", ""]
        _markdown_entries(lines, entries)
        if entries is not digest.entries:
            lines.append("")  # a blank line ends a Markdown list
    return "\n".join(lines) + "\n"


def _markdown_entries(lines: list[str], entries: tuple[DigestEntry, ...]) -> None:
    for entry in entries:
        text = "  \n  ".join(escape_markdown(entry.text).split("\n"))
        head = f"**{escape_markdown(_clock(entry.sent_at))} {escape_markdown(entry.sender)}:**"
        lines.append(f"- {head} {text}".rstrip())
        if entry.transcription:
            lines.append(f"  Transcription: {escape_markdown(entry.transcription)}")
        for link in entry.links:
            label = escape_markdown(_link_text(link))
            item = f"  [{label}]({_safe_url(link.url)})"
            if link.download_url:
                item += f" · [Download]({_safe_url(link.download_url)})"
            lines.append(item)


def render_html(digest: Digest) -> str:
    header = "<br>".join(_header_lines(digest, escape_html))
    parts = [f"<p><strong>{escape_html(digest.title)}</strong></p>", f"<p>{header}</p>"]
    for heading, entries in _parts(digest):
        if heading:
            parts.append(f"<p><strong>{escape_html(heading)}</strong></p>")
        parts.append("<ul>")
        _html_entries(parts, entries)
        parts.append("</ul>")
    return "\n".join(parts) + "\n"


def _html_entries(parts: list[str], entries: tuple[DigestEntry, ...]) -> None:
    for entry in entries:
        text = "<br>".join(escape_html(entry.text).split("\n"))
        item = f"<strong>{escape_html(_clock(entry.sent_at))} {escape_html(entry.sender)}:</strong>"
        item += f" {text}" if text else ""
        if entry.transcription:
            item += f"<br>Transcription: {escape_html(entry.transcription)}"
        for link in entry.links:
            href = escape_html(_safe_url(link.url))
            item += f'<br><a href="{href}">{escape_html(_link_text(link))}</a>'
            if link.download_url:
                download = escape_html(_safe_url(link.download_url))
                item += f' · <a href="{download}">Download</a>'
        parts.append(f"<li>{item}</li>")


RENDERERS: dict[str, Callable[[Digest], str]] = {
    "text/plain": render_plain,
    "text/html": render_html,
    "text/markdown": render_markdown,
}


def render(digest: Digest, log_format: str) -> str:
    """Return the body of ``digest`` in ``log_format`` (one of ``FORMATS``)."""
    try:
        renderer = RENDERERS[log_format]
    except KeyError:
        raise ValueError(f"unknown log format {log_format!r}; expected one of {FORMATS}") from None
    return renderer(digest)
