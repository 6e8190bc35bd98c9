"""``to_e164`` keeps its answers per text and region: the kept answers must be the
answers, for good and bad numbers alike, and name the field each call asks about."""

import pytest

from widget.errors import Invalid
from widget.phone import to_e164


@pytest.mark.parametrize("attempt", [1, 2])
def test_a_number_parses_the_same_every_time(attempt):
    assert to_e164("(415) 555-0134", "US") == "+14155550134"
    assert to_e164(" +44 20 7946 0958 ", "US") == "+442079460958"
    assert to_e164("020 7946 0958", "GB") == "+442079460958"


@pytest.mark.parametrize("field", ["to", "from"])
def test_bad_numbers_fail_every_time_naming_the_field_asked(field):
    for _ in range(2):
        with pytest.raises(Invalid, match="is not a phone number") as unparsable:
            to_e164("hello", "US", field=field)
        assert unparsable.value.field == field
        with pytest.raises(Invalid, match="is not a valid phone number") as invalid:
            to_e164("+1 555", "US", field=field)
        assert invalid.value.field == field
        with pytest.raises(Invalid, match="required") as empty:
            to_e164("   ", "US", field=field)
        assert empty.value.field == field


def test_the_region_is_part_of_the_answer():
    assert to_e164("020 7946 0958", "GB") == "+442079460958"
    with pytest.raises(Invalid):
        to_e164("020 7946 0958", "US")


def test_long_text_is_checked_without_being_kept():
    long_text = "+1 415 555 0134" + " " * 20 + "x" * 40
    for _ in range(2):
        with pytest.raises(Invalid, match="is not a phone number"):
            to_e164(long_text, "US")
