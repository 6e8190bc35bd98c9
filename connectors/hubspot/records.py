"""HubSpot records as Sidetalk sees them: matched contacts, "Related to" options, and the
association and property payloads of a communication."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.records import RELATED_TO, MatchedRecord

# Contact properties read by the phone search: names, numbers, the primary company (id and
# name come with the contact, so companies cost no extra call) and dates for the
# "most recently updated" / "earliest created" policies.
CONTACT_PROPERTIES = (
    "firstname",
    "lastname",
    "phone",
    "mobilephone",
    "associatedcompanyid",
    "company",
    "createdate",
    "lastmodifieddate",
)
# The communication property keeping Sidetalk's conversation-day key, so a log written
# just before a crash is found again by one search.
KEY_PROPERTY = "sidetalk_log_key"
# HubSpot-defined association type ids from a communication.
ASSOCIATION_TYPES = {"company": ("companies", 87), "deal": ("deals", 85)}


def _when(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def contact_record(item: dict[str, Any], hub_id: Any) -> MatchedRecord:
    """Return a search or create result as a match, its company as a Related-to option."""
    props = item.get("properties") or {}
    name = " ".join(filter(None, [props.get("firstname"), props.get("lastname")])).strip()
    options: list[dict[str, str]] = []
    company_id = props.get("associatedcompanyid")
    if company_id:
        title = props.get("company") or f"#{company_id}"
        options.append({"const": f"company:{company_id}", "title": f"Company: {title}"})
    record_id = str(item["id"])
    return MatchedRecord(
        id=record_id,
        name=name or props.get("phone") or f"Contact {record_id}",
        type="Contact",
        phone=props.get("phone") or props.get("mobilephone"),
        additional_info={RELATED_TO: options},
        updated_at=_when(props.get("lastmodifieddate") or item.get("updatedAt")),
        created_at=_when(props.get("createdate") or item.get("createdAt")),
        url=f"https://app.hubspot.com/contacts/{hub_id}/record/0-1/{record_id}" if hub_id else None,
    )


def deal_options(found: Any) -> list[dict[str, str]]:
    """Return the deals of a deal search as Related-to options."""
    results = found.get("results") if isinstance(found, dict) else None
    options = []
    for deal in results or []:
        name = (deal.get("properties") or {}).get("dealname") or f"#{deal['id']}"
        options.append({"const": f"deal:{deal['id']}", "title": f"Deal: {name}"})
    return options


def split_related(related_to_id: str | None) -> tuple[str, str, int] | None:
    """Return (object type path, id, association type id) of a Related-to value."""
    if not related_to_id:
        return None
    kind, _, object_id = related_to_id.partition(":")
    if kind not in ASSOCIATION_TYPES or not object_id:
        return None
    object_type, type_id = ASSOCIATION_TYPES[kind]
    return object_type, object_id, type_id


def association(object_id: str, type_id: int) -> dict[str, Any]:
    """Return one entry of a create request's ``associations``."""
    return {
        "to": {"id": object_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def key_property_definition() -> dict[str, Any]:
    """Return the property-create body of the log-key property."""
    return {
        "name": KEY_PROPERTY,
        "label": "Sidetalk log key",
        "description": "Set by Sidetalk: the conversation-day this communication logs.",
        "groupName": "communication_information",
        "type": "string",
        "fieldType": "text",
    }
