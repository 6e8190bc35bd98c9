"""HubSpot connector: contacts found by phone, SMS logged as Communications objects.

HTTP calls per operation (no token refresh needed):

- ``find_contact``: 1 contact search, plus 1 deal search per matched contact (companies
  come with the contact: its primary company id and name are contact properties).
- ``create_message_log``: 1 POST with its associations (contact 81, company 87, deal 85),
  owned by the signed-in user (``hubspot_owner_id``, resolved once at connect time
  through the owners API and kept with the credentials; a connection made before that
  resolves it on its first log: +1 owners call, once).
- ``update_message_log``: 1 PATCH (+1 PUT when a "Related to" record is given).
- ``delete_message_log``: 1 DELETE (a move to another contact is a delete and a create:
  re-associating would need a read of the old associations and two more calls).
- ``find_message_log``: 1 communication search on the ``sidetalk_log_key`` property.

Searches wait so an account makes at most 5 a second. A 401 adds one refresh and retry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from connectors.bodies import fit_body
from connectors.errors import CrmError, CrmValidationError
from connectors.hubspot import api
from connectors.hubspot.records import (
    CONTACT_PROPERTIES,
    KEY_PROPERTY,
    association,
    contact_record,
    deal_options,
    key_property_definition,
    split_related,
)
from connectors.oauth_app import OAuthAppConnector
from connectors.phones import national_number
from connectors.records import RELATED_TO, LogResult, MatchedRecord, MessageLogWrite
from connectors.session import CrmSession

__all__ = ["HubSpotConnector"]

CONTACT_ASSOCIATION = 81
# Where a connection keeps the signed-in user's owner id ("" when the user is no owner).
OWNER_ID = "owner_id"


class HubSpotConnector(OAuthAppConnector):
    """HubSpot CRM connector (OAuth; Communications with channel type SMS as logs)."""

    id = "hubspot"
    display_name = "HubSpot"
    setting_defaults = api.ENV_SETTINGS
    settings_type = api.HubSpotSettings

    def connection_extra(self, session: CrmSession) -> dict[str, Any]:
        """Return the portal id (``hub_id``), the user and the user's owner id; create the
        communication property holding Sidetalk's log key."""
        info = self.get_user_info(session)
        client = api.client(session)
        self._ensure_key_property(session, client)
        owner = api.owner_of_user(client, info.get("id")) or ""
        return {"hub_id": info.get("hub_id"), "user_id": info.get("id"), OWNER_ID: owner}

    def revoke(self, session: CrmSession) -> None:
        """Delete the refresh token at HubSpot (the app stays installed)."""
        token = session.credentials.refresh_token
        if token:
            api.client(session).request("DELETE", f"oauth/v1/refresh-tokens/{quote(token)}")

    # -- data -----------------------------------------------------------------------------

    def get_user_info(self, session: CrmSession) -> dict[str, Any]:
        """Return ``{id, name, email, hub_id, hub_domain}`` from the token's metadata."""
        token = quote(session.credentials.access_token, safe="")
        data = api.client(session).get(f"oauth/v1/access-tokens/{token}") or {}
        return {
            "id": data.get("user_id"),
            "name": data.get("user"),
            "email": data.get("user"),
            "hub_id": data.get("hub_id"),
            "hub_domain": data.get("hub_domain"),
        }

    def find_contact(self, session: CrmSession, phone_e164: str) -> list[MatchedRecord]:
        """Return contacts whose phone or mobile phone is the number, with their company
        and deals as "Related to" options."""
        try:
            national = national_number(phone_e164)
        except ValueError:
            return []
        client = api.client(session)
        groups = [
            {"filters": [{"propertyName": name, "operator": "EQ", "value": national}]}
            for name in (
                "hs_searchable_calculated_phone_number",
                "hs_searchable_calculated_mobile_number",
            )
        ]
        body = {"filterGroups": groups, "properties": list(CONTACT_PROPERTIES), "limit": 100}
        found = api.search(session, client, "contacts", body) or {}
        hub = session.credentials.extra.get("hub_id")
        records = [contact_record(item, hub) for item in found.get("results") or []]
        for record in records:
            deals = api.search(
                session,
                client,
                "deals",
                {
                    "filterGroups": [
                        {
                            "filters": [
                                {
                                    "propertyName": "associations.contact",
                                    "operator": "EQ",
                                    "value": record.id,
                                }
                            ]
                        }
                    ],
                    "properties": ["dealname", "dealstage"],
                    "limit": 100,
                },
            )
            record.additional_info[RELATED_TO] += deal_options(deals)
        return records

    def create_contact(
        self,
        session: CrmSession,
        phone_e164: str,
        name: str,
        contact_type: str,
        additional_submission: Mapping[str, Any],
    ) -> MatchedRecord:
        """Create a contact with the number as its phone; return it as a match."""
        first, _, last = " ".join(name.split()).rpartition(" ")
        properties = {"firstname": first, "lastname": last or first, "phone": phone_e164}
        created = api.client(session).post("crm/v3/objects/contacts", {"properties": properties})
        if not isinstance(created, dict) or not created.get("id"):
            raise CrmError("HubSpot returned no contact id")
        return contact_record(created, session.credentials.extra.get("hub_id"))

    def create_message_log(self, session: CrmSession, log: MessageLogWrite) -> LogResult:
        """Create the SMS communication, associated with the contact and Related to."""
        client = api.client(session)
        associations = [association(log.record.id, CONTACT_ASSOCIATION)]
        related = split_related(log.related_to_id)
        if related is not None:
            associations.append(association(related[1], related[2]))
        properties = self._properties(session, log)
        properties[KEY_PROPERTY] = log.log_key
        owner = self._owner_id(session, client)
        if owner:
            properties["hubspot_owner_id"] = owner  # shown as the communication's creator
        body = {"properties": properties, "associations": associations}
        try:
            created = client.post("crm/v3/objects/communications", body)
        except CrmValidationError as error:
            if KEY_PROPERTY not in error.fields or not self._ensure_key_property(session, client):
                raise
            created = client.post("crm/v3/objects/communications", body)
        if not isinstance(created, dict) or not created.get("id"):
            raise CrmError("HubSpot returned no communication id")
        return LogResult(str(created["id"]))

    def update_message_log(
        self, session: CrmSession, log_id: str, log: MessageLogWrite
    ) -> LogResult:
        """PATCH the body (only changed properties); associate a newly chosen Related to."""
        client = api.client(session)
        path = f"crm/v3/objects/communications/{quote(log_id, safe='')}"
        client.patch(path, {"properties": self._properties(session, log)})
        related = split_related(log.related_to_id)
        if related is not None:
            object_type, object_id, type_id = related
            client.put(f"{path}/associations/{object_type}/{quote(object_id, safe='')}/{type_id}")
        return LogResult(log_id)

    def delete_message_log(self, session: CrmSession, log_id: str) -> None:
        """Archive the communication (HubSpot's recycle bin); ``CrmNotFound`` if gone."""
        api.client(session).request(
            "DELETE", f"crm/v3/objects/communications/{quote(log_id, safe='')}"
        )

    def find_message_log(self, session: CrmSession, log_key: str) -> str | None:
        """Return the communication created for ``log_key`` (oldest first), or None."""
        client = api.client(session)
        body = {
            "filterGroups": [
                {"filters": [{"propertyName": KEY_PROPERTY, "operator": "EQ", "value": log_key}]}
            ],
            "sorts": [{"propertyName": "hs_createdate", "direction": "ASCENDING"}],
            "properties": [KEY_PROPERTY],
            "limit": 1,
        }
        try:
            found = api.search(session, client, "communications", body) or {}
        except CrmValidationError:
            return None  # the key property was never created: nothing was logged with it
        results = found.get("results") or []
        return str(results[0]["id"]) if results else None

    # -- helpers --------------------------------------------------------------------------

    def _owner_id(self, session: CrmSession, client: api.ApiClient) -> str | None:
        """Return the signed-in user's owner id, kept with the credentials once resolved."""
        extra = session.credentials.extra
        if OWNER_ID not in extra:  # connected before owners were resolved at sign-in
            user_id = extra.get("user_id") or self.get_user_info(session).get("id")
            extra.update({"user_id": user_id, OWNER_ID: api.owner_of_user(client, user_id) or ""})
            session.on_credentials_changed(session.credentials)
        return extra[OWNER_ID] or None

    @staticmethod
    def _properties(session: CrmSession, log: MessageLogWrite) -> dict[str, Any]:
        settings = api.HubSpotSettings.from_config(session.config)
        body = fit_body(log.body, settings.body_max, "text/html", api.CRM_NAME)
        when = dt.datetime.combine(log.activity_date, dt.time(12), tzinfo=dt.UTC)
        return {
            "hs_communication_channel_type": "SMS",
            "hs_communication_logged_from": "CRM",
            "hs_communication_body": body,
            "hs_timestamp": when.isoformat().replace("+00:00", "Z"),
        }

    @staticmethod
    def _ensure_key_property(session: CrmSession, client: api.ApiClient) -> bool:
        """Create the communication property holding Sidetalk's log key when missing;
        return whether it exists now (False when the app may not create properties)."""
        path = f"crm/v3/properties/communications/{KEY_PROPERTY}"
        try:
            client.get(path)
            return True
        except CrmError:
            pass
        try:
            client.post("crm/v3/properties/communications", key_property_definition())
        except CrmValidationError:
            return False
        return True
