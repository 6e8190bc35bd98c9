"""What the Settings panel shows: the connected CRM, the user's toggles, the policy.

Shared by the settings views here and by ``widget.crm_connect`` (which returns the
connection block after connecting, switching or disconnecting).
"""

from __future__ import annotations

from typing import Any

from connectors.registry import available_connectors, get_connector
from widget.crm_logging import engine
from widget.crm_logging.connections import auto_log_forced
from widget.models import ConflictPolicy, Extension

SETTINGS_PAGE = "crm_logging/settings.html"
POLICY_LABELS = {
    ConflictPolicy.ASK: "Ask me",
    ConflictPolicy.MOST_RECENT: "Most recently updated",
    ConflictPolicy.EARLIEST_CREATED: "Earliest created",
    ConflictPolicy.ALPHABETICAL: "Alphabetical",
}


def crm_choices() -> list[dict[str, Any]]:
    """Return every installed CRM: id, name, whether it signs in through OAuth or with an
    API key, and the choices to make before signing in (Clio's region)."""
    choices = []
    for connector_id, cls in sorted(available_connectors().items()):
        connector = get_connector(connector_id)
        auth = connector.get_auth_type()
        options = connector.connect_options(engine.connector_config(connector_id))
        choices.append(
            {
                "id": connector_id,
                "name": cls.display_name,
                "oauth": auth == "oauth",
                "api_key": auth == "apiKey",
                "options": options if auth == "oauth" else [],
            }
        )
    return choices


def settings_context(extension: Extension, **extra: Any) -> dict[str, Any]:
    """Return the context of the settings blocks; ``extra`` adds errors and notices."""
    connection = engine.user_settings(extension)
    current = available_connectors().get(connection.connector_id)
    user = connection.user_info or {}
    context: dict[str, Any] = {
        "extension": extension,
        "connection": connection,
        "crm_name": current.display_name if current else connection.connector_id,
        "crm_user": user.get("username") or user.get("email") or user.get("name"),
        "crm_choices": crm_choices(),
        "connection_error": None,
        "conflict_policy": ConflictPolicy(engine.account_policy(extension.account).conflict_policy),
        "policies": [(policy.value, label) for policy, label in POLICY_LABELS.items()],
        "policy_error": None,
        "backfilled": False,
        "auto_log_forced": auto_log_forced(extension),
    }
    context.update(extra)
    return context
