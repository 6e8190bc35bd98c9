"""CRM record matching with a short per-connection cache, and the conflict policies.

Looking a number up costs CRM calls (Salesforce: a SOSL search plus one SOQL query for
"Related to" options), and the same number is looked up by the Log panel, by the check
that a submitted record was offered, and by auto-log for every message of a burst. The
cache keeps each (connection, connector, number) answer for ``CRM_MATCH_CACHE_SECONDS``
(5 minutes by default) in this process; connecting, disconnecting or creating a contact
forgets it. Failed lookups are never cached.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from flask import current_app

from connectors.base import MatchedRecord
from widget.models import ConflictPolicy

MAX_ENTRIES = 10_000
_E164 = re.compile(r"^\+\d{6,15}$")

_lock = threading.Lock()
_cache: dict[tuple[int, str, str], tuple[float, list[MatchedRecord]]] = {}


def is_searchable(phone: str) -> bool:
    """Return True for E.164 numbers (extension numbers are internal, never in a CRM)."""
    return bool(_E164.match(phone or ""))


def cached_matches(
    connection_id: int,
    connector_id: str,
    phone_e164: str,
    lookup: Callable[[], list[MatchedRecord]],
) -> list[MatchedRecord]:
    """Return the records matching ``phone_e164``, calling ``lookup`` on a cache miss.

    Callers get copies: a caller changing a record never changes what others see.
    """
    if not is_searchable(phone_e164):
        return []
    key = (connection_id, connector_id, phone_e164)
    now = time.time()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return copy.deepcopy(hit[1])
    records = lookup()
    ttl = float(current_app.config.get("CRM_MATCH_CACHE_SECONDS", 300))
    with _lock:
        if len(_cache) >= MAX_ENTRIES:
            for stale in [k for k, (expires, _) in _cache.items() if expires <= now]:
                del _cache[stale]
            if len(_cache) >= MAX_ENTRIES:
                _cache.clear()
        _cache[key] = (now + ttl, copy.deepcopy(records))
    return records


def forget(connection_id: int, phone_e164: str | None = None) -> None:
    """Drop cached matches of a connection (of one number, or all of them)."""
    with _lock:
        for key in [k for k in _cache if k[0] == connection_id]:
            if phone_e164 is None or key[2] == phone_e164:
                del _cache[key]


def clear() -> None:
    """Drop every cached match (tests, and after restoring a database)."""
    with _lock:
        _cache.clear()


_OLDEST = datetime.min.replace(tzinfo=UTC)
_NEWEST = datetime.max.replace(tzinfo=UTC)


def _aware(moment: datetime | None, default: datetime) -> datetime:
    if moment is None:
        return default
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def choose_by_policy(
    records: Sequence[MatchedRecord], policy: ConflictPolicy
) -> MatchedRecord | None:
    """Return the record ``policy`` picks among several matches, or None for "ask".

    Ties (and records without dates) fall back to the name, then the id, so the choice
    is the same on every run.
    """
    if not records:
        return None
    if len(records) == 1:
        return records[0]
    if policy == ConflictPolicy.MOST_RECENT:
        return min(
            records,
            key=lambda r: (-_aware(r.updated_at, _OLDEST).timestamp(), r.name.casefold(), r.id),
        )
    if policy == ConflictPolicy.EARLIEST_CREATED:
        return min(records, key=lambda r: (_aware(r.created_at, _NEWEST), r.name.casefold(), r.id))
    if policy == ConflictPolicy.ALPHABETICAL:
        return min(records, key=lambda r: (r.name.casefold(), r.id))
    return None
