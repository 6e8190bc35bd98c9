"""CRM connectors: the interface, the registry and the built-in integrations."""

from connectors.base import (
    RELATED_TO,
    Connector,
    CrmCredentials,
    CrmSession,
    LogResult,
    MatchedRecord,
    MessageLogWrite,
    OAuthInfo,
)
from connectors.errors import (
    CrmAuthError,
    CrmError,
    CrmNotFound,
    CrmRetryableError,
    CrmValidationError,
)
from connectors.registry import available_connectors, get_connector, register

__all__ = [
    "RELATED_TO",
    "Connector",
    "CrmAuthError",
    "CrmCredentials",
    "CrmError",
    "CrmNotFound",
    "CrmRetryableError",
    "CrmSession",
    "CrmValidationError",
    "LogResult",
    "MatchedRecord",
    "MessageLogWrite",
    "OAuthInfo",
    "available_connectors",
    "get_connector",
    "register",
]
