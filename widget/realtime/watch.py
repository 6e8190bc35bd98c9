"""One periodic look at the event log and at sign-outs for every socket of a process.

Live frames come through the broker; what it cannot carry (events logged by another
process without Redis, a publish lost in transit) and sign-outs elsewhere are found by
comparing each socket with the database now and then. Each socket used to do that
itself, three round trips every 30 s: with 500 sockets, 50 statements a second, fired
in bursts (sockets opened together come due together) that held the connection pool
and the GIL while pushes waited. Here one thread per process asks two questions for
all of them at once and wakes only the sockets that are behind or signed out; those
then check for themselves, exactly as before.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Protocol

from flask import Flask
from sqlalchemy import select

from widget.extensions import db
from widget.models import Extension
from widget.realtime import events

if TYPE_CHECKING:
    from widget.realtime.connection import Subscriber

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 30.0


class Watched(Protocol):
    """What the watch needs of a connection (``connection.Connection``)."""

    subscriber: Subscriber
    positions: dict[str, int]

    def check_log_soon(self) -> None: ...


class LogWatch:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._watched: set[Watched] = set()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._stopping = threading.Event()

    @property
    def seconds(self) -> float:
        return float(self.app.config.get("REALTIME_LOG_CHECK_SECONDS") or DEFAULT_SECONDS)

    def add(self, connection: Watched) -> None:
        with self._lock:
            self._watched.add(connection)
            if self._pid != os.getpid():  # forked: threads do not survive a fork
                self._pid, self._thread = os.getpid(), None
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(
                    target=self._run, name="sidetalk-log-watch", daemon=True
                )
                self._thread.start()

    def connections(self) -> set[Watched]:
        """The sockets watched now (a copy)."""
        with self._lock:
            return set(self._watched)

    def remove(self, connection: Watched) -> None:
        with self._lock:
            self._watched.discard(connection)

    def stop(self) -> None:
        self._stopping.set()

    def _run(self) -> None:
        while not self._stopping.wait(self.seconds):
            with self._lock:
                if not self._watched:  # the last socket left; the next one starts a thread
                    self._thread = None
                    return
            try:
                with self.app.app_context():
                    self.check_once()
            except Exception:  # the database may be away: the next round tries again
                log.exception("the periodic look at the event log failed")

    def check_once(self) -> int:
        """Wake the sockets that are behind the log or signed out; return how many."""
        watched = list(self.connections())
        if not watched:
            return 0
        try:
            extension_ids = {c.subscriber.extension_id for c in watched}
            epochs = dict(
                db.session.execute(
                    select(Extension.id, Extension.session_epoch).where(
                        Extension.id.in_(extension_ids)
                    )
                ).all()
            )
            newest = events.latest(sorted({ch for c in watched for ch in c.subscriber.channels}))
        finally:
            db.session.remove()
        woken = 0
        for connection in watched:
            subscriber, positions = connection.subscriber, connection.positions
            behind = any(newest[ch] > positions.get(ch, 0) for ch in subscriber.channels)
            if behind or epochs.get(subscriber.extension_id) != subscriber.identity.epoch:
                connection.check_log_soon()
                woken += 1
        return woken
