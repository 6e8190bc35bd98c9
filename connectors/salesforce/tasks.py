"""Task payloads for message logs: field limits, truncation, and the reconcile key.

Field facts (Object Reference "Task"): Subject 255 chars, Description 32,000 chars
(shown as "Comments", not filterable), ActivityDate a YYYY-MM-DD date, TaskSubtype
create-only, CallObject 255 chars and filterable: we store Sidetalk's log key there so a
Task created just before a crash can be found again with one query.

``CallObject`` is a Call Center field that not every org has (``org.OrgShape``). Without
it the key goes in the Description's last line instead, and the Task is found again by
a query on what is filterable (its date and record), the key checked in the Description.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from connectors.records import MessageLogWrite
from connectors.salesforce.org import OrgShape
from connectors.salesforce.soql import soql_literal

SUBJECT_MAX = 255
DESCRIPTION_MAX = 32_000
CALL_OBJECT_MAX = 255
CALL_OBJECT_PREFIX = "sidetalk:"
WHO_TYPES = frozenset({"Contact", "Lead"})
WHO_PREFIXES = ("003", "00Q")  # Contact and Lead key prefixes: a WhoId, not a WhatId
KEY_LINE_PREFIX = "Sidetalk log key: "
# Sidetalk's log keys read "<conversation>/<YYYY-MM-DD>/<record id>".
_LOG_KEY = re.compile(r"^[^/]+/(?P<day>\d{4}-\d{2}-\d{2})/(?P<record>[A-Za-z0-9]{15,18})$")
FALLBACK_SCAN_LIMIT = 200


def utf16_len(text: str) -> int:
    """Return the length Salesforce counts (UTF-16 code units: an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> str:
    """Return the longest prefix of ``text`` within ``limit`` UTF-16 units."""
    if utf16_len(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit:
            break
        out.append(ch)
        used += size
    return "".join(out)


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Return ``text`` cut to ``limit`` UTF-16 units, ending with ``ellipsis`` when cut."""
    if utf16_len(text) <= limit:
        return text
    return _cut(text, limit - utf16_len(ellipsis)) + ellipsis


def _header_end(lines: list[str], budget: int) -> int:
    """Return how many leading lines form the digest header (through the first blank line)."""
    for index, line in enumerate(lines[:40]):
        if not line.strip():
            header = lines[: index + 1]
            if utf16_len("".join(header)) <= budget:
                return index + 1
            break
    return 1 if lines and utf16_len(lines[0]) <= budget else 0


def truncate_description(body: str, limit: int = DESCRIPTION_MAX) -> str:
    """Return ``body`` fitted to ``limit``: header kept, oldest messages dropped, with a marker.

    Digests list messages oldest first, so the newest lines are kept from the end.
    """
    if utf16_len(body) <= limit:
        return body
    lines = body.splitlines(keepends=True)
    header_count = _header_end(lines, limit // 4)
    header = "".join(lines[:header_count])
    if header and not header.endswith("\n"):
        header += "\n"
    rest = lines[header_count:]

    def marker(omitted: int) -> str:
        what = f"{omitted} earlier line(s) omitted" if omitted else "shortened"
        return f"[… {what}: Salesforce keeps at most {limit} characters …]\n"

    # Size the marker for the worst case so the final text can only be shorter.
    budget = limit - utf16_len(header) - utf16_len(marker(len(rest)))
    kept: list[str] = []
    used = 0
    for line in reversed(rest):
        size = utf16_len(line)
        if used + size > budget:
            if not kept:  # a single enormous line: keep its beginning
                kept.append(truncate(line, budget))
            break
        kept.append(line)
        used += size
    kept.reverse()
    return header + marker(len(rest) - len(kept)) + "".join(kept)


def call_object_for(log_key: str) -> str:
    """Return the CallObject value for a log key (hashed when it would exceed 255 chars)."""
    value = CALL_OBJECT_PREFIX + log_key
    if utf16_len(value) <= CALL_OBJECT_MAX:
        return value
    return f"{CALL_OBJECT_PREFIX}sha256:{hashlib.sha256(log_key.encode()).hexdigest()}"


def reconcile_soql(log_key: str) -> str:
    """Return the SOQL finding the oldest Task created for ``log_key`` (via CallObject)."""
    # The key is quoted by soql_literal, so no injection through log keys.
    literal = soql_literal(call_object_for(log_key))
    return (
        f"SELECT Id FROM Task WHERE CallObject = {literal} "  # noqa: S608
        "ORDER BY CreatedDate ASC LIMIT 1"
    )


def key_line(log_key: str) -> str:
    """Return the Description's last line carrying the log key (orgs without CallObject)."""
    return f"\n\n{KEY_LINE_PREFIX}{call_object_for(log_key)[len(CALL_OBJECT_PREFIX) :]}"


def fallback_reconcile_soql(log_key: str) -> str | None:
    """Return the SOQL listing the Tasks that may carry ``log_key`` in their Description:
    same due date, same record. None when the key is not Sidetalk's shape."""
    parsed = _LOG_KEY.match(log_key)
    if parsed is None:
        return None
    record = parsed.group("record")
    field = "WhoId" if record.startswith(WHO_PREFIXES) else "WhatId"
    return (
        "SELECT Id, Description FROM Task "  # noqa: S608 - every value is a literal below
        f"WHERE ActivityDate = {parsed.group('day')} AND {field} = {soql_literal(record)} "
        f"ORDER BY CreatedDate ASC LIMIT {FALLBACK_SCAN_LIMIT}"
    )


def carries_key(description: object, log_key: str) -> bool:
    """Return True when a Task's Description ends with the line of ``log_key``."""
    return isinstance(description, str) and description.rstrip().endswith(key_line(log_key).strip())


def description_for(log: MessageLogWrite, org: OrgShape) -> str:
    """Return the Description: the body fitted to 32,000, plus the key line when needed."""
    if org.call_object:
        return truncate_description(log.body)
    line = key_line(log.log_key)
    return truncate_description(log.body, DESCRIPTION_MAX - utf16_len(line)) + line


def subject_for(log: MessageLogWrite) -> str:
    """Return the Subject: the user's ``subjectOverride`` when given, cut to 255 chars."""
    override = str(log.additional_submission.get("subjectOverride") or "").strip()
    # A subject is one line in every Salesforce list view: fold newlines and runs of spaces.
    return truncate(" ".join((override or log.subject).split()), SUBJECT_MAX)


def who_and_what(log: MessageLogWrite) -> tuple[str | None, str | None]:
    """Return ``(WhoId, WhatId)`` for the chosen record and "Related to" selection."""
    record = log.record
    what = log.related_to_id or None
    if record.type == "Lead":
        # Salesforce: "If the WhoId refers to a lead, then the WhatId field must be empty."
        return record.id, None
    if record.type in WHO_TYPES:
        return record.id, what
    # Accounts (and other "what" objects) are logged against WhatId with no WhoId.
    return None, what or record.id


def _priority(log: MessageLogWrite) -> str | None:
    value = log.additional_submission.get("priority")
    return str(value) if value else None


def task_for_create(log: MessageLogWrite, org: OrgShape | None = None) -> dict[str, Any]:
    """Return the JSON body of ``POST /sobjects/Task/`` for this org."""
    org = org or OrgShape()
    who, what = who_and_what(log)
    body: dict[str, Any] = {
        "Subject": subject_for(log),
        "Description": description_for(log, org),
        "ActivityDate": log.activity_date.isoformat(),
        "Status": org.closed_status,
        "Priority": _priority(log) or "Normal",
        "TaskSubtype": "Task",
    }
    if org.call_object:
        body["CallObject"] = call_object_for(log.log_key)
    if who:
        body["WhoId"] = who
    if what:
        body["WhatId"] = what
    return body


def task_for_update(log: MessageLogWrite, org: OrgShape | None = None) -> dict[str, Any]:
    """Return the JSON body of ``PATCH /sobjects/Task/{id}`` (never TaskSubtype: create-only).

    Priority is sent only when the user chose one, and WhatId only when there is one, so
    edits made in Salesforce survive (an empty "Related to" does not clear WhatId).
    """
    _, what = who_and_what(log)
    body: dict[str, Any] = {
        "Subject": subject_for(log),
        "Description": description_for(log, org or OrgShape()),
    }
    if what:
        body["WhatId"] = what
    priority = _priority(log)
    if priority:
        body["Priority"] = priority
    return body


def task_for_move(log: MessageLogWrite, org: OrgShape | None = None) -> dict[str, Any]:
    """Return the PATCH body moving a Task to ``log.record``: WhoId and WhatId both set
    (null clears the old ones: a Lead takes no WhatId) and the log key changed."""
    org = org or OrgShape()
    who, what = who_and_what(log)
    body = task_for_update(log, org)
    body.update(WhoId=who, WhatId=what)
    if org.call_object:
        body["CallObject"] = call_object_for(log.log_key)
    return body
