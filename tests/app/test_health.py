"""``GET /healthz``: 200 with the database answering, 503 when it does not."""

from __future__ import annotations

import os
import socket

from widget import create_app
from widget.config import TestConfig
from widget.extensions import db


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"
    assert response.json["database_backend"] == "sqlite"
    assert response.json["platform"] == "sandbox"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    url = f"postgres://postgres@127.0.0.1:{_closed_port()}/test"
    os.environ["SIDETALK_INSTANCE_PATH"] = str(tmp_path / "instance")
    try:
        app = create_app(TestConfig(url, str(tmp_path / "media")))
    finally:
        os.environ.pop("SIDETALK_INSTANCE_PATH", None)

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json["status"] == "degraded"
    assert response.json["database"] == "unavailable"
    assert response.json["database_backend"] == "postgresql"
    assert "password" not in response.get_data(as_text=True).lower()
    with app.app_context():
        db.engine.dispose()


def test_healthz_answers_json_even_to_a_browser(client):
    response = client.get("/healthz", headers={"Accept": "text/html"})

    assert response.mimetype == "application/json"
