"""Clio contacts and communications: matches, matter options, payloads, ETags.

A communication's ETag is remembered after each write, so the next update sends
``IF-MATCH`` without reading first; a 412 (someone changed it since) re-reads the ETag
and tries again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Any

from connectors.phones import same_number
from connectors.records import RELATED_TO, MatchedRecord, MessageLogWrite

SUBJECT_MAX = 255
KEY_PROPERTY = "sidetalk_log_key"
CONTACT_FIELDS = "id,etag,name,type,created_at,updated_at,phone_numbers{number}"
MATTER_FIELDS = "id,display_number,description,status"
ETAG_CACHE_SIZE = 10_000


def _when(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def contact_records(found: Any, phone_e164: str, host: str) -> list[MatchedRecord]:
    """Return the contacts of a search whose stored number really is ``phone_e164``."""
    records = []
    for contact in (found or {}).get("data") or []:
        numbers = [p.get("number") for p in contact.get("phone_numbers") or []]
        matching = [n for n in numbers if same_number(n, phone_e164)]
        if not matching:
            continue
        records.append(
            MatchedRecord(
                id=str(contact["id"]),
                name=str(contact.get("name") or matching[0]),
                type=str(contact.get("type") or "Person"),
                phone=matching[0],
                additional_info={RELATED_TO: []},
                updated_at=_when(contact.get("updated_at")),
                created_at=_when(contact.get("created_at")),
                url=f"{host}/nc/#/contacts/{contact['id']}",
            )
        )
    return records


def matter_options(found: Any) -> list[dict[str, str]]:
    """Return open and pending matters as Related-to options."""
    options = []
    for matter in (found or {}).get("data") or []:
        label = " · ".join(
            str(part) for part in (matter.get("display_number"), matter.get("description")) if part
        )
        options.append({"const": str(matter["id"]), "title": f"Matter: {label or matter['id']}"})
    return options


def communication(log: MessageLogWrite, body: str, user_id: Any, creating: bool) -> dict[str, Any]:
    """Return the ``{"data": ...}`` of a create or update: a phone communication between
    the contact and the user (sender and receiver by the conversation's direction)."""
    contact = {"id": int(log.record.id), "type": "Contact"}
    data: dict[str, Any] = {
        "subject": " ".join(log.subject.split())[:SUBJECT_MAX],
        "body": body,
    }
    if log.related_to_id:
        data["matter"] = {"id": int(log.related_to_id)}
    if creating:
        user = {"id": int(user_id), "type": "User"} if user_id else None
        outbound = (log.direction or "").lower() == "outbound"
        senders, receivers = ([user], [contact]) if outbound else ([contact], [user])
        data.update(
            {
                "type": "PhoneCommunication",
                "date": log.activity_date.isoformat(),
                "senders": [p for p in senders if p],
                "receivers": [p for p in receivers if p],
                "external_properties": [{"name": KEY_PROPERTY, "value": log.log_key}],
            }
        )
    return {"data": data}


class EtagCache:
    """The last known ETag of each communication this process wrote (bounded LRU)."""

    def __init__(self, size: int = ETAG_CACHE_SIZE) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._tags: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        """Return the remembered ETag of ``key``."""
        with self._lock:
            tag = self._tags.get(key)
            if tag is not None:
                self._tags.move_to_end(key)
            return tag

    def put(self, key: str, tag: str | None) -> None:
        """Remember (or forget, for None) the ETag of ``key``."""
        with self._lock:
            if tag is None:
                self._tags.pop(key, None)
                return
            self._tags[key] = tag
            self._tags.move_to_end(key)
            while len(self._tags) > self.size:
                self._tags.popitem(last=False)


etags = EtagCache()
