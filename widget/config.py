"""Configuration: ``Config`` reads the environment, ``TestConfig`` is for the test-suite.

Secrets are never defaults. Outside demo mode a missing ``SECRET_KEY`` or
``TOKEN_ENCRYPTION_KEY`` stops start-up with a clear message; demo mode generates
them once and keeps them in the instance folder so sessions survive restarts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

SALESFORCE_FRAME_ANCESTORS = (
    "https://*.salesforce.com https://*.force.com https://*.lightning.force.com "
    "https://*.visualforce.com https://*.salesforce-setup.com"
)

MIN_SECRET_KEY_BYTES = 32


class ConfigError(RuntimeError):
    """Raised when the configuration cannot start a safe server."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc


class Config:
    """Production defaults, overridden by environment variables (see README)."""

    def __init__(self) -> None:
        self.DEMO_MODE = _env_bool("SIDETALK_DEMO", False)
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "")
        self.TOKEN_ENCRYPTION_KEY = os.environ.get("TOKEN_ENCRYPTION_KEY", "")
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "")
        self.REDIS_URL = os.environ.get("REDIS_URL", "")
        self.PLATFORM = os.environ.get("SIDETALK_PLATFORM", "sandbox")
        # RingCentral (SIDETALK_PLATFORM=ringcentral): without a secret the app is a
        # public client and PKCE alone protects the code exchange.
        self.RINGCENTRAL_SERVER_URL = os.environ.get(
            "RINGCENTRAL_SERVER_URL", "https://platform.ringcentral.com"
        )
        self.RINGCENTRAL_CLIENT_ID = os.environ.get("RINGCENTRAL_CLIENT_ID", "")
        self.RINGCENTRAL_CLIENT_SECRET = os.environ.get("RINGCENTRAL_CLIENT_SECRET", "")
        # A send that gets no answer this fast is reconciled before it is tried again.
        self.RINGCENTRAL_TIMEOUT_SECONDS = _env_int("RINGCENTRAL_TIMEOUT_SECONDS", 15)
        # Keys Sidetalk writes to Redis (rate-limit blocks) start with this: one Redis can
        # serve several Sidetalk installations.
        self.REDIS_KEY_PREFIX = os.environ.get("SIDETALK_REDIS_KEY_PREFIX", "sidetalk:")
        self.DEFAULT_CRM = os.environ.get("SIDETALK_DEFAULT_CRM", "local")
        # CRM logging (widget/crm_logging): CRM bodies carry absolute, long-lived media links.
        self.PUBLIC_URL = os.environ.get("SIDETALK_PUBLIC_URL", "http://127.0.0.1:5000")
        self.CRM_MEDIA_LINK_MAX_AGE = _env_int("SIDETALK_CRM_MEDIA_LINK_MAX_AGE", 30 * 86400)
        # A CRM write waits this long after the last message of a burst (at most the max).
        self.CRM_LOG_COALESCE_SECONDS = _env_int("SIDETALK_CRM_LOG_COALESCE_SECONDS", 2)
        self.CRM_LOG_COALESCE_MAX_SECONDS = _env_int("SIDETALK_CRM_LOG_COALESCE_MAX_SECONDS", 30)
        self.CRM_LOG_MAX_ATTEMPTS = _env_int("SIDETALK_CRM_LOG_MAX_ATTEMPTS", 8)
        self.CRM_MATCH_CACHE_SECONDS = _env_int("SIDETALK_CRM_MATCH_CACHE_SECONDS", 300)
        self.CRM_HTTP_TIMEOUT = _env_int("SIDETALK_CRM_HTTP_TIMEOUT", 10)
        self.DEFAULT_REGION = os.environ.get("SIDETALK_DEFAULT_REGION", "US")
        self.FRAME_ANCESTORS = os.environ.get(
            "SIDETALK_FRAME_ANCESTORS", SALESFORCE_FRAME_ANCESTORS
        )
        self.WIDGET_TOKEN_MAX_AGE = _env_int("SIDETALK_WIDGET_TOKEN_MAX_AGE", 900)
        self.PAGE_SIZE = _env_int("SIDETALK_PAGE_SIZE", 30)
        self.MEDIA_DIR = os.environ.get("SIDETALK_MEDIA_DIR", "")
        # Deleted messages stay restorable this long, then the sweeper purges them.
        self.DELETED_RETENTION_DAYS = _env_int("SIDETALK_DELETED_RETENTION_DAYS", 5)
        self.PURGE_INTERVAL_MINUTES = _env_int("SIDETALK_PURGE_INTERVAL_MINUTES", 15)
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        # A pooled connection idle this long is pinged before use (widget/database.py);
        # one used more recently is not: that round trip was 6 % of an inbound message.
        self.DATABASE_PING_AFTER_IDLE_MS = _env_int("SIDETALK_DATABASE_PING_AFTER_IDLE_MS", 1000)
        # Open sidebars (websockets) per user: a person has a few tabs, not hundreds.
        self.REALTIME_MAX_SOCKETS_PER_USER = _env_int("SIDETALK_MAX_SOCKETS_PER_USER", 10)
        self.SESSION_COOKIE_NAME = "sidetalk_session"
        # The widget lives in a third-party iframe: only SameSite=None cookies are sent
        # there, and browsers that block third-party cookies still accept partitioned ones.
        self.SESSION_COOKIE_SECURE = True
        self.SESSION_COOKIE_SAMESITE = "None"
        self.SESSION_COOKIE_PARTITIONED = True
        self.SESSION_COOKIE_HTTPONLY = True
        self.MAX_CONTENT_LENGTH = 12 * 1024 * 1024
        self.TESTING = False
        self.SEED_DEMO = _env_bool("SIDETALK_SEED_DEMO", self.DEMO_MODE)
        # Sending (compose): outbound status is polled from the platform this often (the
        # sandbox's simulated carrier moves one step per poll), at most this many times.
        self.DELIVERY_POLL_SECONDS = _env_int("SIDETALK_DELIVERY_POLL_SECONDS", 2)
        self.DELIVERY_POLL_ATTEMPTS = _env_int("SIDETALK_DELIVERY_POLL_ATTEMPTS", 30)
        # A message the platform could not take (outage) is tried again after this many
        # seconds, doubling each time; a rate limit waits for the platform's Retry-After.
        self.SEND_RETRY_SECONDS = _env_int("SIDETALK_SEND_RETRY_SECONDS", 5)
        self.MMS_MAX_BYTES = _env_int("SIDETALK_MMS_MAX_BYTES", 600 * 1024)
        self.UPLOAD_MAX_BYTES = _env_int("SIDETALK_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
        self.IMAGE_MAX_PIXELS = _env_int("SIDETALK_IMAGE_MAX_PIXELS", 40_000_000)
        # Sandbox numbers (comma-separated prefixes) whose texts fail, for demos and tests:
        # DeliveryFailed after Sent, or SendingFailed straight from Queued.
        self.SANDBOX_FAILING_NUMBERS = _env_list(
            "SIDETALK_SANDBOX_FAILING_NUMBERS", ["+1202555019"]
        )
        self.SANDBOX_UNSENDABLE_NUMBERS = _env_list(
            "SIDETALK_SANDBOX_UNSENDABLE_NUMBERS", ["+1202555018"]
        )

    def finalize(self, instance_path: str) -> None:
        """Fill instance-relative defaults and check secrets; raises ``ConfigError``."""
        instance = Path(instance_path)
        if not self.SQLALCHEMY_DATABASE_URI:
            self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{instance / 'sidetalk.db'}"
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(self.SQLALCHEMY_DATABASE_URI)
        if not self.MEDIA_DIR:
            self.MEDIA_DIR = str(instance / "media")
        if self.DEMO_MODE:
            self.SECRET_KEY = self.SECRET_KEY or _instance_secret(instance, "secret_key", _hex)
            self.TOKEN_ENCRYPTION_KEY = self.TOKEN_ENCRYPTION_KEY or _instance_secret(
                instance, "token_key", _fernet
            )
        missing = [n for n in ("SECRET_KEY", "TOKEN_ENCRYPTION_KEY") if not getattr(self, n)]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} must be set (or run the demo with SIDETALK_DEMO=1). "
                "Generate a token key with: python -c "
                "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
        if not self.DEMO_MODE and len(self.SECRET_KEY.encode()) < MIN_SECRET_KEY_BYTES:
            # It signs sessions, widget tokens and media links: a short one can be guessed.
            raise ConfigError(
                f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes of random text. "
                "Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        if self.PLATFORM == "ringcentral" and not self.RINGCENTRAL_CLIENT_ID:
            raise ConfigError(
                "SIDETALK_PLATFORM=ringcentral needs RINGCENTRAL_CLIENT_ID (and usually "
                "RINGCENTRAL_CLIENT_SECRET): see README, Connect RingCentral."
            )
        try:
            Fernet(self.TOKEN_ENCRYPTION_KEY.encode())
        except ValueError as exc:
            raise ConfigError("TOKEN_ENCRYPTION_KEY is not a valid Fernet key") from exc

    @property
    def SANDBOX_OPEN(self) -> bool:  # noqa: N802 (a config key, read like the others)
        """Whether the sandbox's routes and its extension chooser exist: only in the demo
        (and the test-suite's stand-in for it) with the sandbox as the platform."""
        return self.PLATFORM == "sandbox" and (self.DEMO_MODE or self.TESTING)

    def as_dict(self) -> dict[str, object]:
        settings = {k: v for k, v in vars(self).items() if k.isupper()}
        settings["SANDBOX_OPEN"] = self.SANDBOX_OPEN
        return settings


class TestConfig(Config):
    """In-memory-ish settings for tests: a temporary SQLite file, fixed secrets."""

    __test__ = False  # not a pytest test class

    def __init__(self, database_url: str = "", media_dir: str = "") -> None:
        super().__init__()
        self.TESTING = True
        self.DEMO_MODE = False
        self.SEED_DEMO = False
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
        self.TOKEN_ENCRYPTION_KEY = Fernet.generate_key().decode()
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.MEDIA_DIR = media_dir
        self.REDIS_URL = ""
        # Tasks run inline (huey immediate): simulated delivery completes within the request.
        self.DELIVERY_POLL_SECONDS = 0
        self.SEND_RETRY_SECONDS = 0  # outage retries run inline, one after another
        # CRM writes are not held back to coalesce bursts (tests that coalesce set it).
        self.CRM_LOG_COALESCE_SECONDS = 0


def normalize_database_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver for plain ``postgres://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _hex() -> str:
    return secrets.token_hex(32)


def _fernet() -> str:
    return Fernet.generate_key().decode()


def _instance_secret(instance: Path, name: str, make) -> str:
    """Return the secret stored in ``instance/name``, creating it (mode 0600) once."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
