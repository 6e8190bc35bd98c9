"""What an uploaded PDF holds, read by a real parser under limits, away from the request.

The parse runs in a child process (``probe.py`` beside this file, run as a script so
the child imports only the parser, not the app). A thread could not be stopped: a
parser looping in C or in pure Python keeps its CPU, and the GIL with it, until it is
done. A child process is killed after ``SECONDS``, caps its own CPU time and memory, and
meanwhile the request thread only waits, so every other request is served. Inside the
limits the parser also refuses documents with too many objects (see ``probe.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: Wall-clock and CPU seconds one document may take to read, child start included.
SECONDS = 5
PROBE = Path(__file__).with_name("probe.py")


class PdfError(ValueError):
    """A PDF that is refused; the message says why, as ``it ...``."""


class UnreadablePdf(PdfError):
    """Not a PDF, broken, or beyond the limits of time, memory or objects."""


class EncryptedPdf(PdfError):
    """Encrypted: its pages cannot be rendered without the password."""


class ActivePdf(PdfError):
    """Carries script, a launch action, embedded files or an XFA form."""


REFUSALS = {"unreadable": UnreadablePdf, "encrypted": EncryptedPdf, "active": ActivePdf}


@dataclass(frozen=True)
class PdfFacts:
    pages: int


def inspect_pdf(data: bytes, seconds: float = SECONDS) -> PdfFacts:
    """Return the facts of the PDF ``data``; raise a ``PdfError`` saying why it is refused."""
    if not data.startswith(b"%PDF-"):
        raise UnreadablePdf("it is not a PDF file")
    try:
        done = subprocess.run(
            [sys.executable, "-I", str(PROBE), str(max(1, round(seconds)))],
            input=data,
            capture_output=True,
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UnreadablePdf(f"reading it takes longer than {seconds:g} seconds") from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = {"refused": "unreadable", "reason": "it needs more time or memory than allowed"}
    if "refused" in answer:
        raise REFUSALS[answer["refused"]](answer["reason"])
    return PdfFacts(pages=int(answer["pages"]))


def page_count(data: bytes) -> int:
    """Return the number of pages of the PDF ``data``; ``PdfError`` if it is refused."""
    return inspect_pdf(data).pages
