"""SMS opt-out: STOP (and its synonyms) from a number blocks our number; START lifts it.

Keywords are recognised at ingestion, inside the transaction that stores the inbound
message (the ``message_ingested`` signal), so an opt-out can never be lost between the
message's commit and a later step. It is kept per (account, our number, their number):
a customer who stops one of Carol's two numbers can still be texted from the other.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from widget.extensions import db
from widget.models import (
    Conversation,
    Direction,
    Extension,
    Message,
    MessageType,
    SmsOptOut,
)
from widget.models.queries import insert_once

STOP_KEYWORDS = frozenset({"STOP", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"})
START_KEYWORDS = frozenset({"START", "UNSTOP"})


def keyword_action(text: str) -> str | None:
    """Return "stop", "start" or None for an inbound text (the whole message, trimmed)."""
    word = (text or "").strip().upper()
    if word in STOP_KEYWORDS:
        return "stop"
    if word in START_KEYWORDS:
        return "start"
    return None


def opt_out(account_id: int, our_number: str, their_number: str, keyword: str) -> None:
    """Record that ``their_number`` stopped texts from ``our_number`` (once; repeats are fine)."""
    exists = db.session.scalar(
        select(SmsOptOut.id).where(
            SmsOptOut.account_id == account_id,
            SmsOptOut.our_number == our_number,
            SmsOptOut.their_number == their_number,
        )
    )
    if exists is not None:
        return
    # False when a concurrent STOP recorded it first: the number is blocked either way.
    insert_once(
        SmsOptOut(
            account_id=account_id,
            our_number=our_number,
            their_number=their_number,
            keyword=keyword[:16],
        )
    )


def opt_in(account_id: int, our_number: str, their_number: str) -> None:
    db.session.execute(
        delete(SmsOptOut).where(
            SmsOptOut.account_id == account_id,
            SmsOptOut.our_number == our_number,
            SmsOptOut.their_number == their_number,
        )
    )


def record_keyword(extension: Extension, message: Message) -> None:
    """``message_ingested`` receiver: apply STOP/START from an inbound SMS to our number."""
    if message.type != MessageType.SMS or message.direction != Direction.INBOUND:
        return
    action = keyword_action(message.subject)
    if action is None or not message.from_address.startswith("+"):
        return
    ours = {n.e164 for n in extension.phone_numbers}
    for party in message.to_parties:
        our_number = party.get("address")
        if our_number not in ours:
            continue
        if action == "stop":
            opt_out(extension.account_id, our_number, message.from_address, message.subject.strip())
        else:
            opt_in(extension.account_id, our_number, message.from_address)


def blocked_pairs(account_id: int, our_numbers: Iterable[str], their_numbers: Iterable[str]):
    """Return the set of (our number, their number) pairs that are opted out."""
    ours, theirs = list(our_numbers), list(their_numbers)
    if not ours or not theirs:
        return set()
    rows = db.session.execute(
        select(SmsOptOut.our_number, SmsOptOut.their_number).where(
            SmsOptOut.account_id == account_id,
            SmsOptOut.our_number.in_(ours),
            SmsOptOut.their_number.in_(theirs),
        )
    )
    return {(our, their) for our, their in rows}


def is_blocked(account_id: int, our_number: str, their_number: str) -> bool:
    return bool(blocked_pairs(account_id, [our_number], [their_number]))


def conversation_opt_outs(
    extension: Extension, conversation: Conversation
) -> list[tuple[str, str]]:
    """Return the (our number, their number) opt-outs touching this text conversation."""
    theirs = [a for a in conversation.addresses if a.startswith("+")]
    ours = [n.e164 for n in extension.sms_numbers]
    return sorted(blocked_pairs(extension.account_id, ours, theirs))
