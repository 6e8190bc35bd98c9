"""The sandbox's message store read back as RingCentral records: fetch by id, and sync.

The sandbox keeps no second copy of its messages: its store is Sidetalk's own table, so
a record here is the stored message in ``GET .../message-store/{id}``'s shape, and a
sync token is a position in the order the messages last changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select

from widget.access import mailbox_of
from widget.extensions import db
from widget.models import Availability, Extension, Message, MessageStatus
from widget.platforms.base import SyncPage, SyncType

PLATFORM = "sandbox"
SYNC_RECORD_COUNT = 250  # RingCentral's default recordCount for message-sync
_SYNC_TOKEN_PREFIX = "sandbox-sync:"  # noqa: S105 (a position, not a secret)


def stamp(moment: datetime) -> str:
    """Return ``moment`` as RingCentral writes times: ISO-8601, milliseconds, ``Z``."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def party(address: str, status: MessageStatus | None = None) -> dict:
    """Return a record's ``from``/``to`` entry for a phone or extension number."""
    key = "phoneNumber" if address.startswith("+") else "extensionNumber"
    found = {key: address}
    if status is not None:
        found["messageStatus"] = status.value
    return found


def stored_record(
    owner: Extension,
    message: Message,
    statuses: Sequence[MessageStatus | None] | None = None,
    status: MessageStatus | None = None,
    modified: datetime | None = None,
) -> dict:
    """Return ``message`` of ``owner``'s mailbox as a message-store record.

    ``statuses`` (one per recipient), ``status`` and ``modified`` replace the stored
    ones: the outbound simulator uses them for the carrier's next step.
    """
    base = (
        f"https://sandbox.sidetalk.invalid/restapi/v1.0/account/{owner.account.platform_account_id}"
        f"/extension/{owner.platform_extension_id}/message-store/{message.platform_message_id}"
    )
    parties = [p for p in message.to_parties if p.get("address")]
    if statuses is None:
        statuses = [MessageStatus(p["status"]) if p.get("status") else None for p in parties]
    status = status or message.message_status
    modified = modified or message.last_modified_at
    sender = party(message.from_address) | (
        {"name": message.from_name} if message.from_name else {}
    )
    record = {
        "uri": base,
        "id": message.platform_message_id,
        "to": [party(p["address"], s) for p, s in zip(parties, statuses, strict=True)],
        "from": sender,
        "type": message.type.value,
        "creationTime": stamp(message.created_at),
        "lastModifiedTime": stamp(modified),
        "readStatus": message.read_status.value,
        "priority": message.priority,
        "attachments": [
            {
                "id": a.platform_attachment_id,
                "uri": a.platform_uri,
                "type": a.kind,
                "contentType": a.content_type,
                "size": a.size,
            }
            for a in message.attachments
        ],
        "direction": message.direction.value,
        "availability": message.availability.value,
        "subject": message.subject,
        "messageStatus": status.value,
    }
    if status == MessageStatus.DELIVERED:
        record["smsDeliveryTime"] = stamp(modified)
    if message.platform_conversation_id:
        record["conversationId"] = message.platform_conversation_id
        record["conversation"] = {"id": message.platform_conversation_id}
    return record


def _mailbox(owner: Extension):
    return select(Message).where(mailbox_of(owner).where(Message), Message.platform == PLATFORM)


def fetch_records(owner: Extension, message_ids: Sequence[str]) -> list[dict]:
    """Return the records of ``message_ids`` that ``owner``'s mailbox holds, in that order."""
    if not message_ids:
        return []
    found = {
        m.platform_message_id: m
        for m in db.session.scalars(
            _mailbox(owner).where(Message.platform_message_id.in_(list(message_ids)))
        )
    }
    return [stored_record(owner, found[i]) for i in message_ids if i in found]


def _token(moment: datetime, row_id: int) -> str:
    return f"{_SYNC_TOKEN_PREFIX}{int(moment.timestamp() * 1_000_000)}:{row_id}"


def _position(token: str) -> tuple[datetime, int]:
    """Return the (last modified, id) position a token names; ``ValueError`` if not ours."""
    if not token.startswith(_SYNC_TOKEN_PREFIX):
        raise ValueError(f"not a sandbox sync token: {token!r}")
    micros, row_id = token.removeprefix(_SYNC_TOKEN_PREFIX).split(":")
    return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC), int(row_id)


def _high_water_mark(owner: Extension) -> str:
    newest = db.session.execute(
        select(Message.last_modified_at, Message.id)
        .where(mailbox_of(owner).where(Message), Message.platform == PLATFORM)
        .order_by(Message.last_modified_at.desc(), Message.id.desc())
        .limit(1)
    ).first()
    return _token(*newest) if newest else _token(datetime.fromtimestamp(0, tz=UTC), 0)


def sync(
    owner: Extension, sync_token: str | None, record_count: int = SYNC_RECORD_COUNT
) -> SyncPage:
    """Return an FSync page (no token) or the ISync page after ``sync_token``.

    FSync: the newest ``record_count`` alive messages, and a token marking everything
    stored so far. ISync: up to ``record_count`` messages changed after the token, in
    the order they changed (deleted and purged ones too), and a token after the last.
    """
    if sync_token is None:
        token = _high_water_mark(owner)
        newest = list(
            db.session.scalars(
                _mailbox(owner)
                .where(Message.availability == Availability.ALIVE)
                .order_by(Message.created_at.desc(), Message.id.desc())
                .limit(record_count + 1)
            )
        )
        older = len(newest) > record_count
        records = tuple(stored_record(owner, m) for m in newest[:record_count])
        return SyncPage(SyncType.FULL, records, token, older_records_exist=older)
    moment, row_id = _position(sync_token)
    changed = list(
        db.session.scalars(
            _mailbox(owner)
            .where(
                or_(
                    Message.last_modified_at > moment,
                    and_(Message.last_modified_at == moment, Message.id > row_id),
                )
            )
            .order_by(Message.last_modified_at, Message.id)
            .limit(record_count)
        )
    )
    token = _token(changed[-1].last_modified_at, changed[-1].id) if changed else sync_token
    return SyncPage(SyncType.INCREMENTAL, tuple(stored_record(owner, m) for m in changed), token)
