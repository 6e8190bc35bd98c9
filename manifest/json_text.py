"""JSON text from outside, parsed with bounded nesting.

Python's parser recurses once per ``[`` or ``{``: a body of a few thousand brackets
raises ``RecursionError`` (a 500 where a 400 belongs), and a document just under that
limit would overflow whatever walks it next (schema validation, rendering). Nothing
Sidetalk reads (manifests, webhook and sandbox bodies, socket frames) nests deeply, so
the depth is checked on the text first, in one linear pass, before parsing.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
# Strings (with their escapes) and brackets: brackets inside strings do not nest.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JsonTooDeep(ValueError):
    """The text nests arrays and objects deeper than ``MAX_DEPTH``."""


def nesting_depth(text: str, stop_after: int = MAX_DEPTH) -> int:
    """Return how deep ``text`` nests (stops counting once past ``stop_after``)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        piece = match.group()
        if piece in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_after:
                    break
        elif piece in ("]", "}"):
            depth -= 1
    return deepest


def loads_bounded(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``text`` like ``json.loads``; ``JsonTooDeep`` past ``max_depth`` levels.

    Bytes are read as UTF-8 (``UnicodeDecodeError`` is a ``ValueError`` too)."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8")
    if nesting_depth(text, max_depth) > max_depth:
        raise JsonTooDeep(f"nested more than {max_depth} levels deep")
    return json.loads(text)
