"""Entry points as the platform and connector registries read them, for their tests."""

from __future__ import annotations

from importlib import metadata
from typing import Any

import pytest


def fake_entry_points(group: str, *specs: tuple[str, str]) -> Any:
    """A stand-in for ``importlib.metadata.entry_points`` that lists ``specs`` in ``group``."""
    eps = [metadata.EntryPoint(name=name, value=value, group=group) for name, value in specs]
    return lambda group: [ep for ep in eps if ep.group == group]


def skip_unless_installed() -> None:
    """Skip a test of the installed entry points when the project is not installed."""
    try:
        metadata.distribution("sidetalk")
    except metadata.PackageNotFoundError:
        pytest.skip("the sidetalk distribution is not installed (pip install -e .)")
