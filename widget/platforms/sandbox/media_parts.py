"""Real media for sandbox messages: a WAV for a voicemail, a PDF for a fax.

Generating them is pure Python and takes seconds for the demo's set, yet the same
arguments always give the same bytes: ``cached_media`` keeps each result, in memory
and in a folder that outlives the process (``SIDETALK_DEMO_MEDIA_CACHE``, by default
``~/.cache/sidetalk/demo-media``), so they are generated once per machine.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

from widget.models import MessageType
from widget.platforms.sandbox.generated import (
    fax_pages,
    fax_pdf,
    voicemail_wav,
    wav_duration_seconds,
)
from widget.platforms.sandbox.messages import InboundMessage, MediaPart

# Bump when a generator's output changes, so stale files are not reused.
MEDIA_VERSION = "1"
_in_memory: dict[str, bytes] = {}


def media_cache_dir() -> Path:
    configured = os.environ.get("SIDETALK_DEMO_MEDIA_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sidetalk" / "demo-media"


def cached_media(kind: str, key: tuple, make: Callable[[], bytes]) -> bytes:
    """``make()``'s bytes for ``(kind, key)``, generated only the first time on this machine."""
    name = hashlib.sha256(repr((MEDIA_VERSION, kind, key)).encode()).hexdigest()
    if name in _in_memory:
        return _in_memory[name]
    path = media_cache_dir() / name
    try:
        data = path.read_bytes()
    except OSError:
        data = make()
        _store(path, data)
    _in_memory[name] = data
    return data


def _store(path: Path, data: bytes) -> None:
    """Write atomically (a concurrent reader sees the whole file or none); a cache that
    cannot be written (read-only home) only costs the next run the generation again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)
    except OSError:
        return


def voicemail_part(text: str) -> MediaPart:
    # About two words a second, as people leave messages, within 4-30 s.
    seconds = min(30.0, max(4.0, len(text.split()) / 2.2))
    spoken = text or "voicemail"
    audio = cached_media("voicemail", (spoken, seconds), lambda: voicemail_wav(spoken, seconds))
    return MediaPart(
        "AudioRecording", "audio/wav", audio, "voicemail.wav", round(wav_duration_seconds(audio), 1)
    )


def fax_part(title: str, text: str, sender: str, recipient: str) -> tuple[MediaPart, int]:
    lines = [
        line for paragraph in (text or "").splitlines() for line in textwrap.wrap(paragraph) or [""]
    ]
    document = cached_media(
        "fax",
        (title, tuple(lines), sender, recipient),
        lambda: fax_pdf(title, lines, pages=1, sender=sender, recipient=recipient),
    )
    return MediaPart("RenderedDocument", "application/pdf", document, "fax.pdf"), fax_pages(lines)


def parts_for(inbound: InboundMessage) -> tuple[list[MediaPart], int | None]:
    """Return the media parts a message of this type carries, and its fax page count."""
    if inbound.type == MessageType.VOICEMAIL:
        return [voicemail_part(inbound.text)], None
    if inbound.type == MessageType.FAX:
        part, pages = fax_part("Fax", inbound.text, inbound.sender, inbound.recipient_address)
        return [part], pages
    return list(inbound.parts), None  # an MMS's pictures, as the sender attached them
