"""Log to CRM: the Log panel and CRM settings (views in ``routes``).

The logging engine (matching, digests, background writes) lives beside it in
``engine.py`` and friends; this package's views only call the engine's functions.
"""

from flask import Blueprint, Flask

# No url_prefix: the panels live under /widget/crm (framed by CRM pages) while the
# manifest editor lives under /admin (never framed); see security.py.
bp = Blueprint("crm_logging", __name__)


def init_app(app: Flask) -> None:
    """Register the views, the logging tasks, and the receivers of new messages (auto-log,
    and the logs of shared-inbox cases), with the auto-log switch read along."""
    from widget.crm_logging import tasks
    from widget.inbox import read_along
    from widget.inbox.ingest import messages_changed, messages_staged

    app.register_blueprint(bp)
    # One receiver per process: connecting it again for another app is a no-op.
    messages_changed.connect(tasks.on_messages_changed)
    messages_staged.connect(tasks.on_messages_staged)
    read_along.register(tasks.READ_ALONG)
    # Shared-inbox cases: logged per case, brought up to date by new messages; the
    # queues capability connects its own events (``widget.queues.init_app``).
    messages_changed.connect(tasks.on_queue_messages)


from widget.crm_logging import routes  # noqa: E402,F401
