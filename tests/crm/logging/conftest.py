"""Fixtures of the end-to-end tests through the HTTP CRMs' fakes (one run per CRM)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.http import close_pooled_http
from tests.crm.conftest import build_world
from tests.crm.http_crms import HTTP_CRMS, HttpCrm


@pytest.fixture(params=sorted(HTTP_CRMS))
def crm(request) -> HttpCrm:
    return HTTP_CRMS[request.param]


@pytest.fixture
def fake(crm: HttpCrm) -> Iterator:
    with crm.make_fake() as running:
        yield running
    close_pooled_http()
    assert running.errors == [], f"fake {crm.id} handler errors: {running.errors!r}"


@pytest.fixture
def crm_world(app, crm: HttpCrm, fake):
    """``world`` with Alice connected to the CRM's fake, where Jane Roe is a contact."""
    app.config.update(crm.settings(fake), CRM_HTTP_TIMEOUT=3)
    with app.app_context():
        world = build_world()
        jane, related = crm.seed_jane(fake)
        crm.connect(world.alice, fake)
        yield world, jane, related
