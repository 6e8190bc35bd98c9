"""A database that cannot be reached is answered 503 with Retry-After, never a 500.

Real: the app points at a PostgreSQL port where nothing listens (as during a restart or
a failover); nothing is mocked. The process test that restarts a private cluster under
traffic is in ``test_server_restarts.py``.
"""

from __future__ import annotations

import pytest

from tests.conftest import make_app
from tests.realtime.test_processes import free_port
from widget.errors import DATABASE_RETRY_AFTER_SECONDS

pytestmark = pytest.mark.reliability


@pytest.fixture
def cut_off(tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone?connect_timeout=2"
    return make_app(url, tmp_path)


def test_a_webhook_meeting_a_dead_database_is_told_to_retry(cut_off):
    answer = cut_off.test_client().post(
        "/sandbox/inbound", json={"from": "+14155550123", "to": "+16505550101", "text": "hi"}
    )
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    error = answer.get_json()["error"]
    assert error["status"] == 503 and "database is not reachable" in error["message"]


def test_a_page_meeting_a_dead_database_says_so_in_words(cut_off):
    answer = cut_off.test_client().get("/auth/signin")
    assert answer.status_code == 503
    assert "database is not reachable" in answer.get_data(as_text=True)
    assert "Traceback" not in answer.get_data(as_text=True)
