"""Pipedrive records as Sidetalk sees them: persons, "Related to" options, activity types
and the activity payloads of a log."""

from __future__ import annotations

from typing import Any

from connectors.errors import CrmValidationError
from connectors.phones import same_number
from connectors.records import RELATED_TO, MatchedRecord, MessageLogWrite

SUBJECT_MAX = 255
# The public description holds Sidetalk's conversation-day key, so an activity written
# just before a crash is found again (Pipedrive activities have no external-id field).
KEY_PREFIX = "Logged by Sidetalk · "


def person_records(found: Any, phone_e164: str, domain: str) -> list[MatchedRecord]:
    """Return the persons of a phone item search whose stored number really is ``phone_e164``
    (the search matches digit substrings), their organization as a Related-to option."""
    items = ((found or {}).get("data") or {}).get("items") or []
    records = []
    for hit in items:
        person = hit.get("item") or {}
        phones = [p.get("value") if isinstance(p, dict) else p for p in person.get("phones") or []]
        matching = [p for p in phones if same_number(p, phone_e164)]
        if not matching:
            continue
        options: list[dict[str, str]] = []
        org = person.get("organization") or {}
        if org.get("id"):
            title = org.get("name") or f"#{org['id']}"
            options.append({"const": f"org:{org['id']}", "title": f"Organization: {title}"})
        records.append(
            MatchedRecord(
                id=str(person["id"]),
                name=str(person.get("name") or matching[0]),
                type="Person",
                phone=matching[0],
                additional_info={RELATED_TO: options},
                url=f"{domain}/person/{person['id']}",
            )
        )
    return records


def related_options(found: Any, person_id: str) -> list[dict[str, str]]:
    """Return the open deals, then the unarchived leads, of one person among an item
    search's ``related_items`` as Related-to options."""
    related = ((found or {}).get("data") or {}).get("related_items") or []
    deals: list[dict[str, str]] = []
    leads: list[dict[str, str]] = []
    for hit in related:
        item = hit.get("item") or {}
        if str((item.get("person") or {}).get("id")) != person_id or not item.get("id"):
            continue
        title = item.get("title") or item["id"]
        if item.get("type") == "deal" and item.get("status") == "open":
            deals.append({"const": f"deal:{item['id']}", "title": f"Deal: {title}"})
        elif item.get("type") == "lead" and not item.get("is_archived"):
            leads.append({"const": f"lead:{item['id']}", "title": f"Lead: {title}"})
    return deals + leads


def choose_activity_type(found: Any, configured: str) -> str:
    """Return the ``key_string`` logs use: the configured type, else the account's "SMS"
    type, else "call". Raises ``CrmValidationError`` when the configured type is missing
    or inactive, or the account has no active type at all."""
    active = [t for t in (found or {}).get("data") or [] if t.get("active_flag")]
    if configured:
        wanted = configured.lower()
        for kind in active:
            if wanted in (str(kind.get("key_string")).lower(), str(kind.get("name")).lower()):
                return str(kind["key_string"])
        raise CrmValidationError(
            f"Pipedrive has no active activity type “{configured}” (PIPEDRIVE_ACTIVITY_TYPE): "
            "add it in Pipedrive's Company settings › Activities, or change the setting.",
            ["activity_type"],
        )
    for kind in active:
        if "sms" in f"{kind.get('key_string')} {kind.get('name')}".lower():
            return str(kind["key_string"])
    for kind in active:
        if kind.get("key_string") == "call":
            return "call"
    if active:
        return str(active[0]["key_string"])
    raise CrmValidationError("Pipedrive has no active activity type to log SMS with.")


def _related_fields(log: MessageLogWrite) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    options = log.record.additional_info.get(RELATED_TO) or []
    org = next((o["const"] for o in options if o["const"].startswith("org:")), None)
    if org:
        fields["org_id"] = int(org.partition(":")[2])
    kind, _, value = (log.related_to_id or "").partition(":")
    if kind == "deal" and value:
        fields["deal_id"] = int(value)
    elif kind == "lead" and value:
        fields["lead_id"] = value
    elif kind == "org" and value:
        fields["org_id"] = int(value)
    return fields


def _filed_under(log: MessageLogWrite, note: str) -> dict[str, Any]:
    """Return the fields filing an activity under ``log.record`` with ``log``'s key."""
    person_id = int(log.record.id)
    return {
        "subject": " ".join(log.subject.split())[:SUBJECT_MAX],
        "note": note,
        "person_id": person_id,
        "participants": [{"person_id": person_id, "primary": True}],
        "public_description": KEY_PREFIX + log.log_key,
    }


def activity_for_create(
    log: MessageLogWrite, note: str, activity_type: str, owner_id: Any
) -> dict[str, Any]:
    """Return the ``POST /api/v2/activities`` body of a new conversation-day."""
    body: dict[str, Any] = {
        **_filed_under(log, note),
        "type": activity_type,
        "done": True,
        "due_date": log.activity_date.isoformat(),
        **_related_fields(log),
    }
    if owner_id:
        body["owner_id"] = int(owner_id)
    return body


def activity_for_update(log: MessageLogWrite, note: str) -> dict[str, Any]:
    """Return the ``PATCH /api/v2/activities/{id}`` body: only what may have changed."""
    body: dict[str, Any] = {"subject": " ".join(log.subject.split())[:SUBJECT_MAX], "note": note}
    body.update({k: v for k, v in _related_fields(log).items() if k != "org_id"})
    return body


def activity_for_move(log: MessageLogWrite, note: str) -> dict[str, Any]:
    """Return the ``PATCH /api/v2/activities/{id}`` body that re-files an activity under
    ``log.record`` with its new key: the person, participant, organization and deal or
    lead all follow (an earlier record's deal or lead is unlinked with null)."""
    unlinked = {"org_id": None, "deal_id": None, "lead_id": None}
    return {**_filed_under(log, note), **unlinked, **_related_fields(log)}
