"""Read one PDF from standard input and print what it holds, as one JSON line.

Run as a script in a child process (see :mod:`widget.pdf`), never imported by the app:
it imports only the standard library and ``pypdf``, caps its own CPU time and memory
first, and answers ``{"pages": n}`` or ``{"refused": kind, "reason": text}``.
"""

from __future__ import annotations

import io
import json
import logging
import resource
import sys

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

#: A document with more indirect objects than this is refused unread: a fax of the
#: most pages the platform takes holds a few thousand.
MAX_OBJECTS = 50_000
#: Page-tree nodes walked at most; past this the count is reported as this many + 1.
MAX_PAGE_NODES = 10_000
MEMORY_BYTES = 512 * 1024 * 1024

# Names that make a viewer run something: script, a program, an attachment, a form engine.
SCRIPT_KEYS = {"/JS": "JavaScript", "/JavaScript": "JavaScript"}
ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "a launch action"}
EMBEDDED_KEYS = {"/EmbeddedFiles", "/EF"}


class Refused(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def _limit(cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def _objects(reader: PdfReader) -> list[IndirectObject]:
    """Return a reference to every indirect object the cross-reference names."""
    refs = {(n, g) for g, table in reader.xref.items() for n in table}
    refs |= {(n, 0) for n in reader.xref_objStm}
    if len(refs) > MAX_OBJECTS:
        raise Refused("unreadable", f"it has more than {MAX_OBJECTS} objects")
    return [IndirectObject(n, g, reader) for n, g in sorted(refs)]


def _active_content(value) -> str | None:
    """Return what in ``value`` (and its direct children) would run or carry content."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, DictionaryObject):
            for key in item:
                if key in SCRIPT_KEYS:
                    return SCRIPT_KEYS[key]
                if key in EMBEDDED_KEYS:
                    return "embedded files"
                if key == "/XFA":
                    return "an XFA form"
            kind = item.get("/S")
            if isinstance(kind, NameObject) and kind in ACTIONS:
                return ACTIONS[kind]
            if item.get("/Type") == "/EmbeddedFile":
                return "embedded files"
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def _page_count(reader: PdfReader) -> int:
    """Return the number of leaves of the page tree (cycles and repeats counted once)."""
    root = reader.trailer["/Root"].get_object()
    stack, seen, leaves, nodes = [root.raw_get("/Pages")], set(), 0, 0
    while stack:
        ref = stack.pop()
        key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else id(ref)
        if key in seen:
            continue
        seen.add(key)
        nodes += 1
        if nodes > MAX_PAGE_NODES:
            return MAX_PAGE_NODES + 1
        node = ref.get_object()
        if not isinstance(node, DictionaryObject):
            raise Refused("unreadable", "its page tree is broken")
        kids = node.get("/Kids")
        if node.get("/Type") == "/Page" or kids is None:
            leaves += 1
        else:
            stack.extend(kids.get_object())
    return leaves


def inspect(data: bytes) -> dict:
    """Return ``{"pages": n}`` for a plain PDF; raise ``Refused`` for any other."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Refused("encrypted", "it is encrypted")
        for value in [reader.trailer, *_objects(reader)]:
            found = _active_content(value.get_object())
            if found:
                raise Refused("active", f"it contains {found}")
        return {"pages": _page_count(reader)}
    except Refused:
        raise
    except Exception as exc:  # a broken file may fail anywhere in the parser
        raise Refused("unreadable", _describe(exc)) from None


def _describe(exc: Exception) -> str:
    if isinstance(exc, MemoryError):
        return "it needs too much memory"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    detail = str(exc).strip().rstrip(".")[:200] or type(exc).__name__
    return f"it is damaged or incomplete ({detail})"


def main() -> None:
    _limit(int(sys.argv[1]))
    logging.disable(logging.CRITICAL)  # the parser logs every repair it makes
    try:
        answer = inspect(sys.stdin.buffer.read())
    except Refused as refused:
        answer = {"refused": refused.kind, "reason": refused.reason}
    sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
