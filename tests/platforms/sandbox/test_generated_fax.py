"""Generated fax documents: real PDFs with a correct cross-reference table."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib

import pytest

from widget.pdf import page_count
from widget.platforms.sandbox import generated

# --------------------------------------------------------------------------- helpers


def parse_xref(data: bytes) -> tuple[int, dict[int, int], bytes]:
    """Check startxref/xref/trailer; return (xref offset, {object: offset}, trailer)."""
    tail = re.search(rb"startxref\r?\n(\d+)\r?\n%%EOF\r?\n?\Z", data)
    assert tail, "file must end with startxref <offset> %%EOF"
    xref_at = int(tail.group(1))
    assert data[xref_at : xref_at + 4] == b"xref", "startxref must point at the xref keyword"
    head = re.compile(rb"xref\r?\n(\d+) (\d+)\r?\n").match(data, xref_at)
    assert head, "xref must be followed by a subsection header"
    first, count = int(head.group(1)), int(head.group(2))
    assert first == 0
    entries = data[head.end() : head.end() + 20 * count]
    offsets: dict[int, int] = {}
    for number in range(count):
        entry = entries[20 * number : 20 * number + 20]
        match = re.fullmatch(rb"(\d{10}) (\d{5}) ([nf])( \n|\r\n| \r)", entry)
        assert match, f"xref entry {number} is not 20 bytes of 'oooooooooo ggggg n EOL': {entry!r}"
        if number == 0:
            assert match.group(3) == b"f" and match.group(2) == b"65535"
        else:
            assert match.group(3) == b"n"
            offsets[number] = int(match.group(1))
    trailer = data[head.end() + 20 * count : tail.start()]
    assert trailer.lstrip().startswith(b"trailer")
    size = re.search(rb"/Size (\d+)", trailer)
    assert size and int(size.group(1)) == count
    return xref_at, offsets, trailer


def pdf_objects(data: bytes) -> dict[int, bytes]:
    """Return every object body, located through the xref table (checked on the way)."""
    _, offsets, _ = parse_xref(data)
    bodies = {}
    for number, offset in offsets.items():
        header = b"%d 0 obj" % number
        assert data[offset : offset + len(header)] == header, f"xref offset of object {number}"
        end = data.index(b"endobj", offset)
        bodies[number] = data[offset + len(header) : end].strip()
    return bodies


def content_streams(data: bytes) -> list[bytes]:
    """Inflate the page content streams, slicing by each stream's /Length."""
    objects = pdf_objects(data)
    streams = []
    for body in objects.values():
        if b"stream" not in body:
            continue
        length = int(re.search(rb"/Length (\d+)", body).group(1))
        start = body.index(b"stream") + len(b"stream")
        start += 2 if body[start : start + 2] == b"\r\n" else 1
        raw = body[start : start + length]
        assert body[start + length :].strip() == b"endstream", "/Length must match the stream"
        assert b"/FlateDecode" in body
        streams.append(zlib.decompress(raw))
    return streams


def page_streams(data: bytes) -> list[bytes]:
    """Content streams in page order (following /Kids)."""
    objects = pdf_objects(data)
    root = int(re.search(rb"/Root (\d+) 0 R", parse_xref(data)[2]).group(1))
    pages = int(re.search(rb"/Pages (\d+) 0 R", objects[root]).group(1))
    kids = [int(k) for k in re.findall(rb"(\d+) 0 R", objects[pages].split(b"/Kids")[1])]
    streams = []
    for kid in kids:
        assert b"/Type /Page " in objects[kid] + b" "
        contents = int(re.search(rb"/Contents (\d+) 0 R", objects[kid]).group(1))
        body = objects[contents]
        length = int(re.search(rb"/Length (\d+)", body).group(1))
        start = body.index(b"stream\n") + len(b"stream\n")
        streams.append(zlib.decompress(body[start : start + length]))
    return streams


def literal_strings(content: bytes) -> list[str]:
    """Decode the PDF literal strings of a content stream, honouring escapes/nesting."""
    strings, i = [], 0
    while i < len(content):
        if content[i : i + 1] != b"(":
            i += 1
            continue
        depth, i, out = 1, i + 1, bytearray()
        while depth:
            ch = content[i : i + 1]
            if ch == b"\\":
                out += content[i + 1 : i + 2]
                i += 2
                continue
            if ch == b"(":
                depth += 1
            elif ch == b")":
                depth -= 1
                if not depth:
                    i += 1
                    break
            out += ch
            i += 1
        strings.append(out.decode("cp1252"))
    return strings


# --------------------------------------------------------------------------- fax PDF


def test_pdf_header_and_trailer() -> None:
    data = generated.fax_pdf("Referral", ["Patient: Jane Doe", "Please call back."])
    assert data.startswith(b"%PDF-1.4\n")
    assert data.rstrip().endswith(b"%%EOF")
    _, offsets, trailer = parse_xref(data)
    assert re.search(rb"/Root \d+ 0 R", trailer)
    assert len(offsets) >= 7  # catalog, pages, 2 fonts, info, page, contents


