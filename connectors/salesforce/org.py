"""What this org has, learnt once from describe calls and kept with the credentials.

Orgs differ in ways that change what a valid write is:

- ``Task.CallObject`` is a Call Center field: orgs without Salesforce Call Center (or
  where the field is hidden from the user) have no such column, and a create naming it
  fails with INVALID_FIELD. We keep Sidetalk's log key there when it exists, and
  otherwise in a last line of the Description (see ``tasks``).
- Person Accounts (an Account that is also a Contact) exist only where enabled; their
  ``IsPersonAccount`` column does not exist elsewhere.
- Task ``Status`` values are the org's own: "Completed" may be renamed or gone, so the
  closed status written is read from the org (``TaskStatus.IsClosed``).

Learnt at connect time (``SalesforceConnector.get_user_info``) and stored in
``CrmCredentials.extra[ORG_KEY]``, so a message log costs no describe call; a connection
made before this existed learns it on first use and persists it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from connectors.salesforce.client import SalesforceClient
from connectors.session import CrmSession

ORG_KEY = "salesforce_org"
PREFERRED_CLOSED_STATUS = "Completed"
CLOSED_STATUS_SOQL = (
    "SELECT ApiName FROM TaskStatus WHERE IsClosed = true ORDER BY SortOrder ASC LIMIT 1"
)


@dataclass(frozen=True)
class OrgShape:
    """The org facts a write depends on."""

    call_object: bool = True
    person_accounts: bool = False
    closed_status: str = PREFERRED_CLOSED_STATUS
    task_statuses: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["task_statuses"] = list(self.task_statuses)
        return data

    @classmethod
    def from_json(cls, data: Any) -> OrgShape | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                call_object=bool(data["call_object"]),
                person_accounts=bool(data["person_accounts"]),
                closed_status=str(data["closed_status"]),
                task_statuses=tuple(str(s) for s in data.get("task_statuses") or ()),
            )
        except KeyError:
            return None


def _fields(describe: Any) -> dict[str, dict[str, Any]]:
    items = describe.get("fields") if isinstance(describe, dict) else None
    return {f["name"]: f for f in items or [] if isinstance(f, dict) and f.get("name")}


def _active_values(describe_field: dict[str, Any] | None) -> tuple[str, ...]:
    values = (describe_field or {}).get("picklistValues") or []
    return tuple(str(v["value"]) for v in values if isinstance(v, dict) and v.get("active", True))


def describe_org(client: SalesforceClient) -> OrgShape:
    """Return the org's shape: 2 describe calls, plus 1 query when "Completed" is gone."""
    task = _fields(client.get("sobjects/Task/describe"))
    account = _fields(client.get("sobjects/Account/describe"))
    call_object = task.get("CallObject")
    statuses = _active_values(task.get("Status"))
    closed = PREFERRED_CLOSED_STATUS
    if statuses and PREFERRED_CLOSED_STATUS not in statuses:
        found = client.get(client.with_query("query/", CLOSED_STATUS_SOQL)) or {}
        records = found.get("records") if isinstance(found, dict) else None
        closed = str(records[0].get("ApiName")) if records else statuses[-1]
    return OrgShape(
        call_object=bool(call_object and call_object.get("createable", True)),
        person_accounts="IsPersonAccount" in account,
        closed_status=closed,
        task_statuses=statuses,
    )


def org_shape(session: CrmSession, client: SalesforceClient) -> OrgShape:
    """Return the org's shape from the credentials, describing (and persisting) it once."""
    known = OrgShape.from_json(session.credentials.extra.get(ORG_KEY))
    if known is not None:
        return known
    shape = describe_org(client)
    remember(session, shape)
    return shape


def remember(session: CrmSession, shape: OrgShape, persist: bool = True) -> None:
    """Store the shape in the session's credentials and (``persist``) hand them to the app
    to store; at connect time the app stores the credentials itself."""
    session.credentials.extra[ORG_KEY] = shape.to_json()
    if persist:
        session.on_credentials_changed(session.credentials)
