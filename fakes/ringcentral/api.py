"""The fake's REST handlers: account, extension, numbers, contacts, messages, templates."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .account import FakeAccount
from .http import api_error, json_response
from .mailbox import SyncTokenError, parse_iso
from .sending import SendingApi

FSYNC_MAX_RECORDS = 250


def _paging(records: list, page: int, per_page: int) -> dict:
    total = len(records)
    return {
        "records": records[(page - 1) * per_page : page * per_page],
        "paging": {
            "page": page,
            "perPage": per_page,
            "totalPages": max(1, -(-total // per_page)),
            "totalElements": total,
        },
        "navigation": {},
    }


def _digits(number: object) -> str:
    # Clients leave "+" unescaped in query strings (the official SDK does), which reaches
    # the server as a space: the fake compares numbers by their digits alone.
    return "".join(c for c in str(number) if c.isdigit())


def _parties(record: dict) -> set[str]:
    parties = [record.get("from") or {}, *(record.get("to") or [])]
    return {_digits(p.get("phoneNumber") or p.get("extensionNumber")) for p in parties}


def _int_arg(request: Request, name: str, default: int) -> int | Response:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        return api_error(400, "CMN-101", f"Parameter [{name}] value is invalid", name)


class RestApi(SendingApi):
    def __init__(self, fake: FakeAccount) -> None:
        self.fake = fake
        self.sent: list[dict] = []  # every message sent through sms/mms/pager/fax

    # -- account and people --------------------------------------------------------------------

    def account(self, request: Request) -> Response:
        fake = self.fake
        return json_response(
            {
                "uri": f"{fake.url}/restapi/v1.0/account/{fake.account_id}",
                "id": int(fake.account_id),
                "mainNumber": fake.main_number,
                "status": "Confirmed",
                "serviceInfo": {"brand": {"name": "RingCentral"}},
            }
        )

    def extension(self, request: Request) -> Response:
        fake = self.fake
        first, last = fake.user_name
        return json_response(
            {
                "uri": f"{fake.url}/restapi/v1.0/account/{fake.account_id}"
                f"/extension/{fake.extension_id}",
                "id": int(fake.extension_id),
                "extensionNumber": fake.extension_number,
                "contact": {
                    "firstName": first,
                    "lastName": last,
                    "company": fake.company,
                    "email": fake.email,
                },
                "name": f"{first} {last}",
                "type": "User",
                "status": "Enabled",
                "permissions": {
                    "admin": {"enabled": fake.is_admin},
                    "internationalCalling": {"enabled": False},
                },
                "regionalSettings": {"timezone": {"id": "58", "name": fake.timezone}},
                "account": {
                    "id": fake.account_id,
                    "uri": f"{fake.url}/restapi/v1.0/account/{fake.account_id}",
                },
            }
        )

    def phone_numbers(self, request: Request) -> Response:
        records = [
            {
                "id": 1000 + i,
                "phoneNumber": n["phoneNumber"],
                "usageType": n["usageType"],
                "type": "VoiceFax",
                "paymentType": "Local",
                "status": "Normal",
                "features": n["features"],
            }
            for i, n in enumerate(self.fake.numbers)
        ]
        return json_response(_paging(records, 1, 100))

    def directory(self, request: Request) -> Response:
        page, per_page = _int_arg(request, "page", 1), _int_arg(request, "perPage", 100)
        for value in (page, per_page):
            if isinstance(value, Response):
                return value
        records = [
            {
                "id": str(5000 + i),
                "type": "User",
                "status": "Enabled",
                "firstName": e["firstName"],
                "lastName": e["lastName"],
                "extensionNumber": e.get("extensionNumber"),
                "account": {"id": self.fake.account_id, "companyName": self.fake.company},
                "phoneNumbers": [
                    {"phoneNumber": p, "type": "VoiceFax", "usageType": "DirectNumber"}
                    for p in e["phoneNumbers"]
                ],
            }
            for i, e in enumerate(self.fake.directory)
        ]
        return json_response(_paging(records, page, per_page))

    def address_book(self, request: Request) -> Response:
        page, per_page = _int_arg(request, "page", 1), _int_arg(request, "perPage", 100)
        for value in (page, per_page):
            if isinstance(value, Response):
                return value
        records = [
            {"id": 8000 + i, "availability": "Alive", **c}
            for i, c in enumerate(self.fake.address_book)
        ]
        return json_response(_paging(records, page, per_page))

    # -- the message store ------------------------------------------------------------------

    def message_sync(self, request: Request) -> Response:
        box = self.fake.mailbox
        sync_type = request.args.get("syncType", "FSync")
        count = _int_arg(request, "recordCount", FSYNC_MAX_RECORDS)
        if isinstance(count, Response):
            return count
        with self.fake.lock:
            if sync_type == "FSync":
                count = max(1, min(count, FSYNC_MAX_RECORDS))
                body = box.full_sync(
                    count, request.args.get("dateTo"), request.args.get("dateFrom")
                )
            elif sync_type == "ISync":
                token = request.args.get("syncToken")
                if not token:
                    return api_error(
                        400, "CMN-100", "Parameter [syncToken] is required", "syncToken"
                    )
                try:
                    body = box.incremental_sync(token)
                except SyncTokenError as exc:
                    return api_error(400, "CMN-101", str(exc), "syncToken")
            else:
                return api_error(
                    400, "CMN-101", "Parameter [syncType] value is invalid", "syncType"
                )
        body["uri"] = request.url
        return json_response(body)

    def message_list(self, request: Request) -> Response:
        """``GET .../message-store``: filtered by direction, type, number and creation window."""
        page, per_page = _int_arg(request, "page", 1), _int_arg(request, "perPage", 100)
        for value in (page, per_page):
            if isinstance(value, Response):
                return value
        try:
            date_from = parse_iso(request.args["dateFrom"]) if "dateFrom" in request.args else None
        except ValueError:
            return api_error(400, "CMN-101", "Parameter [dateFrom] value is invalid", "dateFrom")
        directions = request.args.getlist("direction")
        types = request.args.getlist("messageType")
        number = _digits(request.args["phoneNumber"]) if "phoneNumber" in request.args else None
        with self.fake.lock:
            rows = [
                m.record
                for m in self.fake.mailbox.messages.values()
                if m.record.get("availability") == "Alive"
                and (not directions or m.record.get("direction") in directions)
                and (not types or m.record.get("type") in types)
                and (date_from is None or parse_iso(m.record["creationTime"]) >= date_from)
                and (number is None or number in _parties(m.record))
            ]
        rows.sort(key=lambda r: (r["creationTime"], r["id"]), reverse=True)
        return json_response(_paging(rows, page, per_page))

    def _ids(self, ids: str) -> list[int] | Response:
        try:
            return [int(i) for i in ids.split(",")]
        except ValueError:
            return api_error(400, "CMN-101", "Parameter [messageId] value is invalid", "messageId")

    def message(self, request: Request, ids: str) -> Response:
        parsed = self._ids(ids)
        if isinstance(parsed, Response):
            return parsed
        if len(parsed) > 1:
            return api_error(400, "CMN-101", "Use one id per request", "messageId")
        with self.fake.lock:
            stored = self.fake.mailbox.get(parsed[0])
            if stored is None or stored.record.get("availability") == "Purged":
                return api_error(404, "MSG-333", "Message not found", "messageId")
            record = stored.record
            if record.get("direction") == "Outbound" and record.get("type") == "SMS":
                # The carrier moves one step each time the sender asks (Queued→Sent→Delivered).
                step = {"Queued": "Sent", "Sent": "Delivered"}.get(record["messageStatus"])
                if step:
                    self.fake.mailbox.change(parsed[0], messageStatus=step)
            return json_response(record)

    def message_update(self, request: Request, ids: str) -> Response:
        parsed = self._ids(ids)
        if isinstance(parsed, Response):
            return parsed
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return api_error(400, "CMN-101", "Request body is not valid JSON")
        fields: dict[str, Any] = {}
        if "readStatus" in body:
            if body["readStatus"] not in ("Read", "Unread"):
                return api_error(
                    400, "CMN-101", "Parameter [readStatus] value is invalid", "readStatus"
                )
            fields["readStatus"] = body["readStatus"]
        if "availability" in body:
            if request.method != "PATCH" or body["availability"] != "Alive":
                return api_error(
                    400, "CMN-101", "Parameter [availability] value is invalid", "availability"
                )
            fields["availability"] = "Alive"
        if not fields:
            return api_error(400, "CMN-101", "Nothing to update")
        records = []
        with self.fake.lock:
            for message_id in parsed:
                stored = self.fake.mailbox.get(message_id)
                if stored is None or stored.record.get("availability") == "Purged":
                    return api_error(404, "MSG-333", "Message not found", "messageId")
                records.append(self.fake.mailbox.change(message_id, **fields))
        return json_response(records[0] if len(records) == 1 else {"records": records})

    def message_delete(self, request: Request, ids: str) -> Response:
        parsed = self._ids(ids)
        if isinstance(parsed, Response):
            return parsed
        purge = request.args.get("purge") == "true"
        with self.fake.lock:
            for message_id in parsed:
                stored = self.fake.mailbox.get(message_id)
                if stored is None or stored.record.get("availability") == "Purged":
                    return api_error(404, "MSG-333", "Message not found", "messageId")
            for message_id in parsed:
                if purge:
                    self.fake.mailbox.purge(message_id)
                else:
                    self.fake.mailbox.change(message_id, availability="Deleted")
        return Response(status=204)

    def content(self, request: Request, mid: str, aid: str) -> Response:
        try:
            stored = self.fake.mailbox.get(int(mid))
        except ValueError:
            stored = None
        if stored is None or aid not in stored.content:
            return api_error(404, "MSG-333", "Attachment not found", "attachmentId")
        content_type, data = stored.content[aid]
        return Response(data, content_type=content_type)
