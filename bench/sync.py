"""Benchmark: first sync (FSync) of a 10,000-message RingCentral mailbox into an empty database.

Starts the fake RingCentral (``fakes/ringcentral``, real HTTP on 127.0.0.1) in a process
of its own, as a real RingCentral is another machine (``--fake-in-process``: a thread
of this process, competing with the sync for the interpreter lock), holding
``--messages`` messages of one extension over ``--customers`` outside numbers, signs
the user in without the browser step (tokens from the fake's token endpoint, stored
sealed like a sign-in stores them, provisioning as at sign-in), then times the RingCentral
platform's ``synchronize``: FSync pages of 250 (older pages with ``dateTo`` while
``olderRecordsExist``; the next page fetched while the current one is ingested, pages
already fetched ingested together up to 1,000 records). The fake enforces
RingCentral's Light limit (50/min), which 40 pages stay under.

Figures per database: wall seconds, records per second, SQL statements per record
(counted with a SQLAlchemy listener), and a check that every message arrived once.

    .venv/bin/python bench/sync.py [--messages N] [--customers N] [--skip-sqlite]
        [--skip-postgres] [--fake-in-process]

The last output line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from bench.harness import postgres_schema, postgres_unreachable  # noqa: E402
from fakes.ringcentral import FakeRingCentral  # noqa: E402
from fakes.ringcentral.process import FakeRingCentralProcess  # noqa: E402
from widget import create_app  # noqa: E402
from widget.config import TestConfig  # noqa: E402
from widget.extensions import db  # noqa: E402
from widget.models import Message  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--fake-in-process",
        action="store_true",
        help="serve the fake from a thread of this process (as before: it then competes "
        "with the sync for the interpreter lock)",
    )
    return parser.parse_args(argv)


def seed_fake(fake: FakeRingCentral, messages: int, customers: int) -> None:
    rng = random.Random(10)
    now = datetime.now(UTC)
    own = fake.numbers[0]["phoneNumber"]
    numbers = [f"+1415555{n:04d}" for n in range(customers)]
    with fake.lock:
        for i in range(messages):
            other = rng.choice(numbers)
            when = now - timedelta(minutes=rng.randint(1, 90 * 24 * 60), milliseconds=i)
            inbound = rng.random() < 0.6
            fake.mailbox.add(
                type="SMS",
                direction="Inbound" if inbound else "Outbound",
                sender={"phoneNumber": other if inbound else own},
                recipients=[{"phoneNumber": own if inbound else other}],
                text=f"Message {i} about appointment {rng.randint(1, 999)}",
                when=when,
                status="Received" if inbound else "Delivered",
            )


class _FakeInThisProcess(FakeRingCentral):
    """The fake served by a thread of the bench's own process (``--fake-in-process``)."""

    def __init__(self, messages: int, customers: int) -> None:
        super().__init__()
        self._seed = (messages, customers)

    def __enter__(self):
        super().__enter__()
        seed_fake(self, *self._seed)
        return self

    def issue_tokens(self) -> dict:
        return self.oauth.issue()


def start_fake(args):
    """The fake RingCentral holding the mailbox: in a process of its own unless asked."""
    if args.fake_in_process:
        return _FakeInThisProcess(args.messages, args.customers)
    return FakeRingCentralProcess("bench.sync:seed_fake", (args.messages, args.customers))


def make_app(url: str, fake, root: Path):
    config = TestConfig(url, str(root / "media"))
    config.TOKEN_ENCRYPTION_KEY = Fernet.generate_key().decode()
    config.PLATFORM = "ringcentral"
    config.RINGCENTRAL_SERVER_URL = fake.url
    config.RINGCENTRAL_CLIENT_ID = fake.client_id
    config.RINGCENTRAL_CLIENT_SECRET = fake.client_secret
    config.PUBLIC_URL = "http://127.0.0.1:9"  # no webhooks in this bench
    os.environ["SIDETALK_INSTANCE_PATH"] = str(root / "instance")
    try:
        return create_app(config)
    finally:
        os.environ.pop("SIDETALK_INSTANCE_PATH", None)


def run_database(name: str, url: str, args, root: Path) -> dict:
    from widget.platforms.ringcentral import provisioning
    from widget.platforms.ringcentral.tokens import store_new_tokens

    with start_fake(args) as fake:
        app = make_app(url, fake, root)
        with app.app_context():
            db.create_all()
            platform = app.extensions["sidetalk.platform"]
            answer = fake.issue_tokens()

            def get(path, query=None):
                return platform.client.call(
                    "bench", answer["access_token"], "GET", path, params=query
                ).json()

            provisioned, personal = provisioning.fetch(get)
            extension = provisioning.store(provisioned, personal)
            db.session.commit()
            store_new_tokens(extension.id, answer)
            statements = 0

            def count(*_args, **_kwargs):
                nonlocal statements
                statements += 1

            event.listen(db.engine, "before_cursor_execute", count)
            started = time.perf_counter()
            handed = platform.synchronize(extension)
            seconds = time.perf_counter() - started
            event.remove(db.engine, "before_cursor_execute", count)
            stored = db.session.scalar(select(func.count()).select_from(Message))
            pages = fake.call_count("GET", "/message-sync")
            if name == "postgresql":
                db.session.remove()
            db.session.remove()
            db.engine.dispose()
    if stored != args.messages:
        raise SystemExit(f"{name}: {stored} messages stored, expected {args.messages}")
    return {
        "messages": stored,
        "records_handed": handed,
        "pages": pages,
        "seconds": round(seconds, 2),
        "records_per_s": round(stored / seconds, 1),
        "statements_per_record": round(statements / stored, 2),
    }


def main(argv=None) -> None:
    args = parse_args(argv)
    results: dict = {}
    extra: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if not args.skip_sqlite:
            results["sqlite"] = run_database(
                "sqlite", f"sqlite:///{root / 'sync.db'}", args, root / "sqlite"
            )
        reason = "skipped with --skip-postgres" if args.skip_postgres else postgres_unreachable()
        if reason:
            results["postgresql"] = None
            extra["postgresql_reason"] = reason
        else:
            with postgres_schema() as url:
                results["postgresql"] = run_database("postgresql", url, args, root / "pg")
    print(
        f"{'database':<12}{'messages':>10}{'pages':>7}{'seconds':>9}{'records/s':>11}{'stmts/rec':>11}"
    )
    for name, r in results.items():
        if r is None:
            print(f"{name:<12} not measured: {extra.get('postgresql_reason')}")
            continue
        print(
            f"{name:<12}{r['messages']:>10}{r['pages']:>7}{r['seconds']:>9}"
            f"{r['records_per_s']:>11}{r['statements_per_record']:>11}"
        )
    figures = {
        "messages": args.messages,
        "records_per_s": {k: (v or {}).get("records_per_s") for k, v in results.items()},
        "statements_per_record": {
            k: (v or {}).get("statements_per_record") for k, v in results.items()
        },
        "seconds": {k: (v or {}).get("seconds") for k, v in results.items()},
        **extra,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
