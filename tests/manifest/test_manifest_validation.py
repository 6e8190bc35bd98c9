"""validate_manifest: schema and semantic errors come back as pointer + plain message."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from manifest import ManifestError, ManifestInvalid, bundled_schema, validate_manifest

FIELDS = "/platforms/pipedrive/page/messageLog/additionalFields"
PLATFORM = "/platforms/pipedrive"


def _errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error.pointer, error.message) for error in validate_manifest(doc)]


def test_bundled_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = bundled_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_bundled_schema_returns_a_copy_callers_cannot_corrupt() -> None:
    bundled_schema()["required"].append("nonsense")
    assert "nonsense" not in bundled_schema()["required"]


def test_valid_manifest_has_no_errors(manifest_doc: dict[str, Any]) -> None:
    assert validate_manifest(manifest_doc) == []


def test_unknown_keys_are_allowed_everywhere(manifest_doc: dict[str, Any]) -> None:
    manifest_doc["somethingNew"] = {"a": 1}
    manifest_doc["platforms"]["pipedrive"]["futureFlag"] = True
    manifest_doc["platforms"]["pipedrive"]["page"]["messageLog"]["additionalFields"][0][
        "uiHint"
    ] = "wide"
    assert validate_manifest(manifest_doc) == []


def test_unknown_field_type_names_the_choices(
    manifest_doc: dict[str, Any], message_fields: list[dict[str, Any]]
) -> None:
    message_fields[2]["type"] = "dropdown"
    assert _errors(manifest_doc) == [
        (
            f"{FIELDS}/2/type",
            "type must be one of selection, inputField, checkbox, date, warning; got 'dropdown'",
        )
    ]


def test_missing_const_points_at_the_missing_key(
    manifest_doc: dict[str, Any], message_fields: list[dict[str, Any]]
) -> None:
    del message_fields[1]["const"]
    assert _errors(manifest_doc) == [(f"{FIELDS}/1/const", "required property 'const' is missing")]


def test_several_missing_keys_are_each_reported(manifest_doc: dict[str, Any]) -> None:
    platform = manifest_doc["platforms"]["pipedrive"]
    del platform["name"], platform["displayName"]
    assert _errors(manifest_doc) == [
        (f"{PLATFORM}/displayName", "required property 'displayName' is missing"),
        (f"{PLATFORM}/name", "required property 'name' is missing"),
    ]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("contactDependent", "yes", "contactDependent must be true or false; got 'yes'"),
        ("required", 1, "required must be true or false; got 1"),
        ("title", ["Deal"], "title must be a string; got a list"),
        ("const", 42, "const must be a string; got 42"),
        ("const", "", "const must not be empty"),
        ("options", {"a": "b"}, "options must be a list; got an object"),
        (
            "defaultValue",
            None,
            "defaultValue must be a string, a number or true/false; got null",
        ),
    ],
)
def test_wrong_types_are_reported_at_the_key(
    manifest_doc: dict[str, Any],
    message_fields: list[dict[str, Any]],
    key: str,
    value: object,
    expected: str,
) -> None:
    message_fields[0][key] = value
    assert (f"{FIELDS}/0/{key}", expected) in _errors(manifest_doc)


def test_wrong_types_outside_fields(manifest_doc: dict[str, Any]) -> None:
    platform = manifest_doc["platforms"]["pipedrive"]
    platform["canOpenLogPage"] = "true"
    platform["contactTypes"] = ["Person"]
    platform["auth"]["type"] = "basic"
    manifest_doc["author"] = "Someone"
    assert _errors(manifest_doc) == [
        ("/author", "author must be an object; got 'Someone'"),
        (f"{PLATFORM}/auth/type", "type must be one of oauth, apiKey; got 'basic'"),
        (f"{PLATFORM}/canOpenLogPage", "canOpenLogPage must be true or false; got 'true'"),
        (f"{PLATFORM}/contactTypes/0", "contactTypes[0] must be an object; got 'Person'"),
    ]


def test_not_an_object_at_all() -> None:
    assert _errors([1, 2]) == [("/", "the manifest must be an object; got a list")]


def test_platforms_must_be_present_and_non_empty() -> None:
    assert _errors({}) == [("/platforms", "required property 'platforms' is missing")]
    assert _errors({"platforms": {}}) == [("/platforms", "platforms must not be empty")]
    assert _errors({"platforms": {"x": 5}}) == [
        ("/platforms/x", "platform 'x' must be an object; got 5")
    ]


def test_oauth_needs_its_settings(manifest_doc: dict[str, Any]) -> None:
    auth = manifest_doc["platforms"]["pipedrive"]["auth"]
    del auth["oauth"]["clientId"]
    auth["oauth"]["authUrl"] = ""
    assert _errors(manifest_doc) == [
        (f"{PLATFORM}/auth/oauth/authUrl", "authUrl must not be empty for OAuth"),
        (f"{PLATFORM}/auth/oauth/clientId", "required property 'clientId' is missing"),
    ]
    del auth["oauth"]
    assert _errors(manifest_doc) == [
        (f"{PLATFORM}/auth/oauth", "required property 'oauth' is missing")
    ]


def test_api_key_auth_needs_its_page(manifest_doc: dict[str, Any]) -> None:
    manifest_doc["platforms"]["pipedrive"]["auth"] = {"type": "apiKey"}
    assert _errors(manifest_doc) == [
        (f"{PLATFORM}/auth/apiKey", "required property 'apiKey' is missing")
    ]


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"type": "fixed"}, ("/url", "required property 'url' is missing")),
        ({"type": "selectable"}, ("/selections", "required property 'selections' is missing")),
        (
            {"type": "selectable", "selections": []},
            ("/selections", "selections must be a non-empty list"),
        ),
        (
            {"type": "cloud"},
            ("/type", "type must be one of fixed, dynamic, selectable; got 'cloud'"),
        ),
    ],
)
def test_environment_shapes(
    manifest_doc: dict[str, Any], environment: dict[str, Any], expected: tuple[str, str]
) -> None:
    manifest_doc["platforms"]["pipedrive"]["environment"] = environment
    suffix, message = expected
    assert _errors(manifest_doc) == [(f"{PLATFORM}/environment{suffix}", message)]


def test_duplicate_const_points_at_the_second_one(
    manifest_doc: dict[str, Any], message_fields: list[dict[str, Any]]
) -> None:
    message_fields.append(copy.deepcopy(message_fields[0]))
    assert _errors(manifest_doc) == [
        (f"{FIELDS}/3/const", "duplicate const 'deals': already used by additionalFields[0]")
    ]


def test_same_const_on_different_pages_is_fine(manifest_doc: dict[str, Any]) -> None:
    page = manifest_doc["platforms"]["pipedrive"]["page"]
    page["callLog"] = copy.deepcopy(page["messageLog"])
    assert validate_manifest(manifest_doc) == []


def test_static_selection_needs_options(
    manifest_doc: dict[str, Any], message_fields: list[dict[str, Any]]
) -> None:
    message_fields.append({"const": "stage", "title": "Stage", "type": "selection"})
    message_fields.append({"const": "kind", "title": "Kind", "type": "selection", "options": []})
    expected = (
        "options must be a non-empty list for a static selection "
        "(or set contactDependent: true to take them from the matched contact)"
    )
    assert _errors(manifest_doc) == [
        (f"{FIELDS}/3/options", expected),
        (f"{FIELDS}/4/options", expected),
    ]


@pytest.mark.parametrize(
    "source",
    [
        {"contactDependent": True},
        {"contactTypeDependent": True},
        {"accountDataKey": "bullhornData", "accountDataProperty": "commentActionList"},
    ],
)
def test_selection_options_may_come_from_elsewhere(
    manifest_doc: dict[str, Any], message_fields: list[dict[str, Any]], source: dict[str, Any]
) -> None:
    message_fields.append({"const": "stage", "title": "Stage", "type": "selection", **source})
    assert validate_manifest(manifest_doc) == []


def test_selection_options_may_come_from_a_dynamic_setting(
    manifest_doc: dict[str, Any], message_fields: list[dict[str, Any]]
) -> None:
    # Redtail's category: options loaded at runtime for the setting it defaults from.
    platform = manifest_doc["platforms"]["pipedrive"]
    platform["settings"] = [
        {
            "id": "options",
            "type": "section",
            "items": [{"id": "defaultCategory", "type": "option", "dynamicOptions": True}],
        }
    ]
    field = {
        "const": "category",
        "type": "selection",
        "defaultSettingId": "options",
        "defaultSettingValues": {"message": {"settingId": "defaultCategory"}},
    }
    message_fields.append(field)
    assert validate_manifest(manifest_doc) == []
    platform["settings"][0]["items"][0]["dynamicOptions"] = False
    assert [e.pointer for e in validate_manifest(manifest_doc)] == [f"{FIELDS}/3/options"]


def test_bad_options(manifest_doc: dict[str, Any], message_fields: list[dict[str, Any]]) -> None:
    message_fields[2]["options"] = [
        {"const": "low", "title": "Low"},
        {"title": "No value"},
        {"const": "low", "title": "Low again"},
        "high",
    ]
    assert _errors(manifest_doc) == [
        (f"{FIELDS}/2/options/1/const", "required property 'const' is missing"),
        (f"{FIELDS}/2/options/2/const", "duplicate const 'low': already used by options[0]"),
        (f"{FIELDS}/2/options/3", "options[3] must be an object; got 'high'"),
    ]


def test_default_value_must_be_an_offered_option(
    manifest_doc: dict[str, Any], message_fields: list[dict[str, Any]]
) -> None:
    message_fields[2]["defaultValue"] = "urgent"
    assert _errors(manifest_doc) == [
        (
            f"{FIELDS}/2/defaultValue",
            "defaultValue 'urgent' is not one of the options (low, high); "
            "pick one or set allowCustomValue: true",
        )
    ]
    message_fields[2]["allowCustomValue"] = True
    assert validate_manifest(manifest_doc) == []


def test_empty_default_is_the_none_option(
    manifest_doc: dict[str, Any], message_fields: list[dict[str, Any]]
) -> None:
    message_fields[2]["defaultValue"] = ""
    assert len(validate_manifest(manifest_doc)) == 1
    message_fields[2]["includeNoneOption"] = True
    assert validate_manifest(manifest_doc) == []


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            {"const": "copy", "type": "checkbox", "defaultValue": "yes"},
            "defaultValue must be true or false for a checkbox; got 'yes'",
        ),
        (
            {"const": "due", "type": "date", "defaultValue": "2024-02-30"},
            "defaultValue must be a date written YYYY-MM-DD; got '2024-02-30'",
        ),
        (
            {"const": "due", "type": "date", "defaultValue": "24/01/2024"},
            "defaultValue must be a date written YYYY-MM-DD; got '24/01/2024'",
        ),
    ],
)
def test_default_value_must_suit_the_field_type(
    manifest_doc: dict[str, Any],
    message_fields: list[dict[str, Any]],
    field: dict[str, Any],
    message: str,
) -> None:
    message_fields.append(field)
    assert _errors(manifest_doc) == [(f"{FIELDS}/3/defaultValue", message)]


def test_url_templates_with_unknown_placeholders(manifest_doc: dict[str, Any]) -> None:
    platform = manifest_doc["platforms"]["pipedrive"]
    platform["contactPageUrl"] = "https://{hostname}/person/{personId}"
    platform["logPageUrl"] = "https://{{hostname}}/activities/{{ activityId }}?t={contactType}"
    known = "known placeholders are {contactId}, {contactType}, {hostname}, {logId}"
    assert _errors(manifest_doc) == [
        (
            f"{PLATFORM}/contactPageUrl",
            f"contactPageUrl uses unknown placeholder {{personId}}; {known}",
        ),
        (f"{PLATFORM}/logPageUrl", f"logPageUrl uses unknown placeholder {{activityId}}; {known}"),
    ]


def test_platform_name_must_match_its_key(manifest_doc: dict[str, Any]) -> None:
    manifest_doc["platforms"]["pipedrive"]["name"] = "pipedrve"
    assert _errors(manifest_doc) == [
        (f"{PLATFORM}/name", "name must match its key in platforms ('pipedrive'); got 'pipedrve'")
    ]


def test_duplicate_contact_type_values(manifest_doc: dict[str, Any]) -> None:
    manifest_doc["platforms"]["pipedrive"]["contactTypes"].append(
        {"display": "Also person", "value": "person"}
    )
    assert _errors(manifest_doc) == [
        (
            f"{PLATFORM}/contactTypes/1/value",
            "duplicate value 'person': already used by contactTypes[0]",
        )
    ]


def test_errors_are_sorted_by_pointer_with_numeric_indexes(
    manifest_doc: dict[str, Any], message_fields: list[dict[str, Any]]
) -> None:
    for index in range(12):
        message_fields.append({"const": f"f{index}", "type": "bogus"})
    manifest_doc["author"] = 5
    pointers = [error.pointer for error in validate_manifest(manifest_doc)]
    assert pointers[0] == "/author"
    assert pointers[1:] == [f"{FIELDS}/{index}/type" for index in range(3, 15)]


def test_pointers_escape_slash_and_tilde(manifest_doc: dict[str, Any]) -> None:
    platform = manifest_doc["platforms"].pop("pipedrive")
    platform["name"] = "a/b~c"
    platform["canOpenLogPage"] = "no"
    manifest_doc["platforms"]["a/b~c"] = platform
    assert [error.pointer for error in validate_manifest(manifest_doc)] == [
        "/platforms/a~1b~0c/canOpenLogPage"
    ]


def test_manifest_invalid_carries_sorted_errors() -> None:
    errors = [ManifestError("/b", "second"), ManifestError("/a", "first")]
    invalid = ManifestInvalid(errors)
    assert invalid.errors == [errors[1], errors[0]]
    assert "/a: first" in str(invalid)
    assert str(errors[0]) == "/b: second"
