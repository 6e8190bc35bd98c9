"""The admin audit log: every admin change with who, when, what, and the diff.

Services call :func:`record` in the same transaction as the change they make, so a
change and its entry are committed together or not at all.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import select

from widget.extensions import db
from widget.models import AdminAuditEntry, Extension

PAGE_SIZE = 100


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff with how to show it: ``add``, ``remove``, ``hunk``, ``same``."""

    kind: str
    text: str


def text_diff(before: str, after: str, before_label: str, after_label: str) -> str:
    """Return the unified diff of two texts (empty when they are equal)."""
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=before_label,
        tofile=after_label,
        lineterm="",
        n=3,
    )
    return "\n".join(lines)


def diff_lines(diff: str) -> list[DiffLine]:
    """Return ``diff`` split into lines tagged for display."""
    tagged = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "remove"
        else:
            kind = "same"
        tagged.append(DiffLine(kind, line))
    return tagged


def record(
    actor: Extension, action: str, subject: str, summary: str, diff: str = ""
) -> AdminAuditEntry:
    """Add an entry for ``actor``'s change to the session (the caller commits)."""
    entry = AdminAuditEntry(
        account_id=actor.account_id,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        subject=subject,
        summary=summary[:500],
        diff=diff,
    )
    db.session.add(entry)
    return entry


def entries(account_id: int, limit: int = PAGE_SIZE) -> list[AdminAuditEntry]:
    """Return the account's latest entries, newest first (one query, however many)."""
    return list(
        db.session.scalars(
            select(AdminAuditEntry)
            .where(AdminAuditEntry.account_id == account_id)
            .order_by(AdminAuditEntry.created_at.desc(), AdminAuditEntry.id.desc())
            .limit(limit)
        )
    )
