"""Send a fax: one PDF to one number, with optional cover page text, through the platform.

The document is accepted only if its bytes are a PDF (``%PDF-``) whose pages can be
counted, and only up to the upload limit; the platform renders the cover page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from widget.compose.recipients import Recipient, parse_recipient
from widget.compose.sending import check_key
from widget.compose.service import Outcome, Upload, send_all
from widget.errors import BadInput
from widget.models import Extension, MessageType
from widget.phone import display, to_e164
from widget.platforms.base import Outbound, OutboundPart
from widget.platforms.sandbox.generated import pdf_page_count

COVER_TEXT_LIMIT = 1024  # RingCentral's coverPageText limit


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
        raise BadInput("Your extension has no number that can send faxes.", "from", 422)
    if not (chosen or "").strip():
        return numbers[0]
    region = current_app.config["DEFAULT_REGION"]
    number = to_e164(chosen, region, field="from")
    if number not in numbers:
        raise BadInput(f"{display(number, region)} is not one of your fax numbers.", "from", 422)
    return number


def check_document(upload: Upload | None, limit: int) -> int:
    """Return the page count of the uploaded PDF; ``BadInput`` naming what is wrong."""
    if upload is None or not upload.data:
        raise BadInput("Choose the PDF document to fax.", "document", 422)
    name = upload.filename or "the file"
    if len(upload.data) > limit:
        size, most = len(upload.data) / 1048576, limit / 1048576
        raise BadInput(
            f"“{name}” is {size:.1f} MB; faxes up to {most:.0f} MB can be sent.", "document", 422
        )
    if not upload.data.startswith(b"%PDF-"):
        raise BadInput(f"“{name}” is not a PDF document.", "document", 422)
    try:
        return pdf_page_count(upload.data)
    except ValueError:
        raise BadInput(f"The pages of “{name}” cannot be read.", "document", 422) from None


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
    pages, sender = 0, None
    try:
        pages = check_document(draft.document, current_app.config["UPLOAD_MAX_BYTES"])
    except BadInput as exc:
        outcome.field_errors["document"] = exc.message
    try:
        sender = _sender(extension, draft.sender)
    except BadInput as exc:
        outcome.field_errors["from"] = exc.message
    if outcome.field_errors:
        return outcome
    label = display(recipient.address, region)
    document = OutboundPart(
        "application/pdf", draft.document.data, draft.document.filename or "fax.pdf"
    )
    outbound = Outbound(MessageType.FAX, sender, (recipient.address,), "", (document,), cover)
    outcome.notices.append(f"Fax of {pages} page{'s' if pages != 1 else ''} sent to {label}.")
    return send_all(
        extension,
        draft.key,
        [(Recipient(raw=draft.to, address=recipient.address, label=label), outbound)],
        outcome,
    )
