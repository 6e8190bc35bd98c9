"""Benchmark: what websocket clients watching one extension cost its server per message.

One gunicorn worker (gthread, as ``push_latency.py`` starts it) on PostgreSQL (or
``--database-url``). Sequential ``POST /sandbox/inbound`` SMS to extension 101, first
with nobody watching, then with ``--clients`` websocket clients (asyncio + wsproto,
permessage-deflate offered like browsers) watching 101, for ``--rounds`` interleaved
rounds. Per phase: messages per second, the worker's CPU per message (user + system
time of the worker process from ``/proc``, so the clients' own decoding is not counted;
the bench process's own CPU is shown beside it) and, when watched, the push latency
from just before the POST to the frame at each client (p50 / p99 over every delivery).

    .venv/bin/python bench/fanout.py [--clients 50] [--messages 150] [--rounds 2]

The last output line is one JSON object (medians over the rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.ingest import fresh_database  # noqa: E402
from bench.ingest_inprocess import percentile, progress  # noqa: E402
from bench.push_latency import prepare_database, server_env, start_server  # noqa: E402
from bench.ws_clients import Run, close_all, connect_all  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def post_messages(server, to: str, count: int, case: int, run: Run | None) -> float:
    """POST ``count`` inbound SMS one after the other; return the wall seconds taken."""
    session = requests.Session()
    started = time.perf_counter()
    for n in range(count):
        text = f"Fan-out bench{case}m{n}x"
        payload = {"from": f"+1415555{n % 50:04d}", "to": to, "text": text, "type": "SMS"}
        if run is not None:
            run.sent_at[n] = time.perf_counter()
        response = session.post(f"{server.url}/sandbox/inbound", json=payload, timeout=30)
        if response.status_code != 201:
            raise SystemExit(f"inbound failed: {response.status_code} {response.text[:200]}")
    return time.perf_counter() - started


def phase(server, to: str, count: int, case: int, run: Run | None) -> dict:
    cpu_before, own_before = cpu_seconds(server.worker_pid), cpu_seconds(os.getpid())
    seconds = post_messages(server, to, count, case, run)
    cpu = cpu_seconds(server.worker_pid) - cpu_before
    own = cpu_seconds(os.getpid()) - own_before
    return {
        "msgs_per_s": count / seconds,
        "cpu_ms_per_message": cpu * 1000 / count,
        # The clients decode every frame in this process, under the same GIL as the
        # thread posting: with many clients this, not the server, can set the rate.
        "bench_cpu_ms_per_message": own * 1000 / count,
    }


async def watched_phase(server, person, clients: int, count: int, case: int) -> dict:
    run = Run(case=case)
    connected = await connect_all([person], clients, server.port, run)
    await asyncio.sleep(1.0)
    try:
        result = await asyncio.to_thread(phase, server, person.sms, count, case, run)
        deadline = time.monotonic() + 30
        while len(run.received) < count * clients and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await close_all(connected)
    latencies = list(run.received.values())
    result["deliveries"] = len(latencies)
    result["missed"] = count * clients - len(latencies)
    result["push_p50_ms"] = statistics.median(latencies) if latencies else None
    result["push_p99_ms"] = percentile(latencies, 0.99) if latencies else None
    return result


def median_of(rounds: list[dict], key: str) -> float | None:
    values = [r[key] for r in rounds if r.get(key) is not None]
    return round(statistics.median(values), 1) if values else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--messages", type=int, default=150, help="per phase")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default="", help="default: a new PostgreSQL schema")
    args = parser.parse_args(argv)

    alone, watched = [], []
    with tempfile.TemporaryDirectory(prefix="sidetalk-fanout-") as tmp:
        root = Path(tmp)
        with fresh_database("postgresql", root) as postgres_url:
            database_url = args.database_url or postgres_url
            people = prepare_database(database_url, root / "media", root / "instance")
            server = start_server(
                "gthread", server_env(database_url, root), args.clients, root / "server.log"
            )
            try:
                person = people[0]
                post_messages(server, person.sms, 20, 0, None)  # warm-up
                for number in range(args.rounds):
                    alone.append(phase(server, person.sms, args.messages, 0, None))
                    case = number + 1
                    watched.append(
                        asyncio.run(
                            watched_phase(server, person, args.clients, args.messages, case)
                        )
                    )
                    progress(f"round {case}: alone {alone[-1]}, watched {watched[-1]}")
            finally:
                server.stop()
    summary = {
        "alone": {key: median_of(alone, key) for key in ("msgs_per_s", "cpu_ms_per_message")},
        f"with_{args.clients}_clients": {
            key: median_of(watched, key)
            for key in (
                "msgs_per_s",
                "cpu_ms_per_message",
                "bench_cpu_ms_per_message",
                "push_p50_ms",
                "push_p99_ms",
            )
        }
        | {"missed": sum(r["missed"] for r in watched)},
        "messages_per_phase": args.messages,
        "rounds": args.rounds,
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
