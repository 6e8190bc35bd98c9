"""CRM record matching with a short per-connection cache, and the conflict policies.

Looking a number up costs CRM calls (Salesforce: a SOSL search plus one SOQL query for
"Related to" options), and the same number is looked up by the Log panel, by the check
that a submitted record was offered, and by auto-log for every message of a burst. The
cache keeps each (connection, connector, number) answer for ``CRM_MATCH_CACHE_SECONDS``
(5 minutes by default): in this process, or in Redis for every process when
``REDIS_URL`` is set (``match_cache``). Lookups of one number are single-flight: while
one caller asks the CRM, the others wait for its answer instead of asking too.
Connecting, disconnecting or creating a contact forgets the answers. Failed lookups are
never cached.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from flask import current_app, has_app_context

from connectors.records import MatchedRecord
from widget.crm_logging.match_cache import LocalMatchStore, MatchStore, RedisMatchStore
from widget.models import ConflictPolicy

_E164 = re.compile(r"^\+\d{6,15}$")

_local = LocalMatchStore()


def is_searchable(phone: str) -> bool:
    """Return True for E.164 numbers (extension numbers are internal, never in a CRM)."""
    return bool(_E164.match(phone or ""))


def _store() -> MatchStore:
    """Return the app's match store: Redis when ``REDIS_URL`` is set, else this process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get("crm_match_store")
    if store is None:
        url = app.config.get("REDIS_URL")
        # Installations sharing one Redis keep apart by the realtime channel prefix.
        channels = (
            app.config.get("REALTIME_CHANNEL_PREFIX")
            or os.environ.get("SIDETALK_CHANNEL_PREFIX")
            or "sidetalk:"
        )
        prefix = app.config.get("CRM_MATCH_CACHE_PREFIX") or f"{channels}crm-match:"
        store = RedisMatchStore(url, prefix) if url else _local
        app.extensions["crm_match_store"] = store
    return store


def _key(connection_id: int, connector_id: str = "", phone_e164: str = "") -> str:
    return f"{connection_id}:{connector_id}:{phone_e164}" if connector_id else f"{connection_id}:"


def cached_matches(
    connection_id: int,
    connector_id: str,
    phone_e164: str,
    lookup: Callable[[], list[MatchedRecord]],
) -> list[MatchedRecord]:
    """Return the records matching ``phone_e164``, calling ``lookup`` on a cache miss
    (once, however many callers miss at the same time).

    Callers get copies: a caller changing a record never changes what others see.
    """
    if not is_searchable(phone_e164):
        return []
    store = _store()
    key = _key(connection_id, connector_id, phone_e164)
    found = store.get(key)
    if found is not None:
        return found
    config = current_app.config
    # A waiter gives up on a stuck lookup after about the CRM's HTTP timeout, twice over
    # (a token refresh and the search itself).
    wait = 2 * float(config.get("CRM_HTTP_TIMEOUT", 10)) + 1
    with store.flight(key, wait):
        found = store.get(key)  # the caller we waited for may have the answer in
        if found is not None:
            return found
        records = lookup()
        store.put(key, records, float(config.get("CRM_MATCH_CACHE_SECONDS", 300)))
    return records


def forget(connection_id: int, phone_e164: str | None = None) -> None:
    """Drop cached matches of a connection (of one number, or all of them)."""
    _store().forget(f"{connection_id}:*:{phone_e164}" if phone_e164 else f"{connection_id}:*")


def clear() -> None:
    """Drop every cached match (tests, and after restoring a database)."""
    if has_app_context():
        _store().clear()
    _local.clear()


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
