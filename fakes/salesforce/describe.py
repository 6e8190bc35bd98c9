"""``GET /sobjects/<Type>/describe``: the fields of one object in this org, as Salesforce
describes them (name, label, type, length, create/update/filter flags, picklist values,
reference targets).

Only the keys a client reads are served. Types and lengths follow the Object Reference
(and ``task-describe-fields-subset.json`` for Task); the Task ``Status`` picklist is the
org's own (its TaskStatus rows), so a connector can check a value before it writes.
"""

from __future__ import annotations

from typing import Any

from . import payloads
from .sobjects import CREATE_ONLY, LENGTHS, READ_ONLY, RESTRICTED_PICKLISTS
from .store import PHONE_FIELDS, REFERENCES, SYSTEM_FIELDS, Store

_BOOLEAN_PREFIXES = ("Is",)
_DATES = {"ActivityDate": "date", "CloseDate": "date"}
_DATETIMES = {"CreatedDate", "LastModifiedDate", "SystemModstamp"}
_NUMBERS = {"Amount": "currency", "CallDurationInSeconds": "int", "SortOrder": "int"}
_TEXTAREAS = {"Description": "textarea"}
_SYSTEM_REFERENCES = {"OwnerId": ["User"], "CreatedById": ["User"], "LastModifiedById": ["User"]}


def _subset_fields() -> dict[str, dict[str, Any]]:
    try:
        subset = payloads.load("task-describe-fields-subset.json")
    except FileNotFoundError:
        return {}
    return {f["name"]: f for f in subset.get("fields", []) if isinstance(f, dict)}


def _type_of(sobject: str, name: str) -> str:
    if name == "Id":
        return "id"
    if name in REFERENCES.get(sobject, {}) or name in _SYSTEM_REFERENCES or name.endswith("Id"):
        return "reference"
    if name in PHONE_FIELDS.get(sobject, ()) or name.endswith("Phone"):
        return "phone"
    if name == "Email":
        return "email"
    if name in _DATES:
        return "date"
    if name in _DATETIMES:
        return "datetime"
    if name in _NUMBERS:
        return _NUMBERS[name]
    if name in _TEXTAREAS:
        return "textarea"
    if name.startswith(_BOOLEAN_PREFIXES) and name[2:3].isupper():
        return "boolean"
    if (sobject, name) in RESTRICTED_PICKLISTS or name in ("Status", "Priority", "StageName"):
        return "picklist"
    return "string"


def _picklist(store: Store, sobject: str, name: str) -> list[dict[str, Any]]:
    if sobject == "Task" and name == "Status":
        values = store.task_statuses()
    elif (sobject, name) in RESTRICTED_PICKLISTS:
        values = list(RESTRICTED_PICKLISTS[(sobject, name)])
    elif sobject == "Task" and name == "Priority":
        values = ["High", "Normal", "Low"]
    else:
        return []
    return [
        {"active": True, "defaultValue": index == 0, "label": v, "validFor": None, "value": v}
        for index, v in enumerate(values)
    ]


def describe(store: Store, sobject: str) -> dict[str, Any]:
    """Return the describe result of ``sobject`` in this org."""
    subset = _subset_fields() if sobject == "Task" else {}
    fields = []
    for name in SYSTEM_FIELDS + store.schema[sobject]:
        kind = _type_of(sobject, name)
        system = name in SYSTEM_FIELDS and name != "OwnerId"
        read_only = system or name in READ_ONLY.get(sobject, set())
        known = subset.get(name, {})
        fields.append(
            {
                "name": name,
                "label": known.get("label") or name,
                "type": known.get("type") or kind,
                "length": known.get("length") or LENGTHS.get(name, 0),
                "nillable": name not in ("Id", "Status", "Priority", "Name"),
                "createable": not read_only,
                "updateable": not read_only and name not in CREATE_ONLY,
                "filterable": kind not in ("textarea",),
                "picklistValues": _picklist(store, sobject, name),
                "restrictedPicklist": (sobject, name) in RESTRICTED_PICKLISTS,
                "referenceTo": list(
                    REFERENCES.get(sobject, {}).get(name, ()) or _SYSTEM_REFERENCES.get(name, ())
                ),
            }
        )
    return {
        "name": sobject,
        "label": sobject,
        "createable": True,
        "queryable": True,
        "searchable": sobject != "TaskStatus",
        "fields": fields,
    }
