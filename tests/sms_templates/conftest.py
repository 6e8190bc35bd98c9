"""Fixtures for the SMS template tests: the seeded demo in an application context."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from widget.extensions import db
from widget.models import Extension


@pytest.fixture
def demo_ctx(demo_app):
    """An application context on a private copy of the seeded demo."""
    with demo_app.app_context():
        yield demo_app


@pytest.fixture
def ext(demo_ctx):
    """Return the demo extension with the given number (``ext("101")``)."""

    def find(number: str) -> Extension:
        return db.session.scalars(
            select(Extension).where(Extension.extension_number == number)
        ).one()

    return find
