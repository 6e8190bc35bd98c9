"""What is installed: every registered connector with its auth type and whether this
server has what it needs to use it (``sidetalk connectors list``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.registry import available_connectors, get_connector


@dataclass(frozen=True)
class ConnectorEntry:
    """One registered connector as an administrator sees it."""

    id: str
    name: str
    auth_type: str
    configured: bool
    missing: str = ""  # what to set when not configured


def connector_config(connector_id: str, environ: Mapping[str, Any]) -> dict[str, Any]:
    """Return a connector's settings from ``environ`` (``HUBSPOT_CLIENT_ID`` -> client_id),
    without the empty ones."""
    cls = available_connectors()[connector_id]
    return {
        name.lower(): value
        for name, value in cls.settings(environ).items()
        if value not in ("", None)
    }


def list_connectors(environ: Mapping[str, Any]) -> list[ConnectorEntry]:
    """Return every registered connector, sorted by id."""
    entries = []
    for connector_id in sorted(available_connectors()):
        connector = get_connector(connector_id)
        auth = connector.get_auth_type()
        configured, missing = True, ""
        if auth == "oauth":
            config = connector_config(connector_id, environ)
            configured = connector.is_configured(config)
            if not configured:
                missing = (
                    f"{connector.env_prefix()}CLIENT_ID and {connector.env_prefix()}CLIENT_SECRET"
                )
        entries.append(
            ConnectorEntry(connector_id, connector.display_name, auth, configured, missing)
        )
    return entries
