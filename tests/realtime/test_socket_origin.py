"""Cross-site websocket hijacking: only Sidetalk's own pages and the configured CRM
frame ancestors may open ``/ws`` with a signed-in browser's credentials.
"""

from __future__ import annotations

import pytest

from tests.realtime.conftest import connect, frames_until, inbound, start_server, wait_closed

JANE = "+14155550123"
ALICE_SMS = "+16505550101"


@pytest.fixture
def crm_live(demo_app):
    demo_app.config["FRAME_ANCESTORS"] = "https://*.force.com https://crm.example:8443"
    demo_app.config["PUBLIC_URL"] = "https://sidetalk.example"
    server = start_server(demo_app)
    yield server
    server.stop()


def _receives_new_messages(live, client) -> None:
    try:
        inbound(live, JANE, ALICE_SMS, "origin check")
        frames_until(client, lambda f: "origin check" in f)
    finally:
        client.close()


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "https://force.com.evil.example",
        "https://evilforce.com",
        "http://acme.force.com",
        "https://crm.example",
        "https://crm.example:9443",
    ],
)
def test_a_page_of_another_origin_is_refused_and_hears_nothing(crm_live, alice, origin):
    client = connect(crm_live, alice.token, origin=origin)

    code, reason = wait_closed(client)

    assert code == 4403 and "origin" in reason.lower()
    assert client.input_buffer == []


@pytest.mark.parametrize(
    "origin",
    [
        "own",
        "https://sidetalk.example",
        "https://acme.my.force.com",
        "https://crm.example:8443",
    ],
)
def test_sidetalks_own_origin_and_the_frame_ancestors_are_accepted(crm_live, alice, origin):
    origin = crm_live.url if origin == "own" else origin
    _receives_new_messages(crm_live, connect(crm_live, alice.token, origin=origin))


def test_a_client_that_sends_no_origin_is_not_a_browser_and_is_accepted(crm_live, alice):
    _receives_new_messages(crm_live, connect(crm_live, alice.token, origin=None))
