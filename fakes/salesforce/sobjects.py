"""sObject create/read/update with the validation a real org applies.

Error bodies reuse the conformance templates (REQUIRED_FIELD_MISSING, STRING_TOO_LONG,
MALFORMED_ID for a bad WhatId, INVALID_FIELD for an Id in the body). Lengths are counted in
UTF-16 code units, as Salesforce (Java) does. Several problems give several errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import ids, payloads
from .store import LABELS, READ_ONLY_SYSTEM, REFERENCES, Store

READ_ONLY = {
    "Task": {"AccountId", "IsClosed", "IsHighPriority", "IsArchived"},
    "Contact": {"Name"},
    "Lead": {"Name"},
    "Case": {"IsClosed", "CaseNumber"},
    "Opportunity": {"IsClosed", "IsWon"},
}
CREATE_ONLY = {"TaskSubtype"}
REQUIRED = {
    "Account": ("Name",),
    "Contact": ("LastName",),
    "Lead": ("LastName", "Company"),
    "Opportunity": ("Name", "StageName", "CloseDate"),
}
# Required but "defaulted on create": omitted means the default, explicit null is an error.
DEFAULTED = {"Task": {"Status": "Not Started", "Priority": "Normal"}, "Lead": {"Status": "Open"}}
LENGTHS = {
    "Subject": 255,
    "Description": 32000,
    "CallObject": 255,
    "CallDisposition": 255,
    "Name": 255,
    "LastName": 80,
    "FirstName": 40,
    "Company": 255,
    "Phone": 40,
    "MobilePhone": 40,
}
RESTRICTED_PICKLISTS = {
    ("Task", "TaskSubtype"): ("Task", "Email", "ListEmail", "Call", "LinkedIn"),
    ("Task", "CallType"): ("Internal", "Inbound", "Outbound"),
}
DATE_FIELDS = {"ActivityDate", "CloseDate"}


class SObjectError(Exception):
    """Errors to return as a Salesforce error array with ``status``."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"] if errors else "")
        self.status = status
        self.errors = errors


def _error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        item["fields"] = fields
    return item


def utf16_len(text: str) -> int:
    """Return the length as Salesforce counts it."""
    return len(text.encode("utf-16-le")) // 2


def not_found() -> SObjectError:
    """Return the 404 NOT_FOUND error."""
    return SObjectError(404, payloads.load("error-not-found-404.json"))


def _field_problems(
    store: Store, sobject: str, body: dict[str, Any], creating: bool
) -> list[dict[str, Any]]:
    known = set(store.schema[sobject]) | {"OwnerId"}
    for name in body:
        if name == "Id":
            return [payloads.error_template("error-invalid-field-400.json")]
        if name not in known:
            return [
                _error("INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}")
            ]
    read_only = READ_ONLY.get(sobject, set())
    locked = [n for n in body if n in read_only or (not creating and n in CREATE_ONLY)]
    if locked:
        return [
            _error(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(locked)}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set.",
                locked,
            )
        ]
    return []


def _value_problems(sobject: str, body: dict[str, Any], store: Store) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    for name, value in body.items():
        if name in DATE_FIELDS and value is not None:
            try:
                dt.date.fromisoformat(str(value))
                valid = isinstance(value, str) and len(value) == 10
            except ValueError:
                valid = False
            if not valid:
                return [
                    _error(
                        "JSON_PARSER_ERROR",
                        f"Cannot deserialize instance of date from VALUE_STRING value {value} "
                        "or request may be missing a required field",
                    )
                ]
        if isinstance(value, str) and name in LENGTHS and utf16_len(value) > LENGTHS[name]:
            template = payloads.error_template("error-string-too-long-400.json")
            shown = value if len(value) <= 80 else value[:80] + "..."
            label, limit = LABELS.get(name, name), LENGTHS[name]
            message = f"{label}: data value too large: {shown} (max length={limit})"
            problems.append(_error(template["errorCode"], message, [name]))
        allowed = RESTRICTED_PICKLISTS.get((sobject, name))
        if sobject == "Task" and name == "Status":
            allowed = tuple(store.task_statuses())  # the org's own Task statuses
        if allowed is not None and value is not None and value not in allowed:
            problems.append(
                _error(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{name}: bad value for restricted picklist field: {value}",
                    [name],
                )
            )
    return problems + _reference_problems(sobject, body, store)


