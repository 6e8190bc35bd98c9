"""Errors raised by CRM connectors.

The app reacts to the *class* of an error, never to CRM-specific codes:

- ``CrmAuthError``: the stored credentials are dead (refresh failed); the user must reconnect.
- ``CrmRetryableError``: try again later (rate limit, outage, timeout); ``retry_after`` is the
  CRM's own hint in seconds when it gave one.
- ``CrmValidationError``: the CRM refused the data; ``message`` is the CRM's own text, shown to
  the user as is.
- ``CrmNotFound``: the record (e.g. a previously created log) no longer exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class CrmError(Exception):
    """Base class of every connector error; ``message`` is safe to show to a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CrmAuthError(CrmError):
    """Credentials are invalid and could not be refreshed: the user must reconnect the CRM."""


class CrmRetryableError(CrmError):
    """A transient failure (429, 5xx, request limit, timeout, connection error)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CrmValidationError(CrmError):
    """The CRM rejected the request (4xx field or validation error).

    ``fields`` names the offending CRM fields (may be empty for record-level rules),
    ``error_code`` is the CRM's code of the first error, and ``details`` keeps every error
    object the CRM returned.
    """

    def __init__(
        self,
        message: str,
        fields: Sequence[str] = (),
        error_code: str | None = None,
        details: Sequence[dict[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.fields = list(fields)
        self.error_code = error_code
        self.details = list(details)


class CrmNotFound(CrmError):
    """The requested CRM record does not exist (or was deleted)."""
