"""Sidetalk: a messaging sidebar for CRM pages, as one Flask application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from widget.config import Config

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def _capabilities() -> list:
    """The capabilities this application serves, each set up by its own ``init_app``."""
    from widget import (
        admin,
        auth,
        compose,
        crm_connect,
        crm_logging,
        health,
        inbox,
        lifecycle,
        local_crm,
        opencti,
        queues,
        realtime,
        scheduled,
        sms_templates,
        start,
        webhooks,
    )

    return [
        health,
        auth,
        inbox,
        compose,
        sms_templates,
        lifecycle,
        queues,
        realtime,
        crm_logging,
        crm_connect,
        local_crm,
        scheduled,
        start,
        webhooks,
        admin,
        opencti,
    ]


def create_app(config: Config | Mapping[str, object] | None = None) -> Flask:
    """Build the application: configuration, then resources, then capabilities.

    ``config`` is a ``Config`` (or subclass) instance, or a mapping of overrides applied
    on top of ``Config()`` read from the environment.
    """
    instance_path = os.environ.get("SIDETALK_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path)
    if config is None or isinstance(config, Mapping):
        settings = Config()
        for key, value in (config or {}).items():
            setattr(settings, key, value)
    else:
        settings = config
    settings.finalize(app.instance_path)
    app.config.update(settings.as_dict())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from widget import (
        database,
        errors,
        icons,
        inputs,
        jobs,
        media,
        platforms,
        security,
        templating,
    )
    from widget.extensions import db, htmx, migrate, sock
    from widget.inbox.events import IngestionSink

    inputs.init_app(app)  # before any route is added: every <int:...> id is range-checked

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    sock.init_app(app)
    htmx.init_app(app)
    for resource in (templating, icons, security, errors, media, jobs):
        resource.init_app(app)
    # The platform hands what it learns to ingestion through this sink, and brings its
    # own routes (the sandbox's /sandbox pages): another platform has none of them.
    platforms.init_app(app, IngestionSink())
    for capability in _capabilities():
        capability.init_app(app)
    return app
