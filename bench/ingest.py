"""Benchmark: ingestion cost per message, per page, on long threads, and search over history.

For SQLite and PostgreSQL, each on a fresh database holding the demo's people:

- ``single``: one gunicorn worker (gthread), sequential ``POST /sandbox/inbound`` (the
  webhook-style path: one message per request) to extension 101 over one kept-alive
  connection; messages per second.
  ``statements_per_message`` and ``commits_per_message`` are counted in-process on the
  same request through the Flask test client.
- ``single_with_50_clients``: the same with 50 websocket clients watching 101.
- ``batch``: pages of 1,000 records through the platform event sink
  (``records_changed``, what a RingCentral sync page calls); records per second.
- ``long_thread``: per-message time (in-process ``POST /sandbox/inbound``) on a
  25,000-message thread divided by the time on a 10-message thread, interleaved.
- ``mark_read_long_thread``: the same ratio for marking three new messages read.
- ``search``: ``q=<a word of the oldest messages>`` over a 1,000,000-message mailbox,
  list rendered as the widget asks for it; median and p95 ms.
- ``floor``: raw ``INSERT`` + ``COMMIT`` of one message row, rows per second.

    .venv/bin/python bench/ingest.py [--skip-sqlite] [--skip-postgres] [--messages 300]
        [--clients 50] [--pages 5] [--long-thread 25000] [--rounds 60]
        [--search-messages 1000000] [--searches 40]

The last output line is one JSON object with the figures per database.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.ingest_inprocess import in_process_cases, progress  # noqa: E402
from bench.push_latency import (  # noqa: E402
    prepare_database,
    server_env,
    start_server,
)
from bench.ws_clients import Run, close_all, connect_all  # noqa: E402

POSTGRES_URL = os.environ.get(
    "SIDETALK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TARGETS = {
    "single_msgs_per_s": 200,
    "with_clients_msgs_per_s": 150,
    "statements_per_message": 8,
    "batch_records_per_s": 3000,
    "ratio": 1.3,
    "search_median_ms": 50,
    "search_p95_ms": 150,
}


@contextmanager
def fresh_database(kind: str, root: Path):
    """A database URL on a fresh SQLite file or a new PostgreSQL schema (dropped after)."""
    if kind == "sqlite":
        yield f"sqlite:///{root / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- through a real server -----------------------------------------------------------


def post_inbound(url: str, to: str, count: int, tag: str) -> float:
    """POST ``count`` inbound SMS one after the other over one kept-alive connection, as
    a webhook sender would; return messages per second.

    ``http.client`` rather than ``requests``: on this machine ``requests`` spends about
    1.4 ms of CPU per request preparing and parsing it, on the one sequential path being
    measured, and a platform's webhook sender does not run on the server's cores.
    """
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    headers = {"Content-Type": "application/json"}
    try:
        started = time.perf_counter()
        for n in range(count):
            payload = {
                "from": f"+1415555{n % 50:04d}",
                "to": to,
                "text": f"{tag} {n}",
                "type": "SMS",
            }
            connection.request("POST", "/sandbox/inbound", json.dumps(payload), headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != 201:
                raise SystemExit(f"inbound failed: {response.status} {answer[:200]!r}")
        return count / (time.perf_counter() - started)
    finally:
        connection.close()


async def _with_clients(server, person, clients: int, messages: int) -> float:
    run = Run(case=1)
    connected = await connect_all([person], clients, server.port, run)
    await asyncio.sleep(1.0)
    try:
        return await asyncio.to_thread(post_inbound, server.url, person.sms, messages, "watched")
    finally:
        await close_all(connected)


def server_cases(database_url: str, root: Path, messages: int, clients: int) -> dict:
    people = prepare_database(database_url, root / "media", root / "instance")
    env = server_env(database_url, root)
    server = start_server("gthread", env, clients, root / "server.log")
    try:
        post_inbound(server.url, people[0].sms, 20, "warm-up")
        single = post_inbound(server.url, people[0].sms, messages, "alone")
        watched = asyncio.run(_with_clients(server, people[0], clients, messages))
    finally:
        server.stop()
    progress(f"server: {single:.1f} msg/s alone, {watched:.1f} msg/s watched by {clients}")
    return {"single": round(single, 1), "watched": round(watched, 1)}


def measure(kind: str, args) -> dict:
    progress(f"{kind}: starting")
    with tempfile.TemporaryDirectory(prefix="sidetalk-ingest-") as tmp:
        root = Path(tmp)
        with fresh_database(kind, root / "a") as url:
            (root / "a").mkdir(exist_ok=True)
            served = server_cases(url, root / "a", args.messages, args.clients)
        with fresh_database(kind, root / "b") as url:
            (root / "b").mkdir(exist_ok=True)
            local = in_process_cases(url, root / "b", args)
    return {
        "single": {
            "msgs_per_s": served["single"],
            "statements_per_message": round(local["statements_per_message"], 2),
            "commits_per_message": round(local["commits_per_message"], 2),
        },
        f"single_with_{args.clients}_clients": {"msgs_per_s": served["watched"]},
        "batch": {"records_per_s": round(local["batch"], 1)},
        "long_thread": {"ratio": round(local["long_thread"], 2)},
        "mark_read_long_thread": {"ratio": round(local["mark_read"], 2)},
        "search": local["search"],
        "floor": {"raw_insert_rows_per_s": round(local["floor"], 1)},
    }


def postgres_reachable() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 (any failure means: measure SQLite only)
        return str(exc).splitlines()[0]
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300, help="per single-message case")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pages", type=int, default=5, help="batch pages of 1,000 records")
    parser.add_argument("--long-thread", type=int, default=25_000)
    parser.add_argument("--rounds", type=int, default=60, help="long/short thread rounds")
    parser.add_argument("--search-messages", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=40)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    figures: dict = {}
    if not args.skip_sqlite:
        figures["sqlite"] = measure("sqlite", args)
    if not args.skip_postgres:
        reason = postgres_reachable()
        if reason is None:
            figures["postgresql"] = measure("postgresql", args)
        else:
            figures["postgresql"], figures["postgresql_reason"] = None, reason
    load = os.getloadavg()[0]
    print(f"ingest benchmark, load average {load:.1f}")
    for name, f in figures.items():
        if not isinstance(f, dict):
            continue
        clients = f[f"single_with_{args.clients}_clients"]["msgs_per_s"]
        print(
            f"{name:>10}: single {f['single']['msgs_per_s']} msg/s"
            f" ({f['single']['statements_per_message']} statements,"
            f" {f['single']['commits_per_message']} commits per message),"
            f" {clients} msg/s with {args.clients} clients,"
            f" batch {f['batch']['records_per_s']} records/s,"
            f" long/short thread {f['long_thread']['ratio']},"
            f" mark-read {f['mark_read_long_thread']['ratio']},"
            f" search {f['search']['median_ms']} / {f['search']['p95_ms']} ms,"
            f" floor {f['floor']['raw_insert_rows_per_s']} rows/s"
        )
    figures["load_average"] = round(load, 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
