"""The log watch: one look at the database for every socket of a process.

The sockets here are stand-ins holding what a connection exposes (its subscriber, its
positions, a way to be woken); the database, the event log and sign-out are real. The
end-to-end effects (a socket catching up on events no broker carried, a signed-out
socket closed with 4401) are in ``test_socket.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sqlalchemy as sa

from widget.extensions import db
from widget.models import Extension
from widget.realtime import events
from widget.realtime.connection import Subscriber
from widget.realtime.watch import LogWatch
from widget.security import Identity


@dataclass(eq=False)
class Socket:
    subscriber: Subscriber
    positions: dict[str, int] = field(default_factory=dict)
    woken: int = 0

    def check_log_soon(self) -> None:
        self.woken += 1


def socket_of(extension, positions: dict[str, int], epoch: int | None = None) -> Socket:
    identity = Identity(
        extension.id, "csrf", epoch=extension.session_epoch if epoch is None else epoch
    )
    channel = events.ext_channel(extension.id)
    return Socket(Subscriber(extension.id, identity, [channel]), dict(positions))


def test_only_sockets_behind_the_log_or_signed_out_are_woken(demo_ctx, ext):
    alice, bob = ext("101"), ext("102")
    alice_channel = events.ext_channel(alice.id)
    events.append(alice_channel, "messages", "<p>one</p>")
    db.session.commit()
    newest = events.latest([alice_channel, events.ext_channel(bob.id)])
    caught_up = socket_of(alice, newest)
    behind = socket_of(alice, {alice_channel: newest[alice_channel] - 1})
    signed_out = socket_of(bob, newest, epoch=bob.session_epoch + 1)
    watch = LogWatch(demo_ctx)
    for socket in (caught_up, behind, signed_out):
        watch._watched.add(socket)

    assert watch.check_once() == 2
    assert (caught_up.woken, behind.woken, signed_out.woken) == (0, 1, 1)

    watch._watched.discard(behind)
    watch.remove(signed_out)
    assert watch.check_once() == 0


def test_two_statements_whatever_the_number_of_sockets(demo_ctx, ext):
    people = [ext(number) for number in ("101", "102", "103", "104", "105")]
    watch = LogWatch(demo_ctx)
    for index in range(300):
        person = people[index % len(people)]
        watch._watched.add(socket_of(person, events.latest([events.ext_channel(person.id)])))
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert watch.check_once() == 0
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 2


def test_the_watch_runs_by_itself_and_wakes_a_socket_that_missed_an_event(demo_app):
    demo_app.config["REALTIME_LOG_CHECK_SECONDS"] = 0.05
    with demo_app.app_context():
        alice = db.session.scalar(sa.select(Extension).where(Extension.extension_number == "101"))
        channel = events.ext_channel(alice.id)
        socket = socket_of(alice, events.latest([channel]))
        watch = LogWatch(demo_app)
        watch.add(socket)
        try:
            events.append(channel, "messages", "<p>logged by another process</p>")
            db.session.commit()
            db.session.remove()
            for _ in range(100):
                if socket.woken:
                    break
                time.sleep(0.02)
            assert socket.woken
            # Once the last socket has left, the thread ends; the next socket starts one.
            thread = watch._thread
            watch.remove(socket)
            thread.join(timeout=5)
            assert not thread.is_alive()
            watch.add(socket)
            assert watch._thread is not None and watch._thread.is_alive()
        finally:
            watch.stop()
