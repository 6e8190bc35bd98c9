"""build_form / validate_submission: the log form model behind additionalFields."""

from __future__ import annotations

from typing import Any

import pytest

from manifest import FormField, build_form, validate_submission

DEALS = {"const": "deals", "title": "Deal", "type": "selection", "contactDependent": True}
PRIORITY = {
    "const": "priority",
    "title": "Priority",
    "type": "selection",
    "options": [{"const": "low", "title": "Low"}, {"const": "high", "title": "High"}],
}
CONTACT_INFO = {
    "deals": [{"const": "d1", "title": "Renewal"}, {"const": "d2", "title": "Upsell"}],
}


def _one(spec: dict[str, Any], info: dict[str, Any] | None = None, **kwargs: Any) -> FormField:
    [form_field] = build_form([spec], info, **kwargs)
    return form_field


def test_static_selection() -> None:
    field = _one(PRIORITY)
    assert field.type == "selection"
    assert field.options == [("low", "Low"), ("high", "High")]
    assert field.default == ""
    assert not field.contact_dependent


def test_contact_dependent_selection_takes_the_contacts_options_and_preselects_the_first() -> None:
    field = _one(DEALS, CONTACT_INFO)
    assert field.options == [("d1", "Renewal"), ("d2", "Upsell")]
    assert field.default == "d1"
    assert field.contact_dependent


@pytest.mark.parametrize("info", [None, {}, {"deals": []}, {"other": [{"const": "x"}]}])
def test_contact_dependent_field_without_options_for_this_contact_is_omitted(
    info: dict[str, Any] | None,
) -> None:
    # App Connect skips a contact-dependent field the contact has no entry for.
    assert build_form([DEALS, PRIORITY], info)[0].const == "priority"
    assert len(build_form([DEALS], info)) == 0


def test_contact_dependent_options_are_not_mixed_with_static_ones() -> None:
    spec = {**DEALS, "options": [{"const": "static", "title": "Static"}]}
    assert _one(spec, CONTACT_INFO).option_values == ["d1", "d2"]


def test_non_dependent_selection_without_static_options_uses_contact_then_account_data() -> None:
    category = {"const": "category", "title": "Category", "type": "selection"}
    assert _one(category, {"category": [{"const": 2, "title": "Call"}]}).options == [("2", "Call")]
    note_actions = {
        "const": "noteActions",
        "title": "Note action",
        "type": "selection",
        "accountDataKey": "bullhornData",
        "accountDataProperty": "commentActionList",
    }
    account = {"bullhornData": {"commentActionList": ["Call", {"id": "Email", "name": "E-mail"}]}}
    field = _one(note_actions, account_data=account)
    assert field.options == [("Call", "Call"), ("Email", "E-mail")]
    assert build_form([note_actions]) == []


def test_include_none_option_prepends_an_empty_value() -> None:
    field = _one({**PRIORITY, "includeNoneOption": True})
    assert field.options[0] == ("", "None")
    assert field.option_values == ["", "low", "high"]
    assert field.include_none_option


def test_default_value_is_used_when_it_is_an_option() -> None:
    assert _one({**PRIORITY, "defaultValue": "high"}).default == "high"
    assert _one({**PRIORITY, "defaultValue": "urgent"}).default == ""
    assert (
        _one({**PRIORITY, "defaultValue": "urgent", "allowCustomValue": True}).default == "urgent"
    )
    assert _one({**DEALS, "defaultValue": "d2"}, CONTACT_INFO).default == "d2"


def test_allow_custom_value_keeps_a_selection_even_without_options() -> None:
    spec = {"const": "action", "title": "Action", "type": "selection", "allowCustomValue": True}
    field = _one(spec)
    assert field.allow_custom_value
    assert field.options == []


def test_scalar_fields_and_their_defaults() -> None:
    fields = build_form(
        [
            {"const": "address", "title": "Address", "type": "inputField", "placeholder": "Street"},
            {"const": "copy", "title": "Copy", "type": "checkbox", "defaultValue": True},
            {"const": "due", "title": "Due", "type": "date", "defaultValue": "2025-01-31"},
            {"const": "bad", "title": "Bad date", "type": "date", "defaultValue": "tomorrow"},
            {"const": "count", "type": "inputField", "defaultValue": 3, "required": True},
        ]
    )
    assert [(f.const, f.type, f.default) for f in fields] == [
        ("address", "inputField", ""),
        ("copy", "checkbox", True),
        ("due", "date", "2025-01-31"),
        ("bad", "date", ""),
        ("count", "inputField", "3"),
    ]
    assert fields[0].placeholder == "Street"
    assert fields[4].title == "count"
    assert fields[4].required


