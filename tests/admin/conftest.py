"""Fixtures of the admin console tests.

HTTP tests use the seeded demo with Alice (admin) and Bob (user); service tests use a
small company built by hand on an empty database.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.helpers import add_extension, sign_in
from widget.extensions import db as _db
from widget.models import Account, Extension


@pytest.fixture
def alice(demo_client):
    return sign_in(demo_client, "101")  # the demo company's admin


@pytest.fixture
def bob(demo_client):
    return sign_in(demo_client, "102")  # not an admin


@dataclass
class Company:
    admin: Extension
    other_admin: Extension
    user: Extension
    stranger: Extension  # an admin of another company


@pytest.fixture
def company(db) -> Company:
    """Ann and Abe (admins) and Ben in one company; Zed, admin of another."""
    first = Account(platform="sandbox", platform_account_id="first", name="First Co")
    second = Account(platform="sandbox", platform_account_id="second", name="Second Co")
    _db.session.add_all([first, second])
    found = Company(
        admin=add_extension(first, "101", "Ann Admin", True),
        other_admin=add_extension(first, "103", "Abe Admin", True),
        user=add_extension(first, "102", "Ben User", False),
        stranger=add_extension(second, "101", "Zed Admin", True),
    )
    _db.session.commit()
    return found
