"""Duplicated and reordered webhooks, on PostgreSQL, with a websocket that must catch up.

RingCentral may deliver a notification twice and out of order, and from several of its
senders at once. Each record then becomes one message, and of two versions the newer
(``lastModifiedTime``) stays, whatever arrived last. The RingCentral test goes through
``POST /webhooks/ringcentral`` as the fake RingCentral posts it, over real HTTP; the
sandbox test feeds the same record twice and reversed into the sandbox's ingestion.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fakes.ringcentral import FakeRingCentral
from tests.conftest import make_app
from tests.platforms.ringcentral.conftest import rc_settings, serving, sign_in_over_http
from tests.platforms.ringcentral.helpers import instant_body
from tests.realtime.conftest import connect, cursor_of, frames_until
from widget.extensions import db
from widget.inbox.events import handle_instant_event
from widget.models import Extension, Message, MessageType
from widget.platforms.sandbox.delivery import build_record, instant_event

pytestmark = [pytest.mark.reliability, pytest.mark.postgres]

CUSTOMER = "+14155550188"
CREATED = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def rc_on_postgres(postgres_url, tmp_path):
    with FakeRingCentral() as fake:
        app = make_app(postgres_url, tmp_path, **rc_settings(fake))
        with app.app_context():
            db.create_all()
        with serving(app, fake) as live:
            yield live


def _version(fake, message_id: int, text: str, minutes: int, read: str) -> dict:
    """The record ``message_id`` as it stood ``minutes`` after its creation."""
    return instant_body(fake, text, message_id) | {
        "from": {"phoneNumber": CUSTOMER},
        "creationTime": _stamp(CREATED),
        "lastModifiedTime": _stamp(CREATED + timedelta(minutes=minutes)),
        "readStatus": read,
    }


def _post_all(fake, deliveries: list[tuple[dict, str]], senders: int = 4) -> list[int]:
    """Post every (body, uuid) from ``senders`` threads at once; return the statuses."""
    (subscription,) = fake.subscriptions.active()
    event = (
        f"/restapi/v1.0/account/{fake.account_id}/extension/{fake.extension_id}"
        "/message-store/instant?type=SMS"
    )
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(senders)

    def send(share: list[tuple[dict, str]]) -> None:
        barrier.wait()
        for body, uuid in share:
            status = fake.subscriptions.post(subscription, event, body, uuid_=uuid)
            with lock:
                statuses.append(status)

    threads = [
        threading.Thread(target=send, args=(deliveries[i::senders],)) for i in range(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_duplicated_and_reordered_ringcentral_webhooks_store_each_message_once_newest_wins(
    rc_on_postgres,
):
    live, fake = rc_on_postgres, rc_on_postgres.fake
    _browser, token = sign_in_over_http(live)
    with live.app.app_context():
        extension_id = db.session.scalar(select(Extension.id))
    channel = f"ext:{extension_id}"

    client = connect(live, token)
    first = _version(fake, 9007199254740993000, "opening message", 0, "Unread")
    assert _post_all(fake, [(first, "u-0")], senders=1) == [200]
    (frame,) = frames_until(client, lambda f: "opening message" in f, timeout=30)
    seen = cursor_of(frame, channel)
    client.close()  # the widget drops off while the storm arrives

    count = 12
    deliveries = []
    for n in range(1, count + 1):
        message_id = 9007199254740993000 + n
        older = _version(fake, message_id, f"storm message {n}", 0, "Unread")
        newer = _version(fake, message_id, f"storm message {n}", 5, "Read")
        # Each version delivered twice under one uuid (a retry) and once under another.
        deliveries += [(older, f"o-{n}"), (older, f"o-{n}"), (newer, f"n-{n}")]
        deliveries += [(newer, f"n-{n}"), (newer, f"n2-{n}")]
    random.Random(16).shuffle(deliveries)
    statuses = _post_all(fake, deliveries)
    assert set(statuses) == {200}, statuses

    with live.app.app_context():
        rows = list(db.session.scalars(select(Message).order_by(Message.platform_message_id)))
        assert len(rows) == count + 1  # zero lost, zero duplicated
        assert len({row.platform_message_id for row in rows}) == count + 1
        newest = CREATED + timedelta(minutes=5)
        for row in rows[1:]:
            assert row.read_status.value == "Read", row.platform_message_id  # newest won
            assert row.last_modified_at == newest

    back = connect(live, token, last_event_id=str(seen))
    try:
        wanted = {f"storm message {n}<" for n in range(1, count + 1)}
        _read_until_all(back, wanted)
    finally:
        back.close()


def _read_until_all(client, wanted: set[str], timeout: float = 60) -> list[str]:
    """Read frames until each of ``wanted`` appeared in one; fail at the deadline."""
    seen: list[str] = []

    def done(frame: str) -> bool:
        seen.append(frame)
        text = "".join(seen)
        return all(w in text for w in wanted)

    frames_until(client, done, timeout=timeout)
    return seen


def test_the_sandbox_record_replayed_and_reversed_is_one_message_at_its_newest(pg_app):
    from tests.crm.conftest import build_world

    with pg_app.app_context():
        alice = build_world().alice
        own = {"phoneNumber": alice.phone_numbers[0].e164, "name": alice.name}
        versions = []
        for minutes, read in ((0, "Unread"), (3, "Read")):
            record, content = build_record(
                alice,
                MessageType.SMS,
                "Inbound",
                {"phoneNumber": CUSTOMER},
                [own],
                "replayed",
                CREATED,
                read_status=read,
                message_id="sandbox-replay-1",
            )
            record["lastModifiedTime"] = _stamp(CREATED + timedelta(minutes=minutes))
            versions.append((instant_event(alice, record), content))
        # Newest first, then the older one twice, then the newest again.
        for event, content in (versions[1], versions[0], versions[0], versions[1]):
            handle_instant_event("sandbox", event, content)
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Message)) == 1
        message = db.session.scalar(select(Message))
        assert message.read_status.value == "Read"
        assert message.last_modified_at == CREATED + timedelta(minutes=3)