def test_contact_dependent_scalar_field_shows_only_with_contact_data() -> None:
    spec = {"const": "company", "title": "Company", "type": "inputField", "contactDependent": True}
    assert build_form([spec]) == []
    assert _one(spec, {"company": "Acme"}).default == "Acme"


def test_warning_text_comes_from_description() -> None:
    field = _one(
        {"const": "w", "title": "Lead warning", "type": "warning", "description": "Careful"}
    )
    assert (field.type, field.title, field.warning) == ("warning", "Lead warning", "Careful")
    assert (
        _one({"const": "w", "title": "Only a title", "type": "warning"}).warning == "Only a title"
    )


def test_malformed_entries_are_skipped() -> None:
    specs: list[Any] = [
        {"title": "no const", "type": "inputField"},
        {"const": "x", "type": "radio"},
    ]
    assert build_form(specs) == []


def _form() -> list[FormField]:
    return build_form(
        [
            DEALS,
            {**PRIORITY, "includeNoneOption": True},
            {"const": "w", "title": "Warning", "type": "warning", "description": "Careful"},
            {"const": "address", "title": "Address", "type": "inputField"},
            {"const": "copy", "title": "Copy", "type": "checkbox"},
            {"const": "due", "title": "Due", "type": "date"},
            {"const": "action", "title": "Action", "type": "selection", "allowCustomValue": True},
        ],
        CONTACT_INFO,
    )


def test_submission_is_typed_and_keyed_by_const() -> None:
    submission, errors = validate_submission(
        _form(),
        {
            "deals": "d2",
            "priority": "high",
            "address": "  1 Main St  ",
            "copy": "on",
            "due": "2025-03-01",
            "action": "Left voicemail",
        },
    )
    assert errors == {}
    assert submission == {
        "deals": "d2",
        "priority": "high",
        "address": "1 Main St",
        "copy": True,
        "due": "2025-03-01",
        "action": "Left voicemail",
    }


def test_unchecked_checkbox_is_false_and_empty_optional_fields_are_left_out() -> None:
    submission, errors = validate_submission(_form(), {"priority": "", "address": "   "})
    assert errors == {}
    assert submission == {"copy": False}


@pytest.mark.parametrize(
    ("submitted", "expected_errors"),
    [
        ({"deals": "d9"}, {"deals": "Not one of the offered options"}),
        ({"priority": "urgent"}, {"priority": "Not one of the offered options"}),
        ({"due": "01/03/2025"}, {"due": "Not a date (YYYY-MM-DD)"}),
        ({"due": "2025-02-30"}, {"due": "Not a date (YYYY-MM-DD)"}),
        ({"copy": "maybe"}, {"copy": "Not a yes/no value"}),
        ({"address": "x" * 5001}, {"address": "Too long (at most 5000 characters)"}),
    ],
)
def test_invalid_values_are_reported_by_const(
    submitted: dict[str, str], expected_errors: dict[str, str]
) -> None:
    submission, errors = validate_submission(_form(), submitted)
    assert errors == expected_errors
    assert set(expected_errors).isdisjoint(submission)


def test_required_fields() -> None:
    form = build_form(
        [
            {**PRIORITY, "required": True, "includeNoneOption": True},
            {"const": "address", "title": "Address", "type": "inputField", "required": True},
            {"const": "agree", "title": "Agree", "type": "checkbox", "required": True},
        ]
    )
    _, errors = validate_submission(form, {"priority": "", "address": " "})
    assert errors == {"priority": "Required", "address": "Required", "agree": "Required"}
    submission, errors = validate_submission(
        form, {"priority": "low", "address": "x", "agree": "true"}
    )
    assert errors == {}
    assert submission == {"priority": "low", "address": "x", "agree": True}


def test_warnings_and_unknown_keys_are_never_submitted() -> None:
    submission, errors = validate_submission(
        _form(), {"w": "Careful", "contactId": "123", "__proto__": "x", "priority": "low"}
    )
    assert errors == {}
    assert submission == {"priority": "low", "copy": False}


def test_prefixed_names_and_multi_value_forms() -> None:
    class MultiDict(dict[str, list[str]]):
        def getlist(self, key: str) -> list[str]:
            return self.get(key, [])

    submitted = MultiDict(
        {"field_priority": ["low", "high"], "field_copy": ["true"], "priority": ["ignored"]}
    )
    submission, errors = validate_submission(_form(), submitted, prefix="field_")
    assert errors == {}
    assert submission == {"priority": "high", "copy": True}
    plain = {"field_address": ["", "kept"]}
    assert validate_submission(_form(), plain, prefix="field_")[0]["address"] == "kept"
