"""Fixtures shared by the template tests: Alice (an admin) and Bob, signed in."""

from __future__ import annotations

import pytest

from tests.helpers import sign_in


@pytest.fixture
def alice(demo_client):
    return sign_in(demo_client, "101")


@pytest.fixture
def bob(demo_client):
    return sign_in(demo_client, "102")
