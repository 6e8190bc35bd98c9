"""The fake org's data: an in-memory, thread-safe store of sObject records."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import threading
from typing import Any

from . import ids

# Fields each object exposes (a realistic subset). Reference fields map to target types.
SCHEMA: dict[str, tuple[str, ...]] = {
    "Account": ("Name", "Phone", "Fax", "Website", "AccountNumber", "Type", "Industry"),
    "Contact": (
        "FirstName", "LastName", "Name", "Phone", "MobilePhone", "HomePhone", "OtherPhone",
        "AccountId", "Email", "Title", "Department",
    ),
    "Lead": (
        "FirstName", "LastName", "Name", "Company", "Phone", "MobilePhone", "Email", "Title",
        "Status", "IsConverted",
    ),
    "Opportunity": ("Name", "AccountId", "StageName", "CloseDate", "Amount", "IsClosed", "IsWon"),
    "Case": ("CaseNumber", "Subject", "Status", "AccountId", "ContactId", "IsClosed", "Priority"),
    "Task": (
        "WhoId", "WhatId", "Subject", "ActivityDate", "Status", "Priority", "IsHighPriority",
        "Description", "Type", "AccountId", "IsClosed", "IsArchived", "CallDurationInSeconds",
        "CallType", "CallDisposition", "CallObject", "TaskSubtype",
    ),
    # The org's Task Status picklist as an object (SELECT ApiName FROM TaskStatus ...).
    "TaskStatus": ("ApiName", "MasterLabel", "IsClosed", "IsDefault", "SortOrder"),
}  # fmt: skip
# Call Center fields: an org without Salesforce Call Center has none of them on Task.
CALL_CENTER_FIELDS = ("CallDurationInSeconds", "CallType", "CallDisposition", "CallObject")
# Person Accounts, when the org has them on: an Account that is also a Contact.
PERSON_ACCOUNT_FIELDS = {
    "Account": ("IsPersonAccount", "PersonContactId", "PersonMobilePhone"),
    "Contact": ("IsPersonAccount",),
}
# Salesforce's default Task statuses (Object Reference "Task"); orgs may change them.
DEFAULT_TASK_STATUSES: tuple[tuple[str, bool], ...] = (
    ("Not Started", False),
    ("In Progress", False),
    ("Completed", True),
    ("Waiting on someone else", False),
    ("Deferred", False),
)
SYSTEM_FIELDS = (
    "Id", "OwnerId", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate",
    "LastModifiedById", "SystemModstamp",
)  # fmt: skip
PHONE_FIELDS: dict[str, tuple[str, ...]] = {
    "Account": ("Phone", "Fax", "PersonMobilePhone"),
    "Contact": ("Phone", "MobilePhone", "HomePhone", "OtherPhone"),
    "Lead": ("Phone", "MobilePhone"),
}
REFERENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "Contact": {"AccountId": ("Account",)},
    "Opportunity": {"AccountId": ("Account",)},
    "Case": {"AccountId": ("Account",), "ContactId": ("Contact",)},
    "Task": {
        "WhoId": ("Contact", "Lead"),
        "WhatId": ("Account", "Opportunity", "Case"),
    },
}
# Relationship names usable in SOQL: child relationships and parent lookups.
CHILD_RELATIONSHIPS: dict[tuple[str, str], tuple[str, str]] = {
    ("Account", "Contacts"): ("Contact", "AccountId"),
    ("Account", "Opportunities"): ("Opportunity", "AccountId"),
    ("Account", "Cases"): ("Case", "AccountId"),
    ("Contact", "Cases"): ("Case", "ContactId"),
    ("Account", "Tasks"): ("Task", "WhatId"),
}
READ_ONLY_SYSTEM = ("TaskStatus",)
PARENT_RELATIONSHIPS: dict[tuple[str, str], str] = {
    ("Contact", "Account"): "AccountId",
    ("Opportunity", "Account"): "AccountId",
    ("Case", "Account"): "AccountId",
    ("Case", "Contact"): "ContactId",
}
LABELS = {"WhoId": "Name ID", "WhatId": "Related To ID", "AccountId": "Account ID"}


def sf_timestamp(when: dt.datetime) -> str:
    """Return Salesforce's datetime format, e.g. ``2018-06-21T20:15:05.000+0000``."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{when.microsecond // 1000:03d}+0000"
    )


def fields_of(sobject: str) -> tuple[str, ...]:
    """Return every field name of ``sobject`` in the default org (system fields first)."""
    return SYSTEM_FIELDS + SCHEMA[sobject]


def org_schema(call_center: bool, person_accounts: bool) -> dict[str, tuple[str, ...]]:
    """Return the objects' fields of an org with or without Call Center / Person Accounts."""
    schema = dict(SCHEMA)
    if not call_center:
        schema["Task"] = tuple(f for f in SCHEMA["Task"] if f not in CALL_CENTER_FIELDS)
    if person_accounts:
        for sobject, extra in PERSON_ACCOUNT_FIELDS.items():
            schema[sobject] = SCHEMA[sobject] + extra
    return schema


