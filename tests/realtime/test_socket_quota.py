"""One person may hold only so many sockets open (review: 40 were accepted)."""

from __future__ import annotations

import time

from tests.realtime.conftest import connect, frames_until, inbound, wait_closed

JANE, ALICE_SMS = "+14155550123", "+16505550101"


def _wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)


def test_sockets_beyond_the_cap_are_closed_and_a_freed_slot_is_reusable(demo_app, live, alice, bob):
    demo_app.config["REALTIME_MAX_SOCKETS_PER_USER"] = 3
    quota = demo_app.extensions["realtime_sockets"]
    kept = [connect(live, alice.token) for _ in range(3)]
    _wait_until(lambda: quota.open_count(alice.extension_id) == 3)
    try:
        extra = connect(live, alice.token)
        code, reason = wait_closed(extra)
        assert code == 1008 and "Too many" in reason

        bobs = connect(live, bob.token)  # the cap is per person
        _wait_until(lambda: quota.open_count(bob.extension_id) == 1)
        bobs.close()

        inbound(live, JANE, ALICE_SMS, "still heard by every kept socket")
        for client in kept:
            frames_until(client, lambda f: "still heard by every kept socket" in f)

        kept.pop().close()
        _wait_until(lambda: quota.open_count(alice.extension_id) == 2)
        again = connect(live, alice.token)
        kept.append(again)
        _wait_until(lambda: quota.open_count(alice.extension_id) == 3)
        assert again.connected
    finally:
        for client in kept:
            client.close()
    _wait_until(lambda: quota.open_count(alice.extension_id) == 0)
