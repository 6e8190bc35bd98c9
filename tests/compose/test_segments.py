"""The SMS segment counter: GSM-7 (basic + extension table) versus UCS-2 edge cases."""

from __future__ import annotations

import pytest

from widget.compose.segments import count_segments


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),  # 2 x 153
        ("a" * 307, "GSM-7", 3),
        ("é" * 160, "GSM-7", 1),  # é is in the GSM-7 basic table
        ("a" * 70, "GSM-7", 1),
    ],
)
def test_gsm7_lengths(text, encoding, segments):
    count = count_segments(text)
    assert (count.encoding, count.segments) == (encoding, segments)


@pytest.mark.parametrize("char", list("€[]{}^~\\|"))
def test_extension_table_characters_count_two_septets(char):
    assert count_segments(char).units == 2
    assert count_segments(char).encoding == "GSM-7"
    # 158 plain + one extension char = 160 septets: one SMS; 159 plain + one = 161: two.
    assert count_segments("a" * 158 + char).segments == 1
    assert count_segments("a" * 159 + char).segments == 2


def test_extension_character_is_never_split_across_segments():
    # 152 septets then a 2-septet char: it cannot straddle the 153 boundary, so it moves.
    count = count_segments("a" * 152 + "€" + "a" * 10)
    assert count.units == 164
    assert count.segments == 2
    assert count.remaining == 153 - (2 + 10)


def test_one_emoji_switches_to_ucs2():
    count = count_segments("a" * 60 + "🙂")
    assert count.encoding == "UCS-2"
    assert count.characters == 62  # the emoji is a surrogate pair: two UTF-16 units
    assert count.segments == 1
    assert count_segments("a" * 68 + "🙂").segments == 1  # exactly 70 units
    assert count_segments("a" * 69 + "🙂").segments == 2  # 71 units


def test_ucs2_segment_sizes_and_unsplit_surrogate_pairs():
    assert count_segments("ж" * 70).segments == 1
    assert count_segments("ж" * 71).segments == 2
    assert count_segments("ж" * 134).segments == 2  # 2 x 67
    assert count_segments("ж" * 135).segments == 3
    # 66 units then an emoji (2 units) would straddle 67: the pair moves to segment two.
    count = count_segments("ж" * 66 + "🙂" + "ж" * 3)
    assert count.units == 71
    assert count.segments == 2
    assert count.remaining == 67 - 5


def test_characters_outside_both_tables_force_ucs2():
    assert count_segments("Straße").encoding == "GSM-7"  # ß is GSM-7
    assert count_segments("naïve café").encoding == "UCS-2"  # ï is not
    assert count_segments("`backtick`").encoding == "UCS-2"
