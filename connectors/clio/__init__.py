"""Clio Manage connector: contacts found per stored phone format, SMS logged as phone
communications, matters as "Related to".

HTTP calls per operation (no token refresh needed):

- ``find_contact``: 1 contact search per phone spelling until one matches (the number's
  digits first, which also finds "+1…" and "1…" spellings), plus 1 matters listing per
  matched contact.
- ``create_message_log``: 1 POST (the conversation-day key in an external property).
- ``update_message_log``: 1 PATCH with ``IF-MATCH`` when this process knows the ETag;
  otherwise, or after a 412, 1 GET of the ETag first.
- ``delete_message_log``: 1 DELETE (a move to another contact is a delete and a create:
  re-filing in place would need the old sender/receiver and external-property ids).
- ``find_message_log``: 1 communications listing filtered on the external property.

The region is chosen when connecting and kept with the credentials (its host is their
``instance_url``). A 401 adds one refresh and retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from connectors.bodies import fit_body
from connectors.clio import api
from connectors.clio.communications import (
    CONTACT_FIELDS,
    KEY_PROPERTY,
    MATTER_FIELDS,
    communication,
    contact_records,
    etags,
    matter_options,
)
from connectors.errors import CrmError, CrmValidationError
from connectors.oauth_app import OAuthAppConnector, post_revocation
from connectors.phones import stored_formats
from connectors.records import RELATED_TO, LogResult, MatchedRecord, MessageLogWrite
from connectors.session import CrmSession
from connectors.signin import ConnectOption

__all__ = ["ClioConnector"]

# Tries of an IF-MATCH update that keeps meeting 412 (each re-reads the ETag first).
PRECONDITION_TRIES = 3


class ClioConnector(OAuthAppConnector):
    """Clio Manage connector (OAuth on the chosen region; communications as logs)."""

    id = "clio"
    display_name = "Clio"
    setting_defaults = api.ENV_SETTINGS
    settings_type = api.ClioSettings

    def connect_options(self, config: Mapping[str, Any]) -> list[ConnectOption]:
        """Offer the regions this server has a Clio app for (all four when none is set)."""
        regions = [
            (code, label)
            for code, (label, _host) in api.REGIONS.items()
            if api.ClioSettings.from_config(config, code).client_id
        ] or [(code, label) for code, (label, _host) in api.REGIONS.items()]
        default = api.region_code(config.get("region"))
        if default not in {code for code, _ in regions}:
            default = regions[0][0]
        return [ConnectOption("region", "Clio region", tuple(regions), default)]

    def is_configured(self, config: Mapping[str, Any]) -> bool:
        """Return whether a Clio app is set for at least one region."""
        return any(api.ClioSettings.from_config(config, code).client_id for code in api.REGIONS)

    def connection_extra(self, session: CrmSession) -> dict[str, Any]:
        """Return the user id (the region is kept by the refresher)."""
        return {"user_id": self.get_user_info(session)["id"]}

    def revoke(self, session: CrmSession) -> None:
        """Deauthorize the token at the region's host (``token`` form field, bearer auth)."""
        host = (session.credentials.instance_url or "").rstrip("/")
        token = session.credentials.access_token
        if not host or not token:
            return
        post_revocation(
            f"{host}/oauth/deauthorize",
            {"token": token},
            api.session_settings(session).timeout,
            api.CRM_NAME,
            headers={"Authorization": f"Bearer {token}"},
        )

    # -- data -----------------------------------------------------------------------------

    def get_user_info(self, session: CrmSession) -> dict[str, Any]:
        """Return ``{id, name, email, region}`` of the user (``who_am_i``)."""
        found = api.client(session).get("users/who_am_i.json", {"fields": "id,name,email"})
        user = (found or {}).get("data") or {}
        return {
            "id": user.get("id"),
            "name": user.get("name"),
            "email": user.get("email"),
            "region": session.credentials.extra.get("region"),
        }

    def find_contact(self, session: CrmSession, phone_e164: str) -> list[MatchedRecord]:
        """Return contacts storing the number in any usual spelling, with their open and
        pending matters as "Related to" options."""
        try:
            spellings = stored_formats(phone_e164)
        except ValueError:
            return []
        client = api.client(session)
        host = (session.credentials.instance_url or "").rstrip("/")
        records: list[MatchedRecord] = []
        for spelling in spellings:
            params = {"query": spelling, "fields": CONTACT_FIELDS, "limit": 200}
            records = contact_records(client.get("contacts.json", params), phone_e164, host)
            if records:
                break
        for record in records:
            matters = client.get(
                "matters.json",
                {"client_id": record.id, "status": "open,pending", "fields": MATTER_FIELDS},
            )
            record.additional_info[RELATED_TO] += matter_options(matters)
        return records

    def create_contact(
        self,
        session: CrmSession,
        phone_e164: str,
        name: str,
        contact_type: str,
        additional_submission: Mapping[str, Any],
    ) -> MatchedRecord:
        """Create a Person (or Company) contact with the number; return it as a match."""
        kind = "Company" if contact_type == "Company" else "Person"
        words = " ".join(name.split())
        data: dict[str, Any] = {
            "type": kind,
            "phone_numbers": [{"name": "Mobile", "number": phone_e164}],
        }
        if kind == "Person":
            first, _, last = words.rpartition(" ")
            data.update({"first_name": first or last, "last_name": last})
        else:
            data["name"] = words
        created = api.client(session).post(f"contacts.json?fields={CONTACT_FIELDS}", {"data": data})
        found = contact_records(created and {"data": [created.get("data")]}, phone_e164, "")
        if not found:
            raise CrmError("Clio returned no contact")
        return found[0]

    def create_message_log(self, session: CrmSession, log: MessageLogWrite) -> LogResult:
        """Create the phone communication, its key in an external property."""
        body = self._body(session, log)
        user_id = session.credentials.extra.get("user_id")
        payload = communication(log, body, user_id, creating=True)
        created = api.client(session).post("communications.json?fields=id,etag", payload)
        data = (created or {}).get("data") or {}
        if not data.get("id"):
            raise CrmError("Clio returned no communication id")
        log_id = str(data["id"])
        etags.put(self._etag_key(session, log_id), data.get("etag"))
        return self._result(session, log_id)

    def update_message_log(
        self, session: CrmSession, log_id: str, log: MessageLogWrite
    ) -> LogResult:
        """PATCH subject, body and matter with ``IF-MATCH``; on 412 re-read and retry."""
        client = api.client(session)
        path = f"communications/{quote(log_id, safe='')}.json"
        payload = communication(log, self._body(session, log), None, creating=False)
        key = self._etag_key(session, log_id)
        for attempt in range(PRECONDITION_TRIES):
            tag = etags.get(key)
            if tag is None:
                current = client.get(path, {"fields": "id,etag"}) or {}
                tag = str((current.get("data") or {}).get("etag") or "")
            try:
                updated = client.patch(f"{path}?fields=id,etag", payload, {"IF-MATCH": tag})
            except CrmValidationError as error:
                etags.put(key, None)
                if error.error_code != api.PRECONDITION_FAILED or attempt == PRECONDITION_TRIES - 1:
                    raise
                continue
            etags.put(key, ((updated or {}).get("data") or {}).get("etag"))
            return self._result(session, log_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def delete_message_log(self, session: CrmSession, log_id: str) -> None:
        """Delete the communication; ``CrmNotFound`` if it is gone."""
        api.client(session).request("DELETE", f"communications/{quote(log_id, safe='')}.json")
        etags.put(self._etag_key(session, log_id), None)

    def find_message_log(self, session: CrmSession, log_key: str) -> str | None:
        """Return the communication whose external property holds ``log_key``, or None."""
        params = {
            "external_property_name": KEY_PROPERTY,
            "external_property_value": log_key,
            "fields": "id,etag",
            "order": "id(asc)",
            "limit": 1,
        }
        found = (api.client(session).get("communications.json", params) or {}).get("data") or []
        return str(found[0]["id"]) if found else None

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def _body(session: CrmSession, log: MessageLogWrite) -> str:
        limit = api.session_settings(session).body_max
        return fit_body(log.body, limit, "text/plain", api.CRM_NAME)

    @staticmethod
    def _etag_key(session: CrmSession, log_id: str) -> str:
        return f"{session.credentials.instance_url}|{log_id}"

    @staticmethod
    def _result(session: CrmSession, log_id: str) -> LogResult:
        host = (session.credentials.instance_url or "").rstrip("/")
        return LogResult(log_id, f"{host}/nc/#/communications/{log_id}")
