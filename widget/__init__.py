"""Sidetalk: a messaging sidebar for CRM pages, as one Flask application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from widget.config import Config

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(config: Config | Mapping[str, object] | None = None) -> Flask:
    """Build the application: configuration, then extensions, then blueprints.

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

    from widget import errors, jobs, media, security
    from widget.extensions import db, htmx, migrate, sock

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    sock.init_app(app)
    htmx.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    media.init_app(app)
    jobs.init_app(app)

    from widget import platforms

    platforms.init_app(app)

    from widget.auth import bp as auth_bp
    from widget.health import bp as health_bp
    from widget.inbox import bp as inbox_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(inbox_bp)
    # slot:blueprints (capabilities register their blueprint here, one line each)
    from connectors.local.pages import bp as local_crm_bp
    from widget.crm_logging import autolog as crm_autolog
    from widget.crm_logging import tasks as crm_tasks  # noqa: F401 (registers the Huey tasks)

    app.register_blueprint(local_crm_bp)
    crm_autolog.init_app(app)
    from widget.compose import bp as compose_bp

    app.register_blueprint(compose_bp)
    from widget.realtime import bp as realtime_bp

    app.register_blueprint(realtime_bp)
    from widget.crm_connect import bp as crm_connect_bp
    from widget.crm_logging import bp as crm_logging_bp

    app.register_blueprint(crm_logging_bp)
    app.register_blueprint(crm_connect_bp)
    from widget.sms_templates import bp as sms_templates_bp

    app.register_blueprint(sms_templates_bp)
    from widget.lifecycle import bp as lifecycle_bp

    app.register_blueprint(lifecycle_bp)
    if app.config["PLATFORM"] == "sandbox":
        from widget.sandbox import bp as sandbox_bp

        app.register_blueprint(sandbox_bp)

    from widget import templating

    templating.init_app(app)
    return app
