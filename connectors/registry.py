"""Connector discovery through the ``sidetalk.connectors`` entry-point group.

Built-in connectors are declared in ``pyproject.toml`` exactly like third-party ones, so
there is one discovery path. ``register`` exists for tests and for running from a source
tree where the distribution is not installed.
"""

from __future__ import annotations

import logging
import threading
from importlib.metadata import EntryPoint, entry_points

from connectors.base import Connector

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "sidetalk.connectors"

_lock = threading.RLock()
_explicit: dict[str, type[Connector]] = {}
_discovered: dict[str, type[Connector]] | None = None
_instances: dict[str, Connector] = {}


def _load_entry_point(ep: EntryPoint) -> type[Connector] | None:
    """Return the connector class behind ``ep``, or None (logged) when it is unusable."""
    try:
        obj = ep.load()
    except Exception:
        # A broken third-party connector must not take the whole service down.
        log.exception("connector entry point %r (%s) failed to load; skipped", ep.name, ep.value)
        return None
    if not (isinstance(obj, type) and issubclass(obj, Connector)):
        log.error(
            "connector entry point %r (%s) is not a Connector subclass; skipped", ep.name, ep.value
        )
        return None
    connector_id = getattr(obj, "id", None)
    if connector_id != ep.name:
        log.error(
            "connector entry point %r (%s) has id %r; the id must equal the entry-point name; "
            "skipped",
            ep.name,
            ep.value,
            connector_id,
        )
        return None
    return obj


def _discover() -> dict[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found:
            log.warning("duplicate connector entry point %r (%s) ignored", ep.name, ep.value)
            continue
        cls = _load_entry_point(ep)
        if cls is not None:
            found[ep.name] = cls
    return found


def available_connectors() -> dict[str, type[Connector]]:
    """Return ``{id: connector class}`` for every loadable connector.

    Entry points are scanned once and cached (see :func:`refresh`); explicit registrations
    override entry points with the same id.
    """
    global _discovered
    with _lock:
        if _discovered is None:
            _discovered = _discover()
        return {**_discovered, **_explicit}


def get_connector(connector_id: str) -> Connector:
    """Return the shared instance of connector ``connector_id``.

    Connectors keep no per-user state, so one instance per process is enough.
    Raises ``KeyError`` naming the known ids when ``connector_id`` is unknown.
    """
    with _lock:
        instance = _instances.get(connector_id)
        if instance is not None:
            return instance
        classes = available_connectors()
        cls = classes.get(connector_id)
        if cls is None:
            known = ", ".join(sorted(classes)) or "none"
            raise KeyError(
                f"unknown CRM connector {connector_id!r} (available: {known}); connectors are "
                f"registered through the {ENTRY_POINT_GROUP!r} entry-point group"
            )
        instance = cls()
        _instances[connector_id] = instance
        return instance


def register(connector_cls: type[Connector]) -> type[Connector]:
    """Register ``connector_cls`` under its ``id`` (usable as a class decorator); return it."""
    if not (isinstance(connector_cls, type) and issubclass(connector_cls, Connector)):
        raise TypeError(f"{connector_cls!r} is not a Connector subclass")
    connector_id = getattr(connector_cls, "id", None)
    if not isinstance(connector_id, str) or not connector_id:
        raise ValueError(f"{connector_cls.__name__} has no string 'id'")
    with _lock:
        _explicit[connector_id] = connector_cls
        _instances.pop(connector_id, None)
    return connector_cls


def unregister(connector_id: str) -> None:
    """Forget an explicit registration (entry-point connectors stay available)."""
    with _lock:
        _explicit.pop(connector_id, None)
        _instances.pop(connector_id, None)


def refresh() -> None:
    """Drop cached discovery results and instances (after installing a connector, in tests)."""
    global _discovered
    with _lock:
        _discovered = None
        _instances.clear()
