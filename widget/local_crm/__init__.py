"""The local CRM: a small CRM inside Sidetalk's database, the embedded default connector.

``LocalConnector`` (entry point ``local``) implements the connector interface on the
``local_crm_*`` tables; ``seed.seed_local_crm`` fills them for the demo; ``pages`` is the
``/crm/local/...`` blueprint where a person sees what landed.
"""

from flask import Flask

from widget.local_crm.connector import LocalConnector

__all__ = ["LocalConnector", "init_app"]


def init_app(app: Flask) -> None:
    """Register the ``/crm/local`` pages (the connector itself comes by its entry point)."""
    from widget.local_crm.pages import bp

    app.register_blueprint(bp)
