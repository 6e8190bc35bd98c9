"""Platform discovery through the ``sidetalk.platforms`` entry-point group.

The built-in sandbox is declared in ``pyproject.toml`` exactly like a third-party
platform would be, so there is one discovery path. ``register`` exists for tests and
for running from a source tree where the distribution is not installed.
"""

from __future__ import annotations

import logging
import threading
from importlib.metadata import EntryPoint, entry_points

from flask import current_app

from widget.config import ConfigError
from widget.platforms.base import EventSink, Platform

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "sidetalk.platforms"
EXTENSION_KEY = "sidetalk.platform"  # where the app keeps its platform

_lock = threading.RLock()
_explicit: dict[str, type[Platform]] = {}
_discovered: dict[str, type[Platform]] | None = None


def _load_entry_point(ep: EntryPoint) -> type[Platform] | None:
    """Return the platform class behind ``ep``, or None (logged) when it is unusable."""
    try:
        obj = ep.load()
    except Exception:
        # A broken third-party platform must not take the whole service down.
        log.exception("platform entry point %r (%s) failed to load; skipped", ep.name, ep.value)
        return None
    if not (isinstance(obj, type) and issubclass(obj, Platform)):
        log.error(
            "platform entry point %r (%s) is not a Platform subclass; skipped", ep.name, ep.value
        )
        return None
    if getattr(obj, "name", None) != ep.name:
        log.error(
            "platform entry point %r (%s) has name %r; the name must equal the entry-point "
            "name; skipped",
            ep.name,
            ep.value,
            getattr(obj, "name", None),
        )
        return None
    return obj


def _discover() -> dict[str, type[Platform]]:
    found: dict[str, type[Platform]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found:
            log.warning("duplicate platform entry point %r (%s) ignored", ep.name, ep.value)
            continue
        cls = _load_entry_point(ep)
        if cls is not None:
            found[ep.name] = cls
    return found


def available_platforms() -> dict[str, type[Platform]]:
    """Return ``{name: platform class}`` for every loadable platform.

    Entry points are scanned once and cached (see ``refresh``); explicit registrations
    override entry points with the same name.
    """
    global _discovered
    with _lock:
        if _discovered is None:
            _discovered = _discover()
        return {**_discovered, **_explicit}


def build_platform(name: str, sink: EventSink) -> Platform:
    """Return a new platform called ``name`` reporting to ``sink``; ``ConfigError`` if unknown."""
    classes = available_platforms()
    cls = classes.get(name)
    if cls is None:
        # A ConfigError, so `sidetalk serve` refuses with a message instead of a traceback.
        known = ", ".join(sorted(classes)) or "none"
        raise ConfigError(f"Unknown SIDETALK_PLATFORM {name!r}; available: {known}")
    return cls(sink)


def get_platform() -> Platform:
    """Return the application's platform."""
    return current_app.extensions[EXTENSION_KEY]


def register(platform_cls: type[Platform]) -> type[Platform]:
    """Register ``platform_cls`` under its ``name`` (usable as a class decorator); return it."""
    if not (isinstance(platform_cls, type) and issubclass(platform_cls, Platform)):
        raise TypeError(f"{platform_cls!r} is not a Platform subclass")
    name = getattr(platform_cls, "name", None)
    if not isinstance(name, str) or not name:
        raise ValueError(f"{platform_cls.__name__} has no string 'name'")
    with _lock:
        _explicit[name] = platform_cls
    return platform_cls


def unregister(name: str) -> None:
    """Forget an explicit registration (entry-point platforms stay available)."""
    with _lock:
        _explicit.pop(name, None)


def refresh() -> None:
    """Drop cached discovery results (after installing a platform, in tests)."""
    global _discovered
    with _lock:
        _discovered = None
