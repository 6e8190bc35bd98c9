"""Send a fax: one PDF to one number, with optional cover page text, through the platform.

The document is accepted only up to the upload limit, and only if a PDF parser reads it
within its limits (``widget.pdf``), finds 1 to ``FAX_PAGE_LIMIT`` pages, no encryption and
nothing that runs or carries content (script, launch actions, embedded files, XFA forms):
a refused document is neither stored nor sent. The platform renders the cover page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from widget.compose.recipients import Recipient, parse_recipient
from widget.compose.sending import check_key
from widget.compose.service import Outcome, Upload, send_all
from widget.errors import DomainError, Rejected
from widget.models import Extension, MessageType
from widget.pdf import PdfError, UnreadablePdf, page_count
from widget.phone import display, to_e164
from widget.platforms.base import Outbound, OutboundPart

COVER_TEXT_LIMIT = 1024  # RingCentral's coverPageText limit
FAX_PAGE_LIMIT = 200  # RingCentral's page limit for one fax


@dataclass
class FaxDraft:
    key: str
    to: str = ""
    sender: str = ""
    cover_text: str = ""
    document: Upload | None = None


def fax_numbers(extension: Extension) -> list[str]:
    return [n.e164 for n in extension.phone_numbers if n.fax_enabled]


def _sender(extension: Extension, chosen: str) -> str:
    numbers = fax_numbers(extension)
    if not numbers:
        raise Rejected("Your extension has no number that can send faxes.", "from")
    if not (chosen or "").strip():
        return numbers[0]
    region = current_app.config["DEFAULT_REGION"]
    number = to_e164(chosen, region, field="from")
    if number not in numbers:
        raise Rejected(f"{display(number, region)} is not one of your fax numbers.", "from")
    return number


def check_document(upload: Upload | None, limit: int) -> int:
    """Return the page count of the uploaded PDF; ``Rejected`` naming what is wrong."""
    if upload is None or not upload.data:
        raise Rejected("Choose the PDF document to fax.", "document")
    name = upload.filename or "the file"
    if len(upload.data) > limit:
        size, most = len(upload.data) / 1048576, limit / 1048576
        raise Rejected(
            f"“{name}” is {size:.1f} MB; faxes up to {most:.0f} MB can be sent.", "document"
        )
    if not upload.data.startswith(b"%PDF-"):
        raise Rejected(f"“{name}” is not a PDF document.", "document")
    try:
        pages = page_count(upload.data)
    except UnreadablePdf as exc:
        raise Rejected(f"“{name}” cannot be read as a PDF: {exc}.", "document") from None
    except PdfError as exc:
        raise Rejected(f"“{name}” cannot be faxed: {exc}.", "document") from None
    if not 1 <= pages <= FAX_PAGE_LIMIT:
        raise Rejected(
            f"“{name}” has {pages} pages; a fax has 1 to {FAX_PAGE_LIMIT} pages.", "document"
        )
    return pages


def send_fax(extension: Extension, draft: FaxDraft) -> Outcome:
    """Validate the fax form and send it once (the form's key makes a resubmit a replay)."""
    check_key(draft.key)
    outcome = Outcome()
    region = current_app.config["DEFAULT_REGION"]
    recipient = parse_recipient(extension, draft.to, region)
    if recipient.error or recipient.is_pager:
        outcome.field_errors["to"] = recipient.error or "A fax goes to a phone number."
    cover = (draft.cover_text or "").replace("\r\n", "\n").strip()
    if len(cover) > COVER_TEXT_LIMIT:
        outcome.field_errors["cover_text"] = (
            f"The cover page text is {len(cover)} characters; the limit is {COVER_TEXT_LIMIT}."
        )
    sender = None
    try:
        check_document(draft.document, current_app.config["UPLOAD_MAX_BYTES"])
    except DomainError as exc:
        outcome.field_errors["document"] = exc.message
    try:
        sender = _sender(extension, draft.sender)
    except DomainError as exc:
        outcome.field_errors["from"] = exc.message
    if outcome.field_errors:
        return outcome
    label = display(recipient.address, region)
    document = OutboundPart(
        "application/pdf", draft.document.data, draft.document.filename or "fax.pdf"
    )
    outbound = Outbound(MessageType.FAX, sender, (recipient.address,), "", (document,), cover)
    return send_all(
        extension,
        draft.key,
        [(Recipient(raw=draft.to, address=recipient.address, label=label), outbound)],
        outcome,
    )
