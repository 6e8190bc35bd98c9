"""What a list row or a bubble shows: names instead of numbers, icons, labels."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, exists, select

from widget.contacts.service import names_for
from widget.extensions import db
from widget.models import Attachment, Availability, Channel, Conversation, Extension, Message
from widget.models.queries import dialect_name, one_of
from widget.phone import display

CHANNEL_ICONS = {
    Channel.TEXT: ("💬", "Text"),
    Channel.VOICEMAIL: ("🎙", "Voicemail"),
    Channel.FAX: ("📠", "Fax"),
    Channel.PAGER: ("📟", "Pager"),
}


@dataclass(frozen=True)
class RowView:
    conversation: Conversation
    title: str
    icon: str
    type_label: str
    audio_url: str | None = None
    document_url: str | None = None


# Formatting parses the number with phonenumbers (the costliest step of a list row);
# a number always formats the same way for a region, so keep the answers.
_display = functools.lru_cache(maxsize=4096)(display)


def _label(address: str, names: dict[str, str]) -> str:
    return names.get(address) or _display(address, current_app.config["DEFAULT_REGION"])


def conversation_title(conversation: Conversation, names: dict[str, str]) -> str:
    if conversation.title:
        return conversation.title
    labels = [_label(a, names) for a in conversation.addresses]
    if len(labels) > 3:
        return ", ".join(labels[:3]) + f" +{len(labels) - 3}"
    return ", ".join(labels)


MEDIA_LINK_MAX_AGE = 6 * 3600


def _media_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sidetalk-media")


def media_url(attachment: Attachment, download: bool = False, extension_id: int | None = None):
    """Return a link to the attachment, signed for its owner so <audio>/<img> can load it."""
    owner = extension_id if extension_id is not None else attachment.message.extension_id
    sig = _media_signer().dumps([attachment.id, owner])
    return url_for(
        "inbox.attachment", attachment_id=attachment.id, sig=sig, download="1" if download else None
    )


def read_media_signature(sig: str, attachment_id: int) -> int | None:
    """Return the extension id a media link was signed for, if it is valid for this file."""
    if not sig:
        return None
    # Widget links live hours; links written into CRM bodies (crm_media_url) live weeks.
    signers = (
        (_media_signer(), MEDIA_LINK_MAX_AGE),
        (_crm_media_signer(), current_app.config["CRM_MEDIA_LINK_MAX_AGE"]),
    )
    for signer, max_age in signers:
        try:
            signed_id, owner = signer.loads(sig, max_age=max_age)
        except (BadSignature, SignatureExpired, ValueError, TypeError):
            continue
        return owner if signed_id == attachment_id and isinstance(owner, int) else None
    return None


def _crm_media_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sidetalk-crm-media")


def crm_media_url(attachment: Attachment, download: bool = False) -> str:
    """Return an absolute link to the attachment for a CRM log body.

    A CRM user opens it days later from another browser, so it is built on
    ``PUBLIC_URL`` (no request needed: logging runs in background tasks), signed for
    this one attachment with its own salt, and valid ``CRM_MEDIA_LINK_MAX_AGE`` seconds.
    """
    sig = _crm_media_signer().dumps([attachment.id, attachment.message.extension_id])
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc, script_name=public.path or "/", url_scheme=public.scheme or "http"
    )
    values: dict[str, object] = {"attachment_id": attachment.id, "sig": sig}
    if download:
        values["download"] = "1"
    return adapter.build("inbox.attachment", values, force_external=True)


MEDIA_KINDS = ("AudioRecording", "RenderedDocument")


@functools.cache
def _latest_media_lookup(dialect: str):
    """The statement behind ``_latest_media``; parameters: extension_id, conversation_ids."""
    # One message per conversation, found by walking ix_messages_thread newest-first and
    # stopping at the first hit: the cost is per row shown, not per message in the threads.
    newest_with_media = (
        select(Message.id)
        .where(
            Message.conversation_id == Conversation.id,
            Message.extension_id == bindparam("extension_id"),
            Message.availability == Availability.ALIVE,
            exists().where(Attachment.message_id == Message.id, Attachment.kind.in_(MEDIA_KINDS)),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    return (
        select(Message.conversation_id, Attachment)
        .join(Attachment, Attachment.message_id == Message.id)
        .where(
            Message.id.in_(
                select(newest_with_media).where(
                    one_of(Conversation.id, "conversation_ids", dialect)
                )
            ),
            Attachment.kind.in_(MEDIA_KINDS),
        )
        .order_by(Attachment.id)
    )


def _latest_media(extension: Extension, conversations: list[Conversation]) -> dict[int, Attachment]:
    """Return the newest voicemail recording or fax document of each media conversation."""
    ids = [c.id for c in conversations if c.channel in (Channel.VOICEMAIL, Channel.FAX)]
    if not ids:
        return {}
    rows = db.session.execute(
        _latest_media_lookup(dialect_name()),
        {"extension_id": extension.id, "conversation_ids": sorted(ids)},
    )
    latest: dict[int, Attachment] = {}
    for conversation_id, attachment in rows:
        latest.setdefault(conversation_id, attachment)
    return latest


def row_views(extension: Extension, conversations: Iterable[Conversation]) -> list[RowView]:
    """Return list rows for ``conversations`` with names resolved in one batch."""
    conversations = list(conversations)
    names = names_for(extension, {a for c in conversations for a in c.addresses})
    latest = _latest_media(extension, conversations)
    views = []
    for conversation in conversations:
        icon, label = CHANNEL_ICONS[Channel(conversation.channel)]
        part = latest.get(conversation.id)
        link = media_url(part, extension_id=extension.id) if part else None
        views.append(
            RowView(
                conversation=conversation,
                title=conversation_title(conversation, names),
                icon=icon,
                type_label=label,
                audio_url=link if part and part.kind == "AudioRecording" else None,
                document_url=link if part and part.kind == "RenderedDocument" else None,
            )
        )
    return views


def sender_names(extension: Extension, messages: Iterable[Message]) -> dict[str, str]:
    """Return names for every sender and recipient address in ``messages``."""
    addresses = set()
    for message in messages:
        addresses.add(message.from_address)
        addresses.update(p.get("address") or "" for p in message.to_parties)
    names = names_for(extension, addresses)
    return {a: _label(a, names) for a in addresses if a}
