"""Benchmark: websocket push latency and memory per connection.

Starts one Sidetalk server process (gunicorn, one worker; ``--server gthread`` or
``gevent``) on a fresh database holding the demo's people, connects N websocket
clients spread over the five demo extensions (N = 10, 200, 1,000 by default), injects
inbound SMS with ``POST /sandbox/inbound`` at a steady rate, and measures, for every
(message, receiving client) pair, the time from just before the POST is sent to the
moment the client has the frame that carries the message. Each message goes to one
extension, so it reaches a fifth of the clients.

Memory: the worker's resident set (``VmRSS`` of ``/proc/<pid>/status``) just before the
clients connect and once they are all connected and idle; the difference divided by N
is the memory per connection.

Clients are asyncio + wsproto in this process (one thread for all of them, offering
permessage-deflate like browsers, answering pings), so the client side does not need
a thread per connection; they still share the machine's two cores with the server.

    .venv/bin/python bench/push_latency.py [--server gthread|gevent] [--clients 10,200,1000]
        [--messages 30] [--rate 5] [--database-url URL] [--gevent-path DIR]

Bounded: every wait has a deadline, the server is killed at the end, loopback only.
The last output line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402

from bench.ws_clients import Run, close_all, connect_all  # noqa: E402

SECRET_KEY = secrets.token_hex(32)
OUTSIDE_NUMBER = "+14155550123"
TARGET_P99_MS_AT_200 = 100.0
TARGET_RSS_MB_PER_CONNECTION = 1.0


# --- setup ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    extension_id: int
    number: str
    sms: str
    token: str


def prepare_database(database_url: str, media_dir: Path, instance: Path) -> list[Person]:
    """Create the schema and the demo's people; return tokens for extensions 101-105."""
    os.environ["SIDETALK_INSTANCE_PATH"] = str(instance)
    from widget import create_app
    from widget.config import TestConfig
    from widget.extensions import db
    from widget.platforms.sandbox.seed import seed_people
    from widget.security import Identity, issue_widget_token

    config = TestConfig(database_url=database_url, media_dir=str(media_dir))
    config.SECRET_KEY = SECRET_KEY
    app = create_app(config)
    with app.app_context():
        db.create_all()
        account = seed_people()
        people = [
            Person(
                ext.id,
                ext.extension_number,
                ext.sms_numbers[0].e164,
                issue_widget_token(Identity(ext.id, secrets.token_urlsafe(16))),
            )
            for ext in sorted(account.extensions, key=lambda e: e.extension_number)
            if ext.sms_numbers
        ]
        db.session.remove()
        db.engine.dispose()
    return people


