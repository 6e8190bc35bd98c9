"""The websocket end to end: a real threaded server, real websocket clients, real HTTP."""

from __future__ import annotations

import json
import logging
import socket
import time

import requests
import time_machine
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Ping, Request

from tests.realtime.conftest import (
    connect,
    cursor_of,
    frames_until,
    inbound,
    no_frame,
    parse,
    socket_protocols,
    start_server,
    wait_closed,
)
from widget.extensions import db
from widget.realtime import events
from widget.security import read_widget_token

JANE = "+14155550123"
ALICE_SMS = "+16505550101"
BOB_SMS = "+16505550102"


def test_a_signed_in_page_receives_new_messages_without_asking(live, alice):
    client = connect(live, alice.token)
    try:
        inbound(live, JANE, ALICE_SMS, "are you there?")

        (frame,) = frames_until(client, lambda f: "are you there?" in f)
        soup = parse(frame)
        assert soup.find("ul", id="rows", attrs={"hx-swap-oob": "afterbegin"}) is not None
        cursor = soup.find(attrs={"data-realtime-cursor": True})
        assert cursor["id"] == f"realtime-cursor-ext-{alice.extension_id}"
        assert cursor["hx-swap-oob"] == "true"
        notice = soup.find(id="realtime-notice")
        assert notice["data-title"] == "Jane Roe" and notice["data-body"] == "are you there?"
    finally:
        client.close()


def test_without_a_token_the_socket_is_closed_with_4401(live):
    client = connect(live)

    code, reason = wait_closed(client)

    assert code == 4401
    assert "Sign in again" in reason


def test_a_forged_token_is_closed_with_4401(live, alice):
    client = connect(live, alice.token[:-4] + "AAAA")

    assert wait_closed(client)[0] == 4401


def test_an_expired_token_is_closed_with_4401(live, alice):
    with time_machine.travel(time.time() + 3600):
        client = connect(live, alice.token)
        assert wait_closed(client)[0] == 4401


def test_asking_for_another_extensions_channel_is_refused_and_hears_nothing(live, alice, bob):
    client = connect(live, alice.token, channels=f"ext:{bob.extension_id}")
    inbound(live, JANE, BOB_SMS, "for the eyes of Bob only")

    code, reason = wait_closed(client)

    assert code == 4403 and f"ext:{bob.extension_id}" in reason
    assert client.input_buffer == []


def test_a_socket_only_ever_carries_its_own_extensions_changes(live, alice):
    client = connect(live, alice.token, channels=f"ext:{alice.extension_id}")
    try:
        inbound(live, JANE, BOB_SMS, "secret for Bob")
        inbound(live, JANE, ALICE_SMS, "message for Alice")

        seen = frames_until(client, lambda f: "message for Alice" in f)
        assert not any("secret for Bob" in frame for frame in seen)
    finally:
        client.close()


def test_an_oversized_client_frame_closes_with_1009_and_the_server_carries_on(live, alice):
    client = connect(live, alice.token)
    client.send("x" * 6_000)  # over the 4 KB limit

    assert wait_closed(client)[0] == 1009
    assert requests.get(f"{live.url}/healthz", timeout=5).status_code == 200
    again = connect(live, alice.token)
    try:
        inbound(live, JANE, ALICE_SMS, "still working")
        frames_until(again, lambda f: "still working" in f)
    finally:
        again.close()


def test_malformed_client_frames_are_ignored(live, alice, caplog):
    caplog.set_level(logging.INFO, logger="widget.realtime.connection")
    client = connect(live, alice.token)
    try:
        for garbage in [
            "not json",
            "[1, 2]",
            '{"type": 5}',
            '{"type": "subscribe", "channel": "ext:1"}',
            "[" * 2000 + "]" * 2000,  # RecursionError in a plain json.loads
        ]:
            client.send(garbage)
        client.send(json.dumps({"type": "ping"}))
        (pong,) = frames_until(client, lambda f: "data-realtime-cursor" in f)
        assert "realtime-cursor" in pong
        inbound(live, JANE, ALICE_SMS, "after the garbage")
        frames_until(client, lambda f: "after the garbage" in f)
    finally:
        client.close()
    reasons = " ".join(
        r.getMessage() for r in caplog.records if "ignored a client frame" in r.getMessage()
    )
    assert "not JSON" in reasons and "unknown type 'subscribe'" in reasons


