"""Idempotency keys: the unique constraint decides, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from widget.compose.sending import check_key, claim
from widget.errors import DomainError
from widget.extensions import db
from widget.models import Extension, SendRequest
from widget.platforms.sandbox.seed import seed_people


@pytest.mark.parametrize(
    "key", ["", "short", "has spaces in it", "x" * 81, "<script>alert</script>"]
)
def test_malformed_keys_are_refused(key):
    with pytest.raises(DomainError):
        check_key(key)


def _claims_in_parallel(app, extension_id: int, key: str, workers: int = 4) -> list[bool]:
    """Claim one key from several threads at once (each has its own session)."""
    results: list[bool] = []
    barrier = threading.Barrier(workers)

    def worker():
        with app.app_context():
            extension = db.session.get(Extension, extension_id)
            barrier.wait()
            results.append(claim(extension, key).fresh)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _check_one_claim(app):
    with app.app_context():
        seed_people()
        extension = db.session.scalar(select(Extension).where(Extension.extension_number == "101"))
        first = claim(extension, "form-key-0001")
        second = claim(extension, "form-key-0001")
        assert first.fresh and not second.fresh
        assert second.request.id == first.request.id
        other = db.session.scalar(select(Extension).where(Extension.extension_number == "102"))
        assert claim(other, "form-key-0001").fresh  # keys are per extension
        extension_id = extension.id
    results = _claims_in_parallel(app, extension_id, "form-key-0002")
    assert sorted(results) == [False, False, False, True]
    with app.app_context():
        total = db.session.scalar(
            select(func.count())
            .select_from(SendRequest)
            .where(SendRequest.idempotency_key == "form-key-0002")
        )
        assert total == 1


def test_one_claim_per_key_on_sqlite(app):
    _check_one_claim(app)


@pytest.mark.postgres
def test_one_claim_per_key_on_postgresql(pg_app):
    _check_one_claim(pg_app)


@pytest.mark.postgres
def test_double_submit_over_http_on_postgresql(pg_app):
    """The whole compose path on PostgreSQL: one message for two posts of one form."""
    from tests.compose.conftest import compose, form_key
    from tests.helpers import sign_in
    from widget.models import Message

    with pg_app.app_context():
        seed_people()
    client = pg_app.test_client()
    headers = sign_in(client, "101")
    key = form_key(client, headers)
    first = compose(client, headers, ["+12025550123"], text="PG once", key=key)
    second = compose(client, headers, ["+12025550123"], text="PG once", key=key)
    assert first.status_code == second.status_code == 200
    with pg_app.app_context():
        messages = db.session.scalars(select(Message).where(Message.subject == "PG once")).all()
        assert len(messages) == 1
        assert messages[0].message_status.value == "Delivered"
