"""One websocket connection: catch up, then forward live frames until the client leaves.

The connection's thread waits on a single event that both the socket reader (a frame
from the client) and the hub (a delivery in this connection's inbox) set, so an idle
connection costs no wake-ups and a delivery is sent the moment it arrives.

Positions: for each channel the connection remembers the last event number it sent.
A live delivery with the next number is sent; an older one is a duplicate; a newer
one means something was lost on the way (a broker outage) and the log fills the gap.

A live delivery to a connection with nothing queued is written by the delivering thread
itself when the socket takes it without waiting (``forward_now``); ``busy`` makes that
and the connection's own thread take turns, so positions and frame order hold. Frames
go out through ``wire``: encoded once per delivery, whatever the number of sockets.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from dataclasses import dataclass

from flask import current_app
from simple_websocket import ConnectionClosed
from sqlalchemy import select

from manifest.json_text import loads_bounded
from widget.extensions import db
from widget.models import Extension
from widget.realtime import events, frames
from widget.realtime.broker import Broker, Delivery, Resync
from widget.realtime.service import stamp
from widget.realtime.wire import Encoding, GuardedSocket, text_frame
from widget.security import Identity, issue_widget_token

log = logging.getLogger(__name__)

# Close codes the page understands (4000-4999 are the application's own).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
# Client frames are tiny JSON objects; anything bigger is refused by the socket itself.
MAX_CLIENT_FRAME = 4096
# Malformed frames are logged and ignored, up to this many per connection.
MAX_BAD_FRAMES = 20
IDLE_WAKE_SECONDS = 30.0
CLOSE_HANDSHAKE_SECONDS = 2.0


def close_socket(ws, code: int, reason: str) -> None:
    """Close with ``code`` and wait (briefly) for the client's answer before returning.

    Returning ends the HTTP request and the server closes the TCP socket; if the client's
    close frame arrives after that, the kernel answers with a reset, which can destroy
    our close frame in the client's buffer: the page would see 1005/1006, not ``code``.
    """
    with contextlib.suppress(ConnectionClosed):
        ws.close(code, reason)
    ws.thread.join(timeout=CLOSE_HANDSHAKE_SECONDS)


@dataclass
class Subscriber:
    extension_id: int
    identity: Identity
    channels: list[str]


class Connection:
    def __init__(self, ws, broker: Broker, subscriber: Subscriber) -> None:
        self.ws = ws
        self.broker = broker
        self.subscriber = subscriber
        self.positions: dict[str, int] = {}
        self.bad_frames = 0
        # Held by whichever thread is sending or moving positions; the delivering thread
        # only ever tries it, so a slow client never holds up anyone else.
        self.busy = threading.Lock()
        self.encoding = Encoding.negotiated(ws)
        self.out = GuardedSocket(ws.sock, wake=ws.event.set)
        ws.sock = self.out
        config = current_app.config
        self.token_every = config.get("REALTIME_TOKEN_REFRESH_SECONDS") or max(
            30, config["WIDGET_TOKEN_MAX_AGE"] // 3
        )
        # Sockets opened together (a server restart, an office arriving) would otherwise
        # all refresh at the same moment, a burst of rendering that delays live pushes.
        self.next_token_at = time.monotonic() + self.token_every * random.uniform(0.5, 1.0)
        # Set by the process's log watch (``watch.py``) when this socket is behind the
        # event log or signed out; the check itself runs on this connection's thread.
        self.log_check_due = False
        self.watch = current_app.extensions["realtime_watch"]

    def run(self, claimed: dict[str, int] | None) -> None:
        """Serve the connection; ``claimed`` is the client's last positions (None: garbled)."""
        channels = self.subscriber.channels
        # Subscribe before reading the log: a frame published meanwhile waits in the
        # inbox and is recognised as already sent (or as the next one) by its number.
        # Nothing goes out live before the catch-up has set the positions.
        self.busy.acquire()
        subscription = self.broker.subscribe(
            channels, notify=self.ws.event.set, forward_now=self.forward_now
        )
        try:
            self.watch.add(self)
            try:
                if claimed is None:
                    self._reload(channels)
                else:
                    self._catch_up(channels, claimed)
            finally:
                self.busy.release()
            while self.ws.connected:
                self.ws.event.wait(self._wait_seconds())
                self.ws.event.clear()
                with self.busy:
                    if not self._serve(subscription):
                        return
        except ConnectionClosed:
            return
        finally:
            self.watch.remove(self)
            self.broker.unsubscribe(subscription)
            db.session.remove()

    def _serve(self, subscription) -> bool:
        """One wake-up's work (``busy`` held); False once the connection must end."""
        self._write(self.out.flush)
        if not self._read_client_frames():
            return False
        self._forward(subscription.drain())
        self._refresh_token_if_due()
        return self._check_log_if_due()

    # --- catch-up ----------------------------------------------------------------------

    def _catch_up(self, channels: list[str], claimed: dict[str, int]) -> None:
        """Send what was missed on ``channels`` since the ``claimed`` positions."""
        results = [events.catch_up(channel, claimed.get(channel)) for channel in channels]
        if any(result.refresh for result in results):
            self._reload(channels)
            return
        for result in results:
            for seq, html in result.events:
                self.positions[result.channel] = seq
                self._send(html + frames.cursors({result.channel: seq}))
            self.positions[result.channel] = result.position
        db.session.remove()  # give the connection back: this thread may idle for hours

    def _reload(self, channels: list[str]) -> None:
        """Too much missed (or an unknown position): the page reloads its views instead."""
        self.positions.update(events.latest(channels))
        extension = db.session.get(Extension, self.subscriber.extension_id)
        self._send(frames.refresh(extension, stamp()) + frames.cursors(self.positions))
        db.session.remove()

    # --- live --------------------------------------------------------------------------

    def _forward(self, items: list[Delivery | Resync]) -> None:
        for item in items:
            if isinstance(item, Resync):
                self._catch_up(self.subscriber.channels, self.positions)
                continue
            if item.seq is None:
                self._send_live(item)  # ephemeral (typing): never numbered, never replayed
                continue
            position = self.positions.get(item.channel, 0)
            if item.seq <= position:
                continue
            if item.seq > position + 1:
                self._catch_up([item.channel], self.positions)
                continue
            self.positions[item.channel] = item.seq
            self._send_live(item)

    def forward_now(self, item: Delivery) -> bool:
        """From the delivering thread: send ``item`` if that needs no waiting and nothing
        is pending; False leaves it to be queued for this connection's thread."""
        if not self.ws.connected or not self.busy.acquire(blocking=False):
            return False
        try:
            if item.seq is not None:
                position = self.positions.get(item.channel, 0)
                if item.seq <= position:
                    return True  # already sent (a catch-up overtook it)
                if item.seq > position + 1:
                    return False  # a gap: the connection's thread reads the log
            if not self.out.send_now(item.live.frame(self.encoding)):
                return False
            if item.seq is not None:
                self.positions[item.channel] = item.seq
            return True
        finally:
            self.busy.release()

    def _send(self, html: str) -> None:
        self._write(lambda: self.out.send(text_frame(html, self.encoding)))

    def _send_live(self, item: Delivery) -> None:
        """Send a live delivery's frame, encoded once for every socket that gets it."""
        self._write(lambda: self.out.send(item.live.frame(self.encoding)))

    def _write(self, write) -> None:
        if not self.ws.connected:
            raise ConnectionClosed(self.ws.close_reason, self.ws.close_message)
        try:
            write()
        except OSError as exc:  # the client went away mid-frame
            raise ConnectionClosed(self.ws.close_reason, self.ws.close_message) from exc

    # --- client frames -----------------------------------------------------------------

    def _read_client_frames(self) -> bool:
        """Handle what the client sent; False once the connection must end."""
        while True:
            data = self.ws.receive(timeout=0)
            if data is None:
                return True
            if isinstance(data, bytes):
                self._refuse(CLOSE_UNSUPPORTED, "Sidetalk accepts text frames only.")
                return False
            if not self._handle_client_frame(data):
                return False

    def _handle_client_frame(self, data: str) -> bool:
        try:
            message = loads_bounded(data)
        except ValueError:  # JsonTooDeep included
            return self._ignore("not JSON")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return self._ignore("not an object with a type")
        if message["type"] == "ping":
            # An application-level ping (for proxies that hide protocol pings): answer
            # with the current positions, which the page already knows how to apply.
            self._send(frames.cursors(self.positions))
            return True
        return self._ignore(f"unknown type {message['type'][:40]!r}")

    def _ignore(self, reason: str) -> bool:
        self.bad_frames += 1
        log.info(
            "ignored a client frame on extension %s's socket: %s",
            self.subscriber.extension_id,
            reason,
        )
        if self.bad_frames >= MAX_BAD_FRAMES:
            self._refuse(CLOSE_POLICY, "Too many malformed frames.")
            return False
        return True

    def _refuse(self, code: int, reason: str) -> None:
        log.info("closing extension %s's socket: %s", self.subscriber.extension_id, reason)
        close_socket(self.ws, code, reason)

    # --- token -------------------------------------------------------------------------

    def _wait_seconds(self) -> float:
        if not self.subscriber.identity.via_token:
            return IDLE_WAKE_SECONDS
        return max(0.0, min(IDLE_WAKE_SECONDS, self.next_token_at - time.monotonic()))

    def check_log_soon(self) -> None:
        """From the log watch: this socket missed events or was signed out."""
        self.log_check_due = True
        self.ws.event.set()

    def _check_log_if_due(self) -> bool:
        """When the watch asked: catch up on missed events; False when signed out."""
        if not self.log_check_due:
            return True
        self.log_check_due = False
        try:
            epoch = db.session.scalar(
                select(Extension.session_epoch).where(Extension.id == self.subscriber.extension_id)
            )
            if epoch != self.subscriber.identity.epoch:
                # Signed out (here or in another browser) since this socket opened.
                self._refuse(CLOSE_UNAUTHENTICATED, "Signed out: sign in again.")
                return False
            newest = events.latest(self.subscriber.channels)
            if any(seq > self.positions.get(channel, 0) for channel, seq in newest.items()):
                self._catch_up(self.subscriber.channels, self.positions)
            return True
        finally:
            db.session.remove()

    def _refresh_token_if_due(self) -> None:
        """Keep a cookie-less page's token fresh: its next request or reconnect needs one."""
        identity = self.subscriber.identity
        if not identity.via_token or time.monotonic() < self.next_token_at:
            return
        self.next_token_at = time.monotonic() + self.token_every
        token = issue_widget_token(identity)
        self._send(frames.fresh_token(token))
