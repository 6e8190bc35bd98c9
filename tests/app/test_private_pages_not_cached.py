"""No cache may keep a private page: every HTML page and fragment says ``no-store``.

Before: no page had ``Cache-Control`` at all, so a shared cache or the browser's
back-forward store could keep a mailbox (and the token in its ``hx-headers``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import sign_in
from tests.mailbox import demo_extension
from widget.extensions import db
from widget.models import Conversation

PAGES = [
    "/widget/",
    "/widget/list",
    "/widget/compose/",
    "/widget/templates/",
    "/widget/crm/settings",
    "/crm/local/activities",
    "/auth/signin",
    "/sandbox/phone",
]


@pytest.fixture
def alice(demo_client, demo_db):
    return sign_in(demo_client, "101")


@pytest.mark.parametrize("path", PAGES)
def test_private_html_is_never_stored(demo_client, alice, path):
    response = demo_client.get(path, headers=alice)

    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_conversation_fragment_and_a_cookie_page_are_never_stored(demo_client, alice):
    conversation = db.session.scalar(
        select(Conversation.id).where(Conversation.extension_id == demo_extension("101").id)
    )
    fragment = demo_client.get(f"/widget/conversations/{conversation}", headers=alice)
    by_cookie = demo_client.get("/widget/")  # the first-party cookie path, no token header

    assert fragment.headers["Cache-Control"] == "no-store"
    assert by_cookie.status_code == 200 and by_cookie.headers["Cache-Control"] == "no-store"


def test_error_pages_are_never_stored(demo_client, alice):
    response = demo_client.get("/widget/conversations/999999", headers=alice)

    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_keep_their_own_caching(demo_client, alice):
    response = demo_client.get("/static/sidetalk.js")
    response.close()

    assert "no-store" not in response.headers.get("Cache-Control", "")
