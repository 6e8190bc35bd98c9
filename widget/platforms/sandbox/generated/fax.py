"""Fax documents: a hand-written PDF 1.4 (objects, ``xref`` table and trailer).

Output is deterministic per argument set; no PDF library is needed.
"""

from __future__ import annotations

import textwrap
import zlib

__all__ = ["FAX_LINES_PER_PAGE", "FAX_WRAP_COLUMNS", "fax_pages", "fax_pdf"]

#: Body lines longer than this many characters are wrapped.
FAX_WRAP_COLUMNS = 90

_PAGE_W, _PAGE_H = 612, 792  # US Letter in points
_MARGIN = 54
_HEADER_Y = 756
_TITLE_Y = 716
_BODY_TOP = 686
_BODY_BOTTOM = 60
_LEADING = 14
#: Body lines (after wrapping) that fit on one fax page.
FAX_LINES_PER_PAGE = (_BODY_TOP - _BODY_BOTTOM) // _LEADING + 1
_TITLE_MAX = 48


def _pdf_text(value: str) -> bytes:
    """Encode ``value`` as the inside of a PDF literal string (WinAnsi, escaped).

    Characters outside Latin-1 and control characters become ``?``; backslash and
    parentheses are escaped.
    """
    chars = []
    for ch in value:
        code = ord(ch)
        chars.append(ch if (0x20 <= code < 0x7F or 0xA0 <= code <= 0xFF) else "?")
    raw = "".join(chars).encode("latin-1")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _pdf_hex_text(value: str) -> bytes:
    """Encode ``value`` as a PDF hex text string (UTF-16BE with byte order mark)."""
    return b"<FEFF" + value.encode("utf-16-be", "replace").hex().upper().encode() + b">"


def _wrap_body(lines: list[str]) -> list[str]:
    """Return ``lines`` wrapped at ``FAX_WRAP_COLUMNS`` characters (blank lines kept)."""
    rows: list[str] = []
    for line in lines:
        text = str(line).expandtabs(4).rstrip()
        for part in text.splitlines() or [""]:
            wrapped = textwrap.wrap(
                part,
                width=FAX_WRAP_COLUMNS,
                break_long_words=True,
                break_on_hyphens=True,
                drop_whitespace=True,
            )
            rows.extend(wrapped or [""])
    return rows


def _serialize_pdf(objects: list[bytes], root: int, info: int) -> bytes:
    """Write numbered ``objects`` (object ``i + 1`` is ``objects[i]``) as a PDF 1.4 file."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\n" % (len(objects) + 1, root, info)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def fax_pages(lines: list[str], pages: int = 1) -> int:
    """Return how many pages :func:`fax_pdf` renders for these arguments."""
    return max(pages, 1, -(-len(_wrap_body(list(lines))) // FAX_LINES_PER_PAGE))


def fax_pdf(
    title: str,
    lines: list[str],
    pages: int = 1,
    sender: str = "",
    recipient: str = "",
) -> bytes:
    """Render a received fax as a PDF document.

    Every US Letter page carries a fax header line
    (``FAX  <sender> -> <recipient>  Page i of N``, empty parties shown as
    ``unknown``), a rule, ``title`` in Helvetica-Bold 18 pt and the body ``lines``
    in Helvetica 11 pt.  Lines are wrapped at :data:`FAX_WRAP_COLUMNS` characters
    and continue on the next page when a page is full, so ``pages`` is the
    minimum page count.  Text outside Latin-1 is replaced by ``?``.

    Returns the bytes of a PDF 1.4 file with Flate-compressed page contents and a
    correct cross-reference table.  Output is deterministic.
    """
    if pages < 1:
        raise ValueError("pages must be at least 1")
    rows = _wrap_body(list(lines))
    page_total = fax_pages(lines, pages)

    title_text = title if len(title) <= _TITLE_MAX else title[: _TITLE_MAX - 3].rstrip() + "..."
    header_from = sender.strip() or "unknown"
    header_to = recipient.strip() or "unknown"

    # Objects 1-5 are fixed; each page adds a page object and a content stream.
    objects: list[bytes] = [b"", b"", b"", b"", b""]
    kids: list[int] = []
    rule_right = _PAGE_W - _MARGIN
    for index in range(page_total):
        header = f"FAX  {header_from} -> {header_to}  Page {index + 1} of {page_total}"
        body = rows[index * FAX_LINES_PER_PAGE : (index + 1) * FAX_LINES_PER_PAGE]
        ops = [
            b"BT /F1 9 Tf %d %d Td (%s) Tj ET" % (_MARGIN, _HEADER_Y, _pdf_text(header)),
            b"0 g %d %d %d 0.75 re f" % (_MARGIN, _HEADER_Y - 9, rule_right - _MARGIN),
            b"BT /F2 18 Tf %d %d Td (%s) Tj ET" % (_MARGIN, _TITLE_Y, _pdf_text(title_text)),
            b"0.5 w %d %d m %d %d l S" % (_MARGIN, _TITLE_Y - 10, rule_right, _TITLE_Y - 10),
        ]
        if body:
            ops.append(b"BT /F1 11 Tf %d TL %d %d Td" % (_LEADING, _MARGIN, _BODY_TOP))
            ops.append(b"(%s) Tj" % _pdf_text(body[0]))
            ops.extend(b"T* (%s) Tj" % _pdf_text(row) for row in body[1:])
            ops.append(b"ET")
        stream = zlib.compress(b"\n".join(ops) + b"\n", 9)
        content_number = len(objects) + 2
        page_number = len(objects) + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (_PAGE_W, _PAGE_H, content_number)
        )
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream"
        )
        kids.append(page_number)

    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        page_total,
    )
    objects[2] = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    objects[3] = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    objects[4] = b"<< /Title %s /Author %s /Creator (Sidetalk sandbox fax) >>" % (
        _pdf_hex_text(title),
        _pdf_hex_text(sender),
    )
    return _serialize_pdf(objects, root=1, info=5)
