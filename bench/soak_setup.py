"""The soak's world: a PostgreSQL schema, a private Redis, the fake Salesforce, the processes.

``prepare`` seeds the demo's people plus one extension per widget (each with its own SMS
number), connects a share of them to the fake Salesforce with auto-log on, and returns
their widget tokens. ``Processes`` starts gunicorn (2 gthread workers) and
``sidetalk worker`` on that database and Redis, reads their resident set, and stops them.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from bench.push_latency import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = secrets.token_hex(32)
ENCRYPTION_KEY = Fernet.generate_key().decode()
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Widget:
    """One signed-in widget: its extension, SMS number and the headers htmx sends."""

    extension_id: int
    sms: str
    token: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Sidetalk-Token": self.token, "X-CSRF-Token": self.csrf, "HX-Request": "true"}


def customer_number(index: int) -> str:
    return f"+1415555{1000 + index:04d}"


def new_schema(base_url: str) -> tuple[str, str]:
    """Create a fresh schema on ``base_url``; return (its URL, its name)."""
    import sqlalchemy as sa

    schema = f"soak_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{base_url}?options=-csearch_path%3D{schema}", schema


def drop_schema(base_url: str, schema: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def prepare(database_url: str, root: Path, widgets: int, loggers: int, fake_sf) -> list[Widget]:
    """Seed people and ``widgets`` extensions; the first ``loggers`` auto-log to ``fake_sf``."""
    os.environ["SIDETALK_INSTANCE_PATH"] = str(root / "instance")
    from connectors.salesforce.oauth import credentials_from_token
    from widget import create_app
    from widget.config import TestConfig
    from widget.crm_logging import engine
    from widget.extensions import db
    from widget.models import Extension, PhoneNumber
    from widget.platforms.sandbox.seed import seed_people
    from widget.security import Identity, issue_widget_token

    config = TestConfig(database_url=database_url, media_dir=str(root / "media"))
    config.SECRET_KEY = SECRET_KEY
    config.TOKEN_ENCRYPTION_KEY = ENCRYPTION_KEY
    config.SALESFORCE_LOGIN_URL = fake_sf.url
    config.SALESFORCE_CLIENT_ID = fake_sf.client_id
    config.SALESFORCE_CLIENT_SECRET = fake_sf.client_secret
    app = create_app(config)
    seeded: list[Widget] = []
    with app.app_context():
        db.create_all()
        account = seed_people()
        for index in range(widgets):
            extension = Extension(
                account=account,
                platform_extension_id=f"sandbox-soak-{index}",
                extension_number=str(3000 + index),
                name=f"Soak User {index}",
                timezone="America/New_York",
            )
            db.session.add(extension)
            db.session.flush()
            sms = f"+1650700{index:04d}"
            db.session.add(PhoneNumber(account_id=account.id, extension_id=extension.id, e164=sms))
            csrf = secrets.token_urlsafe(16)
            token = issue_widget_token(Identity(extension.id, csrf))
            seeded.append(Widget(extension.id, sms, token, csrf))
        db.session.commit()
        for widget in seeded[:loggers]:
            extension = db.session.get(Extension, widget.extension_id)
            credentials = credentials_from_token(fake_sf.issue_tokens())
            engine.connect(extension, "salesforce", credentials, {"name": fake_sf.user_name})
            engine.set_auto_log(extension, True)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return seeded


def start_redis(root: Path) -> tuple[subprocess.Popen, str]:
    """A private redis-server (no persistence) on a free port: the soak never shares one."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed; pass --redis-url")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(root)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis(port=port).ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the private redis-server did not start")


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) / 1024


class Processes:
    """gunicorn (2 gthread workers) and ``sidetalk worker`` on one database and Redis."""

    def __init__(self, env: dict[str, str], widgets: int, root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        bin_dir = Path(sys.executable).parent
        threads = widgets + 64  # each socket holds a thread; connections may land unevenly
        gunicorn = [str(bin_dir / "gunicorn"), "-k", "gthread", "-w", "2"]
        gunicorn += ["--threads", str(threads), "--no-control-socket", "--log-level", "warning"]
        gunicorn += ["-b", f"127.0.0.1:{self.port}", "widget:create_app()"]
        self.server = self._start(gunicorn, env, root / "gunicorn.log")
        self.worker = self._start([str(bin_dir / "sidetalk"), "worker"], env, root / "worker.log")
        self._wait_healthy()

    @staticmethod
    def _start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
        with open(log_path, "w") as log:
            return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None or self.worker.poll() is not None:
                raise SystemExit("gunicorn or the worker exited; see their logs")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not become healthy within 60 s")

    def pids(self) -> list[int]:
        """The gunicorn workers and the job worker (the master only forks)."""
        path = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children")
        return [int(pid) for pid in path.read_text().split()] + [self.worker.pid]

    def rss_mb(self) -> float:
        return sum(_rss_mb(pid) for pid in self.pids())

    def stop(self) -> None:
        for proc in (self.server, self.worker):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in (self.server, self.worker):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def process_env(database_url: str, redis_url: str, root: Path, fake_sf) -> dict[str, str]:
    return {
        **os.environ,
        "SECRET_KEY": SECRET_KEY,
        "TOKEN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SIDETALK_MEDIA_DIR": str(root / "media"),
        "SIDETALK_INSTANCE_PATH": str(root / "instance"),
        "SIDETALK_CHANNEL_PREFIX": f"soak-{uuid.uuid4().hex[:8]}:",
        "SIDETALK_DEMO": "1",  # POST /sandbox/inbound exists only in the demo
        "SIDETALK_SEED_DEMO": "0",
        "SIDETALK_WIDGET_TOKEN_MAX_AGE": "7200",  # the soak's tokens outlive the run
        "SALESFORCE_LOGIN_URL": fake_sf.url,
        "SALESFORCE_CLIENT_ID": fake_sf.client_id,
        "SALESFORCE_CLIENT_SECRET": fake_sf.client_secret,
    }
