"""Fan-out: a frame encoded once for every socket, compressed clients, writes that never wait.

Clients here are wsproto connections over real sockets that offer permessage-deflate as
browsers do (simple_websocket's client does not), against the real threaded server.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Ping, Request, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import FrameProtocol

from tests.realtime.conftest import cursor_of, inbound, socket_protocols
from widget.realtime import events, wire
from widget.realtime.wire import Encoding, GuardedSocket, SharedText, text_frame

JANE = "+14155550123"
ALICE_SMS = "+16505550101"


class DeflateClient:
    """A websocket client offering permessage-deflate (``offer``: its parameters)."""

    def __init__(self, live, token: str, query: str = "", deflate: bool = True, **offer) -> None:
        port = int(live.url.rsplit(":", 1)[1])
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.deflate = PerMessageDeflate(**offer)
        request = Request(
            host=f"127.0.0.1:{port}",
            target=f"/ws{query}",
            subprotocols=socket_protocols(token),
            extensions=[self.deflate] if deflate else [],
            extra_headers=[(b"origin", live.url.encode())],
        )
        self.sock.sendall(self.ws.send(request))
        self.texts: list[str] = []
        self._parts: list[str] = []
        self.accepted = False
        self.closed: CloseConnection | None = None

    def read_until(self, predicate, timeout: float = 10.0) -> list[str]:
        """Read until some text satisfies ``predicate``; return every text so far."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.1)
        while not any(predicate(text) for text in self.texts):
            assert time.monotonic() < deadline, f"no matching frame; got {self.texts[-3:]}"
            assert self.closed is None, f"closed: {self.closed}"
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            self.ws.receive_data(data or None)
            for event in self.ws.events():
                if isinstance(event, AcceptConnection):
                    self.accepted = True
                elif isinstance(event, TextMessage):
                    self._parts.append(event.data)
                    if event.message_finished:
                        self.texts.append("".join(self._parts))
                        self._parts = []
                elif isinstance(event, Ping):
                    self.sock.sendall(self.ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    self.closed = event
        return self.texts

    def send_text(self, text: str) -> None:
        self.sock.sendall(self.ws.send(TextMessage(data=text)))

    def close(self) -> None:
        self.sock.close()


def subscribed(live, count: int) -> None:
    """Wait until ``count`` sockets listen (each subscribes right after its handshake)."""
    hub = live.app.extensions["realtime"].hub
    deadline = time.monotonic() + 10
    while hub.connection_count() < count:
        assert time.monotonic() < deadline, f"{hub.connection_count()} of {count} connected"
        time.sleep(0.02)


@pytest.mark.parametrize(
    "offer",
    [{}, {"server_no_context_takeover": True}, {"server_max_window_bits": 10}],
    ids=["default", "no-context-takeover", "small-window"],
)
def test_a_compressing_client_reads_every_kind_of_frame_in_turn(live, alice, offer):
    channel = f"ext:{alice.extension_id}"
    with live.app.app_context():
        before = events.latest([channel]).get(channel, 0)
    inbound(live, JANE, ALICE_SMS, "already there")
    # A position before that message: the connection starts with a catch-up frame.
    client = DeflateClient(live, alice.token, f"?last_event_id={channel}%40{before}", **offer)
    try:
        client.read_until(lambda t: "already there" in t)
        assert client.accepted and client.deflate.enabled()
        for number in range(3):
            inbound(live, JANE, ALICE_SMS, f"live number {number}")
            client.read_until(lambda t, n=number: f"live number {n}" in t)
        client.send_text(json.dumps({"type": "ping"}))
        texts = client.read_until(lambda _: len(client.texts) >= 5)
        # Catch-up, three live frames and the answer to the ping, each decoded whole and
        # in order; compressed ones among them (the client's inflater exists only then,
        # and is dropped after each message under no context takeover).
        assert "already there" in texts[0]
        assert [cursor_of(t, channel) for t in texts] == [before + n for n in (1, 2, 3, 4, 4)]
        assert "live number" not in texts[4]
        if not offer.get("server_no_context_takeover"):
            assert client.deflate._decompressor is not None
    finally:
        client.close()


def test_fifty_watchers_get_one_frame_encoded_once(live, alice, monkeypatch):
    encoded: list[str] = []
    real = wire.text_frame

    def counting(text, encoding):
        encoded.append(text)
        return real(text, encoding)

    monkeypatch.setattr(wire, "text_frame", counting)
    live.app.config["REALTIME_MAX_SOCKETS_PER_USER"] = 60  # fifty tabs stand for fifty people
    clients = [DeflateClient(live, alice.token) for _ in range(50)]
    try:
        subscribed(live, 50)
        encoded.clear()
        inbound(live, JANE, ALICE_SMS, "for everyone")
        for client in clients:
            client.read_until(lambda t: "for everyone" in t)
        assert len([text for text in encoded if "for everyone" in text]) == 1
    finally:
        for client in clients:
            client.close()


def test_a_client_that_stops_reading_holds_up_nobody(live, alice):
    # Not compressing: its frames are big enough to fill the socket's buffers.
    stuck = DeflateClient(live, alice.token, deflate=False)
    stuck.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader = DeflateClient(live, alice.token)
    subscribed(live, 2)
    try:
        started = time.monotonic()
        long_text = " ".join(f"word{n}" for n in range(120))
        for number in range(40):
            inbound(live, JANE, ALICE_SMS, f"burst {number} {long_text}")
            reader.read_until(lambda t, n=number: f"burst {n} " in t)
        assert time.monotonic() - started < 30
        # Once it reads again, the stuck client gets every frame, whole and in order
        # (or, past its inbox limit, a reload; never a torn frame).
        texts = stuck.read_until(lambda t: "burst 39 " in t or "realtime-refresh" in t, 20)
        bursts = [int(t.split("burst ")[1].split()[0]) for t in texts if "burst " in t]
        assert bursts == sorted(bursts) and len(set(bursts)) == len(bursts)
    finally:
        stuck.close()
        reader.close()


# --- the wire format alone -------------------------------------------------------------


def decode(frames: bytes, deflate: PerMessageDeflate | None) -> list[str]:
    """Read server frames as a client with ``deflate`` (already negotiated) would."""
    protocol = FrameProtocol(client=True, extensions=[deflate] if deflate else [])
    protocol.receive_bytes(frames)
    texts, parts = [], []
    for frame in protocol.received_frames():
        parts.append(frame.payload)
        if frame.frame_finished and frame.message_finished:
            texts.append("".join(parts))
            parts = []
    return texts


@pytest.mark.parametrize("size", [10, 300, 70_000], ids=["short", "medium", "long"])
@pytest.mark.parametrize("bits", [None, 9, 15])
def test_frames_of_every_length_decode_one_after_another(size, bits):
    deflate = None
    if bits is not None:
        deflate = PerMessageDeflate()
        deflate.finalize(f"permessage-deflate; server_max_window_bits={bits}")
    texts = [("é<li>" * size)[:size], "second ✓ " * (size // 9 + 1), "x"]
    wire_bytes = b"".join(text_frame(t, Encoding(bits)) for t in texts)
    assert decode(wire_bytes, deflate) == texts


def test_the_negotiated_window_is_used_and_a_tiny_one_gets_plain_frames():
    assert Encoding(15) != Encoding(9)
    assert text_frame("hello", Encoding())[0] == 0x81  # no RSV1: not compressed
    assert text_frame("hello", Encoding(15))[0] == 0xC1  # RSV1: compressed


def test_a_shared_text_is_encoded_once_per_encoding():
    shared = SharedText("<li>row</li>")
    assert shared.frame(Encoding(15)) is shared.frame(Encoding(15))
    assert shared.frame(Encoding()) != shared.frame(Encoding(15))


def test_a_frame_the_kernel_half_takes_is_finished_before_anything_else():
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    woken = threading.Event()
    guarded = GuardedSocket(ours, wake=woken.set)
    big = text_frame("a" * 2_000_000, Encoding())
    try:
        assert guarded.send_now(big)  # partly written, the rest kept
        assert woken.is_set()
        assert not guarded.send_now(text_frame("later", Encoding()))  # must wait its turn
        received = bytearray()

        def drain() -> None:
            theirs.settimeout(5)
            while len(received) < len(big) + 7:
                received.extend(theirs.recv(1 << 16))

        reader = threading.Thread(target=drain)
        reader.start()
        guarded.send(text_frame("after", Encoding()))  # flushes the rest first
        reader.join(timeout=10)
        assert decode(bytes(received), None) == ["a" * 2_000_000, "after"]
    finally:
        ours.close()
        theirs.close()


def test_a_tls_socket_is_only_ever_written_by_its_own_thread():
    ours, theirs = socket.socketpair()
    tls = ssl.create_default_context().wrap_socket(
        ours, server_hostname="sidetalk.test", do_handshake_on_connect=False
    )
    try:
        # An SSL socket refuses send flags: the delivering thread leaves the frame queued.
        assert not GuardedSocket(tls, wake=lambda: None).send_now(text_frame("x", Encoding()))
    finally:
        tls.close()
        theirs.close()
