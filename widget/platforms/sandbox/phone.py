"""What the phone simulator shows: the thread between an outside number and an extension."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from widget.access import mailbox_of
from widget.extensions import db
from widget.models import (
    Account,
    Availability,
    Channel,
    Conversation,
    ConversationKind,
    Direction,
    Extension,
    Message,
    MessageType,
    PagerGroup,
    PagerGroupMember,
    Queue,
    QueueMember,
)
from widget.models.message import participants_key
from widget.phone import to_e164
from widget.platforms.sandbox.delivery import _sandbox_extension_by_address


def demo_extensions(with_queues: bool = False) -> list[Extension]:
    """The demo's people; ``with_queues`` adds the queues' mailboxes (a customer may text
    a queue from the phone simulator; nobody signs in as one)."""
    statement = select(Extension).join(Account).where(Account.platform == "sandbox")
    if not with_queues:
        statement = statement.where(Extension.people())
    return list(db.session.scalars(statement.order_by(Extension.extension_number)))


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


def queue_summaries() -> list[dict]:
    """The demo's queues as ``GET /sandbox/queues`` returns them (members by number)."""
    queues = db.session.scalars(
        select(Queue)
        .join(Account, Account.id == Queue.account_id)
        .where(Account.platform == "sandbox")
        .options(selectinload(Queue.mailbox).selectinload(Extension.phone_numbers))
        .options(selectinload(Queue.members).selectinload(QueueMember.extension))
        .order_by(Queue.name)
    )
    return [
        {
            "id": queue.id,
            "name": queue.name,
            "phone_numbers": [n.e164 for n in queue.mailbox.phone_numbers],
            "members": sorted(m.extension.extension_number for m in queue.members),
        }
        for queue in queues
    ]


@dataclass(frozen=True)
class PhoneBubble:
    """A message as the outside phone shows it."""

    message: Message
    sent: bool  # sent by this phone (else received)
    relayed_from: str | None = None  # another group member's number, for a relayed text


def _group_texts(extension: Extension, number: str):
    """The texts filed in the extension's pager-group threads of groups ``number`` is in."""
    groups = (
        select(PagerGroup.platform_conversation_id)
        .join(PagerGroupMember, PagerGroupMember.group_id == PagerGroup.id)
        .where(PagerGroupMember.address == number)
    )
    return and_(
        Conversation.channel == Channel.PAGER,
        Conversation.kind == ConversationKind.GROUP,
        Conversation.platform_conversation_id.in_(groups),
        Message.type == MessageType.SMS,
        Message.direction == Direction.INBOUND,
    )


def _bubble(message: Message, number: str, own_numbers: set[str]) -> PhoneBubble | None:
    if message.conversation.channel != Channel.PAGER:
        return PhoneBubble(message, sent=message.direction == Direction.INBOUND)
    # A group answer shows once, under the number it was sent to: the other members'
    # copies are addressed to that number too, not to theirs.
    if not any(p.get("address") in own_numbers for p in message.to_parties):
        return None
    if message.from_address == number:
        return PhoneBubble(message, sent=True)  # this phone's own answer to the group
    # Another outside member's answer, as the carrier relays a group text.
    return PhoneBubble(message, sent=False, relayed_from=message.from_address)


def phone_thread(outside: str, extension_number: str, region: str) -> list[PhoneBubble]:
    """Messages between ``outside`` and any number of the extension, oldest first, and
    what other outside members of its groups answered to the extension's number.

    Seen from the outside phone: the extension's inbound messages are what it sent.
    """
    number = to_e164(outside, region, field="from")
    extension = _sandbox_extension_by_address(extension_number, by_extension_number=True)
    if extension is None:
        return []
    direct = and_(
        Conversation.channel.in_((Channel.TEXT, Channel.VOICEMAIL, Channel.FAX)),
        Conversation.participants == participants_key([number]),
    )
    messages = db.session.scalars(
        select(Message)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(
            mailbox_of(extension).where(Conversation),
            or_(direct, _group_texts(extension, number)),
            Message.availability == Availability.ALIVE,
        )
        .options(contains_eager(Message.conversation))
        .order_by(Message.created_at, Message.id)
        .limit(200)
    )
    own_numbers = {n.e164 for n in extension.phone_numbers}
    bubbles = (_bubble(m, number, own_numbers) for m in messages)
    return [b for b in bubbles if b is not None]
