"""The ``sidetalk`` console script: db upgrade, demo seed, sandbox inbound, manifest validate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, inspect, select

from widget import cli
from widget.extensions import db
from widget.jobs import huey
from widget.models import Message
from widget.platforms.sandbox import seed

SIDETALK = Path(sys.executable).parent / "sidetalk"
BUNDLED_MANIFEST = Path(cli.__file__).resolve().parents[1] / "connectors/salesforce/manifest.json"
CLEARED = ("SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "DATABASE_URL", "SIDETALK_DEMO", "REDIS_URL")


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Environment for a real start: instance, database and media under tmp_path."""
    for name in CLEARED + ("SIDETALK_PLATFORM",):
        monkeypatch.delenv(name, raising=False)
    values = {
        "SIDETALK_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SIDETALK_MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": "cli-test-secret-key-0123456789abcdef",
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def run(monkeypatch):
    """Invoke the click group in-process; dispose every app's engine and job storage after."""
    apps = []
    build = cli._app

    def recording_app():
        app = build()
        apps.append(app)
        return app

    monkeypatch.setattr(cli, "_app", recording_app)
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli.main, list(args))
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    huey.immediate = True  # a real start pointed the shared queue at a file


def _tables(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_db_upgrade_creates_the_schema(run, env):
    result = run("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert "Database is up to date." in result.output
    assert {"alembic_version", "messages", "conversations"} <= _tables(env["DATABASE_URL"])


def test_demo_seed_is_idempotent_and_sandbox_inbound_delivers(run, env, monkeypatch):
    monkeypatch.setenv("SIDETALK_DEMO", "1")
    # The 30 days of history are what the session's demo template is built from (and
    # tested through); here only the command's wiring and its once-only promise matter.
    histories = []
    monkeypatch.setattr(
        seed, "seed_history", lambda account, now=None: histories.append(account.id)
    )

    first = run("demo", "seed")
    second = run("demo", "seed")

    assert first.exit_code == 0, first.output
    assert "Seeded the demo account." in first.output
    assert second.exit_code == 0
    assert "already seeded" in second.output
    assert len(histories) == 1

    sent = run(
        "sandbox", "inbound", "--from", "+14155550123", "--to", "+16505550101", "--text", "Hi"
    )
    assert sent.exit_code == 0, sent.output
    ids = json.loads(sent.output.strip().splitlines()[-1])
    voicemail = run(
        "sandbox",
        "inbound",
        "--from",
        "+14155550123",
        "--to",
        "+16505550101",
        "--text",
        "Call me",
        "--type",
        "VoiceMail",
    )
    assert voicemail.exit_code == 0, voicemail.output

    engine = create_engine(env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            subject = connection.execute(
                select(Message.subject).where(Message.id == ids["id"])
            ).scalar_one()
            voicemails = connection.execute(
                select(func.count()).where(Message.type == "VoiceMail")
            ).scalar_one()
    finally:
        engine.dispose()
    assert subject == "Hi"
    assert voicemails == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--to", "+14155550199", "--text", "hi"], "demo extensions' numbers"),
        (["--to", "+16505550101", "--text", "x" * 1001], "the limit is 1000"),
        (["--to", "+16505550101", "--text", "hi", "--type", "Telegram"], "Invalid value"),
    ],
)
def test_sandbox_inbound_refuses_bad_input_cleanly(run, env, args, says, monkeypatch):
    monkeypatch.setenv("SIDETALK_DEMO", "1")
    assert run("db", "upgrade").exit_code == 0

    result = run("sandbox", "inbound", "--from", "+14155550123", *args)

    assert result.exit_code in (1, 2)
    assert says in result.output
    assert "Traceback" not in result.output


SANDBOX_COMMANDS = (
    ("demo", "seed"),
    ("sandbox", "inbound", "--from", "+14155550123", "--to", "+16505550101", "--text", "forged"),
)


@pytest.mark.parametrize("command", SANDBOX_COMMANDS, ids=["demo seed", "sandbox inbound"])
@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({}, "runs sandbox outside demo mode"),
        (
            {
                "SIDETALK_DEMO": "1",
                "SIDETALK_PLATFORM": "ringcentral",
                "RINGCENTRAL_CLIENT_ID": "x",
            },
            "runs ringcentral.",
        ),
        (
            {"SIDETALK_PLATFORM": "ringcentral", "RINGCENTRAL_CLIENT_ID": "x"},
            "runs ringcentral outside demo mode",
        ),
    ],
    ids=["production", "ringcentral demo", "ringcentral production"],
)
def test_demo_only_commands_refuse_outside_the_demo(run, env, monkeypatch, command, settings, says):
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    assert run("db", "upgrade").exit_code == 0

    result = run(*command)

    assert result.exit_code == 1, result.output
    assert "The sandbox is closed" in result.output
    assert says in result.output
    assert "Traceback" not in result.output
    engine = create_engine(env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            messages = connection.execute(select(func.count()).select_from(Message)).scalar_one()
    finally:
        engine.dispose()
    assert messages == 0  # nothing delivered, nothing seeded


def test_manifest_validate_exit_codes(run, env, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"platforms": {"acme": {"auth": {"type": "carrier-pigeon"}}}}')
    not_json = tmp_path / "not.json"
    not_json.write_text("{ nope")

    valid = run("manifest", "validate", str(BUNDLED_MANIFEST))
    invalid = run("manifest", "validate", str(BUNDLED_MANIFEST), str(broken), str(not_json))

    assert valid.exit_code == 0, valid.output
    assert valid.output == ""
    assert invalid.exit_code == 1
    lines = invalid.output.strip().splitlines()
    assert lines and all(line.startswith((f"{broken}: /", f"{not_json}: /")) for line in lines)
    assert any(line.startswith(f"{not_json}: /") for line in lines)


def test_missing_secrets_is_a_clean_error(run, env, monkeypatch):
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.delenv("TOKEN_ENCRYPTION_KEY")

    result = run("db", "upgrade")

    assert result.exit_code == 1
    assert result.output.startswith("Error: SECRET_KEY and TOKEN_ENCRYPTION_KEY must be set")
    assert "Traceback" not in result.output
    assert not Path(env["DATABASE_URL"].removeprefix("sqlite:///")).exists()


@pytest.mark.skipif(not SIDETALK.exists(), reason="the sidetalk console script is not installed")
def test_installed_console_script_refuses_bad_config_without_a_traceback(env):
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    clean.update({k: v for k, v in env.items() if k not in ("SECRET_KEY", "TOKEN_ENCRYPTION_KEY")})

    missing = subprocess.run(
        [str(SIDETALK), "db", "upgrade"], env=clean, capture_output=True, text=True, timeout=60
    )
    platform = subprocess.run(
        [str(SIDETALK), "db", "upgrade"],
        env={**clean, **env, "SIDETALK_PLATFORM": "nokia"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert missing.returncode == 1
    assert "Error: SECRET_KEY and TOKEN_ENCRYPTION_KEY must be set" in missing.stderr
    assert platform.returncode == 1
    assert "Unknown SIDETALK_PLATFORM 'nokia'" in platform.stderr
    for completed in (missing, platform):
        assert "Traceback" not in completed.stderr + completed.stdout


@pytest.mark.skipif(not SIDETALK.exists(), reason="the sidetalk console script is not installed")
def test_installed_console_script_lists_its_commands():
    completed = subprocess.run(
        [str(SIDETALK), "--help"], capture_output=True, text=True, timeout=60
    )

    assert completed.returncode == 0
    for command in ("serve", "worker", "db", "demo", "manifest", "sandbox"):
        assert f"  {command}" in completed.stdout


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        (None, "http://127.0.0.1:5095"),
        ("https://sidetalk.example.com", "https://sidetalk.example.com"),
    ],
)
def test_serve_writes_links_for_the_port_it_serves_on(run, env, monkeypatch, public_url, expected):
    """``PORT=5095 make run``: media links in CRM activities point at :5095, not :5000."""
    from flask import Flask

    served = {}
    monkeypatch.setattr(Flask, "run", lambda app, **kw: served.update(app=app, **kw))
    # serve() writes the variable for the app it builds: set it first so that monkeypatch
    # restores it (deleting an absent variable would record nothing to undo).
    monkeypatch.setenv("SIDETALK_PUBLIC_URL", "unset-by-the-test")
    monkeypatch.delenv("SIDETALK_PUBLIC_URL")
    if public_url:
        monkeypatch.setenv("SIDETALK_PUBLIC_URL", public_url)
    result = run("serve", "--port", "5095")
    assert result.exit_code == 0, result.output
    app = served["app"]
    assert served["port"] == 5095
    # crm_media_url builds every link written into CRM activities on PUBLIC_URL.
    assert app.config["PUBLIC_URL"] == expected
