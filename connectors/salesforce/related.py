"""Options of the "Related to" selection (WhatId candidates), fetched in one SOQL query.

One query rooted at Account returns, for every matched Account and every matched Contact's
Account, the Account itself, its open Opportunities and its open Cases (with ContactId, so
a Contact only sees its own Cases). Leads get no options: Salesforce requires WhatId to be
empty when WhoId is a Lead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connectors.salesforce.search import SearchHit, record_id
from connectors.salesforce.soql import soql_in

MAX_ACCOUNTS = 50
MAX_CHILDREN = 20


@dataclass
class AccountRelated:
    """An Account with its open Opportunities ``(id, name)`` and open Cases."""

    id: str
    name: str
    opportunities: list[tuple[str, str]] = field(default_factory=list)
    cases: list[tuple[str, str, str | None]] = field(default_factory=list)  # id, title, contact


def account_ids(hits: Iterable[SearchHit]) -> list[str]:
    """Return the distinct Account ids the hits belong to (at most MAX_ACCOUNTS)."""
    ids = [hit.account_id for hit in hits if hit.account_id and hit.record.type != "Lead"]
    return list(dict.fromkeys(ids))[:MAX_ACCOUNTS]


def build_related_soql(ids: Iterable[str]) -> str:
    """Return the SOQL statement fetching Accounts with open Opportunities and Cases."""
    # Every value is quoted by soql_in/soql_literal, so no injection through ids.
    return (
        "SELECT Id, Name, "  # noqa: S608
        "(SELECT Id, Name FROM Opportunities WHERE IsClosed = false "
        f"ORDER BY LastModifiedDate DESC LIMIT {MAX_CHILDREN}), "
        "(SELECT Id, CaseNumber, Subject, ContactId FROM Cases WHERE IsClosed = false "
        f"ORDER BY LastModifiedDate DESC LIMIT {MAX_CHILDREN}) "
        f"FROM Account WHERE Id IN {soql_in(ids)}"
    )


def _children(value: Any) -> list[dict[str, Any]]:
    # An empty child relationship comes back as null, not as an empty result.
    if not isinstance(value, dict):
        return []
    return [rec for rec in value.get("records") or [] if isinstance(rec, dict)]


def parse_related(payload: Any) -> dict[str, AccountRelated]:
    """Return ``{account_id: AccountRelated}`` from the query response."""
    result: dict[str, AccountRelated] = {}
    records = payload.get("records") if isinstance(payload, dict) else None
    for raw in records or []:
        if not isinstance(raw, dict):
            continue
        account = AccountRelated(id=record_id(raw), name=str(raw.get("Name") or ""))
        for opp in _children(raw.get("Opportunities")):
            account.opportunities.append((record_id(opp), str(opp.get("Name") or "")))
        for case in _children(raw.get("Cases")):
            title = " ".join(str(case.get(k) or "") for k in ("CaseNumber", "Subject")).strip()
            account.cases.append((record_id(case), title, case.get("ContactId")))
        result[account.id] = account
    return result


def options_for(hit: SearchHit, related: dict[str, AccountRelated]) -> list[dict[str, str]]:
    """Return the ``{"const", "title"}`` options for one matched record."""
    if hit.record.type == "Lead" or hit.account_id is None:
        return []
    account = related.get(hit.account_id)
    if account is None:
        return []
    options = [{"const": account.id, "title": f"Account: {account.name}"}]
    options += [
        {"const": oid, "title": f"Opportunity: {name}"} for oid, name in account.opportunities
    ]
    for case_id, title, contact_id in account.cases:
        if hit.record.type == "Account" or contact_id == hit.record.id:
            options.append({"const": case_id, "title": f"Case: {title}"})
    return options
