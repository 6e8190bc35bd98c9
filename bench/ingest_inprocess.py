"""The in-process cases of ``bench/ingest.py``: statements per message, the raw-insert
floor, batch pages, long against short threads, mark-read, search over history.

Also what profiling the single-message path needs: ``make_app`` builds the application
on a database, ``counting`` counts statements and commits, and ``post_inbound_in_process``
is one ``POST /sandbox/inbound`` through the Flask test client (wrap it in ``cProfile``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bench import ingest_seed
from bench.push_latency import SECRET_KEY


def progress(message: str) -> None:
    """A line on stderr per phase: a long run shows where it is."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def make_app(database_url: str, root: Path):
    os.environ["SIDETALK_INSTANCE_PATH"] = str(root / "instance")
    from widget import create_app
    from widget.config import TestConfig

    config = TestConfig(database_url=database_url, media_dir=str(root / "media"))
    config.SECRET_KEY = SECRET_KEY
    return create_app(config)


@contextmanager
def counting(engine):
    counts = {"statements": 0, "commits": 0}

    def on_execute(*_):
        counts["statements"] += 1

    def on_commit(*_):
        counts["commits"] += 1

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    sa.event.listen(engine, "commit", on_commit)
    try:
        yield counts
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
        sa.event.remove(engine, "commit", on_commit)


def post_inbound_in_process(client, to: str, sender: str, text: str) -> float:
    """One ``POST /sandbox/inbound`` SMS through the test client; its wall seconds."""
    payload = {"from": sender, "to": to, "text": text, "type": "SMS"}
    started = time.perf_counter()
    response = client.post("/sandbox/inbound", json=payload)
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise SystemExit(f"inbound failed: {response.status_code} {response.data[:200]}")
    return elapsed


def in_process_cases(database_url: str, root: Path, args) -> dict:
    from widget.extensions import db
    from widget.inbox.events import IngestionSink
    from widget.inbox.service import mark_conversation_read
    from widget.models import Conversation, Extension, Message
    from widget.platforms.sandbox.seed import seed_people

    app = make_app(database_url, root)
    client = app.test_client()
    result: dict = {}
    with app.app_context():
        db.create_all()
        seed_people()
        db.session.commit()
        ext = db.session.scalars(sa.select(Extension).where(Extension.extension_number == "101"))
        ext = ext.one()
        ext_id, own = ext.id, ext.sms_numbers[0].e164
        db.session.remove()

    def inbound(sender: str, text: str) -> float:
        return post_inbound_in_process(client, own, sender, text)

    for n in range(5):
        inbound("+14155550001", f"warm-up {n}")
    with app.app_context(), counting(db.engine) as counts:
        for n in range(20):
            inbound("+14155550001", f"counted {n}")
    result["statements_per_message"] = counts["statements"] / 20
    progress(f"statements per message: {result['statements_per_message']}")
    result["commits_per_message"] = counts["commits"] / 20

    # Floor: the same row, raw INSERT + COMMIT.
    with app.app_context():
        row = dict(
            db.session.execute(sa.select(Message.__table__).order_by(Message.id.desc()).limit(1))
            .mappings()
            .one()
        )
        row.pop("id")
        table = Message.__table__
        with db.engine.connect() as conn:
            started = time.perf_counter()
            for n in range(args.messages):
                conn.execute(table.insert(), {**row, "platform_message_id": f"floor-{n}"})
                conn.commit()
            result["floor"] = args.messages / (time.perf_counter() - started)
        progress(f"floor: {result['floor']:.1f} rows/s")
        db.session.remove()

    # Batch: pages of 1,000 records through the event sink.
    with app.app_context():
        sink = IngestionSink()
        extension = db.session.get(Extension, ext_id)
        pages = [
            ingest_seed.page_of_records(
                f"batch{p}-", own, 1000, 300, ingest_seed.T0 + timedelta(days=p)
            )
            for p in range(args.pages)
        ]
        started = time.perf_counter()
        for page in pages:
            sink.records_changed(extension, page)
            extension = db.session.get(Extension, ext_id)
        result["batch"] = args.pages * 1000 / (time.perf_counter() - started)
        progress(f"batch: {result['batch']:.1f} records/s")
        db.session.remove()

    # Long thread against short thread, interleaved.
    short_number, long_number = "+14155559010", "+14155559025"
    with app.app_context():
        extension = db.session.get(Extension, ext_id)
        ingest_seed.seed_thread(extension, own, short_number, 10, "short-")
        ingest_seed.seed_thread(extension, own, long_number, args.long_thread, "long-")
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execute(sa.text("ANALYZE"))
                conn.commit()
        db.session.remove()
    times: dict[str, list[float]] = {"short": [], "long": []}
    reads: dict[str, list[float]] = {"short": [], "long": []}
    for n in range(args.rounds):
        for key, number in (("short", short_number), ("long", long_number)):
            elapsed = 0.0
            for k in range(3):
                elapsed += inbound(number, f"round {n} {k}")
            times[key].append(elapsed / 3)
            with app.app_context():
                conversation = db.session.scalars(
                    sa.select(Conversation).where(
                        Conversation.extension_id == ext_id,
                        Conversation.participants == f",{number},",
                    )
                ).one()
                extension = db.session.get(Extension, ext_id)
                started = time.perf_counter()
                mark_conversation_read(extension, conversation)
                reads[key].append(time.perf_counter() - started)
                db.session.remove()
    result["long_thread"] = statistics.median(times["long"]) / statistics.median(times["short"])
    result["mark_read"] = statistics.median(reads["long"]) / statistics.median(reads["short"])
    ms = {key: round(statistics.median(values) * 1000, 1) for key, values in times.items()}
    read_ms = {key: round(statistics.median(values) * 1000, 1) for key, values in reads.items()}
    progress(f"per message (ms): {ms}; mark-read (ms): {read_ms}")
    result["search"] = search_case(app, ext_id, args)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return result


def search_case(app, ext_id: int, args) -> dict:
    from widget.extensions import db
    from widget.inbox import fragments
    from widget.inbox.service import ListFilter
    from widget.models import Extension

    with app.app_context():
        # Another extension of the same account holds the million messages.
        target = db.session.scalars(
            sa.select(Extension).where(Extension.extension_number == "102")
        ).one()
        started = time.perf_counter()
        with db.engine.connect() as conn:
            ingest_seed.seed_search_mailbox(
                conn, db.engine.dialect.name, target.id, args.search_messages
            )
            conn.commit()
            if db.engine.dialect.name == "postgresql":
                conn.execute(sa.text("ANALYZE"))
                conn.commit()
        seed_seconds = time.perf_counter() - started
        progress(
            f"search mailbox of {args.search_messages} messages seeded in {seed_seconds:.1f} s"
        )
        target_id = target.id
        db.session.remove()
    words = list(ingest_seed.OLD_WORDS)
    timings = []
    found = 0
    with app.app_context():
        for n in range(args.searches + 3):
            extension = db.session.get(Extension, target_id)
            with app.test_request_context(f"/widget/list?q={words[n % len(words)]}"):
                started = time.perf_counter()
                html = fragments.render_list(extension, ListFilter(query=words[n % len(words)]))
                elapsed = (time.perf_counter() - started) * 1000
            db.session.remove()
            if n >= 3:  # the first ones warm the caches
                timings.append(elapsed)
                found += html.count('id="conversation-')
    return {
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "rows_found_per_search": round(found / len(timings), 1),
        "seed_seconds": round(seed_seconds, 1),
        "messages": args.search_messages,
    }
