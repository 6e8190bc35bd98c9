"""The manifest's message-log form, as the engine checks and fills it.

The manifest in use is the account's active version (admins may publish their own,
``widget.crm_logging.manifests``); the connector's bundled manifest otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import Connector
from connectors.records import RELATED_TO, MatchedRecord
from manifest import FormField, additional_fields, build_form, validate_submission
from widget.crm_logging.manifests import active_manifest as account_manifest
from widget.errors import Invalid, Rejected


def active_manifest(connector: Connector, account_id: int) -> dict[str, Any]:
    """Return the manifest in use for this account (bundled when none was published)."""
    return account_manifest(connector.id, account_id)


def message_log_form(manifest: Mapping[str, Any], connector_id: str, record: MatchedRecord):
    """Return the log form's fields for ``record`` (contact-dependent options resolved)."""
    try:
        fields = additional_fields(manifest, connector_id, "messageLog")
    except KeyError:
        return []
    return build_form(fields, record.additional_info)


def contact_types(manifest: Mapping[str, Any], connector_id: str) -> list[str]:
    """Return the record types a user may create (manifest ``contactTypes`` values)."""
    platform = (manifest.get("platforms") or {}).get(connector_id) or {}
    types = platform.get("contactTypes") or []
    return [str(t.get("value")) for t in types if isinstance(t, dict) and t.get("value")]


def default_submission(form: list[FormField]) -> dict[str, Any]:
    """Return the defaults auto-log submits: static fields only, never a guessed record."""
    values: dict[str, Any] = {}
    for field in form:
        if field.contact_dependent or field.type == "warning":
            continue
        if field.default not in ("", None):
            values[field.const] = field.default
    return values


def checked_submission(
    form: list[FormField],
    record: MatchedRecord,
    submitted: Mapping[str, Any] | None,
    related_to_id: str | None,
) -> tuple[dict[str, Any], str | None]:
    """Return ``(additional_submission, related_to_id)`` after checking both.

    Raises ``Invalid`` (field named) for a "Related to" id the record did not offer, and
    for a submission the manifest form refuses (missing required field, option not offered).
    """
    values = dict(submitted or {})
    related = related_to_id if related_to_id not in (None, "") else values.get(RELATED_TO)
    related = str(related) if related not in (None, "") else None
    if related is not None:
        offered = {str(o.get("const")) for o in record.additional_info.get(RELATED_TO) or []}
        if related not in offered:
            raise Invalid(
                "Choose “Related to” from the options offered for this record.",
                field=RELATED_TO,
            )
        values[RELATED_TO] = related
    clean, errors = validate_submission(form, values)
    if errors:
        const, message = next(iter(errors.items()))
        title = next((f.title for f in form if f.const == const), const)
        raise Rejected(f"{title}: {message}", field=const)
    return clean, related
