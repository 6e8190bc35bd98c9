"""Input from outside, bounded before it reaches anything else.

Row ids are 64-bit signed integers in PostgreSQL and SQLite: a larger number in a URL
or a form field names no row, so it is "not found" rather than a driver error. JSON
bodies are parsed with bounded nesting (``manifest.json_text``): a deep one is a 400.
Message text loses its control characters on every path it enters by, and is counted
in UTF-16 units everywhere, as RingCentral and the browser's ``maxlength`` count it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter, ValidationError

from manifest.json_text import MAX_DEPTH, JsonTooDeep, loads_bounded
from widget.errors import Invalid

MAX_ID = 2**63 - 1
# C0 and C1 controls but tab and newline, and DEL: a NUL or an escape sequence in a
# message would reach logs, terminals, CRM bodies and headers. Bidi marks stay (they
# are legitimate in right-to-left text); pages isolate user text with <bdi> instead.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Plain ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_ID_PATTERN = re.compile(r"[0-9]{1,19}")


def parse_id(raw: str) -> int | None:
    """Return ``raw`` as a row id, or None when it cannot name a row."""
    if not _ID_PATTERN.fullmatch(raw or ""):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id beyond the database's range matches nothing (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        # Refused before int(): Python will not convert a string of thousands of digits.
        if len(value) > len(str(MAX_ID)):
            raise ValidationError()
        return super().to_python(value)


def init_app(app: Flask) -> None:
    """Make every ``<int:...>`` route id range-checked; call before routes are added."""
    app.url_map.converters["int"] = IdConverter


def json_body() -> Any:
    """Return the request's JSON body; ``Invalid`` when it is not JSON or nests deeper
    than ``MAX_DEPTH`` (werkzeug's parser would raise ``RecursionError``: a 500)."""
    try:
        return loads_bounded(request.get_data(as_text=True))
    except JsonTooDeep:
        raise Invalid(f"The body nests more than {MAX_DEPTH} levels deep.") from None
    except ValueError:
        raise Invalid("The body is not valid JSON.") from None


def clean_message_text(text: str | None) -> str:
    """Return ``text`` with line ends unified (CRLF and CR become LF) and no control
    characters but tab and newline."""
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))


def utf16_length(text: str) -> int:
    """Return the length of ``text`` in UTF-16 units (a character outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2