@pytest.mark.parametrize("pages", [1, 2, 5])
def test_pdf_xref_offsets_point_at_objects(pages: int) -> None:
    data = generated.fax_pdf("Lab results", [f"Result line {i}" for i in range(60)], pages=pages)
    objects = pdf_objects(data)  # asserts every offset lands on "N 0 obj"
    assert sorted(objects) == list(range(1, len(objects) + 1))
    assert all(b"/Type /Page" in objects[n] for n in objects if b"/MediaBox" in objects[n])
    assert all(b"[0 0 612 792]" in body for body in objects.values() if b"/MediaBox" in body)
    fonts = b" ".join(body for body in objects.values() if b"/Type /Font" in body)
    for name in (b"/BaseFont /Helvetica ", b"/BaseFont /Helvetica-Bold "):
        assert name in fonts
    assert fonts.count(b"/Encoding /WinAnsiEncoding") == 2
    assert len(content_streams(data)) == page_count(data)


@pytest.mark.parametrize("pages", [1, 2, 4])
def test_pdf_page_count_equals_requested(pages: int) -> None:
    data = generated.fax_pdf("Cover", ["short body"], pages=pages)
    assert page_count(data) == pages
    assert len(re.findall(rb"/Type /Page(?!s)", data)) == pages


def test_pdf_pages_grow_when_lines_overflow() -> None:
    per_page = generated.FAX_LINES_PER_PAGE
    exact = generated.fax_pdf("Notes", [f"line {i}" for i in range(per_page)])
    assert page_count(exact) == 1
    overflow = generated.fax_pdf("Notes", [f"line {i}" for i in range(per_page + 1)])
    assert page_count(overflow) == 2
    many = generated.fax_pdf("Notes", [f"line {i}" for i in range(2 * per_page + 1)], pages=2)
    assert page_count(many) == 3
    # Text continues on the next page in order.
    streams = page_streams(overflow)
    assert f"line {per_page}" in literal_strings(streams[1])
    assert f"line {per_page - 1}" in literal_strings(streams[0])


def test_pdf_long_lines_are_wrapped() -> None:
    long_line = " ".join(f"word{i:02d}" for i in range(40))  # 279 characters
    data = generated.fax_pdf("Wrapped", [long_line])
    body = literal_strings(page_streams(data)[0])[2:]  # after header and title
    assert len(body) == 4
    assert all(len(row) <= generated.FAX_WRAP_COLUMNS for row in body)
    assert " ".join(body) == long_line
    # A full page of long lines needs more than one page.
    full = generated.fax_pdf("Wrapped", [long_line] * generated.FAX_LINES_PER_PAGE)
    assert page_count(full) == 4


def test_pdf_header_line_title_and_rule_on_every_page() -> None:
    data = generated.fax_pdf(
        "Prior authorisation", ["x"] * 100, sender="+1 555 0100", recipient="Sidetalk"
    )
    streams = page_streams(data)
    total = len(streams)
    assert total == page_count(data) == 3
    for number, content in enumerate(streams, start=1):
        strings = literal_strings(content)
        assert strings[0] == f"FAX  +1 555 0100 -> Sidetalk  Page {number} of {total}"
        assert strings[1] == "Prior authorisation"
        assert b"/F2 18 Tf" in content and b"/F1 11 Tf" in content
        assert re.search(rb" re f\b", content) or re.search(rb" m [\d.]+ [\d.]+ l S", content)


def test_pdf_escapes_parentheses_backslashes_and_replaces_non_latin1() -> None:
    title = "Re: (urgent) C:\\fax\\in"
    lines = ["unbalanced ( paren", "closing ) only", "back\\slash \\( tricky", "Zoë → 東京"]
    data = generated.fax_pdf(title, lines, sender="Dr. (Who)", recipient="a\\b")
    pdf_objects(data)  # xref still valid
    assert page_count(data) == 1
    content = page_streams(data)[0]
    assert b"\\(urgent\\)" in content and b"C:\\\\fax\\\\in" in content
    strings = literal_strings(content)
    assert strings[0] == "FAX  Dr. (Who) -> a\\b  Page 1 of 1"
    assert strings[1] == title
    assert strings[2:] == lines[:3] + ["Zoë ? ??"]


def test_pdf_is_deterministic() -> None:
    first = generated.fax_pdf("Fax", ["a", "b"], sender="x", recipient="y")
    assert generated.fax_pdf("Fax", ["a", "b"], sender="x", recipient="y") == first
    assert generated.fax_pdf("Fax", ["a", "c"], sender="x", recipient="y") != first


def test_pdf_rejects_zero_pages() -> None:
    with pytest.raises(ValueError):
        generated.fax_pdf("Fax", [], pages=0)


@pytest.mark.parametrize(("lines", "pages"), [(1, 1), (1, 3), (60, 1), (200, 2), (49, 1)])
def test_fax_pages_tells_the_pages_a_parser_finds(lines: int, pages: int) -> None:
    body = [f"line {i}" for i in range(lines)]
    data = generated.fax_pdf("Fax", body, pages=pages)
    assert generated.fax_pages(body, pages) == page_count(data)


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo (poppler) is not installed")
def test_pdf_accepted_by_pdfinfo(tmp_path) -> None:
    path = tmp_path / "fax.pdf"
    path.write_bytes(generated.fax_pdf("Fax (test)", ["line \\ one"] * 80, pages=2, sender="me"))
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+2$", out.stdout, re.M)
    assert "Syntax Error" not in out.stderr


@pytest.mark.skipif(shutil.which("file") is None, reason="file(1) / libmagic is not installed")
def test_pdf_identified_by_libmagic(tmp_path) -> None:
    path = tmp_path / "fax.pdf"
    path.write_bytes(generated.fax_pdf("Fax", ["x"] * 100))
    out = subprocess.run(["file", "-b", str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("PDF document, version 1.4")
