"""Twenty members claim the same case at once on PostgreSQL: exactly one wins.

Each claimer runs in its own thread with its own connection; a barrier releases them
together just before the UPDATE, so the database (not the application) decides.
"""

from __future__ import annotations

import threading

import pytest

from bench.claim_race import seed
from tests.queues.support import case_of, text_in
from widget.errors import Conflict
from widget.extensions import db
from widget.models import Extension, QueueConversation, QueueEventKind
from widget.queues import cases
from widget.queues import cases as cases_module

CLAIMERS = 20


@pytest.fixture
def race_app(postgres_url, tmp_path):
    """PostgreSQL with a pool as large as the crowd: every claimer holds a connection."""
    from tests.conftest import make_app

    options = {"pool_pre_ping": True, "pool_size": CLAIMERS + 2, "max_overflow": 0}
    app = make_app(postgres_url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS=options)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_twenty_concurrent_claims_have_exactly_one_winner(race_app, monkeypatch):
    pg_app = race_app
    with pg_app.app_context():
        member_ids = seed(CLAIMERS)  # the bench's crowd: Support and 17 more members
        case_id = case_of(text_in("Anyone there?")).id
        db.session.remove()
    assert len(member_ids) == CLAIMERS

    barrier = threading.Barrier(CLAIMERS, timeout=20)
    original = cases_module._change

    def together(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(cases_module, "_change", together)
    won, lost, errors = [], [], []

    def claimer(extension_id: int):
        with pg_app.app_context():
            try:
                cases.claim(db.session.get(Extension, extension_id), case_id)
                won.append(extension_id)
            except Conflict as exc:
                lost.append(exc.message)
            except BaseException as exc:  # reported to the test thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claimer, args=(i,)) for i in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(won) == 1, won
    assert len(lost) == CLAIMERS - 1
    with pg_app.app_context():
        winner = db.session.get(Extension, won[0])
        assert set(lost) == {f"Claimed by {winner.name}."}
        case = db.session.get(QueueConversation, case_id)
        assert case.claimed_by_id == winner.id
        claims = [e for e in case.events if e.kind == QueueEventKind.CLAIMED]
        assert [e.actor_id for e in claims] == [winner.id]
