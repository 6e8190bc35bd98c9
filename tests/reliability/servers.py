"""Private servers the fault tests may stop and restart: never the shared ones.

``PrivatePostgres`` is a throw-away cluster (``initdb`` + ``pg_ctl``) in a temporary
folder on a free port. PostgreSQL refuses to run as root, so under root (CI) the
cluster belongs to, and runs as, the ``postgres`` (or ``nobody``) user through
``runuser``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import ON_CI

PG_BIN = Path(os.environ.get("SIDETALK_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _unprivileged_user() -> str | None:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


def _skip_or_fail(reason: str) -> None:
    if ON_CI:
        pytest.fail(f"{reason}; CI must run this test, not skip it")
    pytest.skip(reason)


class PrivatePostgres:
    def __init__(self, port: int) -> None:
        if not (PG_BIN / "initdb").exists():
            _skip_or_fail(f"PostgreSQL server binaries are not in {PG_BIN}")
        self.port = port
        self.user = None
        if os.geteuid() == 0:
            self.user = _unprivileged_user()
            if self.user is None or shutil.which("runuser") is None:
                _skip_or_fail("running as root without a postgres/nobody user and runuser")
        self.root = Path(tempfile.mkdtemp(prefix="sidetalk-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def _run(self, *command: str) -> None:
        if self.user:
            command = ("runuser", "-u", self.user, "--", *command)
        subprocess.run(
            command, check=True, capture_output=True, cwd=self.root, timeout=120, text=True
        )

    def _ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.root / "server.log")
        pg_ctl = str(PG_BIN / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", action, *extra)

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout}s")