def _reference_problems(sobject: str, body: dict[str, Any], store: Store) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    template = payloads.error_template("error-malformed-whatid-task-400.json")
    for name, targets in REFERENCES.get(sobject, {}).items():
        value = body.get(name)
        if value in (None, ""):
            continue
        label = LABELS.get(name, name)
        if ids.type_of(value) not in targets or not ids.is_valid(value):
            # Same wording as the recorded WhatId error, with this field's label and value.
            problems.append(
                _error(
                    template["errorCode"], f"{label}: id value of incorrect type: {value}", [name]
                )
            )
        elif store.is_deleted(value):
            problems.append(_error("ENTITY_IS_DELETED", "entity is deleted", [name]))
        elif store.get(value) is None:
            problems.append(
                _error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [name])
            )
    return problems


def _integrity_problems(sobject: str, merged: dict[str, Any]) -> list[dict[str, Any]]:
    if sobject == "Task" and ids.type_of(merged.get("WhoId")) == "Lead" and merged.get("WhatId"):
        # Object Reference: "If the WhoId refers to a lead, then the WhatId field must be empty."
        # (The message wording is the fake's own; only the rule is documented.)
        return [
            _error(
                "FIELD_INTEGRITY_EXCEPTION",
                "Related To ID: a task whose Name ID is a lead cannot have a Related To record",
                ["WhatId"],
            )
        ]
    return []


def _required_problems(sobject: str, merged: dict[str, Any]) -> list[dict[str, Any]]:
    missing = [n for n in REQUIRED.get(sobject, ()) if merged.get(n) in (None, "")]
    missing += [n for n in DEFAULTED.get(sobject, {}) if merged.get(n) in (None, "")]
    if not missing:
        return []
    template = payloads.error_template("error-required-field-missing-400.json")
    return [
        _error(
            template["errorCode"], f"Required fields are missing: [{', '.join(missing)}]", missing
        )
    ]


def _derived_task_account(body: dict[str, Any], store: Store) -> str | None:
    for key in ("WhatId", "WhoId"):
        found = store.get(body[key]) if body.get(key) else None
        if found and found[0] == "Account":
            return found[1]["Id"]
        if found and found[1].get("AccountId"):
            return str(found[1]["AccountId"])
    return None


def create(store: Store, sobject: str, body: Any) -> str:
    """Validate and insert a record; return its id or raise ``SObjectError``."""
    if sobject not in store.schema or sobject in READ_ONLY_SYSTEM:
        raise not_found()
    if not isinstance(body, dict):
        raise SObjectError(
            400, [_error("JSON_PARSER_ERROR", "The request body must be a JSON object")]
        )
    problems = _field_problems(store, sobject, body, creating=True)
    if problems:
        raise SObjectError(400, problems)
    values = {**DEFAULTED.get(sobject, {}), **body}
    problems = (
        _required_problems(sobject, values)
        + _value_problems(sobject, body, store)
        + _integrity_problems(sobject, values)
    )
    if problems:
        raise SObjectError(400, problems)
    if sobject == "Task":
        values["AccountId"] = _derived_task_account(values, store)
    return store.insert(sobject, values)


def malformed_id(sobject: str, record_id: str) -> SObjectError:
    """Return the 404 Salesforce answers for a record URL whose id is no valid id."""
    message = f"Provided external ID field does not exist or is not accessible: {record_id}"
    return SObjectError(404, [_error("NOT_FOUND", message)])


def read(store: Store, sobject: str, record_id: str) -> dict[str, Any]:
    """Return the full record (every field, nulls included) or raise ``SObjectError``."""
    if not ids.is_valid(record_id):
        raise malformed_id(sobject, record_id)
    found = store.get(record_id)
    if found is None or found[0] != sobject:
        if ids.is_well_formed(record_id) and store.is_deleted(record_id):
            raise SObjectError(404, payloads.load("error-entity-is-deleted.json"))
        raise not_found()
    return found[1]


def update(store: Store, sobject: str, record_id: str, body: Any) -> None:
    """Validate and apply a PATCH or raise ``SObjectError``."""
    current = read(store, sobject, record_id)
    if not isinstance(body, dict):
        raise SObjectError(
            400, [_error("JSON_PARSER_ERROR", "The request body must be a JSON object")]
        )
    problems = _field_problems(store, sobject, body, creating=False)
    if problems:
        raise SObjectError(400, problems)
    merged = {**current, **body}
    problems = (
        _required_problems(sobject, merged)
        + _value_problems(sobject, body, store)
        + _integrity_problems(sobject, merged)
    )
    if problems:
        raise SObjectError(400, problems)
    store.update(sobject, record_id, body)
