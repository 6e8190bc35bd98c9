"""Real media for sandbox messages: a WAV for a voicemail, a PDF for a fax."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from widget.models import MessageType
from widget.platforms.sandbox.generated import (
    fax_pdf,
    pdf_page_count,
    voicemail_wav,
    wav_duration_seconds,
)

if TYPE_CHECKING:
    from widget.platforms.sandbox.delivery import InboundMessage, MediaPart


def voicemail_part(text: str) -> MediaPart:
    from widget.platforms.sandbox.delivery import MediaPart

    # About two words a second, as people leave messages, within 4-30 s.
    seconds = min(30.0, max(4.0, len(text.split()) / 2.2))
    audio = voicemail_wav(text or "voicemail", seconds=seconds)
    return MediaPart(
        "AudioRecording", "audio/wav", audio, "voicemail.wav", round(wav_duration_seconds(audio), 1)
    )


def fax_part(title: str, text: str, sender: str, recipient: str) -> tuple[MediaPart, int]:
    from widget.platforms.sandbox.delivery import MediaPart

    lines = [
        line for paragraph in (text or "").splitlines() for line in textwrap.wrap(paragraph) or [""]
    ]
    document = fax_pdf(title, lines, pages=1, sender=sender, recipient=recipient)
    return MediaPart("RenderedDocument", "application/pdf", document, "fax.pdf"), pdf_page_count(
        document
    )


def parts_for(inbound: InboundMessage) -> tuple[list[MediaPart], int | None]:
    """Return the media parts a message of this type carries, and its fax page count."""
    if inbound.type == MessageType.VOICEMAIL:
        return [voicemail_part(inbound.text)], None
    if inbound.type == MessageType.FAX:
        part, pages = fax_part("Fax", inbound.text, inbound.sender, inbound.recipient_address)
        return [part], pages
    return [], None
