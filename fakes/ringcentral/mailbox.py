"""The fake's message store: records, FSync/ISync with sync tokens, sending and templates.

Ids are int64 well beyond 2^53 (as RingCentral's are), written as JSON numbers, so a
client that reads them through a float loses digits and a test notices.
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

FIRST_ID = 2**53 + 1_000_001  # every message id is beyond 2^53


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class StoredMessage:
    record: dict[str, Any]
    seq: int  # the change counter value of its last change (what ISync compares)
    content: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # attachment id → data


class SyncTokenError(Exception):
    """The token is unknown, malformed or too old: the client must FSync again."""


class Mailbox:
    """One extension's message store."""

    def __init__(self, base_url_of, account_id: str, extension_id: str) -> None:
        self._base = base_url_of  # callable: the server's URL once it listens
        self.account_id = account_id
        self.extension_id = extension_id
        self.messages: dict[int, StoredMessage] = {}
        self.seq = 0
        self.token_generation = 1  # bumping it makes every issued sync token invalid
        self._ids = itertools.count(FIRST_ID)
        self._conversations: dict[str, int] = {}

    # -- records -------------------------------------------------------------------------------

    def _uri(self, message_id: int) -> str:
        return (
            f"{self._base()}/restapi/v1.0/account/{self.account_id}/extension/"
            f"{self.extension_id}/message-store/{message_id}"
        )

    def _conversation(self, numbers: list[str]) -> dict[str, str]:
        key = ",".join(sorted(numbers))
        if key not in self._conversations:
            self._conversations[key] = next(self._ids)
        cid = str(self._conversations[key])
        return {"id": cid, "uri": f"{self._base()}/restapi/v1.0/conversation/{cid}"}

    def add(
        self,
        *,
        type: str,
        direction: str,
        sender: dict,
        recipients: list[dict],
        text: str = "",
        when: datetime | None = None,
        status: str | None = None,
        read: bool | None = None,
        files: list[tuple[str, str, bytes]] = (),
        extra: dict | None = None,
    ) -> dict:
        """Store a new message; return its record (``files``: name, content type, bytes)."""
        message_id = next(self._ids)
        when = when or datetime.now(UTC)
        uri = self._uri(message_id)
        attachments = []
        content: dict[str, tuple[str, bytes]] = {}
        if text or type in ("SMS", "Pager"):
            attachments.append(
                {
                    "id": message_id,
                    "uri": f"{uri}/content/{message_id}",
                    "type": "Text",
                    "contentType": "text/plain",
                }
            )
            content[str(message_id)] = ("text/plain", text.encode())
        kinds = {"Fax": "RenderedDocument", "VoiceMail": "AudioRecording"}
        for name, content_type, data in files:
            attachment_id = next(self._ids)
            attachments.append(
                {
                    "id": attachment_id,
                    "uri": f"{uri}/content/{attachment_id}",
                    "type": kinds.get(type, "MmsAttachment"),
                    "contentType": content_type,
                    "fileName": name,
                    "size": len(data),
                }
            )
            content[str(attachment_id)] = (content_type, data)
        outside = [p.get("phoneNumber") or p.get("extensionNumber") for p in recipients]
        if direction == "Inbound":
            outside = [sender.get("phoneNumber") or sender.get("extensionNumber")]
        record = {
            "uri": uri,
            "id": message_id,
            "to": recipients,
            "from": sender,
            "type": type,
            "creationTime": iso(when),
            "readStatus": ("Read" if read else "Unread")
            if read is not None
            else ("Read" if direction == "Outbound" else "Unread"),
            "priority": "Normal",
            "attachments": attachments,
            "direction": direction,
            "availability": "Alive",
            "subject": text,
            "messageStatus": status or ("Received" if direction == "Inbound" else "Queued"),
            "conversationId": int(self._conversation(outside)["id"]),
            "conversation": self._conversation(outside),
            "lastModifiedTime": iso(when),
            **(extra or {}),
        }
        self.seq += 1
        self.messages[message_id] = StoredMessage(record, self.seq, content)
        return record

    def get(self, message_id: int) -> StoredMessage | None:
        return self.messages.get(message_id)

    def change(self, message_id: int, **fields: Any) -> dict:
        """Change fields of a record (a new version: lastModifiedTime and seq move on)."""
        stored = self.messages[message_id]
        stored.record.update(fields)
        previous = parse_iso(stored.record["lastModifiedTime"])
        stored.record["lastModifiedTime"] = iso(
            max(datetime.now(UTC), previous + timedelta(milliseconds=1))
        )
        self.seq += 1
        stored.seq = self.seq
        return stored.record

    def purge(self, message_id: int) -> None:
        """Purge: ISync reports only the id and availability from now on."""
        stored = self.messages[message_id]
        stored.record = {
            "id": message_id,
            "availability": "Purged",
            "lastModifiedTime": iso(datetime.now(UTC)),
        }
        stored.content.clear()
        self.seq += 1
        stored.seq = self.seq

    # -- sync ----------------------------------------------------------------------------------

    def token(self) -> str:
        raw = json.dumps({"g": self.token_generation, "s": self.seq}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def _read_token(self, token: str) -> int:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            generation, seq = int(data["g"]), int(data["s"])
        except (ValueError, KeyError, TypeError):
            raise SyncTokenError("Parameter [syncToken] value is invalid") from None
        if generation != self.token_generation:
            raise SyncTokenError("Sync token is expired, full sync is required")
        return seq

    def full_sync(self, record_count: int, date_to: str | None, date_from: str | None) -> dict:
        """Newest Alive/Deleted records first, ``record_count`` of them, before ``date_to``."""
        rows = [
            m.record for m in self.messages.values() if m.record.get("availability") != "Purged"
        ]
        if date_to:
            limit = parse_iso(date_to)
            rows = [r for r in rows if parse_iso(r["creationTime"]) < limit]
        if date_from:
            floor = parse_iso(date_from)
            rows = [r for r in rows if parse_iso(r["creationTime"]) >= floor]
        rows.sort(key=lambda r: (r["creationTime"], r["id"]), reverse=True)
        page = rows[:record_count]
        return {
            "records": page,
            "syncInfo": {
                "syncType": "FSync",
                "syncToken": self.token(),
                "syncTime": iso(datetime.now(UTC)),
                "olderRecordsExist": len(rows) > record_count,
            },
        }

    def incremental_sync(self, token: str) -> dict:
        since = self._read_token(token)
        changed = sorted((m for m in self.messages.values() if m.seq > since), key=lambda m: m.seq)
        return {
            "records": [m.record for m in changed],
            "syncInfo": {
                "syncType": "ISync",
                "syncToken": self.token(),
                "syncTime": iso(datetime.now(UTC)),
            },
        }


@dataclass
class Template:
    id: str
    display_name: str
    text: str
    scope: str  # Personal or Company

    def as_json(self, base: str) -> dict:
        return {
            "uri": f"{base}/{self.id}",
            "id": self.id,
            "displayName": self.display_name,
            "body": {"text": self.text},
            "scope": self.scope,
        }