def test_a_binary_frame_closes_with_1003(live, alice):
    client = connect(live, alice.token)
    client.send(b"\x00\x01")

    assert wait_closed(client)[0] == 1003


def test_too_many_malformed_frames_close_with_1008(live, alice):
    client = connect(live, alice.token)
    for _ in range(25):
        client.send("nope")

    assert wait_closed(client)[0] == 1008


def test_a_reconnecting_client_gets_exactly_what_it_missed_in_order(live, alice):
    client = connect(live, alice.token)
    inbound(live, JANE, ALICE_SMS, "before the drop")
    (frame,) = frames_until(client, lambda f: "before the drop" in f)
    last_seen = cursor_of(frame, f"ext:{alice.extension_id}")
    client.close()

    inbound(live, JANE, ALICE_SMS, "missed one")
    inbound(live, JANE, ALICE_SMS, "missed two")
    back = connect(live, alice.token, last_event_id=f"ext:{alice.extension_id}@{last_seen}")
    try:
        first = back.receive(timeout=5)
        second = back.receive(timeout=5)
        assert (
            "missed one" in first and cursor_of(first, f"ext:{alice.extension_id}") == last_seen + 1
        )
        assert (
            "missed two" in second
            and cursor_of(second, f"ext:{alice.extension_id}") == last_seen + 2
        )
        no_frame(back)  # and nothing twice
    finally:
        back.close()


def test_too_much_missed_gets_a_reload_instead_of_a_replay(live, alice, monkeypatch):
    monkeypatch.setattr(events, "CATCH_UP_LIMIT", 2)
    for index in range(4):
        inbound(live, JANE, ALICE_SMS, f"burst {index}")

    client = connect(live, alice.token, last_event_id="0")
    try:
        frame = client.receive(timeout=5)
        soup = parse(frame)
        assert soup.find(id="realtime-refresh")["data-refresh-id"]
        assert soup.find("span", id="count-all")["hx-swap-oob"] == "true"
        assert "burst" not in frame
        assert cursor_of(frame, f"ext:{alice.extension_id}") >= 4
    finally:
        client.close()


def test_garbled_positions_get_a_reload(live, alice):
    inbound(live, JANE, ALICE_SMS, "something")
    client = connect(live, alice.token, last_event_id="ext:1@x")
    try:
        assert parse(client.receive(timeout=5)).find(id="realtime-refresh") is not None
    finally:
        client.close()


def test_typing_and_read_receipts_reach_the_colleague(live, alice, bob):
    a = connect(live, alice.token)
    try:
        page = inbound(live, "101", "102", "got a minute?", "Pager")
        frames_until(a, lambda f: "got a minute?" in f)  # Alice's own sent copy
        headers = {**bob.headers, "HX-Request": "true"}

        typing = requests.post(
            f"{live.url}/widget/conversations/{page['conversation_id']}/typing",
            headers=headers,
            timeout=5,
        )
        assert typing.status_code == 204
        (shown,) = frames_until(a, lambda f: "is typing" in f)
        assert "Bob Martinez is typing…" in parse(shown).get_text()

        read = requests.post(
            f"{live.url}/widget/conversations/{page['conversation_id']}/read",
            headers=headers,
            timeout=5,
        )
        assert read.status_code == 200
        (receipt,) = frames_until(a, lambda f: "Read by" in f)
        assert parse(receipt).find(class_="receipt").get_text() == "Read by Bob Martinez ✓"
    finally:
        a.close()


def test_a_cookie_less_page_is_sent_fresh_tokens(demo_app, alice):
    demo_app.config["REALTIME_TOKEN_REFRESH_SECONDS"] = 0.3
    live = start_server(demo_app)
    try:
        client = connect(live, alice.token)
        (frame,) = frames_until(client, lambda f: "data-token" in f)
        fresh = parse(frame).find(id="realtime-token")["data-token"]
        with demo_app.app_context():
            identity = read_widget_token(fresh)
        assert identity is not None and identity.extension_id == alice.extension_id
        client.close()
    finally:
        live.stop()


