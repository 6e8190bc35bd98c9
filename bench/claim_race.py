"""Benchmark: 20 agents claim the same queue conversation at once, round after round.

On a fresh PostgreSQL schema holding the demo's people, the Support queue and 17 more
members (20 in all): each round a customer texts the queue (a new case), then 20
threads, each with its own connection, are released together by a barrier and call
``widget.queues.cases.claim`` for that case. A round is good when exactly one claim
won and the 19 others were refused with "Claimed by NAME". Claim latency is measured
per call (from the barrier to the service's return, commit and push included).

    .venv/bin/python bench/claim_race.py [--rounds 100] [--agents 20]

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` unless
``SIDETALK_BENCH_POSTGRES_URL`` says otherwise. The last output line is one JSON object:
``rounds``, ``single_winner_rounds``, ``claim_p50_ms``, ``claim_p99_ms``, ``agents``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

POSTGRES_URL = os.environ.get(
    "SIDETALK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def build_app(url: str, root: Path, agents: int):
    from widget import create_app
    from widget.config import TestConfig

    config = TestConfig(database_url=url, media_dir=str(root / "media"))
    config.SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": agents + 2, "max_overflow": 0}
    os.environ["SIDETALK_INSTANCE_PATH"] = str(root / "instance")
    try:
        return create_app(config)
    finally:
        os.environ.pop("SIDETALK_INSTANCE_PATH", None)


def seed(agents: int) -> list[int]:
    """The demo's people, the Support queue and enough extra members; their ids."""
    from widget.extensions import db
    from widget.models import Extension
    from widget.platforms.sandbox.seed import seed_people
    from widget.queues import manage

    account = seed_people()
    queue = manage.seed_demo_queue(account)
    for n in range(max(0, agents - len(manage.member_ids(queue.id)))):
        person = Extension(
            account_id=account.id,
            platform_extension_id=f"bench-{n}",
            extension_number=f"3{n:02d}",
            name=f"Agent {n:02d}",
        )
        db.session.add(person)
        db.session.flush()
        manage.add_member(queue, person)
    db.session.commit()
    return manage.member_ids(queue.id)[:agents]


def new_case(round_no: int) -> int:
    from widget.extensions import db
    from widget.models import QueueConversation
    from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound
    from widget.queues.manage import DEMO_QUEUE

    customer = f"+1415555{round_no:04d}"
    payload = {"from": customer, "to": DEMO_QUEUE["number"], "text": "Hello?", "type": "SMS"}
    message = deliver_inbound(parse_inbound(payload))
    return db.session.scalar(
        sa.select(QueueConversation.id).where(
            QueueConversation.conversation_id == message.conversation_id,
            QueueConversation.resolved_at.is_(None),
        )
    )


def race(app, member_ids: list[int], case_id: int) -> tuple[int, int, list[float]]:
    """One round: every member claims ``case_id`` at once; (winners, refused, latencies)."""
    from widget.errors import Conflict
    from widget.extensions import db
    from widget.models import Extension
    from widget.queues import cases

    barrier = threading.Barrier(len(member_ids), timeout=60)
    lock = threading.Lock()
    outcome = {"won": 0, "refused": 0, "other": 0}
    latencies: list[float] = []

    def claimer(extension_id: int) -> None:
        with app.app_context():
            agent = db.session.get(Extension, extension_id)
            db.session.commit()  # the connection is back in the pool while waiting
            barrier.wait()
            started = time.perf_counter()
            try:
                cases.claim(agent, case_id)
                result = "won"
            except Conflict as exc:
                result = "refused" if exc.message.startswith("Claimed by ") else "other"
            except Exception:  # noqa: BLE001 - counted, the round is then not good
                result = "other"
            elapsed = (time.perf_counter() - started) * 1000
            db.session.remove()
            with lock:
                outcome[result] += 1
                latencies.append(elapsed)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome["won"], outcome["refused"], latencies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--agents", type=int, default=20)
    args = parser.parse_args(argv)

    from widget.extensions import db

    schema = f"bench_claim_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL is not reachable: {exc.orig}")
        print(json.dumps({"rounds": 0, "single_winner_rounds": 0, "claim_p99_ms": None}))
        return
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = build_app(url, Path(tmp), args.agents)
            with app.app_context():
                db.create_all()
                member_ids = seed(args.agents)
            all_latencies: list[float] = []
            good = 0
            print(f"{'round':>5}  {'winners':>7}  {'refused':>7}  {'max_ms':>8}")
            for round_no in range(1, args.rounds + 1):
                with app.app_context():
                    case_id = new_case(round_no)
                    db.session.remove()
                won, refused, latencies = race(app, member_ids, case_id)
                good += won == 1 and refused == len(member_ids) - 1
                all_latencies += latencies
                if round_no % 10 == 0 or won != 1:
                    print(f"{round_no:>5}  {won:>7}  {refused:>7}  {max(latencies):>8.1f}")
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    figures = {
        "rounds": args.rounds,
        "agents": args.agents,
        "single_winner_rounds": good,
        "claim_p50_ms": round(percentile(all_latencies, 0.50), 1),
        "claim_p99_ms": round(percentile(all_latencies, 0.99), 1),
    }
    print(
        f"single-winner rounds: {good}/{args.rounds}; claim p50 "
        f"{figures['claim_p50_ms']} ms, p99 {figures['claim_p99_ms']} ms"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
