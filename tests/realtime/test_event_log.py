"""The event log: gap-free numbers per channel, catch-up, and when to reload instead."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from widget.extensions import db as _db
from widget.models import RealtimeEvent
from widget.realtime import events


def log(channel: str, count: int) -> list[int]:
    numbers = []
    for index in range(count):
        numbers.append(events.append(channel, "messages", f"<p>{channel} {index}</p>"))
        _db.session.commit()
    return numbers


def test_each_channel_counts_from_one_without_gaps(db):
    assert log("ext:1", 3) == [1, 2, 3]
    assert log("ext:2", 2) == [1, 2]
    assert log("ext:1", 1) == [4]
    assert events.latest(["ext:1", "ext:2", "queue:9"]) == {"ext:1": 4, "ext:2": 2, "queue:9": 0}


def test_a_rolled_back_event_gives_its_number_back(db):
    log("ext:1", 2)
    events.append("ext:1", "messages", "never committed")
    _db.session.rollback()

    assert log("ext:1", 1) == [3]


def test_catch_up_returns_exactly_what_was_missed_in_order(db):
    log("ext:1", 5)

    missed = events.catch_up("ext:1", 2)

    assert not missed.refresh
    assert [seq for seq, _ in missed.events] == [3, 4, 5]
    assert missed.events[0][1] == "<p>ext:1 2</p>"
    assert missed.position == 5


def test_nothing_missed_and_a_fresh_client_start_from_now(db):
    log("ext:1", 3)

    assert events.catch_up("ext:1", 3).events == []
    fresh = events.catch_up("ext:1", None)
    assert (fresh.events, fresh.refresh, fresh.position) == ([], False, 3)


def test_too_much_missed_asks_for_a_reload(db):
    log("ext:1", 6)

    result = events.catch_up("ext:1", 1, limit=3)

    assert result.refresh and result.events == [] and result.position == 6


def test_a_position_from_another_database_asks_for_a_reload(db):
    log("ext:1", 2)

    assert events.catch_up("ext:1", 40).refresh


def test_pruned_events_ask_for_a_reload(db, monkeypatch):
    monkeypatch.setattr(events, "RETAIN", 4)
    monkeypatch.setattr(events, "PRUNE_EVERY", 5)
    log("ext:1", 10)

    kept = _db.session.scalars(select(RealtimeEvent.seq).order_by(RealtimeEvent.seq)).all()
    assert kept == [7, 8, 9, 10]  # pruned at 5 and at 10
    assert events.catch_up("ext:1", 3).refresh
    assert [seq for seq, _ in events.catch_up("ext:1", 6).events] == [7, 8, 9, 10]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", {}),
        ("41", {"ext:7": 41}),
        ("ext:7@41", {"ext:7": 41}),
        ("ext:7@41,queue:3@0", {"ext:7": 41, "queue:3": 0}),
    ],
)
def test_positions_are_read_from_the_query(raw, expected):
    assert events.parse_positions(raw, "ext:7") == expected


@pytest.mark.parametrize(
    "raw", ["abc", "-1", "ext:7", "ext:7@x", "ext:0@1", "room:1@2", "ext:7@1;drop", "9" * 30]
)
def test_garbled_positions_are_none(raw):
    assert events.parse_positions(raw, "ext:7") is None


def _concurrent_appends(app, channel: str, workers: int, each: int) -> None:
    def work():
        with app.app_context():
            for _ in range(each):
                events.append(channel, "messages", "x")
                _db.session.commit()
            _db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


@pytest.mark.postgres
def test_concurrent_publishers_share_one_gap_free_sequence_on_postgresql(pg_app):
    _concurrent_appends(pg_app, "ext:1", workers=4, each=10)

    with pg_app.app_context():
        seqs = _db.session.scalars(
            select(RealtimeEvent.seq).where(RealtimeEvent.channel == "ext:1")
        ).all()
        assert sorted(seqs) == list(range(1, 41))
        assert events.latest(["ext:1"]) == {"ext:1": 40}


def test_concurrent_publishers_share_one_gap_free_sequence_on_sqlite(app):
    _concurrent_appends(app, "ext:1", workers=3, each=5)

    with app.app_context():
        count = _db.session.scalar(select(func.count()).select_from(RealtimeEvent))
        seqs = _db.session.scalars(select(RealtimeEvent.seq)).all()
        assert count == 15 and sorted(seqs) == list(range(1, 16))


@pytest.mark.postgres
def test_on_postgresql_an_event_is_numbered_and_stored_in_one_statement(pg_app):
    from sqlalchemy import event

    with pg_app.app_context():
        assert log("ext:3", 1) == [1]  # the channel's first event creates its counter
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            seq = events.append("ext:3", "messages", "<p>second & <b>last</b></p>")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        _db.session.commit()

        assert seq == 2 and len(statements) == 1
        stored = _db.session.execute(
            select(
                RealtimeEvent.seq, RealtimeEvent.kind, RealtimeEvent.html, RealtimeEvent.created_at
            )
            .where(RealtimeEvent.channel == "ext:3")
            .order_by(RealtimeEvent.seq)
        ).all()
        assert [(s, k, h) for s, k, h, _ in stored] == [
            (1, "messages", "<p>ext:3 0</p>"),
            (2, "messages", "<p>second & <b>last</b></p>"),
        ]
        assert all(created is not None and created.tzinfo is not None for *_, created in stored)
        assert events.latest(["ext:3"]) == {"ext:3": 2}
