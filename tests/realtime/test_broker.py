"""The in-process broker and the hub that hands deliveries to connections."""

from __future__ import annotations

import threading

import pytest

from widget.realtime.broker import (
    INBOX_LIMIT,
    RESYNC,
    Delivery,
    InProcessBroker,
    Resync,
)


def test_a_delivery_reaches_the_subscribers_of_its_channel_only():
    broker = InProcessBroker()
    mine = broker.subscribe(["ext:1"])
    theirs = broker.subscribe(["ext:2"])

    broker.publish(Delivery(channel="ext:1", html="<p>one</p>", seq=1))

    assert [d.html for d in mine.drain()] == ["<p>one</p>"]
    assert theirs.drain() == []


def test_every_tab_of_the_same_extension_gets_its_own_copy():
    broker = InProcessBroker()
    tabs = [broker.subscribe(["ext:1"]) for _ in range(3)]

    broker.publish(Delivery(channel="ext:1", html="x", seq=7))

    assert [[d.seq for d in tab.drain()] for tab in tabs] == [[7], [7], [7]]


def test_a_subscription_to_several_channels_hears_each():
    broker = InProcessBroker()
    both = broker.subscribe(["ext:1", "queue:4"])

    broker.publish(Delivery(channel="queue:4", html="q", seq=1))
    broker.publish(Delivery(channel="ext:1", html="e", seq=1))
    broker.publish(Delivery(channel="queue:5", html="other queue", seq=1))

    assert [d.channel for d in both.drain()] == ["queue:4", "ext:1"]


def test_unsubscribed_connections_hear_nothing_more():
    broker = InProcessBroker()
    sub = broker.subscribe(["ext:1"])
    broker.unsubscribe(sub)

    broker.publish(Delivery(channel="ext:1", html="late", seq=1))

    assert sub.drain() == []
    assert broker.hub.connection_count() == 0


def test_notify_is_called_from_the_publishing_thread():
    broker = InProcessBroker()
    woke = threading.Event()
    sub = broker.subscribe(["ext:1"], notify=woke.set)

    publisher = threading.Thread(
        target=broker.publish, args=(Delivery(channel="ext:1", html="x", seq=1),)
    )
    publisher.start()
    publisher.join()

    assert woke.wait(1)
    assert len(sub.drain()) == 1


def test_a_connection_that_falls_too_far_behind_is_told_to_catch_up_instead():
    broker = InProcessBroker()
    sub = broker.subscribe(["ext:1"])

    for seq in range(1, INBOX_LIMIT + 5):
        broker.publish(Delivery(channel="ext:1", html="x", seq=seq))

    items = sub.drain()
    # Bounded memory: the backlog was dropped for one "re-read the log" marker.
    assert len(items) < INBOX_LIMIT
    assert isinstance(items[0], Resync)
    assert sub.overflowed


def test_resync_all_reaches_every_connection_once():
    broker = InProcessBroker()
    sub = broker.subscribe(["ext:1", "ext:2"])
    other = broker.subscribe(["ext:3"])

    broker.hub.resync_all()

    assert sub.drain() == [RESYNC]
    assert other.drain() == [RESYNC]


def test_deliveries_survive_a_json_round_trip():
    delivery = Delivery(channel="ext:9", html="<b>é</b>", seq=3, notice={"title": "Jane"})

    assert Delivery.from_json(delivery.to_json()) == delivery


@pytest.mark.parametrize(
    "data",
    [
        "not an object",
        {"channel": 5, "html": "x"},
        {"channel": "ext:1"},
        {"channel": "ext:1", "html": "x", "seq": "3"},
        {"channel": "ext:1", "html": "x", "notice": ["list"]},
    ],
)
def test_malformed_broker_messages_are_refused(data):
    with pytest.raises(ValueError):
        Delivery.from_json(data)
