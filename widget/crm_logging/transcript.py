"""Builds a :class:`Digest` of one conversation-day from Sidetalk's own data.

Names come from the same sources the sidebar uses (directory, personal contacts), then
the CRM record chosen for the log; times are shown in the user's zone; voicemail, fax
and MMS carry absolute signed links (``crm_media_url``) a CRM user can open for weeks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app

from widget.contacts.service import names_for
from widget.crm_logging.digest import Digest, DigestEntry, MediaLink
from widget.crm_logging.grouping import user_zone
from widget.inbox.ingest import own_addresses
from widget.inbox.presenters import crm_media_url
from widget.models import (
    Attachment,
    Channel,
    Conversation,
    ConversationKind,
    Direction,
    Extension,
    Message,
)
from widget.phone import display

MAX_TITLE_NAMES = 3


def _duration(seconds: float | None) -> str:
    if not seconds:
        return ""
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def media_links(message: Message) -> tuple[MediaLink, ...]:
    """Return the links a CRM user needs for the message's recording, fax or images."""
    links: list[MediaLink] = []
    for part in message.attachments:
        links.extend(_links_for(part))
    return tuple(links)


def _links_for(part: Attachment) -> list[MediaLink]:
    if part.kind == "AudioRecording":
        detail = _duration(part.duration_seconds)
        return [
            MediaLink(
                "Recording",
                crm_media_url(part),
                part.content_type,
                detail,
                download_url=crm_media_url(part, download=True),
            )
        ]
    if part.kind == "RenderedDocument":
        pages = part.page_count or 1
        return [
            MediaLink(
                "Fax document",
                crm_media_url(part),
                part.content_type,
                f"{pages} page{'s' if pages != 1 else ''}",
                download_url=crm_media_url(part, download=True),
            )
        ]
    if part.kind == "MmsAttachment":
        kind = part.content_type.split("/", 1)[0]
        label = {"image": "Image", "video": "Video", "audio": "Audio"}.get(kind, "Attachment")
        return [MediaLink(label, crm_media_url(part), part.content_type, part.filename or "")]
    return []  # text and transcription parts are already in the message


def message_entry(message: Message, sender: str, zone: ZoneInfo) -> DigestEntry:
    """One message as the CRM user reads it: its time in the user's zone, its media."""
    return DigestEntry(
        sent_at=message.created_at.astimezone(zone),
        sender=sender,
        text=message.subject or "",
        links=media_links(message),
        transcription=message.transcription,
    )


class NameBook:
    """Display names for the addresses of a conversation-day."""

    def __init__(
        self,
        extension: Extension,
        addresses: Iterable[str],
        record_name: str = "",
        record_phone: str | None = None,
    ) -> None:
        wanted = set(addresses)
        self.region = current_app.config["DEFAULT_REGION"]
        self.names = names_for(extension, wanted)
        for own in own_addresses(extension):
            self.names.setdefault(own, extension.name)
        if record_phone and record_name:
            self.names.setdefault(record_phone, record_name)

    def name(self, address: str, fallback: str | None = None) -> str:
        return self.names.get(address) or fallback or display(address, self.region)

    def labelled(self, address: str) -> str:
        number = display(address, self.region)
        name = self.names.get(address)
        return f"{name} ({number})" if name and name != number else number


def _title(conversation: Conversation, book: NameBook, count: int) -> str:
    names = [book.name(a) for a in conversation.addresses]
    who = ", ".join(names[:MAX_TITLE_NAMES])
    if len(names) > MAX_TITLE_NAMES:
        who += f" +{len(names) - MAX_TITLE_NAMES}"
    if conversation.channel == Channel.VOICEMAIL:
        return f"Voicemail{'s' if count != 1 else ''} from {who}"
    if conversation.channel == Channel.FAX:
        return f"Fax{'es' if count != 1 else ''} with {who}"
    if conversation.kind == ConversationKind.GROUP:
        return f"Group SMS with {who}"
    return f"SMS conversation with {who}"


def build_digest(
    extension: Extension,
    conversation: Conversation,
    day: date,
    messages: Sequence[Message],
    record_name: str = "",
    record_phone: str | None = None,
) -> Digest:
    """Return the digest of ``messages`` (one conversation-day of ``extension``)."""
    zone = user_zone(extension)
    ordered = sorted(messages, key=lambda m: (m.created_at, m.id))
    addresses = set(conversation.addresses)
    for message in ordered:
        addresses.add(message.from_address)
        addresses.update(p.get("address") or "" for p in message.to_parties)
    book = NameBook(extension, addresses, record_name, record_phone)
    entries = []
    for message in ordered:
        outbound = message.direction == Direction.OUTBOUND
        sender = extension.name if outbound else book.name(message.from_address, message.from_name)
        entries.append(message_entry(message, sender, zone))
    title = _title(conversation, book, len(ordered))
    participants = (extension.name, *(book.labelled(a) for a in conversation.addresses))
    return Digest(
        subject=f"{title} ({day.strftime('%b %-d, %Y')})",
        title=title,
        day=day,
        zone_name=zone.key,
        participants=participants,
        logged_by=extension.name,
        entries=tuple(entries),
    )


def message_type_of(conversation: Conversation, messages: Sequence[Message]) -> str:
    """Return the connector ``message_type`` of a conversation-day (MMS when any has media)."""
    if conversation.channel == Channel.VOICEMAIL:
        return "VoiceMail"
    if conversation.channel == Channel.FAX:
        return "Fax"
    return "MMS" if any(m.is_mms for m in messages) else "SMS"