def server_env(database_url: str, root: Path) -> dict[str, str]:
    """The environment of a server process on ``database_url`` with its files in ``root``."""
    return {
        **os.environ,
        "SECRET_KEY": SECRET_KEY,
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "SIDETALK_MEDIA_DIR": str(root / "media"),
        "SIDETALK_INSTANCE_PATH": str(root / "instance"),
        "REDIS_URL": "",
        # POST /sandbox/inbound exists only in the demo; the bench seeds its own people.
        "SIDETALK_DEMO": "1",
        "SIDETALK_SEED_DEMO": "0",
        # Hundreds of sockets per extension here stand for hundreds of people; a person's
        # own cap (10 open sidebars) would refuse all but the first ten.
        "SIDETALK_MAX_SOCKETS_PER_USER": "100000",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    worker_pid: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.worker_pid}/status").read_text()
        kb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
        return kb / 1024

    def threads(self) -> int:
        status = Path(f"/proc/{self.worker_pid}/status").read_text()
        return int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))

    def stop(self) -> None:
        if self.proc.poll() is None:
            # Quick shutdown: a graceful one would wait for every websocket to end.
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_server(kind: str, env: dict, max_clients: int, log_path: Path) -> Server:
    port = free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "--no-control-socket"]
    command += ["--worker-connections", str(max_clients + 256), "--log-level", "warning"]
    if kind == "gthread":
        # Each websocket holds a worker thread for its whole life.
        command += ["-k", "gthread", "--threads", str(max_clients + 64)]
    else:
        command += ["-k", "gevent"]
    command.append("widget:create_app()")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    server = Server(proc, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited; see {log_path}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        server.stop()
        raise SystemExit("the server did not become healthy within 60 s")
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    server.worker_pid = int(children[0])
    return server


# --- clients --------------------------------------------------------------------------


def inject(server: Server, people: list[Person], run: Run, messages: int, rate: float) -> None:
    """POST ``messages`` inbound SMS at ``rate`` per second, round robin over extensions."""
    session = requests.Session()
    start = time.perf_counter()
    for number in range(messages):
        delay = start + number / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        person = people[number % len(people)]
        payload = {
            "from": OUTSIDE_NUMBER,
            "to": person.sms,
            "text": f"Benchmark message bench{run.case}m{number}x",
            "type": "SMS",
        }
        run.sent_at[number] = time.perf_counter()
        response = session.post(f"{server.url}/sandbox/inbound", json=payload, timeout=30)
        if response.status_code != 201:
            raise SystemExit(f"inbound failed: {response.status_code} {response.text[:200]}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


async def measure_case(server, people, count, messages, rate) -> dict:
    run = Run(case=count)
    await asyncio.sleep(1.0)
    rss_before = server.rss_mb()
    started = time.perf_counter()
    clients = await connect_all(people, count, server.port, run)
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(1.0 + count / 500)  # handlers subscribe right after the handshake
    rss_after, threads = server.rss_mb(), server.threads()

    expected = sum(
        1 for n in range(messages) for c in clients if c.person == people[n % len(people)]
    )
    injector = threading.Thread(target=inject, args=(server, people, run, messages, rate))
    injector.start()
    deadline = time.monotonic() + messages / rate + 30
    while (injector.is_alive() or len(run.received) < expected) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    injector.join(timeout=30)
    await close_all(clients)

    latencies = list(run.received.values())
    return {
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "deliveries": len(latencies),
        "missed": expected - len(latencies),
        "messages": messages,
        "rss_before_mb": round(rss_before, 1),
        "rss_after_mb": round(rss_after, 1),
        "rss_per_connection_mb": round((rss_after - rss_before) / count, 3),
        "threads": threads,
        "connect_seconds": round(connect_seconds, 2),
    }


async def warm_up(server, people) -> None:
    run = Run(case=-1)
    clients = await connect_all(people, 5, server.port, run)
    inject(server, people, run, 5, 10)
    await asyncio.sleep(1.0)
    await close_all(clients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["gthread", "gevent"], default="gthread")
    parser.add_argument("--clients", default="10,200,1000")
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--rate", type=float, default=5.0, help="messages per second")
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--gevent-path", default=os.environ.get("SIDETALK_GEVENT_PATH", ""))
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * max(counts) + 512)), hard))
    with tempfile.TemporaryDirectory(prefix="sidetalk-push-") as tmp:
        root = Path(tmp)
        database_url = args.database_url or f"sqlite:///{root / 'bench.db'}"
        people = prepare_database(database_url, root / "media", root / "instance")
        env = server_env(database_url, root)
        if args.gevent_path:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [args.gevent_path, str(ROOT)]))
        server = start_server(args.server, env, max(counts), root / "server.log")
        results = {}
        try:
            asyncio.run(warm_up(server, people))
            for count in counts:
                results[f"clients_{count}"] = asyncio.run(
                    measure_case(server, people, count, args.messages, args.rate)
                )
        finally:
            server.stop()

    load = os.getloadavg()[0]
    print(f"push latency, {args.server} worker, {args.rate:g} messages/s, load {load:.1f}")
    header = f"{'clients':>8} {'deliveries':>10} {'missed':>6} {'p50 ms':>8} {'p99 ms':>8}"
    header += f" {'max ms':>8} {'RSS MB before/after':>20} {'MB/conn':>8} {'threads':>7}"
    print(header)
    for name, r in results.items():
        rss = f"{r['rss_before_mb']:.1f}/{r['rss_after_mb']:.1f}"
        print(
            f"{name.split('_')[1]:>8} {r['deliveries']:>10} {r['missed']:>6} {r['p50_ms']:>8}"
            f" {r['p99_ms']:>8} {r['max_ms']:>8} {rss:>20} {r['rss_per_connection_mb']:>8}"
            f" {r['threads']:>7}"
        )
    at_200 = results.get("clients_200", {}).get("p99_ms")
    at_1000 = results.get("clients_1000", {}).get("rss_per_connection_mb")
    if at_200 is not None:
        verdict = "met" if at_200 <= TARGET_P99_MS_AT_200 else "MISSED"
        print(f"target p99 <= {TARGET_P99_MS_AT_200:g} ms at 200 clients: {verdict}")
    if at_1000 is not None:
        verdict = "met" if at_1000 <= TARGET_RSS_MB_PER_CONNECTION else "MISSED"
        print(f"target <= {TARGET_RSS_MB_PER_CONNECTION:g} MB per idle connection: {verdict}")
    summary = {
        name: {
            key: r[key]
            for key in ("p50_ms", "p99_ms", "rss_per_connection_mb", "deliveries", "missed")
        }
        for name, r in results.items()
    }
    summary["server"] = args.server
    summary["load_average"] = round(load, 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
