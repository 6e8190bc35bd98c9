"""Deterministic demo media for the sandbox telephony platform.

The sandbox platform seeds a demo mailbox with voicemails, faxes and MMS
pictures.  The browser has to be able to *play* and *show* them, so they must be
real files (RIFF/WAVE audio, PDF documents, PNG/JPEG/GIF images), not
placeholders.  Rather than shipping binary fixtures in the repository, the files
are generated on demand from a short text seed:

* the output is deterministic: the same arguments always give the same bytes,
  so seeded demo data is stable across restarts and can be compared in tests;
* nothing outside the standard library and Pillow is needed.

:mod:`.audio` synthesises voicemail WAVs, :mod:`.fax` writes fax PDFs and
:mod:`.images` draws MMS pictures.  Each also tells the metadata of what it makes
(:func:`wav_duration_seconds`, :func:`fax_pages`, :func:`image_dimensions`),
e.g. to fill in duration, page-count and size columns of the seeded messages.

Not to be confused with :mod:`widget.media`, the attachment storage.
"""

from __future__ import annotations

from widget.platforms.sandbox.generated.audio import voicemail_wav, wav_duration_seconds
from widget.platforms.sandbox.generated.fax import (
    FAX_LINES_PER_PAGE,
    FAX_WRAP_COLUMNS,
    fax_pages,
    fax_pdf,
)
from widget.platforms.sandbox.generated.images import IMAGE_FORMATS, image_dimensions, mms_image

__all__ = [
    "FAX_LINES_PER_PAGE",
    "FAX_WRAP_COLUMNS",
    "IMAGE_FORMATS",
    "fax_pages",
    "fax_pdf",
    "image_dimensions",
    "mms_image",
    "voicemail_wav",
    "wav_duration_seconds",
]
