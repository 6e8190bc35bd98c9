"""Fixtures of the fault suite: the fake Salesforce, an account on PostgreSQL, worker processes.

Every fault test runs against the shared PostgreSQL (a private schema per test) and the
fake Salesforce over real HTTP; worker processes (``crm_worker``) share both. Tests that
stop a server start a private one (``private_servers``): the shared ones stay up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fakes.salesforce import FakeSalesforce

# The CRM tests' fixtures, shared: a clean job queue and match cache, the fake Salesforce.
from tests.crm.conftest import (  # noqa: F401
    JANE,
    NOON_UTC,
    World,
    _clean_jobs_and_cache,
    deliver,
    fake_sf,
    salesforce_world,
)
from widget.crm_logging import engine, intents, tasks
from widget.extensions import db
from widget.models import ActivityState, Conversation, CrmActivity, MessageLog, MessageLogState
from widget.models.types import utcnow

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 17)  # NOON_UTC in Alice's time zone (New York)


@dataclass
class SalesforceWorld:
    world: World
    jane_id: str
    fake: FakeSalesforce
    database_url: str
    encryption_key: str
    root: Path

    def pending_activity(self, days: int = 0, texts: tuple[str, ...] = ("a", "b", "c")) -> int:
        """Deliver ``texts`` to Alice from Jane ``days`` after DAY; record (not write) the log."""
        at = NOON_UTC + timedelta(days=days)
        messages = [
            deliver(self.world.alice, JANE, text, at + timedelta(minutes=n))
            for n, text in enumerate(texts)
        ]
        conversation = db.session.get(Conversation, messages[0].conversation_id)
        (record,) = [r for r in engine.find_records(self.world.alice, JANE) if r.id == self.jane_id]
        activity, _ = intents.record_intent(
            self.world.alice,
            conversation,
            DAY + timedelta(days=days),
            record,
            "salesforce",
            [m.id for m in messages],
        )
        db.session.commit()
        return activity.id

    def worker(self, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
        """Run ``tests.reliability.crm_worker`` with ``args``; return the finished process."""
        command = [sys.executable, "-m", "tests.reliability.crm_worker", *args]
        if kill_at:
            command += ["--kill-at", kill_at]
        return subprocess.run(
            command, cwd=ROOT, env=self.worker_env(), capture_output=True, text=True, timeout=120
        )

    def start_worker(self, *args: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "tests.reliability.crm_worker", *args]
        return subprocess.Popen(
            command, cwd=ROOT, env=self.worker_env(), stdout=subprocess.PIPE, text=True
        )

    def worker_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "TOKEN_ENCRYPTION_KEY": self.encryption_key,
            "SALESFORCE_LOGIN_URL": self.fake.url,
            "SALESFORCE_CLIENT_ID": self.fake.client_id,
            "SALESFORCE_CLIENT_SECRET": self.fake.client_secret,
            "SIDETALK_WORKER_ROOT": str(self.root),
        }


@pytest.fixture
def sf_pg(pg_app, fake_sf, tmp_path) -> Iterator[SalesforceWorld]:  # noqa: F811
    """Alice on PostgreSQL, connected to the fake Salesforce, where Jane Roe is a Contact."""
    with pg_app.app_context():
        world, jane = salesforce_world(pg_app, fake_sf)
        db.session.commit()
        yield SalesforceWorld(
            world,
            jane,
            fake_sf,
            pg_app.config["SQLALCHEMY_DATABASE_URI"],
            pg_app.config["TOKEN_ENCRYPTION_KEY"],
            tmp_path,
        )
        db.session.remove()


def assert_each_activity_in_the_crm_once(fake: FakeSalesforce) -> None:
    """Every activity is written, once, in the fake CRM; nothing is left for the sweeper.

    Counted at the fake: one Task per log key (``CallObject``), as many Tasks as
    activities, every message log logged, and no activity a sweep would pick up, even
    a day later.
    """
    db.session.expire_all()
    tasks_by_key = Counter(task["CallObject"] for task in fake.records("Task"))
    duplicates = {key: n for key, n in tasks_by_key.items() if n > 1}
    assert duplicates == {}, f"duplicate CRM activities: {duplicates}"
    activities = list(db.session.scalars(select(CrmActivity)))
    assert activities, "no activity was recorded"
    assert sorted(tasks_by_key) == sorted(f"sidetalk:{a.log_key}" for a in activities)
    ids_by_key = {task["CallObject"]: task["Id"] for task in fake.records("Task")}
    for activity in activities:
        assert activity.state == ActivityState.WRITTEN, (activity.id, activity.last_error)
        assert activity.crm_log_id == ids_by_key[f"sidetalk:{activity.log_key}"]
    states = set(db.session.scalars(select(MessageLog.state)))
    assert states == {MessageLogState.LOGGED}
    assert tasks.stale_activity_ids(now=utcnow() + timedelta(days=1)) == []


def sweep_result(process: subprocess.CompletedProcess) -> dict:
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])
