"""HTTP access to one Salesforce org for one user: URLs, auth refresh, errors, API usage.

Every data call goes to ``{instance_url}/services/data/v{api_version}/...`` with a timeout.
A 401 triggers exactly one refresh (``grant_type=refresh_token``); the new credentials are
handed to ``session.on_credentials_changed`` before the request is retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from connectors.errors import CrmAuthError, CrmError
from connectors.http import adopt_credentials, decode_json, pooled_http, send_refreshing_once
from connectors.salesforce import oauth
from connectors.salesforce.responses import (
    ApiUsage,
    error_from_response,
    parse_limit_info,
    transport_error,
)
from connectors.salesforce.settings import SalesforceSettings
from connectors.session import CrmSession

log = logging.getLogger(__name__)

# A query for records a person picks among never needs more than a few batches of 2,000.
MAX_QUERY_PAGES = 5


def _path_only(url: str) -> str:
    # Query strings hold phone numbers (SOSL) and other personal data: log the path only.
    return urlsplit(url).path


def _session_rejected(response: requests.Response) -> bool:
    """Return True when the access token was refused (401, or the identity URL's 403)."""
    if response.status_code == 401:
        return True
    # The identity service answers an expired token with 403 "Bad_OAuth_Token" (plain text).
    return response.status_code == 403 and response.text.strip() == "Bad_OAuth_Token"


class SalesforceClient:
    """Authenticated JSON calls to one org on behalf of ``session``'s user."""

    def __init__(
        self,
        session: CrmSession,
        http: requests.Session | None = None,
        on_usage: Callable[[str, ApiUsage], None] | None = None,
    ) -> None:
        self.session = session
        self.settings = SalesforceSettings.from_config(session.config)
        self.http = http or pooled_http()
        self.on_usage = on_usage
        self.last_api_usage: ApiUsage | None = None

    @property
    def instance_url(self) -> str:
        """Return the org's instance URL (from the token response), without trailing slash."""
        url = self.session.credentials.instance_url
        if not url:
            raise CrmAuthError("Salesforce credentials have no instance_url; reconnect Salesforce")
        return url.rstrip("/")

    def data_url(self, path: str) -> str:
        """Return the absolute URL of a REST resource path such as ``sobjects/Task/``."""
        return f"{self.instance_url}/services/data/v{self.settings.api_version}/{path.lstrip('/')}"

    @staticmethod
    def with_query(path: str, statement: str) -> str:
        """Return ``path?q=<statement>`` percent-encoded so ``+``, ``{``, ``\\`` survive."""
        return f"{path}?q={quote(statement, safe='')}"

    # -- public verbs -------------------------------------------------------------------------

    def get(self, path: str) -> Any:
        """GET a data resource; return its decoded JSON."""
        return self.request("GET", path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST JSON to a data resource; return the decoded JSON response."""
        return self.request("POST", path, json=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        """PATCH JSON to a data resource; return None for Salesforce's 204 No Content."""
        return self.request("PATCH", path, json=body)

    def query_all(self, statement: str, max_pages: int = MAX_QUERY_PAGES) -> list[dict[str, Any]]:
        """Return every record of a SOQL query, following ``nextRecordsUrl`` (batches of
        2,000) for at most ``max_pages`` pages."""
        payload = self.get(self.with_query("query/", statement))
        records: list[dict[str, Any]] = []
        for _ in range(max_pages):
            if not isinstance(payload, dict):
                break
            records += [r for r in payload.get("records") or [] if isinstance(r, dict)]
            next_url = payload.get("nextRecordsUrl")
            if payload.get("done", True) or not next_url:
                break
            payload = self.get_absolute(f"{self.instance_url}{next_url}")
        return records

    def get_absolute(self, url: str) -> Any:
        """GET an absolute URL with the user's token (e.g. the identity URL)."""
        return self.request("GET", url, absolute=True)

    def request(
        self, method: str, path: str, *, json: dict[str, Any] | None = None, absolute: bool = False
    ) -> Any:
        """Send a request, refreshing the token once on 401; return JSON or None (204).

        Raises the ``connectors.errors`` class matching the failure.
        """
        # The URL is built per send: a refresh may move us to another instance_url.
        response = send_refreshing_once(
            lambda: self._send(method, path if absolute else self.data_url(path), json),
            _session_rejected,
            self._refresh,
        )
        if _session_rejected(response):
            error = error_from_response(response)
            raise CrmAuthError(f"{error.message} (after token refresh); reconnect Salesforce")
        if response.status_code >= 400:
            raise error_from_response(response)
        return decode_json(response, "Salesforce")

    # -- internals ----------------------------------------------------------------------------

    def _refresh(self) -> None:
        adopt_credentials(
            self.session, oauth.refresh_credentials(self.settings, self.session.credentials)
        )

    def _send(self, method: str, url: str, body: dict[str, Any] | None) -> requests.Response:
        credentials = self.session.credentials
        headers = {
            "Authorization": f"{credentials.token_type or 'Bearer'} {credentials.access_token}",
            "Accept": "application/json",
        }
        started = time.monotonic()
        try:
            response = self.http.request(
                method,
                url,
                json=body,
                headers=headers,
                timeout=self.settings.timeout,
                allow_redirects=False,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            log.info("Salesforce %s %s failed: %s", method, _path_only(url), type(exc).__name__)
            raise transport_error(exc) from None
        except requests.RequestException as exc:
            raise CrmError(f"Salesforce request failed: {type(exc).__name__}") from None
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            self.last_api_usage = usage
            if self.on_usage is not None:
                self.on_usage(self.instance_url, usage)
        log.debug(
            "Salesforce %s %s -> %d in %.0f ms (api-usage %s)",
            method,
            _path_only(url),
            response.status_code,
            (time.monotonic() - started) * 1000,
            f"{usage.used}/{usage.limit}" if usage else "n/a",
        )
        return response
