"""create_app and Config: fail fast on missing secrets, demo secrets kept once, URL forms."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet

from widget import create_app
from widget.config import ConfigError, TestConfig, normalize_database_url

ENV_VARS = (
    "SECRET_KEY",
    "TOKEN_ENCRYPTION_KEY",
    "DATABASE_URL",
    "SIDETALK_DEMO",
    "SIDETALK_PLATFORM",
    "SIDETALK_PAGE_SIZE",
    "SIDETALK_FRAME_ANCESTORS",
    "REDIS_URL",
)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No secrets or URLs from the developer's shell; the instance folder under tmp_path."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIDETALK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SIDETALK_MEDIA_DIR", str(tmp_path / "media"))
    return tmp_path / "instance"


def test_create_app_with_test_config(tmp_path, clean_env):
    app = create_app(TestConfig(f"sqlite:///{tmp_path / 't.db'}", str(tmp_path / "media")))

    assert app.config["TESTING"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 't.db'}"
    assert {"health", "auth", "inbox", "sandbox"} <= set(app.blueprints)
    assert (tmp_path / "media").is_dir()


def test_create_app_with_a_mapping_of_overrides(clean_env):
    key = Fernet.generate_key().decode()
    app = create_app({"SECRET_KEY": "s" * 32, "TOKEN_ENCRYPTION_KEY": key, "PAGE_SIZE": 7})

    assert app.config["SECRET_KEY"] == "s" * 32
    assert app.config["PAGE_SIZE"] == 7
    # Instance-relative defaults are filled from the instance folder.
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{clean_env / 'sidetalk.db'}"


def test_missing_both_secrets_names_both(clean_env):
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert "SECRET_KEY" in str(caught.value)
    assert "TOKEN_ENCRYPTION_KEY" in str(caught.value)
    assert not (clean_env / "secret_key").exists()


def test_missing_secret_key_alone_is_named(clean_env, monkeypatch):
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert str(caught.value).startswith("SECRET_KEY must be set")


def test_missing_token_key_alone_is_named(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert str(caught.value).startswith("TOKEN_ENCRYPTION_KEY must be set")


# A fixed truncated key (ids must be the same in every pytest-xdist worker).
TRUNCATED_KEY = "7nRVRfKK7Tw_Xf3p0XOg1BeAiUT5frmwQMA8bvs5Sg"


@pytest.mark.parametrize("bad_key", ["not-a-key", "A" * 43, TRUNCATED_KEY])
def test_invalid_fernet_key_is_refused(clean_env, monkeypatch, bad_key):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", bad_key)
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEY is not a valid Fernet key"):
        create_app()


def test_bad_whole_number_setting_is_a_config_error(clean_env, monkeypatch):
    monkeypatch.setenv("SIDETALK_PAGE_SIZE", "thirty")
    with pytest.raises(ConfigError, match="SIDETALK_PAGE_SIZE"):
        create_app()


def test_unknown_platform_is_a_config_error(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("SIDETALK_PLATFORM", "nokia")
    with pytest.raises(ConfigError, match="nokia"):
        create_app()


def test_demo_mode_generates_secrets_once_and_reuses_them(clean_env, monkeypatch):
    monkeypatch.setenv("SIDETALK_DEMO", "1")

    first = create_app()
    second = create_app()

    secret_file, token_file = clean_env / "secret_key", clean_env / "token_key"
    for path in (secret_file, token_file):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert first.config["SECRET_KEY"] == secret_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 32
    Fernet(first.config["TOKEN_ENCRYPTION_KEY"].encode())  # a usable key
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert second.config["TOKEN_ENCRYPTION_KEY"] == first.config["TOKEN_ENCRYPTION_KEY"]


def test_demo_mode_keeps_secrets_given_in_the_environment(clean_env, monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SIDETALK_DEMO", "1")
    monkeypatch.setenv("SECRET_KEY", "from-env-" * 4)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", key)

    app = create_app()

    assert app.config["SECRET_KEY"] == "from-env-" * 4
    assert app.config["TOKEN_ENCRYPTION_KEY"] == key
    assert not (clean_env / "secret_key").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/app", "postgresql+psycopg://u:p@db:5432/app"),
        ("postgresql://u@db/app?sslmode=require", "postgresql+psycopg://u@db/app?sslmode=require"),
        ("postgresql+psycopg://u@db/app", "postgresql+psycopg://u@db/app"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_is_normalised_to_psycopg(given, expected):
    assert normalize_database_url(given) == expected


def test_database_url_from_the_environment_uses_psycopg(clean_env, monkeypatch):
    monkeypatch.setenv("SIDETALK_DEMO", "1")
    monkeypatch.setenv("DATABASE_URL", "postgres://sidetalk@127.0.0.1:5432/sidetalk")

    app = create_app()

    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://sidetalk@127.0.0.1:5432/sidetalk"
    )


@pytest.mark.parametrize("weak", ["abc", "s" * 31])
def test_a_short_secret_key_is_refused_outside_demo_mode(clean_env, monkeypatch, weak):
    monkeypatch.setenv("SECRET_KEY", weak)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="SECRET_KEY must be at least 32 bytes"):
        create_app()
