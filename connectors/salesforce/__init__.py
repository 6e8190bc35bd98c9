"""Salesforce connector: SOSL phone lookup, Task logs with "Related to", OAuth 2 + PKCE.

HTTP calls per operation (no token refresh needed):

- ``find_contact``: 1 SOSL search, plus 1 SOQL query for "Related to" options when a
  Contact or Account matched (none for Lead-only or empty results).
- ``create_message_log``: 1 POST. ``update_message_log``: 1 PATCH.
- ``find_message_log``: 1 SOQL query on ``Task.CallObject``.

A 401 adds one token refresh and one retry of the failed call.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from connectors.base import (
    AuthType,
    Connector,
    CrmCredentials,
    CrmSession,
    LogFormat,
    LogResult,
    MatchedRecord,
    MessageLogWrite,
    OAuthInfo,
)
from connectors.errors import CrmError, CrmValidationError
from connectors.salesforce import oauth
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.contacts import contact_fields
from connectors.salesforce.related import (
    RELATED_FIELD,
    AccountRelated,
    account_ids,
    build_related_soql,
    options_for,
    parse_related,
)
from connectors.salesforce.responses import ApiUsage
from connectors.salesforce.search import build_phone_sosl, record_page_url, to_hits
from connectors.salesforce.settings import SalesforceSettings
from connectors.salesforce.tasks import reconcile_soql, task_for_create, task_for_update

__all__ = ["SalesforceConnector"]


class SalesforceConnector(Connector):
    """Salesforce REST API connector (Contacts, Leads and Accounts; Tasks as logs)."""

    id = "salesforce"
    display_name = "Salesforce"

    def __init__(self, http: requests.Session | None = None) -> None:
        # None means the process-wide pooled session (see client.shared_http_session).
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
        when it is unknown). Call it at connect time, not on every log.
        """
        client = self.client(session)
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

        ``additional_info["relatedTo"]`` lists the Account, its open Opportunities and the
        contact's open Cases as ``{"const": Id, "title": "Opportunity: Name"}``.
        """
        client = self.client(session)
        payload = client.get(client.with_query("search/", build_phone_sosl(phone_e164)))
        hits = to_hits(payload, client.instance_url, phone_e164)
        ids = account_ids(hits)
        related: dict[str, AccountRelated] = {}
        if ids:
            related = parse_related(
                client.get(client.with_query("query/", build_related_soql(ids)))
            )
        for hit in hits:
            hit.record.additional_info[RELATED_FIELD] = options_for(hit, related)
        return [hit.record for hit in hits]

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
            additional_info={RELATED_FIELD: []},
            url=record_page_url(client.instance_url, contact_type, created),
        )

    def create_message_log(self, session: CrmSession, log: MessageLogWrite) -> LogResult:
        """Create a completed Task for the log; return its id and Lightning URL.

        On a timeout the Task may exist anyway: callers reconcile with find_message_log.
        """
        client = self.client(session)
        task_id = self._created_id(client.post("sobjects/Task/", task_for_create(log)))
        return LogResult(task_id, record_page_url(client.instance_url, "Task", task_id))

    def update_message_log(
        self, session: CrmSession, log_id: str, log: MessageLogWrite
    ) -> LogResult:
        """PATCH the Task's Subject/Description/WhatId/Priority; ``CrmNotFound`` if deleted."""
        client = self.client(session)
        client.patch(f"sobjects/Task/{quote(log_id, safe='')}", task_for_update(log))
        return LogResult(log_id, record_page_url(client.instance_url, "Task", log_id))

    def find_message_log(self, session: CrmSession, log_key: str) -> str | None:
        """Return the id of the Task created for ``log_key`` (via CallObject), or None."""
        client = self.client(session)
        payload = client.get(client.with_query("query/", reconcile_soql(log_key)))
        records = payload.get("records") if isinstance(payload, dict) else None
        if not records:
            return None
        found = records[0].get("Id") if isinstance(records[0], dict) else None
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
