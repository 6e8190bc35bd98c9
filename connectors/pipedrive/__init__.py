"""Pipedrive connector: persons found by phone, SMS logged as activities with an HTML note.

HTTP calls per operation (no token refresh needed):

- ``find_contact``: 1 item search for persons by phone with ``search_for_related_items``
  (each found person's newest deals and leads come in the same answer, organizations
  with the person), so a lookup costs one call however many persons match.
- ``create_message_log``: 1 POST. ``update_message_log``, ``move_message_log``: 1 PATCH
  (an activity's person, deal and lead may all change, so a move re-files it in place).
- ``find_message_log``: 1 activities listing per page of the last week's activities.

The activity type is chosen when connecting (``exchange_code``) and kept with the
credentials. Requests wait out a spent burst window and report a spent daily budget as
retryable. A 401 adds one refresh and retry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from connectors.bodies import fit_body
from connectors.errors import CrmError
from connectors.oauth_app import OAuthAppConnector, post_revocation
from connectors.phones import national_number
from connectors.pipedrive import api
from connectors.pipedrive.records import (
    KEY_PREFIX,
    activity_for_create,
    activity_for_move,
    activity_for_update,
    choose_activity_type,
    person_records,
    related_options,
)
from connectors.records import RELATED_TO, LogResult, MatchedRecord, MessageLogWrite
from connectors.session import CrmSession

__all__ = ["PipedriveConnector"]

# How far back a lost activity is looked for (a crash is reconciled within minutes).
RECONCILE_DAYS = 7
RECONCILE_PAGES = 5


class PipedriveConnector(OAuthAppConnector):
    """Pipedrive connector (OAuth; activities of the account's SMS type as logs)."""

    id = "pipedrive"
    display_name = "Pipedrive"
    setting_defaults = api.ENV_SETTINGS
    settings_type = api.PipedriveSettings

    def connection_extra(self, session: CrmSession) -> dict[str, Any]:
        """Return what a connection keeps about the account: user id and the checked
        activity type (``CrmValidationError`` when no usable activity type exists)."""
        settings = api.PipedriveSettings.from_config(session.config)
        client = api.client(session)
        types = client.get("api/v1/activityTypes")
        me = (client.get("api/v1/users/me") or {}).get("data") or {}
        return {
            "activity_type": choose_activity_type(types, settings.activity_type),
            "user_id": me.get("id"),
        }

    def revoke(self, session: CrmSession) -> None:
        """Revoke the refresh token at Pipedrive's OAuth host (HTTP Basic client auth)."""
        settings = api.PipedriveSettings.from_config(session.config)
        token = session.credentials.refresh_token
        if not token or not settings.client_secret:
            return
        post_revocation(
            f"{settings.oauth_url}/oauth/revoke",
            {"token": token, "token_type_hint": "refresh_token"},
            settings.timeout,
            api.CRM_NAME,
            auth=(settings.client_id, settings.client_secret),
        )

    # -- data -----------------------------------------------------------------------------

    def get_user_info(self, session: CrmSession) -> dict[str, Any]:
        """Return ``{id, name, email, timezone, company_domain}`` of the user."""
        me = (api.client(session).get("api/v1/users/me") or {}).get("data") or {}
        return {
            "id": me.get("id"),
            "name": me.get("name"),
            "email": me.get("email"),
            "timezone": me.get("timezone_name"),
            "company_domain": me.get("company_domain"),
        }

    def find_contact(self, session: CrmSession, phone_e164: str) -> list[MatchedRecord]:
        """Return persons with the number, their organization, open deals and leads as
        "Related to" options."""
        try:
            national = national_number(phone_e164)
        except ValueError:
            return []  # an extension or short code: Pipedrive stores no such number
        found = api.client(session).get(
            "api/v2/itemSearch",
            {
                "term": national,
                "item_types": "person",
                "fields": "phone",
                "search_for_related_items": "true",
                "limit": 100,
            },
        )
        records = person_records(found, phone_e164, api.api_domain(session.credentials))
        for record in records:
            record.additional_info[RELATED_TO] += related_options(found, record.id)
        return records

    def create_contact(
        self,
        session: CrmSession,
        phone_e164: str,
        name: str,
        contact_type: str,
        additional_submission: Mapping[str, Any],
    ) -> MatchedRecord:
        """Create a person with the number as its primary phone; return it as a match."""
        body = {
            "name": " ".join(name.split()),
            "phones": [{"value": phone_e164, "primary": True, "label": "mobile"}],
        }
        created = (api.client(session).post("api/v2/persons", body) or {}).get("data") or {}
        if not created.get("id"):
            raise CrmError("Pipedrive returned no person id")
        domain = api.api_domain(session.credentials)
        return MatchedRecord(
            id=str(created["id"]),
            name=str(created.get("name") or body["name"]),
            type="Person",
            phone=phone_e164,
            additional_info={RELATED_TO: []},
            url=f"{domain}/person/{created['id']}",
        )

    def create_message_log(self, session: CrmSession, log: MessageLogWrite) -> LogResult:
        """Create a done activity of the connection's type with the HTML note."""
        extra = session.credentials.extra
        activity_type = extra.get("activity_type")
        if not activity_type:
            # Connected before the type was checked: check it now and keep it.
            extra.update(self.connection_extra(session))
            session.on_credentials_changed(session.credentials)
            activity_type = extra["activity_type"]
        body = activity_for_create(
            log, self._note(session, log), str(activity_type), extra.get("user_id")
        )
        created = (api.client(session).post("api/v2/activities", body) or {}).get("data") or {}
        if not created.get("id"):
            raise CrmError("Pipedrive returned no activity id")
        return self._result(session, str(created["id"]))

    def update_message_log(
        self, session: CrmSession, log_id: str, log: MessageLogWrite
    ) -> LogResult:
        """PATCH the note and subject (and a newly chosen deal or lead)."""
        body = activity_for_update(log, self._note(session, log))
        api.client(session).patch(f"api/v2/activities/{quote(log_id, safe='')}", body)
        return self._result(session, log_id)

    def move_message_log(self, session: CrmSession, log_id: str, log: MessageLogWrite) -> LogResult:
        """PATCH the activity onto ``log.record`` (person, participant, organization, deal
        or lead) under its new key; a retry changes nothing more. ``CrmNotFound`` if gone."""
        body = activity_for_move(log, self._note(session, log))
        api.client(session).patch(f"api/v2/activities/{quote(log_id, safe='')}", body)
        return self._result(session, log_id)

    def find_message_log(self, session: CrmSession, log_key: str) -> str | None:
        """Return the activity created for ``log_key`` in the last week, or None."""
        client = api.client(session)
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=RECONCILE_DAYS)
        params: dict[str, Any] = {
            "updated_since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "limit": 500,
        }
        owner = session.credentials.extra.get("user_id")
        if owner:
            params["owner_id"] = owner
        wanted = KEY_PREFIX + log_key
        for _ in range(RECONCILE_PAGES):
            page = client.get("api/v2/activities", params) or {}
            for activity in page.get("data") or []:
                if activity.get("public_description") == wanted:
                    return str(activity["id"])
            cursor = (page.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return None
            params["cursor"] = cursor
        return None

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def _note(session: CrmSession, log: MessageLogWrite) -> str:
        limit = api.PipedriveSettings.from_config(session.config).body_max
        return fit_body(log.body, limit, "text/html", api.CRM_NAME)

    @staticmethod
    def _result(session: CrmSession, activity_id: str) -> LogResult:
        domain = api.api_domain(session.credentials)
        return LogResult(activity_id, f"{domain}/activities/list?activity={activity_id}")
