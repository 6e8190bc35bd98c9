"""Queue fixtures: the demo's people and its "Support" queue on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from widget.platforms.sandbox.seed import seed_people
from widget.queues.manage import seed_demo_queue


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def queue_app(request):
    """An app whose database holds the demo's people and the Support queue (no history)."""
    app = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    with app.app_context():
        seed_demo_queue(seed_people())
    return app


@pytest.fixture
def support(queue_app):
    """Inside an app context: the Support queue (members 101, 102, 103)."""
    from tests.queues.support import queue_named

    with queue_app.app_context():
        yield queue_named("Support")


@pytest.fixture
def crm(support):
    """The Support queue, with the local CRM seeded (the customer is Jane Roe there)."""
    from tests.queues.support import extension
    from widget.extensions import db
    from widget.local_crm.seed import seed_local_crm

    seed_local_crm(extension("101").account)
    db.session.commit()
    return support
