"""Outside demo mode, or on another platform, the sandbox's routes and chooser do not exist."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import make_app
from tests.helpers import csrf_from
from widget.config import TestConfig
from widget.extensions import db
from widget.models import Extension


def _app(tmp_path, demo_template, **overrides):
    shutil.copy(demo_template / "demo.db", tmp_path / "prod.db")
    # TestConfig's secrets are set; TESTING off and demo mode off: production.
    settings = {"TESTING": False, "JOBS_IMMEDIATE": True, **overrides}
    return make_app(f"sqlite:///{tmp_path / 'prod.db'}", tmp_path, **settings)


@pytest.fixture
def production_app(tmp_path, demo_template):
    app = _app(tmp_path, demo_template)
    yield app
    with app.app_context():
        db.engine.dispose()


def _first_extension_id(app) -> int:
    with app.app_context():
        return db.session.query(Extension.id).order_by(Extension.id).first()[0]


def test_production_refuses_the_chooser_and_hides_every_sandbox_route(production_app):
    assert production_app.config["SANDBOX_OPEN"] is False
    client = production_app.test_client()
    page = client.get("/auth/signin")
    assert page.status_code == 404
    assert b'name="extension_id"' not in page.data
    extension_id = _first_extension_id(production_app)
    response = client.post("/auth/signin", data={"extension_id": str(extension_id)})
    assert response.status_code in {400, 403, 404}
    assert "Location" not in response.headers
    assert "sidetalk_session" not in response.headers.get("Set-Cookie", "")
    inbound = client.post(
        "/sandbox/inbound",
        json={"from": "+14155550123", "to": "+16505550101", "text": "forged", "type": "SMS"},
    )
    assert inbound.status_code == 404
    assert client.get("/sandbox/phone/thread?from=%2B14155550123&ext=101").status_code == 404
    assert client.get("/sandbox/phone").status_code == 404
    assert client.get("/sandbox/extensions").status_code == 404
    assert client.get("/widget/", follow_redirects=False).status_code in {302, 401}


def test_chooser_refused_even_with_a_valid_csrf_token(production_app):
    # The CSRF token of a real page (the chooser would be the one): take it from the
    # demo-mode twin's sign-in page, which proves the refusal is not a CSRF failure.
    production_app.config["SANDBOX_OPEN"] = True
    client = production_app.test_client()
    page = client.get("/auth/signin")
    assert page.status_code == 200
    csrf = csrf_from(page)
    production_app.config["SANDBOX_OPEN"] = False
    response = client.post(
        "/auth/signin",
        data={"csrf_token": csrf, "extension_id": str(_first_extension_id(production_app))},
    )
    assert response.status_code == 404
    assert "Location" not in response.headers


def test_the_demo_keeps_the_sandbox(tmp_path, demo_template):
    app = _app(tmp_path, demo_template, DEMO_MODE=True)
    assert app.config["SANDBOX_OPEN"] is True
    client = app.test_client()
    assert client.get("/auth/signin").status_code == 200
    assert client.get("/sandbox/extensions").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_another_platform_closes_the_sandbox_even_in_demo_mode():
    config = TestConfig()
    config.DEMO_MODE = True
    config.PLATFORM = "ringcentral"
    assert config.SANDBOX_OPEN is False


def test_ringcentral_without_a_client_id_refuses_to_start():
    from widget.config import ConfigError

    config = TestConfig()
    config.PLATFORM = "ringcentral"
    config.RINGCENTRAL_CLIENT_ID = ""
    with pytest.raises(ConfigError, match="RINGCENTRAL_CLIENT_ID"):
        config.finalize("/tmp/sidetalk-config-check")


def test_no_other_door_signs_anyone_in_outside_the_demo(production_app):
    """The OAuth callback and the start page name no sandbox door either."""
    client = production_app.test_client()
    extension_id = str(_first_extension_id(production_app))
    for path in (
        f"/auth/sandbox/callback?extension_id={extension_id}",
        "/auth/oauth/start?next=/widget/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "sidetalk_session" not in response.headers.get("Set-Cookie", "")
    start = client.get("/")
    assert start.status_code == 200
    assert b"/sandbox/phone" not in start.data
