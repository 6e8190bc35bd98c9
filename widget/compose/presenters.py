"""Template helpers for the pieces compose puts into the inbox page's thread and bubbles.

The thread and bubble blocks of ``inbox/widget.html`` are rendered by other capabilities
(the inbox views, real-time frames) with their own context, so the reply box, Retry, call
back and group members ask these globals instead of expecting extra context.
"""

from __future__ import annotations

import secrets

from flask import current_app

from widget.access import may_read
from widget.compose import optout
from widget.compose.pager import members_of
from widget.compose.retry import was_retried
from widget.compose.segments import SegmentCount, count_segments
from widget.compose.service import default_sender
from widget.compose.statuses import status_of
from widget.contacts.service import names_for
from widget.models import Channel, Conversation, Extension
from widget.phone import display


def new_idempotency_key() -> str:
    """A fresh key for a send form: the same key submitted twice sends once."""
    return secrets.token_urlsafe(18)


def segments_of(text: str) -> SegmentCount:
    return count_segments(text)


def opt_outs_of(extension: Extension, conversation: Conversation) -> list[tuple[str, str]]:
    if conversation.channel != Channel.TEXT:
        return []
    return optout.conversation_opt_outs(extension, conversation)


def callback_number(conversation: Conversation) -> str | None:
    """The outside number to call or text back, for a one-to-one conversation."""
    addresses = conversation.addresses
    if len(addresses) == 1 and addresses[0].startswith("+"):
        return addresses[0]
    return None


def group_members(extension: Extension, conversation: Conversation) -> list:
    """[(member, label)] of a pager group's thread; empty for any other conversation."""
    if not may_read(extension, conversation):
        return []
    members = members_of(conversation)
    if not members:
        return []
    names = names_for(extension, [m.address for m in members])
    region = current_app.config["DEFAULT_REGION"]
    return [(m, names.get(m.address) or display(m.address, region)) for m in members]


TEMPLATE_GLOBALS = {
    "compose_new_key": new_idempotency_key,
    "compose_segments": segments_of,
    "compose_opt_outs": opt_outs_of,
    "compose_was_retried": was_retried,
    "compose_default_sender": default_sender,
    "compose_callback_number": callback_number,
    "compose_group_members": group_members,
    "message_status": status_of,
}
