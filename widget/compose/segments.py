"""How many SMS segments a text costs: GSM-7 (3GPP TS 23.038) or UCS-2.

A text written only in the GSM-7 basic table and its extension table travels 7-bit:
160 septets in one SMS, 153 per segment once split (a 6-byte concatenation header takes
the rest); an extension-table character costs two septets (escape + code) and is never
split across segments. Any other character switches the whole text to UCS-2: 70 UTF-16
units in one SMS, 67 per segment, and a surrogate pair (an emoji) is never split.
``widget/static/compose.js`` mirrors this for the live counter.
"""

from __future__ import annotations

from dataclasses import dataclass

from widget.inputs import utf16_length

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PER_SEGMENT = 160, 153
UCS2_SINGLE, UCS2_PER_SEGMENT = 70, 67

# RingCentral's limit: 1000 UTF-16 units (a character outside the BMP counts as two).
TEXT_LIMIT = 1000


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # UTF-16 units, as RingCentral and the browser's maxlength count them
    units: int  # septets for GSM-7, UTF-16 units for UCS-2
    segments: int
    remaining: int  # units left in the last segment before another one starts


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _pack(costs: list[int], single: int, per_segment: int) -> tuple[int, int]:
    """Return (segments, units left in the last one) for indivisible character ``costs``."""
    total = sum(costs)
    if total <= single:
        return (1, single - total) if total else (0, single)
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments += 1
            used = 0
        used += cost
    return segments, per_segment - used


def count_segments(text: str) -> SegmentCount:
    """Return the encoding, length and SMS segment count of ``text``."""
    characters = utf16_length(text)
    if is_gsm7(text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        segments, remaining = _pack(costs, GSM7_SINGLE, GSM7_PER_SEGMENT)
        return SegmentCount("GSM-7", characters, sum(costs), segments, remaining)
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    segments, remaining = _pack(costs, UCS2_SINGLE, UCS2_PER_SEGMENT)
    return SegmentCount("UCS-2", characters, sum(costs), segments, remaining)
