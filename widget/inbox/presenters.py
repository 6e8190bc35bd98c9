"""What a list row or a bubble shows: names instead of numbers, icons, labels."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from widget.access import actor_params, messages_visible_to, queue_member_clause
from widget.contacts.service import names_for
from widget.extensions import db
from widget.models import (
    Attachment,
    Availability,
    Channel,
    Conversation,
    Direction,
    Extension,
    Message,
    MessageStatus,
    Queue,
    QueueConversation,
)
from widget.models.queries import dialect_name, one_of
from widget.phone import display

CHANNEL_ICONS = {
    Channel.TEXT: ("text", "Text"),
    Channel.VOICEMAIL: ("voicemail", "Voicemail"),
    Channel.FAX: ("fax", "Fax"),
    Channel.PAGER: ("pager", "Pager"),
}


@dataclass(frozen=True)
class QueueMark:
    """What a list row of a queue's conversation (found by a search) says of it."""

    case_id: int
    queue_name: str
    # "Waiting", "Claimed by you", "Claimed by NAME" or "Resolved".
    state: str


@dataclass(frozen=True)
class RowView:
    conversation: Conversation
    title: str
    icon: str
    type_label: str
    audio_url: str | None = None
    document_url: str | None = None
    # A search result found by its text: the matching words, marked (escaped markup).
    snippet: Markup | None = None
    failed: bool = False  # its newest message is one of ours that did not go
    # A conversation of one of the viewer's queues: its queue and claim state.
    queue: QueueMark | None = None


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


def _session_epoch(extension_id: int) -> int | None:
    extension = db.session.get(Extension, extension_id)
    return extension.session_epoch if extension is not None else None


def media_url(attachment: Attachment, download: bool = False, extension_id: int | None = None):
    """Return a link to the attachment, signed for its owner so <audio>/<img> can load it.

    The link carries the owner's sign-in generation: signing out (which bumps it) kills
    every widget media link at once, like the session itself. Links written into CRM
    bodies (``crm_media_url``) are long-lived by design and carry none.
    """
    owner = extension_id if extension_id is not None else attachment.message.extension_id
    sig = _media_signer().dumps([attachment.id, owner, _session_epoch(owner)])
    return url_for(
        "inbox.attachment", attachment_id=attachment.id, sig=sig, download="1" if download else None
    )


def read_media_signature(sig: str, attachment_id: int) -> int | None:
    """Return the extension id a media link was signed for, if it is valid for this file."""
    if not sig:
        return None
    # Widget links live hours; links written into CRM bodies (crm_media_url) live weeks.
    # (signer, max age, whether the link dies with its owner's session)
    signers = (
        (_media_signer(), MEDIA_LINK_MAX_AGE, True),
        (_crm_media_signer(), current_app.config["CRM_MEDIA_LINK_MAX_AGE"], False),
    )
    for signer, max_age, ends_with_session in signers:
        try:
            signed_id, owner, *epoch = signer.loads(sig, max_age=max_age)
        except (BadSignature, SignatureExpired, ValueError, TypeError):
            continue
        if signed_id != attachment_id or not isinstance(owner, int):
            return None
        if ends_with_session and epoch != [_session_epoch(owner)]:
            return None  # a widget link from before a sign-out
        return owner
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
    """The statement behind ``_latest_media``; parameters: the actor's, conversation_ids."""
    # One message per conversation, found by walking ix_messages_thread newest-first and
    # stopping at the first hit: the cost is per row shown, not per message in the threads.
    newest_with_media = (
        select(Message.id)
        .where(
            Message.conversation_id == Conversation.id,
            messages_visible_to(),
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
        {**actor_params(extension), "conversation_ids": sorted(ids)},
    )
    latest: dict[int, Attachment] = {}
    for conversation_id, attachment in rows:
        latest.setdefault(conversation_id, attachment)
    return latest


FAILED_STATUSES = (MessageStatus.SENDING_FAILED, MessageStatus.DELIVERY_FAILED)


def _failed_newest(conversations: list[Conversation]) -> set[int]:
    """Ids of the rows whose newest message is ours and failed: one query per page."""
    ids = [c.id for c in conversations if c.last_direction == Direction.OUTBOUND]
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Message.conversation_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.conversation_id.in_(ids),
                Message.created_at == Conversation.last_message_at,
                Message.direction == Direction.OUTBOUND,
                Message.message_status.in_(FAILED_STATUSES),
            )
        )
    )


def _queue_marks(viewer: Extension, conversations: list[Conversation]) -> dict[int, QueueMark]:
    """The queue and claim state of each row outside ``viewer``'s own mailbox: the
    latest case on it in a queue they belong to (one statement; none for own rows)."""
    ids = sorted(c.id for c in conversations if c.extension_id != viewer.id)
    if not ids:
        return {}
    claimer = aliased(Extension)
    rows = db.session.execute(
        select(
            QueueConversation.conversation_id,
            QueueConversation.id,
            Queue.name,
            QueueConversation.claimed_by_id,
            claimer.name,
            QueueConversation.resolved_at,
        )
        .join(Queue, Queue.id == QueueConversation.queue_id)
        .outerjoin(claimer, claimer.id == QueueConversation.claimed_by_id)
        .where(QueueConversation.conversation_id.in_(ids), queue_member_clause(viewer))
        .order_by(QueueConversation.id.desc())
    )
    marks: dict[int, QueueMark] = {}
    for conversation_id, case_id, queue_name, holder_id, holder, resolved_at in rows:
        if conversation_id in marks:
            continue
        if resolved_at is not None:
            state = "Resolved"
        elif holder_id is None:
            state = "Waiting"
        elif holder_id == viewer.id:
            state = "Claimed by you"
        else:
            state = f"Claimed by {holder}"
        marks[conversation_id] = QueueMark(case_id, queue_name, state)
    return marks


def row_views(
    extension: Extension, conversations: Iterable[Conversation], names: dict | None = None
) -> list[RowView]:
    """Return list rows for ``conversations`` with names resolved in one batch.

    ``names`` (from ``names_for``) may be given when the caller looked them up already.
    """
    conversations = list(conversations)
    if names is None:
        names = names_for(extension, {a for c in conversations for a in c.addresses})
    latest = _latest_media(extension, conversations)
    failed = _failed_newest(conversations)
    marks = _queue_marks(extension, conversations)
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
                failed=conversation.id in failed,
                queue=marks.get(conversation.id),
            )
        )
    return views


def people_of(extension: Extension, conversation: Conversation) -> list[str]:
    """Who else is in ``conversation``, by name where a contact or colleague matches."""
    names = names_for(extension, set(conversation.addresses))
    return [_label(address, names) for address in conversation.addresses]


def message_addresses(messages: Iterable[Message]) -> set[str]:
    """Every sender and recipient address in ``messages``."""
    addresses = set()
    for message in messages:
        addresses |= party_addresses(message.from_address, message.to_parties)
    return addresses


def party_addresses(from_address: str, to_parties: list[dict]) -> set[str]:
    """The sender's and recipients' addresses of one message, from its columns."""
    return {from_address, *(party.get("address") or "" for party in to_parties)}


def sender_names(
    extension: Extension, messages: Iterable[Message], names: dict | None = None
) -> dict[str, str]:
    """Return names for every sender and recipient address in ``messages``."""
    addresses = message_addresses(messages)
    if names is None:
        names = names_for(extension, addresses)
    return {a: _label(a, names) for a in addresses if a}
