"""The log-form builder's model: form <-> JSON without loss, and the structural edits."""

from __future__ import annotations

import json

import pytest

from manifest import load_manifest, read_json_file
from manifest.builder import (
    BUILDER_PAGES,
    BuilderField,
    add_field,
    add_option,
    fields_from_form,
    form_data,
    move_field,
    page_fields,
    remove_field,
    row_name,
    with_page_fields,
)
from tests.manifest.test_manifest_conformance import JSON_FILES, MISSING_REASON, NOT_MANIFESTS

MANIFEST_FILES = [
    path
    for path in JSON_FILES
    if path.name not in NOT_MANIFESTS and path.name != "test-platformInfo-endpoints.json"
]


def _pages(document):
    for platform in document["platforms"]:
        for page in BUILDER_PAGES:
            yield platform, page


@pytest.mark.skipif(not MANIFEST_FILES, reason=MISSING_REASON)
@pytest.mark.parametrize("path", MANIFEST_FILES, ids=lambda p: p.name)
def test_every_conformance_manifest_survives_the_form_round_trip(path):
    document = load_manifest(read_json_file(path), validate=False)
    text = json.dumps(document)

    for platform, page in _pages(document):
        rows = page_fields(document, platform, page)
        assert rows is not None, (platform, page)
        submitted = fields_from_form(form_data(rows))
        assert submitted == rows
        rebuilt = with_page_fields(document, platform, page, submitted)
        # Byte for byte: key order, unknown keys and value spellings all survive.
        assert json.dumps(rebuilt) == text, (platform, page)


@pytest.mark.skipif(not MANIFEST_FILES, reason=MISSING_REASON)
def test_the_sweep_covers_manifests_with_fields_on_every_page_kind():
    kinds = set()
    for path in MANIFEST_FILES:
        document = load_manifest(read_json_file(path), validate=False)
        kinds |= {
            page for platform, page in _pages(document) if page_fields(document, platform, page)
        }
    assert kinds == set(BUILDER_PAGES)


SPEC = {
    "const": "deal",
    "title": "Deal",
    "type": "selection",
    "contactDependent": False,
    "options": [{"const": 1, "title": "One", "colour": "red"}, {"const": "2", "title": "Two"}],
    "defaultValue": 1,
    "accountDataKey": "deals",
    "x-vendor": {"keep": [1, 2]},
}


def _document(fields):
    return {
        "platforms": {
            "acme": {"name": "acme", "page": {"messageLog": {"additionalFields": fields}}}
        }
    }


def test_unknown_keys_and_original_spellings_are_kept_when_other_values_change():
    row = BuilderField.from_spec(SPEC)
    assert row.options == (("1", "One"), ("2", "Two"))
    assert row.default == "1"

    edited = BuilderField(**{**row.__dict__, "title": "Opportunity"})  # only the title

    spec = edited.to_spec()
    assert spec["title"] == "Opportunity"
    assert spec["defaultValue"] == 1  # untouched: still a number
    assert spec["options"][0] == {"const": 1, "title": "One", "colour": "red"}
    assert spec["x-vendor"] == {"keep": [1, 2]} and spec["accountDataKey"] == "deals"
    assert spec["contactDependent"] is False
    assert list(spec) == list(SPEC)


def test_changed_options_keep_each_options_extra_keys():
    row = BuilderField.from_spec(SPEC)
    edited = BuilderField(**{**row.__dict__, "options": (("1", "Uno"), ("3", "Three"))})

    options = edited.to_spec()["options"]

    assert options == [
        {"const": "1", "title": "Uno", "colour": "red"},
        {"const": "3", "title": "Three"},
    ]


def test_a_new_field_from_the_form_gets_a_const_from_its_title():
    form = [
        (row_name(0, "title"), "Call outcome"),
        (row_name(0, "type"), "selection"),
        (row_name(0, "required"), "on"),
        (row_name(0, "option-0-value"), "won"),
        (row_name(0, "option-0-title"), "Won"),
        (row_name(0, "option-1-value"), ""),
        (row_name(0, "option-1-title"), ""),  # the blank row for adding one: dropped
        (row_name(0, "option-2-value"), ""),
        (row_name(0, "option-2-title"), "Lost"),  # a title without a value: kept, invalid
    ]

    [row] = fields_from_form(form)

    assert row.const == "callOutcome"
    assert row.to_spec() == {
        "const": "callOutcome",
        "title": "Call outcome",
        "type": "selection",
        "required": True,
        "options": [{"const": "won", "title": "Won"}, {"const": "", "title": "Lost"}],
    }


def test_checkbox_defaults_are_written_as_booleans_and_flags_off_are_removed():
    row = BuilderField.from_spec({"const": "done", "type": "checkbox", "required": True})
    form = dict(form_data([row]))
    form[row_name(0, "default")] = "true"
    del form[row_name(0, "required")]

    [edited] = fields_from_form(form)

    assert edited.to_spec() == {"const": "done", "type": "checkbox", "defaultValue": True}


def test_structural_edits_add_remove_reorder_and_add_an_option():
    rows = [BuilderField(const="a"), BuilderField(const="b"), BuilderField(const="c")]

    assert [r.const for r in move_field(rows, 2, -1)] == ["a", "c", "b"]
    assert [r.const for r in move_field(rows, 0, -1)] == ["a", "b", "c"]
    assert [r.const for r in remove_field(rows, 1)] == ["a", "c"]
    assert [r.const for r in remove_field(rows, 9)] == ["a", "b", "c"]
    assert add_field(rows)[-1] == BuilderField(type="inputField")
    assert add_option(rows, 0)[0].options == (("", ""),)


def test_fields_go_into_the_chosen_page_and_a_missing_page_is_created_only_when_needed():
    document = _document([SPEC])

    unchanged = with_page_fields(document, "acme", "callLog", [])
    created = with_page_fields(document, "acme", "callLog", [BuilderField(const="n", title="N")])

    assert unchanged == document
    assert created["platforms"]["acme"]["page"]["callLog"] == {
        "additionalFields": [{"const": "n", "title": "N", "type": "inputField"}]
    }
    assert document["platforms"]["acme"]["page"].get("callLog") is None  # not mutated


def test_pages_the_builder_cannot_show_are_left_to_the_json_view():
    assert page_fields(_document(["not an object"]), "acme", "messageLog") is None
    assert page_fields({"platforms": {}}, "acme", "messageLog") is None
    assert page_fields(_document([SPEC]), "acme", "callLog") == []
