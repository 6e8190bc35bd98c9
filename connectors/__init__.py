"""CRM connectors: the interface, the registry and the built-in integrations."""

from connectors.base import Connector
from connectors.errors import (
    CrmAuthError,
    CrmError,
    CrmNotFound,
    CrmRetryableError,
    CrmValidationError,
)
from connectors.records import RELATED_TO, LogResult, MatchedRecord, MessageLogWrite
from connectors.registry import available_connectors, get_connector, register
from connectors.session import CrmCredentials, CrmSession, OAuthInfo

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
