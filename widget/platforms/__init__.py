"""Telephony platforms behind one interface (RingCentral's message-store terms).

Platforms are found through the ``sidetalk.platforms`` entry-point group (see
``registry``). The application builds the configured one with its event sink, so a
platform hands the records it learns of to ingestion without importing it.
"""

from __future__ import annotations

from flask import Flask

from widget.platforms.base import EventSink
from widget.platforms.registry import EXTENSION_KEY, build_platform, get_platform


def init_app(app: Flask, sink: EventSink) -> None:
    """Build the configured platform with ``sink``, register its own routes and its sweeper."""
    from widget.platforms import tasks  # noqa: F401 (registers the pending-update sweeper)

    platform = build_platform(app.config["PLATFORM"], sink)
    app.extensions[EXTENSION_KEY] = platform
    if platform.name == "sandbox" and not app.config["SANDBOX_OPEN"]:
        # Outside the demo the sandbox's scripting API and phone simulator would let
        # anyone forge inbound messages or read any mailbox: its routes do not exist.
        return
    for blueprint in platform.blueprints():
        app.register_blueprint(blueprint)


__all__ = ["get_platform", "init_app"]
