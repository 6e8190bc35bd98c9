"""The fake's sending handlers: sms, mms, company-pager and fax, with RingCentral's limits."""

from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from .account import FakeAccount
from .http import api_error, json_response

SMS_MAX_UNITS = 1000
PAGER_MAX_UNITS = 1024
MMS_MAX_FILES = 10
MMS_MAX_BYTES = 1_500_000
MMS_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/bmp",
    "image/tiff",
    "video/mp4",
    "audio/mpeg",
    "text/vcard",
    "application/pdf",
}


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class SendingApi:
    """Mixed into ``RestApi``; it never imports the server, which imports it."""

    fake: FakeAccount  # whose numbers, mailbox and lock these use
    sent: list[dict]

    def _sender_ok(self, number: str | None, feature: str) -> bool:
        return any(
            n["phoneNumber"] == number and feature in n["features"] for n in self.fake.numbers
        )

    def _envelope(self, request: Request) -> dict | Response:
        """Return the JSON of a JSON request or of the multipart ``json``/``request`` part."""
        if request.mimetype == "application/json":
            body = request.get_json(silent=True)
        else:
            part = request.files.get("json") or request.files.get("request")
            raw = part.read() if part else request.form.get("json") or request.form.get("request")
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
        if not isinstance(body, dict):
            return api_error(400, "CMN-101", "Request body is not valid JSON")
        return body

    def _recipients(self, body: dict, key: str) -> list[dict] | Response:
        to = body.get("to")
        if (
            not isinstance(to, list)
            or not to
            or not all(isinstance(t, dict) and t.get(key) for t in to)
        ):
            return api_error(400, "CMN-101", f"Parameter [to.{key}] is required", "to")
        return [{key: t[key]} for t in to]

    def _files(self, request: Request) -> list[tuple[str, str, bytes]]:
        return [
            (f.filename or "file", f.mimetype or "application/octet-stream", f.read())
            for name, f in request.files.items(multi=True)
            if name not in ("json", "request")
        ]

    def _store_sent(self, **kwargs) -> Response:
        with self.fake.lock:
            record = self.fake.mailbox.add(direction="Outbound", **kwargs)
            self.sent.append(record)
        self.fake.subscriptions.notify_store(record, new=True)
        return json_response(record)

    def sms(self, request: Request) -> Response:
        body = self._envelope(request)
        if isinstance(body, Response):
            return body
        sender = (body.get("from") or {}).get("phoneNumber")
        if not self._sender_ok(sender, "SmsSender"):
            return api_error(400, "MSG-304", "Phone number doesn't belong to extension", "from")
        to = self._recipients(body, "phoneNumber")
        if isinstance(to, Response):
            return to
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return api_error(400, "CMN-101", "Parameter [text] is required", "text")
        if utf16_units(text) > SMS_MAX_UNITS:
            return api_error(400, "MSG-348", "Text is too long", "text")
        return self._store_sent(
            type="SMS", sender={"phoneNumber": sender}, recipients=to, text=text
        )

    def mms(self, request: Request) -> Response:
        body = self._envelope(request)
        if isinstance(body, Response):
            return body
        sender = (body.get("from") or {}).get("phoneNumber")
        if not self._sender_ok(sender, "MmsSender"):
            return api_error(400, "MSG-304", "Phone number doesn't belong to extension", "from")
        to = self._recipients(body, "phoneNumber")
        if isinstance(to, Response):
            return to
        files = self._files(request)
        if not files or len(files) > MMS_MAX_FILES:
            return api_error(400, "MSG-375", "An MMS carries 1 to 10 attachments", "attachments")
        if sum(len(d) for _, _, d in files) > MMS_MAX_BYTES:
            return api_error(400, "MSG-376", "Attachments exceed 1.5 MB in all", "attachments")
        if any(ct not in MMS_TYPES for _, ct, _ in files):
            return api_error(415, "MSG-377", "Unsupported attachment type", "attachments")
        text = str(body.get("text") or "")
        if utf16_units(text) > SMS_MAX_UNITS:
            return api_error(400, "MSG-348", "Text is too long", "text")
        return self._store_sent(
            type="SMS", sender={"phoneNumber": sender}, recipients=to, text=text, files=files
        )

    def pager(self, request: Request) -> Response:
        body = self._envelope(request)
        if isinstance(body, Response):
            return body
        to = self._recipients(body, "extensionNumber")
        if isinstance(to, Response):
            return to
        text = body.get("text")
        if not isinstance(text, str) or not text or utf16_units(text) > PAGER_MAX_UNITS:
            return api_error(
                400, "CMN-101", "Parameter [text] must be 1 to 1024 characters", "text"
            )
        return self._store_sent(
            type="Pager",
            sender={"extensionNumber": self.fake.extension_number},
            recipients=to,
            text=text,
            status="Sent",
            extra={"pgToDepartment": False},
        )

    def fax(self, request: Request) -> Response:
        body = self._envelope(request)
        if isinstance(body, Response):
            return body
        to = self._recipients(body, "phoneNumber")
        if isinstance(to, Response):
            return to
        files = self._files(request)
        if not files:
            return api_error(400, "CMN-100", "Parameter [attachment] is required", "attachment")
        return self._store_sent(
            type="Fax",
            sender={"phoneNumber": self.fake.numbers[0]["phoneNumber"]},
            recipients=to,
            files=files,
            extra={
                "faxResolution": body.get("faxResolution", "High"),
                "faxPageCount": 1,
                "coverPageText": body.get("coverPageText", ""),
            },
        )
