"""Salesforce connector: SOSL phone lookup, Task logs with "Related to", OAuth 2 + PKCE.

HTTP calls per operation (no token refresh needed):

- ``search_contacts``: 1 SOSL search (none for a text without a searchable word).
- ``find_contact``: 1 SOSL search, plus 1 SOQL query for "Related to" options when a
  Contact or Account matched (none for Lead-only or empty results). When the search
  finds nothing or is refused, 1 SOQL phone query per object (Contact, Lead, Account)
  follows, so a number nobody has costs 4 calls (once per cache period).
- ``create_message_log``: 1 POST. ``update_message_log``, ``move_message_log``: 1 PATCH.
- ``find_message_log``: 1 SOQL query on ``Task.CallObject`` (or, in orgs without it, on
  the Task's date and record, the key read from its Description).
- ``get_user_info`` (at connect time): the identity URL plus 2 describe calls (``org``),
  and 1 TaskStatus query in an org whose closed status is not "Completed".

A 401 adds one token refresh and one retry of the failed call.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from connectors.base import AuthType, Connector
from connectors.errors import CrmError, CrmValidationError
from connectors.records import RELATED_TO, LogFormat, LogResult, MatchedRecord, MessageLogWrite
from connectors.salesforce import oauth
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.contacts import contact_fields
from connectors.salesforce.org import OrgShape, describe_org, org_shape, remember
from connectors.salesforce.related import (
    AccountRelated,
    account_ids,
    build_related_soql,
    options_for,
    parse_related,
)
from connectors.salesforce.responses import ApiUsage
from connectors.salesforce.search import (
    RETURNING,
    SearchHit,
    build_name_sosl,
    build_phone_soql,
    build_phone_sosl,
    record_page_url,
    same_number_records,
    to_hits,
)
from connectors.salesforce.settings import ENV_SETTINGS, SalesforceSettings
from connectors.salesforce.tasks import (
    carries_key,
    fallback_reconcile_soql,
    reconcile_soql,
    task_for_create,
    task_for_move,
    task_for_update,
)
from connectors.session import CrmCredentials, CrmSession, OAuthInfo

__all__ = ["SalesforceConnector"]


class SalesforceConnector(Connector):
    """Salesforce REST API connector (Contacts, Leads and Accounts; Tasks as logs)."""

    id = "salesforce"
    display_name = "Salesforce"
    setting_defaults = ENV_SETTINGS

    def __init__(self, http: requests.Session | None = None) -> None:
        # None means the process-wide pooled session (see connectors.http.pooled_http).
        self._http = http
        self._usage_lock = threading.Lock()
        self._usage: dict[str, ApiUsage] = {}

    # -- plumbing -----------------------------------------------------------------------------

    def client(self, session: CrmSession) -> SalesforceClient:
        """Return an HTTP client for ``session`` that reports API usage back here."""
        return SalesforceClient(session, self._http, on_usage=self._record_usage)

    def _record_usage(self, instance_url: str, usage: ApiUsage) -> None:
        with self._usage_lock:
            self._usage[instance_url] = usage

    def api_usage(self, instance_url: str) -> ApiUsage | None:
        """Return the last ``Sforce-Limit-Info`` api-usage seen for an org, if any."""
        with self._usage_lock:
            return self._usage.get(instance_url.rstrip("/"))

    # -- capabilities and auth ----------------------------------------------------------------

    def get_auth_type(self) -> AuthType:
        """Return ``"oauth"``."""
        return "oauth"

    def get_log_format_type(self) -> LogFormat:
        """Return ``"text/plain"``: Task Description is a plain textarea."""
        return "text/plain"

    def get_oauth_info(self, config: Mapping[str, Any]) -> OAuthInfo:
        """Return the web-server flow endpoints on ``config['login_url']`` (PKCE on)."""
        return oauth.oauth_info(SalesforceSettings.from_config(config))

    def exchange_code(
        self,
        config: Mapping[str, Any],
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
    ) -> CrmCredentials:
        """Return credentials (with ``instance_url`` from the token response) for a code."""
        return oauth.exchange_code(
            SalesforceSettings.from_config(config), code, redirect_uri, code_verifier
        )

    def revoke(self, session: CrmSession) -> None:
        """Revoke the refresh token at Salesforce (ends its access tokens too)."""
        oauth.revoke(SalesforceSettings.from_config(session.config), session.credentials)

    # -- data -----------------------------------------------------------------------------------

    def get_user_info(self, session: CrmSession) -> dict[str, Any]:
        """Return ``{id, name, email, organization_id, username, locale}`` of the user.

        Uses the identity URL from the token response (the OpenID ``userinfo`` endpoint
        when it is unknown). Call it at connect time, not on every log: it also learns
        the org's shape (``org``) into the session's credentials, which the app stores.
        """
        client = self.client(session)
        remember(session, describe_org(client), persist=False)
        identity_url = session.credentials.extra.get("id")
        if identity_url:
            data = client.get_absolute(str(identity_url)) or {}
            return {
                "id": data.get("user_id"),
                "name": data.get("display_name"),
                "email": data.get("email"),
                "organization_id": data.get("organization_id"),
                "username": data.get("username"),
                "locale": data.get("locale"),
            }
        data = client.get_absolute(f"{client.instance_url}/services/oauth2/userinfo") or {}
        return {
            "id": data.get("user_id"),
            "name": data.get("name"),
            "email": data.get("email"),
            "organization_id": data.get("organization_id"),
            "username": data.get("preferred_username"),
            "locale": data.get("locale"),
            "timezone": data.get("zoneinfo"),
        }

    def find_contact(self, session: CrmSession, phone_e164: str) -> list[MatchedRecord]:
        """Return Contacts, Leads and Accounts whose phone fields match, with "Related to".

        ``additional_info[RELATED_TO]`` lists the Account, its open Opportunities and the
        contact's open Cases as ``{"const": Id, "title": "Opportunity: Name"}``.
        """
        client = self.client(session)
        hits = self._phone_hits(client, self._returning(org_shape(session, client)), phone_e164)
        ids = account_ids(hits)
        related: dict[str, AccountRelated] = {}
        if ids:
            related = parse_related({"records": client.query_all(build_related_soql(ids))})
        for hit in hits:
            hit.record.additional_info[RELATED_TO] = options_for(hit, related)
        return [hit.record for hit in hits]

    @staticmethod
    def _phone_hits(
        client: SalesforceClient, returning: dict[str, tuple[str, ...]], phone_e164: str
    ) -> list[SearchHit]:
        """Return the records with the number: SOSL first, the SOQL phone queries when it
        finds nothing or is refused (see ``search``)."""
        statement = build_phone_sosl(phone_e164, returning)
        try:
            payload = client.get(client.with_query("search/", statement))
        except CrmValidationError:
            payload = None  # search unavailable for this statement: the queries still work
        hits = to_hits(payload, client.instance_url, phone_e164)
        if hits:
            return hits
        rows: list[dict[str, Any]] = []
        for query in build_phone_soql(phone_e164, returning):
            rows += client.query_all(query, max_pages=1)
        found = {"searchRecords": same_number_records(rows, phone_e164)}
        return to_hits(found, client.instance_url, phone_e164)

    @staticmethod
    def _returning(org: OrgShape) -> dict[str, tuple[str, ...]]:
        if not org.person_accounts:
            return RETURNING
        # IsPersonAccount exists only where Person Accounts are on (INVALID_FIELD elsewhere).
        return {
            obj: fields + ("IsPersonAccount",) if obj in ("Contact", "Account") else fields
            for obj, fields in RETURNING.items()
        }

    def search_contacts(self, session: CrmSession, text: str) -> list[MatchedRecord]:
        """Return Contacts, Leads and Accounts whose names start with the words of ``text``.

        One SOSL search in NAME FIELDS; no "Related to" options (the picker needs none).
        """
        client = self.client(session)
        statement = build_name_sosl(text, self._returning(org_shape(session, client)))
        if statement is None:
            return []
        payload = client.get(client.with_query("search/", statement))
        return [hit.record for hit in to_hits(payload, client.instance_url)]

    def create_contact(
        self,
        session: CrmSession,
        phone_e164: str,
        name: str,
        contact_type: str,
        additional_submission: Mapping[str, Any],
    ) -> MatchedRecord:
        """Create a Contact or Lead with the number as Phone; return it as a match."""
        body = contact_fields(contact_type, phone_e164, name, additional_submission)
        client = self.client(session)
        created = self._created_id(client.post(f"sobjects/{contact_type}/", body))
        display = " ".join(filter(None, [body.get("FirstName"), body.get("LastName")]))
        return MatchedRecord(
            id=created,
            name=display,
            type=contact_type,
            phone=phone_e164,
            additional_info={RELATED_TO: []},
            url=record_page_url(client.instance_url, contact_type, created),
        )

    def create_message_log(self, session: CrmSession, log: MessageLogWrite) -> LogResult:
        """Create a completed Task for the log; return its id and Lightning URL.

        On a timeout the Task may exist anyway: callers reconcile with find_message_log.
        """
        client = self.client(session)
        body = task_for_create(log, org_shape(session, client))
        task_id = self._created_id(client.post("sobjects/Task/", body))
        return LogResult(task_id, record_page_url(client.instance_url, "Task", task_id))

    def update_message_log(
        self, session: CrmSession, log_id: str, log: MessageLogWrite
    ) -> LogResult:
        """PATCH the Task's Subject/Description/WhatId/Priority; ``CrmNotFound`` if deleted."""
        client = self.client(session)
        body = task_for_update(log, org_shape(session, client))
        client.patch(f"sobjects/Task/{quote(log_id, safe='')}", body)
        return LogResult(log_id, record_page_url(client.instance_url, "Task", log_id))

    def move_message_log(self, session: CrmSession, log_id: str, log: MessageLogWrite) -> LogResult:
        """PATCH the Task's WhoId/WhatId and key to the new record (Salesforce lets both
        change on a Task); ``CrmNotFound`` if it was deleted."""
        client = self.client(session)
        body = task_for_move(log, org_shape(session, client))
        client.patch(f"sobjects/Task/{quote(log_id, safe='')}", body)
        return LogResult(log_id, record_page_url(client.instance_url, "Task", log_id))

    def delete_message_log(self, session: CrmSession, log_id: str) -> None:
        """DELETE the Task (to the recycle bin); ``CrmNotFound`` if it is gone."""
        self.client(session).request("DELETE", f"sobjects/Task/{quote(log_id, safe='')}")

    def find_message_log(self, session: CrmSession, log_key: str) -> str | None:
        """Return the id of the Task created for ``log_key``, or None.

        Found through CallObject, or where the org has none through the Task's date and
        record with the key read from its Description.
        """
        client = self.client(session)
        if org_shape(session, client).call_object:
            records = client.query_all(reconcile_soql(log_key), max_pages=1)
        else:
            statement = fallback_reconcile_soql(log_key)
            if statement is None:
                return None
            records = [
                r
                for r in client.query_all(statement, max_pages=1)
                if carries_key(r.get("Description"), log_key)
            ]
        found = records[0].get("Id") if records else None
        return str(found) if found else None

    @staticmethod
    def _created_id(response: Any) -> str:
        """Return the id of a ``{id, success, errors}`` create response."""
        if isinstance(response, dict) and response.get("success") is False:
            errors = [e for e in response.get("errors") or [] if isinstance(e, dict)]
            message = "; ".join(str(e.get("message")) for e in errors) or "Salesforce create failed"
            code = next((str(e["errorCode"]) for e in errors if e.get("errorCode")), None)
            raise CrmValidationError(message, [], code, errors)
        if not isinstance(response, dict) or not response.get("id"):
            raise CrmError("Salesforce create returned no record id")
        return str(response["id"])
