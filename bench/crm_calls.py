"""Benchmark: CRM HTTP calls and end-to-end time to auto-log a 20-message conversation-day.

Runs the real thing: an app on a temporary SQLite database, a real Huey consumer (thread
workers, SQLite queue) and a CRM's fake over HTTP (``--connector``: salesforce, hubspot,
pipedrive, clio; several, or ``all``, run one after the other in fresh processes).
Extension 101 is connected to the fake CRM with auto-log on; messages arrive through the
real ingestion path, and each scenario ends when every message is in the CRM
(``message_logs`` all logged, activity written). Calls are counted by the fake (every
request: search, query, create, update, token, identity). Two scenarios, each on its own
conversation-day and with a cold match cache (so each includes the one contact lookup):

* ``burst``: 20 messages delivered back to back (they are pending together);
* ``one_by_one``: each message delivered after the previous one is in the CRM.

Targets: at most 3 calls for the burst, and at most 1 call per message after the first
one by one (App Connect's reference connector makes about 3 per message after the first).

    .venv/bin/python bench/crm_calls.py [--connector NAME ...] [--messages N]
        [--coalesce SECONDS] [--latency S]

The last output line is one JSON object keyed by connector, each with its figures
(``burst_calls``, ``one_by_one_calls``, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.crm_targets import TARGETS, BenchCrm  # noqa: E402
from widget import create_app  # noqa: E402
from widget.config import Config, TestConfig  # noqa: E402
from widget.crm_logging import engine  # noqa: E402
from widget.extensions import db  # noqa: E402
from widget.inbox.events import handle_instant_event  # noqa: E402
from widget.jobs import huey  # noqa: E402
from widget.models import (  # noqa: E402
    Account,
    CrmActivity,
    Extension,
    MessageLog,
    MessageLogState,
    MessageType,
    PhoneNumber,
)
from widget.platforms.sandbox.delivery import build_record, instant_event  # noqa: E402

TARGET_BURST_CALLS = 3
TARGET_CALLS_PER_MESSAGE_AFTER_FIRST = 1.0
OWN_NUMBER = "+16505550101"
CUSTOMERS = {
    "burst": ("+14155550123", "Roe", "Jane"),
    "one_by_one": ("+12125550187", "Okafor", "Sam"),
}
WAIT_LIMIT_SECONDS = 120.0


def make_app(root: Path, coalesce: float):
    config = TestConfig(
        database_url=f"sqlite:///{root / 'bench.db'}", media_dir=str(root / "media")
    )
    config.TESTING = False  # a real Huey consumer, not inline tasks
    config.CRM_LOG_COALESCE_SECONDS = coalesce
    os.environ["SIDETALK_INSTANCE_PATH"] = str(root / "instance")
    try:
        return create_app(config)
    finally:
        os.environ.pop("SIDETALK_INSTANCE_PATH", None)


def seed(target: BenchCrm, fake) -> Extension:
    account = Account(platform="sandbox", platform_account_id="bench", name="Bench Co")
    db.session.add(account)
    db.session.flush()
    alice = Extension(
        account=account,
        platform_extension_id="bench-101",
        extension_number="101",
        name="Alice Chen",
        timezone="America/New_York",
    )
    db.session.add(alice)
    db.session.flush()
    db.session.add(PhoneNumber(account_id=account.id, extension_id=alice.id, e164=OWN_NUMBER))
    db.session.commit()
    for phone, last, first in CUSTOMERS.values():
        target.seed(fake, phone, last, first)
    target.connect(alice, fake)
    engine.set_auto_log(alice, True)
    return alice


def deliver(extension: Extension, customer: str, text: str) -> int:
    record, content = build_record(
        extension,
        MessageType.SMS,
        "Inbound",
        {"phoneNumber": customer},
        [{"phoneNumber": OWN_NUMBER, "name": extension.name}],
        text,
        datetime.now(UTC),
    )
    return handle_instant_event("sandbox", instant_event(extension, record), content).message.id


def logged(message_ids: list[int]) -> bool:
    """True when every message is in a CRM body and its activity has nothing pending."""
    db.session.expire_all()
    done = db.session.scalar(
        select(func.count()).where(
            MessageLog.message_id.in_(message_ids),
            MessageLog.state == MessageLogState.LOGGED.value,
        )
    )
    pending = db.session.scalar(
        select(func.count())
        .select_from(CrmActivity)
        .join(MessageLog, MessageLog.activity_id == CrmActivity.id)
        .where(MessageLog.message_id.in_(message_ids), CrmActivity.state != "written")
    )
    db.session.rollback()  # end the read transaction so the workers can write
    return done == len(message_ids) and pending == 0


def wait_until_logged(message_ids: list[int]) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not logged(message_ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up: messages {message_ids} not logged in {WAIT_LIMIT_SECONDS}s")
        time.sleep(0.02)


def calls_by_kind(fake) -> Counter:
    kinds: Counter = Counter()
    for call in fake.calls:
        kind = call.path.rstrip("/").rsplit("/", 2)
        kinds[f"{call.method} {kind[-2] if call.method == 'PATCH' else kind[-1]}"] += 1
    return kinds


def run_burst(extension: Extension, fake, count: int) -> dict:
    fake.reset_calls()
    customer = CUSTOMERS["burst"][0]
    started = time.monotonic()
    ids = [deliver(extension, customer, f"burst message {n}") for n in range(count)]
    wait_until_logged(ids)
    return {
        "seconds": time.monotonic() - started,
        "calls": len(fake.calls),
        "kinds": calls_by_kind(fake),
    }


def run_one_by_one(extension: Extension, fake, count: int) -> dict:
    fake.reset_calls()
    customer = CUSTOMERS["one_by_one"][0]
    started = time.monotonic()
    first_calls = 0
    for n in range(count):
        wait_until_logged([deliver(extension, customer, f"message {n}")])
        if n == 0:
            first_calls = len(fake.calls)
    return {
        "seconds": time.monotonic() - started,
        "calls": len(fake.calls),
        "first_calls": first_calls,
        "kinds": calls_by_kind(fake),
    }


def measure(connector: str, messages: int, coalesce: float, latency: float) -> dict:
    """Run both scenarios against ``connector``'s fake; return its figures."""
    target = TARGETS[connector]
    with (
        tempfile.TemporaryDirectory(prefix="sidetalk-bench-crm-") as tmp,
        target.make_fake(latency) as fake,
    ):
        root = Path(tmp)
        app = make_app(root, coalesce)
        app.config.update(target.settings(fake))
        consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=False)
        with app.app_context():
            db.create_all()
            alice = seed(target, fake)
            consumer.start()
            try:
                burst = run_burst(alice, fake, messages)
                one = run_one_by_one(alice, fake, messages)
            finally:
                consumer.stop(graceful=True)
                db.session.remove()
                db.engine.dispose()
        target.close()

    after_first = (one["calls"] - one["first_calls"]) / max(messages - 1, 1)
    rows = [
        ("burst", messages, burst["calls"], burst["seconds"], burst["kinds"]),
        ("one by one", messages, one["calls"], one["seconds"], one["kinds"]),
    ]
    print(f"\n{connector}: CRM calls per {messages}-message conversation-day (fake, auto-log on,")
    print(f"coalescing delay {coalesce:g} s, fake latency {latency:g} s, numbers stored as")
    print(f"{target.stored_as})\n")
    print(f"{'scenario':<12}{'messages':>9}{'calls':>7}{'seconds':>9}  calls by kind")
    for name, count, calls, seconds, kinds in rows:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        print(f"{name:<12}{count:>9}{calls:>7}{seconds:>9.2f}  {detail}")
    print(
        f"\none by one: {one['first_calls']} calls for the first message (lookup + create), "
        f"{after_first:.2f} per message after it "
        f"(target <= {TARGET_CALLS_PER_MESSAGE_AFTER_FIRST:g}; App Connect's reference: ~3)"
    )
    print(f"burst: {burst['calls']} calls (target <= {TARGET_BURST_CALLS})")
    return {
        "messages": messages,
        "burst_calls": burst["calls"],
        "burst_seconds": round(burst["seconds"], 3),
        "one_by_one_calls": one["calls"],
        "one_by_one_seconds": round(one["seconds"], 3),
        "one_by_one_first_message_calls": one["first_calls"],
        "one_by_one_calls_per_message_after_first": round(after_first, 3),
        "coalesce_seconds": coalesce,
        "fake_latency_seconds": latency,
        "burst_within_target": burst["calls"] <= TARGET_BURST_CALLS,
        "one_by_one_within_target": after_first <= TARGET_CALLS_PER_MESSAGE_AFTER_FIRST,
    }


def _in_own_process(connector: str, args: argparse.Namespace) -> dict:
    """Measure one connector in a fresh interpreter (its own app, job queue and fake)."""
    command = [sys.executable, __file__, "--connector", connector, "--messages", str(args.messages)]
    command += ["--coalesce", str(args.coalesce), "--latency", str(args.latency)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    lines = done.stdout.rstrip().splitlines()
    print("\n".join(lines[:-1]))
    return json.loads(lines[-1])[connector]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--connector",
        action="append",
        choices=[*TARGETS, "all"],
        help="CRM to measure (repeat for several; 'all' for every one); default: salesforce",
    )
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument(
        "--coalesce",
        type=float,
        default=float(Config().CRM_LOG_COALESCE_SECONDS),
        help="coalescing delay after the last message (s); default: the app's",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="fake CRM latency (s)")
    args = parser.parse_args()
    chosen = args.connector or ["salesforce"]
    connectors = list(TARGETS) if "all" in chosen else list(dict.fromkeys(chosen))
    if len(connectors) == 1:
        figures = {
            connectors[0]: measure(connectors[0], args.messages, args.coalesce, args.latency)
        }
    else:
        figures = {name: _in_own_process(name, args) for name in connectors}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
