"""The broker: who hears about an event once it is committed.

Publishers call ``Broker.publish(delivery)`` after their commit. Each process has one
``LocalHub`` that hands deliveries to the websocket connections of that process, each
through its own small inbox (CTFd's pattern: one listener per process, a queue per
connection), so a slow client never holds up the others. A connection that is idle and
caught up may instead take a delivery at once (``forward_now``): its frame is written to
the socket by the delivering thread if the kernel takes it without waiting, which spares
waking the connection's thread for every frame (fifty watchers were fifty thread
wake-ups, each wanting the GIL, per message).

``InProcessBroker`` (the default) hands deliveries straight to the hub; the Redis
broker (``redis_broker.py``) publishes them to every process, whose single listener
thread feeds its hub.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from widget.realtime.wire import SharedText

log = logging.getLogger(__name__)

# A connection that falls this far behind stops queueing frames and catches up from
# the event log instead: memory per connection stays bounded whatever the client does.
INBOX_LIMIT = 200


@dataclass(frozen=True)
class Delivery:
    """One frame for one channel.

    ``seq`` numbers the channel's logged events (None for ephemeral ones such as typing,
    which are never replayed); ``notice`` is the browser-notification text of a new
    inbound message. ``tail`` is what live clients get after ``html`` (the position
    marker and the notice), rendered once by the publisher rather than once per
    connection; a catch-up replays ``html`` only, so old events never notify.
    """

    channel: str
    html: str
    seq: int | None = None
    notice: dict[str, str] | None = None
    tail: str = ""

    def to_json(self) -> dict:
        return {
            "channel": self.channel,
            "html": self.html,
            "seq": self.seq,
            "notice": self.notice,
            "tail": self.tail,
        }

    @classmethod
    def from_json(cls, data: object) -> Delivery:
        """Rebuild a delivery from its JSON form; ``ValueError`` when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("a delivery must be a JSON object")
        channel, html, seq = data.get("channel"), data.get("html"), data.get("seq")
        notice, tail = data.get("notice"), data.get("tail", "")
        if not isinstance(channel, str) or not isinstance(html, str):
            raise ValueError("a delivery needs a channel and html")
        if not isinstance(tail, str):
            raise ValueError("tail must be a string")
        if seq is not None and not isinstance(seq, int):
            raise ValueError("seq must be a whole number")
        if notice is not None and not isinstance(notice, dict):
            raise ValueError("notice must be an object")
        return cls(channel=channel, html=html, seq=seq, notice=notice, tail=tail)

    @cached_property
    def live(self) -> SharedText:
        """What live connections are sent, encoded once for all of them."""
        return SharedText(self.html + self.tail)


class Resync:
    """Marker in an inbox: deliveries may have been lost, read the event log again."""


RESYNC = Resync()


@dataclass(eq=False)
class Subscription:
    """One connection's interest in some channels, and its inbox."""

    channels: frozenset[str]
    notify: Callable[[], None] = lambda: None
    # Takes a delivery straight to the client when nothing is queued before it; False
    # when it cannot without waiting (then it is queued for the connection's thread).
    forward_now: Callable[[Delivery], bool] | None = None
    inbox: deque = field(default_factory=deque)
    overflowed: bool = False

    def deliver(self, item: Delivery | Resync) -> None:
        if (
            self.forward_now is not None
            and not self.inbox
            and isinstance(item, Delivery)
            and self.forward_now(item)
        ):
            return
        # deque.append/popleft are atomic: the hub's thread appends, the connection pops.
        if len(self.inbox) >= INBOX_LIMIT:
            self.inbox.clear()
            self.overflowed = True
            item = RESYNC
        self.inbox.append(item)
        self.notify()

    def drain(self) -> list[Delivery | Resync]:
        items = []
        while True:
            try:
                items.append(self.inbox.popleft())
            except IndexError:
                return items


class LocalHub:
    """The connections of this process, by channel."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_channel: dict[str, set[Subscription]] = {}

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            for channel in subscription.channels:
                self._by_channel.setdefault(channel, set()).add(subscription)

    def remove(self, subscription: Subscription) -> None:
        with self._lock:
            for channel in subscription.channels:
                subscribers = self._by_channel.get(channel)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self._by_channel[channel]

    def dispatch(self, delivery: Delivery) -> int:
        """Hand ``delivery`` to every local subscriber of its channel; return how many."""
        with self._lock:
            subscribers = list(self._by_channel.get(delivery.channel, ()))
        for subscription in subscribers:
            subscription.deliver(delivery)
        return len(subscribers)

    def resync_all(self) -> None:
        """Tell every connection to re-read the event log (after a broker outage)."""
        with self._lock:
            subscribers = {s for group in self._by_channel.values() for s in group}
        for subscription in subscribers:
            subscription.deliver(RESYNC)

    def connection_count(self) -> int:
        with self._lock:
            return len({s for group in self._by_channel.values() for s in group})


class Broker(ABC):
    """Fan-out of committed events to every websocket connection that may see them."""

    def __init__(self) -> None:
        self.hub = LocalHub()

    def subscribe(
        self,
        channels: Iterable[str],
        notify: Callable[[], None] = lambda: None,
        forward_now: Callable[[Delivery], bool] | None = None,
    ) -> Subscription:
        """Start receiving ``channels``; ``notify`` is called (from any thread) when a
        delivery is queued, ``forward_now`` (from any thread) offered it first."""
        subscription = Subscription(
            channels=frozenset(channels), notify=notify, forward_now=forward_now
        )
        self.start()
        self.hub.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.hub.remove(subscription)

    @abstractmethod
    def publish(self, delivery: Delivery) -> None:
        """Send ``delivery`` to its channel's subscribers in every process. Never raises
        for a broker outage: the event log lets clients catch up afterwards."""

    def start(self) -> None:  # noqa: B027 (optional hook: only some brokers have work)
        """Start background work, if any (idempotent)."""

    def stop(self) -> None:  # noqa: B027
        """Stop background work, if any."""


class InProcessBroker(Broker):
    """The default: one process, deliveries go straight to its connections."""

    def publish(self, delivery: Delivery) -> None:
        self.hub.dispatch(delivery)
