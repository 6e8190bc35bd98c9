"""A CRM-logging worker process that the fault tests SIGKILL at a chosen step.

    python -m tests.reliability.crm_worker write ACTIVITY_ID [--kill-at STEP]
    python -m tests.reliability.crm_worker sweep [--later-minutes N] [--kill-at STEP]

Reads ``DATABASE_URL``, ``TOKEN_ENCRYPTION_KEY``, ``SALESFORCE_LOGIN_URL``,
``SALESFORCE_CLIENT_ID`` and ``SALESFORCE_CLIENT_SECRET`` from the environment, so it
shares the test's database and talks to the test's fake Salesforce over HTTP; its files
go to ``SIDETALK_WORKER_ROOT`` (the test's temporary folder: a killed process cleans
nothing up).

``--kill-at`` sends this process SIGKILL right after one of the writer's numbered steps
(``widget/crm_logging/writer.py``) has been committed or the CRM has answered: the
process dies as a crashed worker does, holding its claim and its open connection.
``--later-minutes`` runs the sweeper that many minutes in the future (a restarted worker
after the dead one's lease ran out). Prints one JSON object with the sweep's counts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from tempfile import mkdtemp

import time_machine

from tests.conftest import make_app
from widget.crm_logging import tasks, writer
from widget.models.types import utcnow

STEPS = ("claimed", "create-started", "reconciled", "crm-created", "crm-updated", "finished")


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _after(function, when=lambda result, *args, **kwargs: True):
    """Wrap ``function`` so the process dies right after a call that ``when`` selects."""

    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        if when(result, *args, **kwargs):
            _die()
        return result

    return wrapped


class _DyingConnector:
    """The real connector, with the process killed once the CRM has answered a write."""

    def __init__(self, connector, step: str) -> None:
        self._connector = connector
        if step == "crm-created":
            self.create_message_log = _after(connector.create_message_log)
        if step == "crm-updated":
            self.update_message_log = _after(connector.update_message_log)

    def __getattr__(self, name):
        return getattr(self._connector, name)


def arm(step: str) -> None:
    """Make this process die right after ``step``."""
    if step == "claimed":
        writer.claim = _after(writer.claim, lambda taken, *a, **k: taken)
    elif step == "create-started":
        writer._set = _after(writer._set, lambda done, *a, **k: "create_started_at" in k)
    elif step == "reconciled":
        writer._set = _after(writer._set, lambda done, *a, **k: set(k) == {"crm_log_id"})
    elif step in ("crm-created", "crm-updated"):
        real_session = writer.connector_session

        def dying_session(connection):
            connector, session = real_session(connection)
            return _DyingConnector(connector, step), session

        writer.connector_session = dying_session
    elif step == "finished":
        writer.finish = _after(writer.finish)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=("write", "sweep"))
    parser.add_argument("activity_id", type=int, nargs="?")
    parser.add_argument("--kill-at", choices=STEPS)
    parser.add_argument("--later-minutes", type=float, default=0)
    args = parser.parse_args()

    root = Path(mkdtemp(prefix="crm-worker-", dir=os.environ["SIDETALK_WORKER_ROOT"]))
    app = make_app(
        os.environ["DATABASE_URL"],
        root,
        TOKEN_ENCRYPTION_KEY=os.environ["TOKEN_ENCRYPTION_KEY"],
        SALESFORCE_LOGIN_URL=os.environ["SALESFORCE_LOGIN_URL"],
        SALESFORCE_CLIENT_ID=os.environ["SALESFORCE_CLIENT_ID"],
        SALESFORCE_CLIENT_SECRET=os.environ["SALESFORCE_CLIENT_SECRET"],
        CRM_HTTP_TIMEOUT=10,
    )
    if args.kill_at:
        arm(args.kill_at)
    when = utcnow() + timedelta(minutes=args.later_minutes)
    with app.app_context(), time_machine.travel(when, tick=True):
        if args.action == "write":
            outcome = writer.write_activity(args.activity_id)
            print(json.dumps({"result": outcome.result.value}), flush=True)
        else:
            print(json.dumps(tasks.sweep()), flush=True)


if __name__ == "__main__":
    main()
