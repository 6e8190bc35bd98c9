"""Session objects made from plain column values (``widget.models.loaded.attach``): what
the hot ingestion path hands its receivers instead of ORM-loaded objects."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import inspect, select

from tests.mailbox import build_mailbox
from widget.models import Extension
from widget.models.loaded import attach


def _counting(db):
    statements: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    return statements


def test_attach_makes_a_persistent_object_without_a_select_and_loads_the_rest(db):
    alice_id = build_mailbox().alice.id
    db.session.commit()
    db.session.expunge_all()
    statements = _counting(db)

    alice = attach(Extension, {"id": alice_id, "extension_number": "101", "name": "Alice"})

    assert statements == []
    assert inspect(alice).persistent and db.session.get(Extension, alice_id) is alice
    assert (alice.extension_number, alice.name) == ("101", "Alice")
    assert alice.account.platform == "sandbox"  # not given: loaded on first touch
    assert statements  # ...by a SELECT then


def test_attach_refreshes_the_session_s_object_or_leaves_it_as_it_is(db):
    alice = build_mailbox().alice
    db.session.commit()
    alice_id = alice.id

    kept = attach(Extension, {"id": alice_id, "name": "Remembered earlier"}, refresh=False)
    assert kept is alice and alice.name != "Remembered earlier"

    refreshed = attach(Extension, {"id": alice_id, "name": "Just written"})
    assert refreshed is alice and alice.name == "Just written"
    assert not db.session.dirty  # committed state, nothing to flush
    stored = db.session.execute(select(Extension.name).where(Extension.id == alice_id)).scalar()
    assert stored != "Just written"
