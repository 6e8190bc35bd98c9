"""Websocket text frames encoded once and written to many sockets.

A pushed frame goes to every socket watching its channel (fifty tabs of one shared
line, say). Sent through wsproto, each socket compressed the same text with its own
permessage-deflate compressor and built its own frame in Python: most of what fifty
watchers cost the server per message. Here a data message is compressed on its own, with
a fresh compressor (as under ``server_no_context_takeover``): any client that negotiated
permessage-deflate inflates it, whether or not it asked for that, because nothing in it
refers to earlier messages (RFC 7692 7.1.1.1 lets the server stop using context without
saying so). The bytes of a frame then depend only on the text and the window size: they
are encoded once per delivery and handed to every socket.

Every data message of a socket must then go through here: wsproto's compressor would
refer to history that the client's inflater no longer holds in the same place. Control
frames (pings, pongs, close) are never compressed and stay with simple_websocket.

``GuardedSocket`` lets two threads write to one socket without splitting a frame: the
connection's own thread (blocking writes) and the thread fanning a delivery out, which
only writes when the kernel takes the frame without waiting.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from wsproto.extensions import PerMessageDeflate

FIN_TEXT = 0x81  # final fragment, text opcode
RSV1_COMPRESSED = 0x40
# zlib cannot deflate raw with a 256-byte window: a client limiting us to it gets plain text.
SMALLEST_DEFLATE_WINDOW_BITS = 9
# Linux and the BSDs; elsewhere every frame is written by its connection's thread.
DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)


@dataclass(frozen=True)
class Encoding:
    """How one socket's data messages go on the wire: deflated with this window, or not."""

    deflate_window_bits: int | None = None

    @classmethod
    def negotiated(cls, ws) -> Encoding:
        """What ``ws``'s handshake agreed (a simple_websocket ``Server``). Not compressing
        is always allowed, so anything unexpected here means plain frames, never bad ones."""
        protocol = getattr(getattr(ws.ws, "connection", None), "_proto", None)
        for extension in getattr(protocol, "extensions", ()):
            if isinstance(extension, PerMessageDeflate) and extension.enabled():
                bits = extension.server_max_window_bits
                if bits >= SMALLEST_DEFLATE_WINDOW_BITS:
                    return cls(bits)
        return cls()


def text_frame(text: str, encoding: Encoding) -> bytes:
    """One unfragmented, unmasked (server to client) text frame carrying ``text``."""
    payload = text.encode()
    first = FIN_TEXT
    if encoding.deflate_window_bits is not None:
        compressor = zlib.compressobj(
            zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -encoding.deflate_window_bits
        )
        # RFC 7692 7.2.1: flush to a byte boundary and drop the 00 00 ff ff tail.
        payload = (compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
        first |= RSV1_COMPRESSED
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, 126, size)
    else:
        header = struct.pack("!BBQ", first, 127, size)
    return header + payload


class SharedText:
    """One text message for many sockets, encoded once per encoding (on first use)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._frames: dict[Encoding, bytes] = {}

    def frame(self, encoding: Encoding) -> bytes:
        frame = self._frames.get(encoding)
        if frame is None:
            # Two threads may both encode it: the same bytes, and the dict keeps one.
            frame = self._frames[encoding] = text_frame(self.text, encoding)
        return frame


class GuardedSocket:
    """A websocket's TCP socket whose writers never interleave their frames.

    Replaces ``ws.sock`` so that simple_websocket's own writes (pings, pongs, the close
    handshake, from its reader thread) take the same lock as ours. ``send_now`` writes
    without waiting or not at all; if the kernel takes only part of the frame, the rest
    is kept, written first by the next writer, and ``wake`` asks the connection's thread
    to flush it.
    """

    def __init__(self, sock, wake: Callable[[], None]) -> None:
        self._sock = sock
        self._wake = wake
        # TLS terminated by gunicorn itself: an SSL socket takes no flags on send, and
        # a record may need a read first; its frames are all written by its own thread.
        self._dontwait = 0 if isinstance(sock, ssl.SSLSocket) else DONTWAIT
        self._lock = threading.RLock()
        self._unsent = b""

    # What simple_websocket's reader thread uses.
    def fileno(self) -> int:
        return self._sock.fileno()

    def recv(self, size: int) -> bytes:
        return self._sock.recv(size)

    def close(self) -> None:
        self._sock.close()

    def send(self, data: bytes) -> int:
        """Write ``data`` whole (blocking), after anything left over."""
        with self._lock:
            self._flush_locked()
            self._sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        """Write what a partial ``send_now`` left (blocking)."""
        with self._lock:
            self._flush_locked()

    def send_now(self, frame: bytes) -> bool:
        """Write ``frame`` if that needs no waiting: True once it is written (or its tail
        kept for the connection's thread); False when nothing was written."""
        if not self._dontwait or not self._lock.acquire(blocking=False):
            return False
        try:
            if self._unsent:
                return False
            try:
                written = self._sock.send(frame, self._dontwait)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                return False  # closed: the connection's thread finds out and ends
            if written < len(frame):
                self._unsent = frame[written:]
                self._wake()
            return True
        finally:
            self._lock.release()

    def _flush_locked(self) -> None:
        if self._unsent:
            unsent, self._unsent = self._unsent, b""
            self._sock.sendall(unsent)
