"""Benchmark: server time of the message-list fragment on a 100,000-message mailbox.

Seeds one extension (101) with ``--messages`` over ``--conversations`` (plus half as
much again for four colleagues, sharing the same customers), signs in as 101 the way
the iframe does, then times ``GET /widget/list`` through the Flask test client:

* ``first_page``: the list block for the default filter;
* ``mid_page`` and ``deep_page``: "load more" pages reached by walking the cursors
  (page 30 and page 60 by default), each cursor requested again and again;
* ``search``: the first page of the main search for ``--search`` (a word of the seeded
  texts), which also lists the matching conversations of 101's queues: the demo's
  "Support" queue gets ``--queue-share`` of 101's figures as its own mailbox, one case
  per conversation (0 leaves the queue out).

Wall time is measured in-process around each request (routing, auth, queries,
rendering; no network). Requests of the three cases are interleaved so background
load on a shared machine affects them alike. SQL statements per request are counted
with a SQLAlchemy event listener. Runs on SQLite (a temporary file) and on PostgreSQL
(a fresh schema, dropped afterwards) when reachable.

    .venv/bin/python bench/inbox_list.py [--messages N] [--conversations N]
        [--requests N] [--queue-share F] [--search WORD] [--skip-sqlite] [--skip-postgres]
        [--explain]

The last output line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.harness import (  # noqa: E402
    StatementLog,
    make_app,
    postgres_schema,
    postgres_unreachable,
    sign_in,
)
from bench.inbox_seed import TARGET_EXTENSION, seed_mailboxes  # noqa: E402
from widget.extensions import db  # noqa: E402
from widget.inbox.ingest import refresh_conversation  # noqa: E402
from widget.models import Conversation  # noqa: E402

TARGET_MEDIAN_MS = 25.0
TARGET_P95_MS = 60.0
CASES = ("first_page", "mid_page", "deep_page", "search")
QUEUE_ROW = re.compile(r'<li id="conversation-\d+" class="[^"]*\bqueue-row\b')
ROW = re.compile(r'<li id="conversation-\d+"')
LOAD_MORE = re.compile(r'id="load-more".*?hx-get="([^"]+)"', re.S)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per case")
    parser.add_argument("--deep-page", type=int, default=60, help="page number of the deep case")
    parser.add_argument(
        "--other-share", type=float, default=0.5, help="colleagues' data, as a share of 101's"
    )
    parser.add_argument(
        "--queue-share",
        type=float,
        default=0.25,
        help="the Support queue's data, as a share of 101's",
    )
    parser.add_argument("--search", default="order", help="the word the search case looks for")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of every statement of a request"
    )
    return parser.parse_args(argv)


SUMMARY_FIELDS = (
    "availability",
    "last_message_at",
    "last_message_type",
    "last_direction",
    "preview",
    "unread_count",
    "message_count",
)


def check_consistency(extension_id: int, sample: int = 40, seed: int = 3) -> int:
    """Recompute a sample of conversations with the real ingestion code; return how many.

    Raises ``AssertionError`` naming the first field that differs. Rolls back after.
    """
    ids = list(
        db.session.scalars(
            sa.select(Conversation.id).where(Conversation.extension_id == extension_id)
        )
    )
    chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
    try:
        for conversation in db.session.scalars(
            sa.select(Conversation).where(Conversation.id.in_(chosen))
        ):
            seeded = {f: getattr(conversation, f) for f in SUMMARY_FIELDS}
            refresh_conversation(conversation)
            for field in SUMMARY_FIELDS:
                if field in ("last_message_at", "preview") and seeded["availability"] != "Alive":
                    continue  # refresh leaves these as they were once nothing is alive
                if getattr(conversation, field) != seeded[field]:
                    raise AssertionError(
                        f"conversation {conversation.id}: seeded {field}={seeded[field]!r}, "
                        f"ingestion computes {getattr(conversation, field)!r}"
                    )
    finally:
        db.session.rollback()
    return len(chosen)


def fetch(client, url: str, headers: dict[str, str]) -> str:
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.data[:300]!r}")
    return response.get_data(as_text=True)


def walk_pages(client, headers) -> list[tuple[str, int]]:
    """Follow "Load more" to the end; return (url, rows) per page. Checks no row repeats."""
    pages, seen = [], set()
    url: str | None = "/widget/list"
    while url:
        body = fetch(client, url, headers)
        ids = re.findall(r'data-conversation-id="(\d+)"', body)
        if seen.intersection(ids):
            raise AssertionError(f"rows repeated on page {len(pages) + 1}")
        seen.update(ids)
        pages.append((url, len(ROW.findall(body))))
        found = LOAD_MORE.search(body)
        url = html.unescape(found.group(1)) if found else None
    return pages


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def time_cases(client, headers, urls: dict[str, str], requests: int, warmup: int):
    """Interleave the cases; return wall and CPU milliseconds per case.

    The test client runs the application in this thread, so the thread's CPU time is
    the request's own work: a figure other processes on a busy machine disturb less.
    """
    for _ in range(warmup):
        for url in urls.values():
            fetch(client, url, headers)
    wall: dict[str, list[float]] = {case: [] for case in urls}
    cpu: dict[str, list[float]] = {case: [] for case in urls}
    for _ in range(requests):
        for case, url in urls.items():
            started, started_cpu = time.perf_counter(), time.thread_time()
            fetch(client, url, headers)
            wall[case].append((time.perf_counter() - started) * 1000)
            cpu[case].append((time.thread_time() - started_cpu) * 1000)
    return wall, cpu


def explain(statements: list[tuple[str, object]]) -> None:
    """Print the plan of each captured statement (EXPLAIN ANALYZE on PostgreSQL)."""
    dialect = db.engine.dialect.name
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with db.engine.connect() as conn:
        for number, (statement, parameters) in enumerate(statements, start=1):
            print(f"\n  [{number}] {' '.join(statement.split())[:400]}")
            rows = conn.exec_driver_sql(prefix + statement, parameters).fetchall()
            for row in rows:
                print("      " + (" | ".join(str(v) for v in row[-1:]) if row else ""))


def run_database(name: str, url: str, args, root: Path) -> dict:
    app = make_app(url, root)
    try:
        with app.app_context():
            db.create_all()
            seeded = seed_mailboxes(
                args.messages, args.conversations, args.other_share, queue_share=args.queue_share
            )
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.exec_driver_sql("ANALYZE")
            checked = check_consistency(seeded.target_id)
            db.session.remove()
            log = StatementLog(db.engine)
        print(
            f"{name}: seeded {seeded.messages:,} messages, {seeded.conversations:,} "
            f"conversations, {seeded.attachments:,} attachments, {seeded.contacts:,} contacts "
            f"in {seeded.seconds:.1f} s ({seeded.messages / seeded.seconds:,.0f} messages/s); "
            f"{checked} conversation summaries re-derived by ingestion: all match"
        )
        client = app.test_client()
        headers = sign_in(client)
        pages = walk_pages(client, headers)
        walked = sum(rows for _, rows in pages)
        if walked != seeded.alive_conversations:
            raise AssertionError(f"walked {walked} rows, expected {seeded.alive_conversations}")
        full = [n for n, (_, rows) in enumerate(pages, start=1) if rows == pages[0][1]]
        deep = min(args.deep_page, full[-1])  # a full page, so every case renders as many rows
        numbers = {"first_page": 1, "mid_page": max(1, (deep + 1) // 2), "deep_page": deep}
        urls = {case: pages[numbers[case] - 1][0] for case in numbers}
        urls["search"] = f"/widget/list?q={args.search}"
        searched = fetch(client, urls["search"], headers)
        found = {"rows": len(ROW.findall(searched)), "queue_rows": len(QUEUE_ROW.findall(searched))}
        print(
            f"{name}: the search for {args.search!r} lists {found['rows']} rows on its first "
            f"page, {found['queue_rows']} of them the queue's"
        )
        print(
            f"{name}: {len(pages)} pages cover all {walked:,} alive conversations of "
            f"ext. {TARGET_EXTENSION}, no row repeated"
        )
        counts = {}
        for case, url in urls.items():
            # No app context of ours around the request: it must open (and close) its own
            # session, as in production, or the identity map would hide statements.
            with log.capture() as statements:
                fetch(client, url, headers)
            counts[case] = len(statements)
            if args.explain:
                print(
                    f"\n{name} {case} (page {numbers.get(case, 1)}): {len(statements)} statements"
                )
                with app.app_context():
                    explain(statements)
        load_before = os.getloadavg()[0]
        timings, cpu = time_cases(client, headers, urls, args.requests, args.warmup)
        result: dict = {}
        for case in CASES:
            values = timings[case]
            result[case] = {
                "median_ms": round(statistics.median(values), 2),
                "p95_ms": round(percentile(values, 0.95), 2),
                "max_ms": round(max(values), 2),
                "cpu_median_ms": round(statistics.median(cpu[case]), 2),
                "page": numbers.get(case, 1),
                "rows": pages[numbers[case] - 1][1] if case in numbers else found["rows"],
                "statements": counts[case],
                "requests": len(values),
            }
        # 1-minute load average of the machine around the timed requests (2 cores shared).
        result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        result["seed_seconds"] = round(seeded.seconds, 1)
        result["messages"] = seeded.messages
        result["search_queue_rows"] = found["queue_rows"]
        return result
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def print_table(results: dict) -> None:
    print()
    header = f"{'database':<11}{'case':<11}{'page':>5}{'rows':>6}{'SQL/req':>9}"
    print(header + f"{'median ms':>11}{'p95 ms':>9}{'max ms':>9}{'CPU ms':>8}  target")
    for name, result in results.items():
        if not result:
            continue
        for case in CASES:
            r = result[case]
            ok = r["median_ms"] <= TARGET_MEDIAN_MS and r["p95_ms"] <= TARGET_P95_MS
            print(
                f"{name:<11}{case:<11}{r['page']:>5}{r['rows']:>6}{r['statements']:>9}"
                f"{r['median_ms']:>11.2f}{r['p95_ms']:>9.2f}{r['max_ms']:>9.2f}"
                f"{r['cpu_median_ms']:>8.2f}  {'ok' if ok else 'MISSED'}"
            )
    print(
        f"(targets: median <= {TARGET_MEDIAN_MS:g} ms, p95 <= {TARGET_P95_MS:g} ms; "
        "CPU ms: median CPU time of the request's thread; load average during the runs: "
        + ", ".join(f"{n} {r['load_average']}" for n, r in results.items() if r)
        + ")"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results: dict[str, dict | None] = {}
    extra: dict[str, str] = {}
    print(
        f"inbox list bench: {args.messages:,} messages over {args.conversations:,} "
        f"conversations for ext. {TARGET_EXTENSION}, {args.requests} timed requests per case"
    )
    with tempfile.TemporaryDirectory(prefix="sidetalk-bench-") as tmp:
        root = Path(tmp)
        if args.skip_sqlite:
            results["sqlite"], extra["sqlite_reason"] = None, "skipped with --skip-sqlite"
        else:
            url = f"sqlite:///{root / 'bench.db'}"
            results["sqlite"] = run_database("sqlite", url, args, root / "sqlite")
        reason = "skipped with --skip-postgres" if args.skip_postgres else postgres_unreachable()
        if reason:
            print(f"postgresql: {reason}; not measured")
            results["postgresql"] = None
            extra["postgresql_reason"] = reason
        else:
            with postgres_schema() as url:
                results["postgresql"] = run_database("postgresql", url, args, root / "pg")
    print_table(results)
    print(json.dumps({**results, **extra}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
