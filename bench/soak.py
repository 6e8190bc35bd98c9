"""Soak: gunicorn (2 gthread workers) + ``sidetalk worker`` + PostgreSQL + Redis under traffic.

N widgets are connected (one per user, each its own extension and SMS number) while
inbound SMS arrive at R messages/s for D minutes (``POST /sandbox/inbound``, from a
pool of customers who are Contacts in the fake Salesforce). Meanwhile users open
threads (which marks them read) and reply (the sandbox's simulated delivery runs in the
worker), and a share of the users auto-log to the fake Salesforce.

Measured after a warm-up: every HTTP request and its status; every inbound message's
frame at its widget (time from just before the POST to the frame); the resident set of
the two gunicorn workers plus the job worker at the end of the warm-up and at the end;
duplicate CRM activities, counted at the fake Salesforce (Tasks per log key).

    .venv/bin/python bench/soak.py                      # 500 widgets, 30 msg/s, 10 minutes
    .venv/bin/python bench/soak.py --widgets 50 --rate 5 --minutes 1 --warmup-seconds 10

PostgreSQL: a fresh schema on ``--database-url`` (dropped afterwards); Redis: a private
``redis-server`` unless ``--redis-url`` is given. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench import soak_setup  # noqa: E402
from bench.push_latency import percentile  # noqa: E402
from bench.ws_clients import Run, close_all, connect_all  # noqa: E402
from fakes.salesforce import FakeSalesforce  # noqa: E402

MEASURED = 1  # the marker case of measured messages; warm-up messages are case 0
INJECTORS = 4  # threads posting inbound messages (a slow answer must not stall the rate)
TARGETS = {"errors_5xx": 0, "push_p99_ms": 250.0, "rss_growth_pct": 10.0, "crm_duplicates": 0}


class Traffic:
    """The load: inbound messages, thread opens and replies; counts every request."""

    def __init__(self, url: str, widgets: list, customers: int, run: Run) -> None:
        self.url, self.widgets, self.customers, self.run = url, widgets, customers, run
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.delivered: dict[int, int] = {}  # measured message -> widget index
        self.conversations: dict[int, set[int]] = {}  # widget index -> conversation ids
        self.stop = threading.Event()

    def _request(self, session, method: str, path: str, **kwargs):
        try:
            answer = session.request(method, f"{self.url}{path}", timeout=30, **kwargs)
        except requests.RequestException:
            with self.lock:
                self.statuses["no answer"] += 1
            return None
        with self.lock:
            self.statuses[answer.status_code] += 1
        return answer

    def inject(self, case: int, numbers, rate: float, start: float) -> None:
        session = requests.Session()
        for number in numbers:
            delay = start + number / rate - time.perf_counter()
            # A server that cannot keep up leaves the injector behind its schedule: the
            # phase still ends on time, and the rate achieved is reported.
            if self.stop.wait(max(0.0, delay)):
                return
            index = (number * 7919) % len(self.widgets)
            payload = {
                "from": soak_setup.customer_number(number % self.customers),
                "to": self.widgets[index].sms,
                "text": f"Soak message bench{case}m{number}x",
                "type": "SMS",
            }
            if case == MEASURED:
                self.run.sent_at[number] = time.perf_counter()
            answer = self._request(session, "POST", "/sandbox/inbound", json=payload)
            if answer is not None and answer.status_code == 201:
                with self.lock:
                    if case == MEASURED:
                        self.delivered[number] = index
                    self.conversations.setdefault(index, set()).add(
                        answer.json()["conversation_id"]
                    )

    def users(self, opens_per_s: float, reply_every: int) -> None:
        """Users open a thread now and then; every ``reply_every``-th open also replies."""
        session, chooser = requests.Session(), random.Random(16)
        for action in itertools.count(1):
            if self.stop.wait(1 / opens_per_s):
                return
            with self.lock:
                known = [(i, sorted(c)) for i, c in self.conversations.items()]
            if not known:
                continue
            index, conversation_ids = chooser.choice(known)
            conversation = chooser.choice(conversation_ids)
            headers = self.widgets[index].headers
            path = f"/widget/conversations/{conversation}"
            self._request(session, "GET", path, headers=headers)
            if action % reply_every == 0:
                form = {
                    "text": f"Reply {action}",
                    "idempotency_key": secrets.token_urlsafe(18),
                    "from": self.widgets[index].sms,
                }
                reply = f"/widget/compose/conversations/{conversation}/reply"
                self._request(session, "POST", reply, headers=headers, data=form)

    def phase(self, case: int, rate: float, seconds: float, opens: float, reply_every: int):
        """Run the traffic for ``seconds``; return once every thread has stopped."""
        self.stop.clear()
        total = int(rate * seconds)
        start = time.perf_counter()
        threads = [
            threading.Thread(
                target=self.inject, args=(case, range(i, total, INJECTORS), rate, start)
            )
            for i in range(INJECTORS)
        ]
        threads.append(threading.Thread(target=self.users, args=(opens, reply_every)))
        for thread in threads:
            thread.start()
        return threads


async def _wait_threads(threads, stop: threading.Event, seconds: float) -> None:
    """Let the phase run ``seconds`` (or until every message is sent), then stop it."""
    deadline = time.monotonic() + seconds
    while any(t.is_alive() for t in threads[:-1]) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    stop.set()
    while any(t.is_alive() for t in threads):
        await asyncio.sleep(0.1)


async def soak(args, processes, widgets) -> dict:
    run = Run(case=MEASURED)
    clients = await connect_all(widgets, len(widgets), processes.port, run)
    traffic = Traffic(processes.url, widgets, args.customers, run)
    opens = max(0.2, args.rate / 10)
    warm = traffic.phase(0, args.rate, args.warmup_seconds, opens, args.reply_every)
    await _wait_threads(warm, traffic.stop, args.warmup_seconds)
    rss_start = processes.rss_mb()
    traffic.statuses.clear()

    seconds = args.minutes * 60
    started = time.monotonic()
    measured = traffic.phase(MEASURED, args.rate, seconds, opens, args.reply_every)
    await _wait_threads(measured, traffic.stop, seconds)
    elapsed = time.monotonic() - started
    deadline = time.monotonic() + 30  # stragglers (a frame is at most catch-up away)
    while len(_received(run, traffic)) < len(traffic.delivered) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    rss_end = processes.rss_mb()
    await close_all(clients)

    received = _received(run, traffic)
    latencies = list(received.values())
    if args.trace:
        # When each slow push was sent shows whether the tail comes in periodic bursts.
        begin = min(run.sent_at.values(), default=0.0)
        lines = [f"{run.sent_at[m] - begin:.3f} {ms:.1f}" for m, ms in sorted(received.items())]
        Path(args.trace).write_text("".join(line + "\n" for line in lines))
    statuses = traffic.statuses
    return {
        "requests": sum(statuses.values()),
        "errors_5xx": sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500),
        "no_answer": statuses["no answer"],
        "statuses": {str(s): n for s, n in sorted(statuses.items(), key=str)},
        "frames_expected": len(traffic.delivered),
        "inbound_per_s": round(len(traffic.delivered) / elapsed, 1),
        "frames_received": len(latencies),
        "push_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "push_p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_growth_pct": round(100 * (rss_end - rss_start) / rss_start, 1),
    }


def _received(run: Run, traffic: Traffic) -> dict:
    """Frames of delivered messages that reached their own widget."""
    return {
        message: ms
        for (message, index), ms in run.received.items()
        if traffic.delivered.get(message) == index
    }


def crm_duplicates(fake: FakeSalesforce) -> tuple[int, int]:
    """Return (Tasks, extra Tasks for a log key that already had one) at the fake."""
    per_key = Counter(task["CallObject"] for task in fake.records("Task"))
    return sum(per_key.values()), sum(n - 1 for n in per_key.values() if n > 1)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widgets", type=int, default=500)
    parser.add_argument("--rate", type=float, default=30.0, help="inbound messages per second")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup-seconds", type=float, default=60.0)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--loggers-share", type=float, default=0.2, help="users with auto-log")
    parser.add_argument("--reply-every", type=int, default=3, help="every Nth thread open")
    parser.add_argument("--database-url", default=soak_setup.DEFAULT_POSTGRES)
    parser.add_argument("--redis-url", default="", help="default: a private redis-server")
    parser.add_argument(
        "--trace", default="", help="write 'seconds into the phase, push ms' per message here"
    )
    args = parser.parse_args(argv)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 4 * args.widgets + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    loggers = round(args.widgets * args.loggers_share)
    redis_proc = None
    with (
        tempfile.TemporaryDirectory(prefix="sidetalk-soak-") as tmp,
        FakeSalesforce(seed=False) as fake,
    ):
        root = Path(tmp)
        for index in range(args.customers):
            digits = soak_setup.customer_number(index)[2:]
            phone = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
            fake.add_contact(f"Customer{index}", "Soak", phone=phone)
        database_url, schema = soak_setup.new_schema(args.database_url)
        processes = None
        try:
            widgets = soak_setup.prepare(database_url, root, args.widgets, loggers, fake)
            redis_url = args.redis_url
            if not redis_url:
                redis_proc, redis_url = soak_setup.start_redis(root)
            env = soak_setup.process_env(database_url, redis_url, root, fake)
            processes = soak_setup.Processes(env, args.widgets, root)
            figures = asyncio.run(soak(args, processes, widgets))
        finally:
            if processes is not None:
                processes.stop()
            if redis_proc is not None:
                redis_proc.terminate()
                redis_proc.wait(timeout=10)
            soak_setup.drop_schema(args.database_url, schema)
        tasks, duplicates = crm_duplicates(fake)

    figures |= {"crm_tasks": tasks, "crm_duplicates": duplicates}
    figures |= {
        "widgets": args.widgets,
        "rate_per_s": args.rate,
        "minutes": args.minutes,
        "auto_loggers": loggers,
        "load_average": round(os.getloadavg()[0], 2),
    }
    report(figures)
    return figures


def report(figures: dict) -> None:
    print(
        f"soak: {figures['widgets']} widgets, {figures['rate_per_s']:g} inbound/s for "
        f"{figures['minutes']:g} min, {figures['auto_loggers']} auto-loggers, "
        f"load {figures['load_average']}"
    )
    names = ("requests", "statuses", "inbound_per_s", "frames_expected", "frames_received")
    for name in (*names, "push_p50_ms"):
        print(f"  {name:<16} {figures[name]}")
    for name in ("rss_start_mb", "rss_end_mb", "crm_tasks"):
        print(f"  {name:<16} {figures[name]}")
    for name, target in TARGETS.items():
        value = figures[name]
        met = value is not None and value <= target
        print(f"  {name:<16} {value}  (target <= {target:g}: {'met' if met else 'MISSED'})")
    every = figures["frames_received"] == figures["frames_expected"]
    print(f"  every frame received: {'met' if every else 'MISSED'}")
    keys = ("requests", "errors_5xx", "frames_expected", "frames_received", "push_p99_ms")
    keys += ("rss_growth_pct", "crm_duplicates")
    print(
        json.dumps(
            {key: figures[key] for key in keys}
            | {k: v for k, v in figures.items() if k not in keys}
        )
    )


if __name__ == "__main__":
    main()
