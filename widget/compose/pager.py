"""Pager groups: named conversations between extensions, optionally with outside numbers.

Mailboxes are per extension, so a group is one ``PagerGroup`` (name, members) plus one
conversation row in each internal member's mailbox, all carrying the group's
``platform_conversation_id``. Messages to the group are one Pager message to the member
extensions (found by that id at ingestion, whatever the members are now) and one SMS per
outside member from the sender's number -- outside members cannot receive pager messages,
and their replies arrive in the sender's text conversation with them, where any SMS reply
arrives. Adding or removing members rewrites the rows' participants, so the thread keeps
its history; the unique (extension, channel, participants) constraint refuses a group
whose members exactly repeat a conversation the member already has.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from widget.access import Mailbox, may_change
from widget.compose.recipients import Recipient, parse_recipient, parse_recipients
from widget.errors import Conflict, NotFound, Rejected
from widget.extensions import db
from widget.inbox.ingest import participants_key
from widget.models import (
    Channel,
    Conversation,
    ConversationKind,
    Direction,
    Extension,
    MessageType,
    PagerGroup,
    PagerGroupMember,
)
from widget.models.types import utcnow

NAME_LIMIT = 100
MAX_MEMBERS = 20


def group_of(conversation: Conversation) -> PagerGroup | None:
    """Return the pager group whose thread ``conversation`` is, if it is one."""
    if conversation.kind != ConversationKind.GROUP or conversation.channel != Channel.PAGER:
        return None
    if not conversation.platform_conversation_id:
        return None
    return db.session.scalar(
        select(PagerGroup).where(
            PagerGroup.platform_conversation_id == conversation.platform_conversation_id
        )
    )


def _check_size(members: list[PagerGroupMember | Recipient | str]) -> None:
    addresses = [m if isinstance(m, str) else m.address for m in members]
    internal = [a for a in addresses if a and not a.startswith("+")]
    if len(addresses) < 3 or len(internal) < 2:
        raise Rejected(
            "A group needs you and at least two other members, one of them a colleague's "
            "extension; for one person, send a direct message.",
            "members",
        )
    if len(addresses) > MAX_MEMBERS:
        raise Rejected(f"A group has at most {MAX_MEMBERS} members.", "members")


def _member_conversation(group: PagerGroup, extension_id: int) -> Conversation | None:
    return db.session.scalar(
        select(Conversation).where(
            Mailbox(extension_id).where(Conversation),
            Conversation.channel == Channel.PAGER,
            Conversation.kind == ConversationKind.GROUP,
            Conversation.platform_conversation_id == group.platform_conversation_id,
        )
    )


def _sync_conversations(group: PagerGroup, note: str) -> None:
    """Make every internal member's group row list exactly the other members."""
    addresses = [m.address for m in group.members]
    try:
        for member in group.members:
            if member.extension_id is not None:
                others = [a for a in addresses if a != member.address]
                _member_row(group, member.extension_id, note).participants = participants_key(
                    others
                )
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "Someone in the group already has a conversation with exactly these members.",
            "members",
        ) from None


def _member_row(group: PagerGroup, extension_id: int, note: str) -> Conversation:
    row = _member_conversation(group, extension_id)
    if row is None:
        row = Conversation(
            extension_id=extension_id,
            channel=Channel.PAGER,
            kind=ConversationKind.GROUP,
            platform_conversation_id=group.platform_conversation_id,
            last_message_at=utcnow(),
            last_message_type=MessageType.PAGER,
            last_direction=Direction.OUTBOUND,
            preview=note[:140],
        )
        db.session.add(row)
    row.title = group.name
    return row


def create_group(
    extension: Extension, name: str, member_entries: list[str], region: str
) -> tuple[PagerGroup | None, Conversation | None, list[Recipient]]:
    """Create the group with ``extension`` in it; return it, the creator's thread, and errors.

    When any member entry is invalid nothing is created and the parsed entries come back
    with their errors, for the form to show next to each.
    """
    name = " ".join((name or "").split())
    if not name:
        raise Rejected("Give the group a name.", "name")
    if len(name) > NAME_LIMIT:
        raise Rejected(f"Group names are limited to {NAME_LIMIT} characters.", "name")
    members = parse_recipients(extension, member_entries, region)
    if any(m.error for m in members):
        return None, None, members
    _check_size([extension.extension_number, *members])
    group = PagerGroup(
        account_id=extension.account_id,
        name=name,
        created_by_extension_id=extension.id,
        platform_conversation_id=f"group-{uuid.uuid4().hex}",
    )
    group.members.append(
        PagerGroupMember(address=extension.extension_number, extension_id=extension.id)
    )
    for member in members:
        group.members.append(_new_member(extension, member))
    db.session.add(group)
    _sync_conversations(group, f"{extension.name} created the group")
    db.session.commit()
    return group, _member_conversation(group, extension.id), members


def _new_member(extension: Extension, recipient: Recipient) -> PagerGroupMember:
    colleague = None
    if recipient.is_pager:
        colleague = db.session.scalar(
            select(Extension.id).where(
                Extension.account_id == extension.account_id,
                Extension.extension_number == recipient.address,
            )
        )
    return PagerGroupMember(address=recipient.address, extension_id=colleague)


def add_member(extension: Extension, conversation: Conversation, entry: str, region: str) -> None:
    """Add a colleague or an outside number to the group of ``conversation``."""
    group = _own_group(extension, conversation)
    recipient = parse_recipient(extension, entry, region)
    if recipient.error:
        raise Rejected(recipient.error, "member")
    if any(m.address == recipient.address for m in group.members):
        raise Rejected("They are already in the group.", "member")
    _check_size([*group.members, recipient])
    group.members.append(_new_member(extension, recipient))
    _sync_conversations(group, f"{extension.name} added you to the group")
    db.session.commit()


def remove_member(extension: Extension, conversation: Conversation, address: str) -> None:
    """Remove a member (you may remove yourself: you leave, your history stays)."""
    group = _own_group(extension, conversation)
    member = next((m for m in group.members if m.address == address), None)
    if member is None:
        raise NotFound("That member is not in the group.", "member")
    _check_size([m for m in group.members if m is not member])
    if member.extension_id is not None:
        left = _member_conversation(group, member.extension_id)
        if left is not None:
            # Their thread keeps its history but no longer receives the group's messages.
            left.platform_conversation_id = None
    group.members.remove(member)
    db.session.flush()
    _sync_conversations(group, "")
    db.session.commit()


def _own_group(extension: Extension, conversation: Conversation) -> PagerGroup:
    group = group_of(conversation)
    if group is None or not may_change(extension, conversation):
        raise NotFound("This conversation is not a pager group.")
    return group


def members_of(conversation: Conversation) -> list[PagerGroupMember]:
    group = group_of(conversation)
    return list(group.members) if group else []
