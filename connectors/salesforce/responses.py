"""Mapping Salesforce HTTP responses to connector errors, Retry-After and API usage."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import requests

from connectors.errors import (
    CrmAuthError,
    CrmError,
    CrmNotFound,
    CrmRetryableError,
    CrmValidationError,
)
from connectors.oauth import transport_error as oauth_transport_error
from connectors.retry import parse_retry_after

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Error codes that mean "try again later" whatever the HTTP status: the daily/concurrent
# request limits come back as 403, and record-lock contention as 400.
RETRYABLE_CODES = frozenset(
    {"REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "QUERY_TIMEOUT", "SERVER_UNAVAILABLE"}
)
NOT_FOUND_CODES = frozenset({"NOT_FOUND", "ENTITY_IS_DELETED"})

_API_USAGE = re.compile(r"(?:^|[\s,])api-usage=(\d+)/(\d+)")


@dataclass(frozen=True)
class ApiUsage:
    """Daily API requests used and allowed for the org, from ``Sforce-Limit-Info``."""

    used: int
    limit: int

    @property
    def remaining(self) -> int:
        """Return how many requests are left in the 24-hour allocation."""
        return max(0, self.limit - self.used)


def parse_limit_info(header: str | None) -> ApiUsage | None:
    """Return the ``api-usage=N/M`` part of a ``Sforce-Limit-Info`` header, or None."""
    if not header:
        return None
    match = _API_USAGE.search(header)
    if match is None:
        return None
    return ApiUsage(used=int(match.group(1)), limit=int(match.group(2)))


def error_items(response: requests.Response) -> list[dict[str, Any]]:
    """Return the error objects of a Salesforce error body (a JSON array; [] if unparsable).

    Data API errors are arrays of ``{message, errorCode, fields?}``; OAuth-style bodies
    (``{error, error_description}``) are normalised to the same keys.
    """
    try:
        data = response.json()
    except ValueError:
        return []
    if isinstance(data, dict):
        if "error" in data and "errorCode" not in data:
            data = {
                "errorCode": str(data.get("error")),
                "message": str(data.get("error_description") or data.get("error")),
            }
        data = [data]
    if not isinstance(data, list):
        return []
    return [item for item in data if isinstance(item, dict)]


def error_from_response(response: requests.Response, now: dt.datetime | None = None) -> CrmError:
    """Return the connector error matching a failed Salesforce response.

    The message is Salesforce's own text (several errors joined with "; ").
    """
    status = response.status_code
    items = error_items(response)
    codes = [str(item.get("errorCode") or "") for item in items]
    messages = [str(item["message"]) for item in items if item.get("message")]
    message = "; ".join(dict.fromkeys(messages)) or f"Salesforce returned HTTP {status}"
    if status in RETRYABLE_STATUSES or RETRYABLE_CODES.intersection(codes):
        return CrmRetryableError(
            message, parse_retry_after(response.headers.get("Retry-After"), now)
        )
    if status == 404 or NOT_FOUND_CODES.intersection(codes):
        return CrmNotFound(message)
    if status == 401:
        return CrmAuthError(message)
    fields: list[str] = []
    for item in items:
        for name in item.get("fields") or ():
            if isinstance(name, str) and name not in fields:
                fields.append(name)
    first_code = next((code for code in codes if code), None)
    return CrmValidationError(message, fields, first_code, items)


def transport_error(exc: requests.RequestException) -> CrmRetryableError:
    """Return a retryable error for a timeout or connection failure (no secrets in text)."""
    return oauth_transport_error(exc, "Salesforce")
