"""What the phone simulator shows: the thread between an outside number and an extension."""

from __future__ import annotations

from sqlalchemy import select

from widget.extensions import db
from widget.inbox.ingest import participants_key
from widget.models import Account, Availability, Channel, Conversation, Extension, Message
from widget.phone import to_e164
from widget.platforms.sandbox.delivery import _sandbox_extension_by_address


def demo_extensions() -> list[Extension]:
    return list(
        db.session.scalars(
            select(Extension)
            .join(Account)
            .where(Account.platform == "sandbox")
            .order_by(Extension.extension_number)
        )
    )


def extension_summaries() -> list[dict]:
    """The demo extensions as ``GET /sandbox/extensions`` returns them."""
    return [
        {
            "id": ext.id,
            "extension_number": ext.extension_number,
            "name": ext.name,
            "timezone": ext.timezone,
            "phone_numbers": [n.e164 for n in ext.phone_numbers],
            "sms_numbers": [n.e164 for n in ext.sms_numbers],
        }
        for ext in demo_extensions()
    ]


def phone_thread(outside: str, extension_number: str, region: str) -> list[Message]:
    """Messages between ``outside`` and any number of the extension, oldest first.

    Seen from the outside phone: the extension's inbound messages are what it sent.
    """
    number = to_e164(outside, region, field="from")
    extension = _sandbox_extension_by_address(extension_number, by_extension_number=True)
    if extension is None:
        return []
    return list(
        db.session.scalars(
            select(Message)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(
                Conversation.extension_id == extension.id,
                Conversation.channel.in_((Channel.TEXT, Channel.VOICEMAIL, Channel.FAX)),
                Conversation.participants == participants_key([number]),
                Message.availability == Availability.ALIVE,
            )
            .order_by(Message.created_at, Message.id)
            .limit(200)
        )
    )
