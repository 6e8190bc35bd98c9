"""Background work on Huey: SQLite storage by default, Redis when ``REDIS_URL`` is set.

Tasks live next to the capability they serve (``widget/<capability>/tasks.py``) and are
declared with ``app_task`` / ``app_periodic_task`` so they run inside an application
context. Tests run tasks immediately (``huey.immediate``); ``sidetalk worker`` runs the
consumer; the demo server runs one in-process so ``make run`` needs nothing else.

Every task must be idempotent: a periodic sweeper re-queues anything that should have
happened, so a crash between a commit and an enqueue loses nothing.
"""

from __future__ import annotations

import functools
import logging
import signal
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey, SqliteHuey
from huey.storage import RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

# Created at import so tasks can be declared with its decorators; ``init_app`` points
# its storage at the configured backend before anything is enqueued.
huey: Huey = SqliteHuey(name="sidetalk", filename=":memory:", immediate=True)
_app: Flask | None = None

EMBEDDED_KEEPS_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def init_app(app: Flask) -> None:
    global _app
    _app = app
    app.extensions["huey"] = huey
    if app.config.get("TESTING") or app.config.get("JOBS_IMMEDIATE"):
        huey.immediate = True
        return
    if app.config.get("REDIS_URL"):
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": app.config["REDIS_URL"]}
    else:
        path = Path(app.instance_path) / "jobs.db"
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": str(path)}
    huey.immediate = False
    huey.storage = huey.create_storage()


def _in_app_context(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        if _app is None:
            raise RuntimeError("jobs.init_app was not called before running a task")
        with _app.app_context():
            return fn(*args, **kwargs)

    return run


def app_task(**options):
    """Declare a Huey task that runs inside the application context."""

    def decorate(fn):
        return huey.task(**options)(_in_app_context(fn))

    return decorate


def app_periodic_task(validate_datetime, **options):
    """Declare a periodic Huey task (e.g. ``crontab(minute="*")``) in the app context."""

    def decorate(fn):
        return huey.periodic_task(validate_datetime, **options)(_in_app_context(fn))

    return decorate


def start_embedded_consumer(workers: int = 2):
    """Run a consumer in this process's threads (the demo server); returns it."""
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    # Consumer.start() installs handlers for SIGINT, SIGTERM and SIGHUP that only set a
    # flag its own run() loop would read; embedded, nothing reads it, so Ctrl+C would be
    # swallowed. The server keeps the process's handlers; the threads are daemons.
    kept = {signum: signal.getsignal(signum) for signum in EMBEDDED_KEEPS_SIGNALS}
    consumer.start()
    for signum, handler in kept.items():
        signal.signal(signum, handler)
    log.info("embedded job consumer started with %d workers", workers)
    return consumer


def current_huey() -> Huey:
    return current_app.extensions["huey"]


__all__ = [
    "app_periodic_task",
    "app_task",
    "current_huey",
    "huey",
    "init_app",
    "start_embedded_consumer",
]
