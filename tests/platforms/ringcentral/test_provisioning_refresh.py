"""Changes in RingCentral (a new number, a colleague gone, a new name) reach Sidetalk
while the user stays signed in: a periodic refresh of the provisioning."""

from __future__ import annotations

from sqlalchemy import select

from tests.platforms.ringcentral.helpers import signed_in
from widget.extensions import db
from widget.models import Contact, Extension, PhoneNumber
from widget.platforms.ringcentral.tasks import refresh_everyones_provisioning


def _state(app):
    with app.app_context():
        extension = db.session.scalars(select(Extension)).one()
        mine = set(
            db.session.scalars(
                select(PhoneNumber.e164).where(PhoneNumber.extension_id == extension.id)
            )
        )
        names = {c.name for c in db.session.scalars(select(Contact))}
        return extension.name, extension.timezone, mine, names


def test_a_periodic_refresh_follows_ringcentral_changes(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    name, _, numbers, names = _state(rc_server.app)
    assert name == "Dan Vogel" and "+16505550101" in numbers and "Priya Nair" in names

    fake.user_name = ("Daniel", "Vogel")
    fake.timezone = "America/New_York"
    fake.numbers[0]["phoneNumber"] = "+16505550111"  # the direct number was changed
    fake.directory = [d for d in fake.directory if d["firstName"] != "Priya"]
    fake.directory.append(
        {
            "firstName": "Ola",
            "lastName": "Berg",
            "extensionNumber": "103",
            "phoneNumbers": ["+16505550103"],
        }
    )
    with rc_server.app.app_context():
        refreshed = refresh_everyones_provisioning.call_local()

    assert refreshed == 1
    name, timezone, numbers, names = _state(rc_server.app)
    assert (name, timezone) == ("Daniel Vogel", "America/New_York")
    assert numbers == {"+16505550111"}
    assert "Ola Berg" in names and "Priya Nair" not in names


def test_a_refresh_that_ringcentral_refuses_changes_nothing(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    before = _state(rc_server.app)
    fake.user_name = ("Someone", "Else")
    fake.fail_next("GET /restapi/v1.0/account/~/directory/entries", 503)
    with rc_server.app.app_context():
        refresh_everyones_provisioning.call_local()
    assert _state(rc_server.app) == before
