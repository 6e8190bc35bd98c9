"""Template lists under concurrent writers, on PostgreSQL (real row locks, real constraints)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from widget.errors import DomainError
from widget.extensions import db
from widget.models import Account, Extension, SmsTemplate, TemplateScope
from widget.sms_templates.service import (
    TemplateInvalid,
    create_template,
    delete_template,
    get_template,
    list_templates,
    move_template,
)

pytestmark = pytest.mark.postgres
WRITERS = 6


def make_user(app) -> int:
    with app.app_context():
        account = Account(platform="sandbox", platform_account_id="pg", name="PG Co")
        user = Extension(
            account=account, platform_extension_id="pg-1", extension_number="101", name="P G"
        )
        db.session.add_all([account, user])
        db.session.commit()
        return user.id


def run_together(app, work, count: int = WRITERS) -> list[object]:
    """Run ``work(index)`` in ``count`` threads released at once; return results or errors."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def worker(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = work(index)
            except (DomainError, TemplateInvalid) as exc:
                db.session.rollback()
                results[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def positions(app, user_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        user = db.session.get(Extension, user_id)
        return [(t.position, t.title) for t in list_templates(user, TemplateScope.PERSONAL)]


def test_concurrent_creates_stop_exactly_at_the_limit(pg_app):
    user_id = make_user(pg_app)
    with pg_app.app_context():
        user = db.session.get(Extension, user_id)
        for n in range(22):
            create_template(user, TemplateScope.PERSONAL, f"T{n}", "x")

    def add(index: int):
        user = db.session.get(Extension, user_id)
        return create_template(user, TemplateScope.PERSONAL, f"New {index}", "x").id

    results = run_together(pg_app, add)
    created = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, TemplateInvalid)]
    assert len(created) == 3 and len(refused) == WRITERS - 3
    assert [p for p, _ in positions(pg_app, user_id)] == list(range(25))


def test_concurrent_moves_and_deletes_keep_positions_dense(pg_app):
    user_id = make_user(pg_app)
    with pg_app.app_context():
        user = db.session.get(Extension, user_id)
        ids = [create_template(user, TemplateScope.PERSONAL, f"T{n}", "x").id for n in range(10)]

    def shuffle(index: int):
        user = db.session.get(Extension, user_id)
        if index == 0:
            return delete_template(user, get_template(user, ids[9]))
        template = get_template(user, ids[index])
        return move_template(user, template, (index * 3) % 9)

    results = run_together(pg_app, shuffle)
    assert not [r for r in results if isinstance(r, Exception)], results
    final = positions(pg_app, user_id)
    assert [p for p, _ in final] == list(range(9))
    assert sorted(title for _, title in final) == sorted(f"T{n}" for n in range(9))
    with pg_app.app_context():
        assert db.session.scalar(select(SmsTemplate.id).where(SmsTemplate.position < 0)) is None
