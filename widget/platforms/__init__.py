"""Telephony platforms behind one interface (RingCentral's message-store terms)."""

from __future__ import annotations

from flask import Flask, current_app

from widget.config import ConfigError
from widget.platforms.base import Platform

_EXTENSION_KEY = "sidetalk.platform"


def build_platform(name: str) -> Platform:
    """Return the platform implementation called ``name``; ``ConfigError`` when unknown."""
    if name == "sandbox":
        from widget.platforms.sandbox import SandboxPlatform

        return SandboxPlatform()
    # A ConfigError, so `sidetalk serve` refuses with a message instead of a traceback.
    raise ConfigError(f"Unknown SIDETALK_PLATFORM {name!r}; available: sandbox")


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION_KEY] = build_platform(app.config["PLATFORM"])


def get_platform() -> Platform:
    return current_app.extensions[_EXTENSION_KEY]
