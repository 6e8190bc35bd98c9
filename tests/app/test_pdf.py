"""Reading uploaded PDFs: a parser in a child process, under limits, refusing active content."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from tests import pdfs
from widget.pdf import ActivePdf, EncryptedPdf, UnreadablePdf, inspect_pdf, page_count
from widget.platforms.sandbox.generated import fax_pdf

PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"


@pytest.mark.parametrize("pages", [0, 1, 3, 201])
def test_page_count_of_plain_documents(pages):
    assert page_count(pdfs.blank_pdf(pages)) == pages


def test_page_count_of_a_generated_fax():
    assert page_count(fax_pdf("Fax", ["a"], pages=3)) == 3


def test_the_crafted_regex_bomb_is_refused_at_once():
    started = time.monotonic()
    with pytest.raises(UnreadablePdf):
        inspect_pdf(pdfs.QUADRATIC)
    # The quadratic scan took 18.5 s idle; the bound leaves a busy CI machine room.
    assert time.monotonic() - started < 8


@pytest.mark.parametrize("data", [b"", b"hello", b"RIFF....WAVE", b"\x89PNG\r\n", b" %PDF-1.4"])
def test_anything_else_is_not_a_pdf(data):
    with pytest.raises(UnreadablePdf, match="not a PDF file"):
        inspect_pdf(data)


def test_a_truncated_pdf_is_damaged():
    whole = pdfs.blank_pdf(3)
    with pytest.raises(UnreadablePdf, match="damaged or incomplete"):
        inspect_pdf(whole[: len(whole) // 2])


def test_a_pdf_taking_too_long_is_abandoned():
    with pytest.raises(UnreadablePdf, match="takes longer than 0.001 seconds"):
        inspect_pdf(pdfs.blank_pdf(1), seconds=0.001)


def test_other_work_goes_on_while_a_slow_pdf_is_read():
    catalog = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
    slow = pdfs.hand_written([*catalog, PAGE] + [b"<< /A [1 2 3 4 5 6 7 8] /B (text) >>"] * 49_000)
    alone = _pure_python_work()
    reader = threading.Thread(target=_read_quietly, args=(slow,))
    reader.start()
    time.sleep(0.3)  # the child is parsing by now
    beside_the_reader = _pure_python_work()
    still_reading = reader.is_alive()
    reader.join(10)
    # Compared with the same work alone, so a loaded machine slows both alike; the old
    # in-process regex held the GIL for the whole parse (18 s for 160 kB).
    assert still_reading and beside_the_reader < 3 * alone + 0.5, (alone, beside_the_reader)
    assert not reader.is_alive()


def _pure_python_work() -> float:
    """Seconds of work that needs the GIL."""
    started = time.monotonic()
    sum(range(3_000_000))
    return time.monotonic() - started


def _read_quietly(data: bytes) -> None:
    with contextlib.suppress(UnreadablePdf):
        inspect_pdf(data, seconds=3)


def test_too_many_objects_are_refused_unread():
    catalog = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
    data = pdfs.hand_written([*catalog, PAGE] + [b"null"] * 50_000)
    with pytest.raises(UnreadablePdf, match="more than 50000 objects"):
        inspect_pdf(data)


def test_deep_nesting_is_refused():
    catalog = b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * 100_000 + b"]" * 100_000 + b" >>"
    data = pdfs.hand_written([catalog, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE])
    with pytest.raises(UnreadablePdf):
        inspect_pdf(data)


def test_a_looping_page_tree_counts_each_page_once():
    assert page_count(pdfs.looping_pages_pdf()) == 1


def test_encrypted_documents_are_refused():
    with pytest.raises(EncryptedPdf, match="it is encrypted"):
        inspect_pdf(pdfs.encrypted_pdf())


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (pdfs.javascript_pdf, "JavaScript"),
        (pdfs.open_action_script_pdf, "JavaScript"),
        (pdfs.launch_pdf, "a launch action"),
        (pdfs.link_launch_pdf, "a launch action"),
        (pdfs.escaped_launch_pdf, "a launch action"),
        (pdfs.embedded_file_pdf, "embedded files"),
        (pdfs.xfa_pdf, "an XFA form"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_active_content_is_refused(build, reason):
    with pytest.raises(ActivePdf, match=f"it contains {reason}"):
        inspect_pdf(build())