def _raw_socket(live, token: str):
    """A websocket that does not answer pings by itself (simple_websocket would)."""
    sock = socket.create_connection(("127.0.0.1", int(live.url.rsplit(":", 1)[1])), timeout=5)
    ws = WSConnection(ConnectionType.CLIENT)
    request = Request(host="127.0.0.1", target="/ws", subprotocols=socket_protocols(token))
    sock.sendall(ws.send(request))
    return sock, ws


def _events(sock, ws, seconds: float):
    found = []
    deadline = time.monotonic() + seconds
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        if not data:
            break
        ws.receive_data(data)
        found.extend(ws.events())
    return found


def test_the_server_pings_idle_sockets_and_drops_silent_ones(demo_app, alice):
    demo_app.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": 0.3, "max_message_size": 4096}
    live = start_server(demo_app)
    try:
        sock, ws = _raw_socket(live, alice.token)
        seen = _events(sock, ws, 2.0)
        assert isinstance(seen[0], AcceptConnection)
        assert any(isinstance(e, Ping) for e in seen)
        # We never answered: the server gave up on this silent peer.
        closes = [e for e in seen if isinstance(e, CloseConnection)]
        assert closes and closes[0].code == 1008
        sock.close()
    finally:
        live.stop()


def test_a_socket_that_leaves_is_forgotten(live, alice):
    broker = live.app.extensions["realtime"]
    client = connect(live, alice.token)
    deadline = time.monotonic() + 5
    while broker.hub.connection_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert broker.hub.connection_count() == 1

    client.close()

    deadline = time.monotonic() + 5
    while broker.hub.connection_count() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert broker.hub.connection_count() == 0


def test_a_shared_queue_channel_reaches_its_members_only(live, alice, bob, monkeypatch):
    from widget.realtime import service

    # Queues register who belongs to them; here Alice is in queue 7 and Bob is not.
    monkeypatch.setattr(
        service,
        "channel_providers",
        [lambda ext: ["queue:7"] if ext.id == alice.extension_id else []],
    )
    member = connect(live, alice.token)
    outsider = connect(live, bob.token, channels="queue:7")
    try:
        assert wait_closed(outsider)[0] == 4403
        deadline = time.monotonic() + 5
        broker = live.app.extensions["realtime"]
        while broker.hub.connection_count() < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        with live.app.app_context():
            delivery = service.publish("queue:7", "queue", '<p id="q">claimed</p>')

        (frame,) = frames_until(member, lambda f: "claimed" in f)
        assert cursor_of(frame, "queue:7") == delivery.seq
    finally:
        member.close()


def test_events_committed_without_the_broker_still_reach_the_socket(demo_app, alice):
    # A job worker in another process with no Redis logs events nobody here hears of:
    # connections compare their positions with the log and catch up by themselves.
    demo_app.config["REALTIME_LOG_CHECK_SECONDS"] = 0.3
    live = start_server(demo_app)
    client = connect(live, alice.token)
    try:
        time.sleep(0.2)
        with demo_app.app_context():
            events.append(f"ext:{alice.extension_id}", "messages", '<p id="x">from elsewhere</p>')
            db.session.commit()

        (frame,) = frames_until(client, lambda f: "from elsewhere" in f)
        assert cursor_of(frame, f"ext:{alice.extension_id}") is not None
    finally:
        client.close()
        live.stop()


def test_signing_out_closes_the_users_open_sockets_with_4401(demo_app, alice, bob):
    demo_app.config["REALTIME_LOG_CHECK_SECONDS"] = 0.3
    live = start_server(demo_app)
    alice_socket = connect(live, alice.token)
    bob_socket = connect(live, bob.token)
    try:
        time.sleep(0.2)
        signed_out = requests.post(f"{live.url}/auth/signout", headers=alice.headers, timeout=5)
        assert signed_out.status_code == 200

        code, reason = wait_closed(alice_socket)
        assert code == 4401 and "Signed out" in reason
        inbound(live, JANE, BOB_SMS, "still here, Bob?")
        assert frames_until(bob_socket, lambda f: "still here, Bob?" in f)
        # Reconnecting with the old token is refused too.
        assert wait_closed(connect(live, alice.token))[0] == 4401
    finally:
        bob_socket.close()
        live.stop()
