"""Small PDFs built in memory: plain ones, and ones a fax must refuse."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

# A catalog reference followed by 20,000 unterminated ``obj`` headers: 160 kB that cost
# a regex page counter time growing with the square of the size.
QUADRATIC = b"%PDF-1.4\n/Root 1 0 R\n" + b"1 0 obj " * 20000


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank(pages: int) -> PdfWriter:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    return writer


def blank_pdf(pages: int) -> bytes:
    return written(blank(pages))


def _with_root_entry(key: str, value) -> bytes:
    writer = blank(1)
    writer._root_object[NameObject(key)] = value
    return written(writer)


def action(kind: str, **entries) -> DictionaryObject:
    found = DictionaryObject({NameObject("/S"): NameObject(kind)})
    found.update({NameObject(f"/{k}"): TextStringObject(v) for k, v in entries.items()})
    return found


def javascript_pdf() -> bytes:
    """Document-level script: a /JavaScript name tree, which viewers run on open."""
    script = action("/JavaScript", JS="app.alert('hello');")
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("hello"), script])}
    )
    return _with_root_entry("/Names", DictionaryObject({NameObject("/JavaScript"): tree}))


def open_action_script_pdf() -> bytes:
    return _with_root_entry("/OpenAction", action("/JavaScript", JS="app.alert(1)"))


def launch_pdf() -> bytes:
    return _with_root_entry("/OpenAction", action("/Launch", F="calc.exe"))


def link_launch_pdf() -> bytes:
    """A link annotation whose action starts a program (no catalog entry at all)."""
    writer = blank(1)
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([]),
            NameObject("/A"): action("/Launch", F="cmd.exe"),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    return written(writer)


def embedded_file_pdf() -> bytes:
    writer = blank(1)
    writer.add_attachment("invoice.exe", b"MZ not really")
    return written(writer)


def xfa_pdf() -> bytes:
    form = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject([]),
            NameObject("/XFA"): ArrayObject([TextStringObject("template")]),
        }
    )
    return _with_root_entry("/AcroForm", form)


def encrypted_pdf() -> bytes:
    writer = blank(1)
    writer.encrypt("secret", algorithm="AES-128")
    return written(writer)


def hand_written(objects: list[bytes], root: int = 1) -> bytes:
    """Serialize numbered ``objects`` (object ``i + 1`` is ``objects[i]``) with a valid xref."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def escaped_launch_pdf() -> bytes:
    """``/L#61unch`` is ``/Launch`` spelled with a hex escape, as readers decode it."""
    return hand_written(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /L#61unch /F (calc) >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ]
    )


def looping_pages_pdf() -> bytes:
    """A page tree whose node lists itself among its kids, and claims a huge count."""
    return hand_written(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R 2 0 R] /Count 999999 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ]
    )
