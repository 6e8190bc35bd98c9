"""The sandbox's per-process directory of who an address is: inbound messages follow a
number that moved, on SQLite and PostgreSQL, and what another process changed is
believed for at most the directory's lifetime."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from widget.extensions import db
from widget.models import Extension, Message, PagerGroup, PagerGroupMember, PhoneNumber
from widget.platforms.sandbox.directory import MISSING, AddressDirectory, directory
from widget.platforms.sandbox.seed import seed_people

ALICE_NUMBER = "+16505550101"  # extension 101's number in the demo people
JANE = "+14155550123"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def people_app(request, tmp_path):
    """An application whose database holds the demo's people, on each database."""
    if request.param == "sqlite":
        application = request.getfixturevalue("app")
        with application.app_context():
            seed_people()
            db.session.commit()
            db.session.remove()
        return application
    application = request.getfixturevalue("pg_app")
    with application.app_context():
        seed_people()
        db.session.commit()
        db.session.remove()
    return application


def _text(client, text: str, to: str = ALICE_NUMBER, sender: str = JANE):
    return client.post("/sandbox/inbound", json={"from": sender, "to": to, "text": text})


def _owner_of(app, message_id: int) -> str:
    with app.app_context():
        message = db.session.get(Message, message_id)
        return db.session.get(Extension, message.extension_id).extension_number


def _move_number(number: str, to_extension: str) -> None:
    """Give ``number`` to another extension through the session (this process)."""
    target = db.session.scalars(
        select(Extension).where(Extension.extension_number == to_extension)
    ).one()
    phone = db.session.scalars(select(PhoneNumber).where(PhoneNumber.e164 == number)).one()
    phone.extension_id = target.id
    db.session.commit()


def test_a_number_moved_to_another_extension_takes_the_next_message_there(people_app):
    client = people_app.test_client()
    first = _text(client, "before the move")
    assert first.status_code == 201 and first.json["extension_number"] == "101"
    with people_app.app_context():
        assert directory().get(("number", ALICE_NUMBER)) is not MISSING  # remembered

        _move_number(ALICE_NUMBER, "102")

        assert directory().get(("number", ALICE_NUMBER)) is MISSING  # forgotten at once
        db.session.remove()

    second = _text(client, "after the move")

    assert second.status_code == 201
    assert second.json["extension_number"] == "102"
    assert _owner_of(people_app, second.json["id"]) == "102"
    assert _owner_of(people_app, first.json["id"]) == "101"


def test_a_number_given_up_refuses_the_next_message_and_writes_nothing(people_app):
    client = people_app.test_client()
    assert _text(client, "while it is ours").status_code == 201
    with people_app.app_context():
        db.session.delete(
            db.session.scalars(select(PhoneNumber).where(PhoneNumber.e164 == ALICE_NUMBER)).one()
        )
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(Message))
        db.session.remove()

    refused = _text(client, "to a number nobody has")

    assert refused.status_code == 400
    assert "to must be one of the demo extensions' numbers" in refused.get_data(as_text=True)
    with people_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == before


def test_another_process_s_change_is_believed_after_the_lifetime_at_most(app):
    with app.app_context():
        seed_people()
        db.session.commit()
        clock = Clock()
        directory().clock = clock
        db.session.remove()
    client = app.test_client()
    assert _text(client, "first").json["extension_number"] == "101"
    # Another process: its own connection, none of this process's session events.
    with app.app_context(), db.engine.begin() as other:
        bob = other.scalar(select(Extension.id).where(Extension.extension_number == "102"))
        other.execute(
            update(PhoneNumber).where(PhoneNumber.e164 == ALICE_NUMBER).values(extension_id=bob)
        )

    within = _text(client, "within the lifetime")
    clock.now += directory_ttl(app) + 0.001
    after = _text(client, "after the lifetime")

    assert within.json["extension_number"] == "101"  # the documented window
    assert after.json["extension_number"] == "102"


def directory_ttl(app) -> float:
    with app.app_context():
        return directory().ttl


def test_a_sender_added_to_a_pager_group_is_known_as_one_at_once(app):
    with app.app_context():
        seed_people()
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    assert _text(client, "not in a group yet").status_code == 201
    with app.app_context():
        assert directory().get(("in_a_group", JANE)) is False
        alice = db.session.scalars(
            select(Extension).where(Extension.extension_number == "101")
        ).one()
        group = PagerGroup(
            account_id=alice.account_id,
            name="Site crew",
            created_by_extension_id=alice.id,
            platform_conversation_id="directory-test-group",
        )
        db.session.add(group)
        db.session.flush()
        db.session.add(PagerGroupMember(group_id=group.id, address=JANE))
        db.session.commit()

        assert directory().get(("in_a_group", JANE)) is MISSING
        db.session.remove()

    assert _text(client, "now in a group").status_code == 201
    with app.app_context():
        assert directory().get(("in_a_group", JANE)) is True


def test_a_read_that_started_before_a_change_is_not_kept():
    clock = Clock()
    cache = AddressDirectory(ttl=5, clock=clock)
    read_at = clock()
    clock.now += 0.1
    cache.clear()  # a change committed while the read was running

    cache.put(("number", ALICE_NUMBER), "old answer", read_at)

    assert cache.get(("number", ALICE_NUMBER)) is MISSING


def test_the_directory_is_bounded_and_entries_expire():
    clock = Clock()
    cache = AddressDirectory(ttl=2, capacity=3, clock=clock)
    for n in range(3):
        cache.put(("number", f"+1415555000{n}"), None, clock())
    assert len(cache) == 3 and cache.get(("number", "+14155550000")) is None

    cache.put(("number", "+14155550009"), None, clock())  # full: starts over

    assert len(cache) == 1
    clock.now += 2
    assert cache.get(("number", "+14155550009")) is MISSING