class Store:
    """Records by type and id. All methods are thread-safe; records returned are copies."""

    def __init__(
        self,
        owner_id: str,
        *,
        call_center: bool = True,
        person_accounts: bool = False,
        task_statuses: tuple[tuple[str, bool], ...] = DEFAULT_TASK_STATUSES,
    ) -> None:
        self.lock = threading.RLock()
        self.owner_id = owner_id
        self.schema = org_schema(call_center, person_accounts)
        self.person_accounts = person_accounts
        self._records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SCHEMA}
        self._deleted: dict[str, str] = {}
        self._counter = itertools.count(1)
        self._case_numbers = itertools.count(1001)
        self.clock: dt.datetime | None = None  # fixed "now" for deterministic tests
        for order, (status, closed) in enumerate(task_statuses, start=1):
            self.insert(
                "TaskStatus",
                {
                    "ApiName": status,
                    "MasterLabel": status,
                    "IsClosed": closed,
                    "IsDefault": order == 1,
                    "SortOrder": order,
                },
            )

    def fields_of(self, sobject: str) -> tuple[str, ...]:
        """Return every field of ``sobject`` in this org (system fields first)."""
        return SYSTEM_FIELDS + self.schema[sobject]

    def task_statuses(self) -> list[str]:
        """Return the org's Task Status values in picklist order."""
        rows = sorted(self.all("TaskStatus"), key=lambda r: r["SortOrder"])
        return [row["ApiName"] for row in rows]

    def now(self) -> str:
        """Return the current timestamp in Salesforce format."""
        return sf_timestamp(self.clock or dt.datetime.now(dt.UTC))

    def insert(self, sobject: str, values: dict[str, Any], record_id: str | None = None) -> str:
        """Insert a record (missing fields become null); return its 18-character id."""
        with self.lock:
            new_id = (
                ids.normalize(record_id) if record_id else ids.make_id(sobject, next(self._counter))
            )
            now = self.now()
            record: dict[str, Any] = dict.fromkeys(self.fields_of(sobject))
            record.update(
                Id=new_id, OwnerId=self.owner_id, IsDeleted=False, CreatedDate=now,
                CreatedById=self.owner_id, LastModifiedDate=now, LastModifiedById=self.owner_id,
                SystemModstamp=now,
            )  # fmt: skip
            if sobject == "Case" and not values.get("CaseNumber"):
                record["CaseNumber"] = f"{next(self._case_numbers):08d}"
            record.update(values)
            self._derive(sobject, record)
            self._records[sobject][new_id] = record
            return new_id

    def update(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:
        """Apply ``values`` to an existing record and bump its modification stamps."""
        with self.lock:
            record = self._records[sobject][ids.normalize(record_id)]
            record.update(values)
            record["LastModifiedDate"] = record["SystemModstamp"] = self.now()
            self._derive(sobject, record)

    def delete(self, record_id: str) -> None:
        """Move a record to the recycle bin (later reads get ENTITY_IS_DELETED)."""
        with self.lock:
            key = ids.normalize(record_id)
            for sobject, records in self._records.items():
                if key in records:
                    del records[key]
                    self._deleted[key] = sobject
                    return
            raise KeyError(record_id)

    def is_deleted(self, record_id: str) -> bool:
        """Return True when the id belonged to a deleted record."""
        with self.lock:
            return ids.normalize(record_id) in self._deleted

    def get(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """Return ``(type, copy of record)`` for an id, or None."""
        if not ids.is_well_formed(record_id):
            return None
        key = ids.normalize(record_id)
        with self.lock:
            for sobject, records in self._records.items():
                if key in records:
                    return sobject, copy.deepcopy(records[key])
        return None

    def all(self, sobject: str) -> list[dict[str, Any]]:
        """Return copies of every record of ``sobject`` in insertion order."""
        with self.lock:
            return copy.deepcopy(list(self._records[sobject].values()))

    @staticmethod
    def _derive(sobject: str, record: dict[str, Any]) -> None:
        # Formula-like fields Salesforce computes itself.
        if sobject in ("Contact", "Lead"):
            record["Name"] = " ".join(
                p for p in (record.get("FirstName"), record.get("LastName")) if p
            )
        if sobject == "Lead":
            record["IsConverted"] = bool(record.get("IsConverted"))  # a checkbox: never null
        if "IsPersonAccount" in record:
            record["IsPersonAccount"] = bool(record.get("IsPersonAccount"))
        if sobject == "Task":
            record["IsClosed"] = record.get("Status") == "Completed"
            record["IsHighPriority"] = record.get("Priority") == "High"
            record["IsArchived"] = bool(record.get("IsArchived"))
        if sobject == "Case":
            record["IsClosed"] = record.get("Status") == "Closed"
        if sobject == "Opportunity":
            stage = record.get("StageName") or ""
            record["IsClosed"] = stage.startswith("Closed")
            record["IsWon"] = stage == "Closed Won"
