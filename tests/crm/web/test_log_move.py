"""Moving a logged day to another record from the Log panel, and what it refuses."""

from __future__ import annotations

from sqlalchemy import select

from tests.crm.web.conftest import JANE, PRIYA, inbound, panel_url
from tests.helpers import html, sign_in
from widget.extensions import db
from widget.local_crm.models import LocalCrmActivity
from widget.models import CrmActivity


def _log_to_first(client, alice, cid: int) -> str:
    page = html(client.get(panel_url(cid), headers=alice))
    record_id = page.find("input", {"name": "record_id", "checked": True})["value"]
    response = client.post(
        panel_url(cid), data={"record_id": record_id, "field_outcome": "Resolved"}, headers=alice
    )
    assert response.status_code == 200
    return record_id


def _activity_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(CrmActivity.id)).one()


def test_panel_offers_moving_a_logged_day_to_the_other_records(demo_app, demo_client, alice):
    cid = inbound(demo_client, PRIYA, "Hi, it's Priya")
    contact = _log_to_first(demo_client, alice, cid)
    page = html(demo_client.get(panel_url(cid), headers=alice))

    form = page.select_one("form.log-move")
    label = form.find("label").get_text(" ", strip=True)
    assert label.startswith("Move ") and "from Priya Shah (Contact) to" in label
    options = [(o["value"], o.get_text(strip=True)) for o in form.select("select option")]
    assert options and all(value != contact for value, _ in options)
    assert "P. Shah (Lead)" in [text for _, text in options]
    assert form.find("button").get_text() == "Move"

    response = demo_client.post(form["hx-post"], data={"record_id": options[0][0]}, headers=alice)

    assert response.status_code == 200
    mark = html(response).select_one(".logged-mark")
    assert "Logged to P. Shah (Lead)" in " ".join(mark.get_text(" ").split())
    chosen = html(response).find("input", {"name": "record_id", "checked": True})
    assert chosen["value"] == options[0][0]  # the record the day moved to is chosen
    with demo_app.app_context():
        [crm] = db.session.scalars(select(LocalCrmActivity)).all()
        assert (crm.record_type, crm.record_name) == ("Lead", "P. Shah")


def test_a_single_match_offers_no_move(demo_client, alice):
    cid = inbound(demo_client, JANE, "Is the truck arriving at 9?")
    _log_to_first(demo_client, alice, cid)
    assert html(demo_client.get(panel_url(cid), headers=alice)).select("form.log-move") == []


def test_bad_moves_get_clear_errors_and_change_nothing(demo_app, demo_client, alice):
    cid = inbound(demo_client, PRIYA, "Hi, it's Priya")
    contact = _log_to_first(demo_client, alice, cid)
    activity = _activity_id(demo_app)
    other = inbound(demo_client, JANE, "Another conversation")
    move = panel_url(cid, f"/activities/{activity}/move")

    cases = [
        (move, {"record_id": contact}, 400),  # the record it is logged to
        (move, {"record_id": "contact-9999"}, 400),  # never offered
        (move, {}, 400),  # no record chosen
        (panel_url(other, f"/activities/{activity}/move"), {"record_id": contact}, 404),
        (panel_url(cid, "/activities/999999/move"), {"record_id": contact}, 404),
    ]
    for url, data, status in cases:
        response = demo_client.post(url, data=data, headers=alice)
        assert response.status_code == status, (url, data, response.status_code)
        if status == 400:
            assert html(response).select_one("#move-error").get_text(strip=True)
    with demo_app.app_context():
        assert db.session.scalars(select(CrmActivity.record_id)).one() == contact
        assert db.session.scalars(select(LocalCrmActivity.record_ref)).one() == contact


def test_another_user_cannot_move_my_logged_day(demo_app, demo_client, alice):
    cid = inbound(demo_client, PRIYA, "Hi, it's Priya")
    contact = _log_to_first(demo_client, alice, cid)
    move = panel_url(cid, f"/activities/{_activity_id(demo_app)}/move")
    bob_client = demo_app.test_client()
    bob = sign_in(bob_client, "102")
    response = bob_client.post(move, data={"record_id": "lead-1"}, headers=bob)
    assert response.status_code == 404
    with demo_app.app_context():
        assert db.session.scalars(select(CrmActivity.record_id)).one() == contact


def test_moving_needs_the_csrf_token(demo_app, demo_client, alice):
    cid = inbound(demo_client, PRIYA, "Hi, it's Priya")
    _log_to_first(demo_client, alice, cid)
    move = panel_url(cid, f"/activities/{_activity_id(demo_app)}/move")
    without = {k: v for k, v in alice.items() if "csrf" not in k.lower()}
    assert demo_client.post(move, data={"record_id": "x"}, headers=without).status_code in (
        400,
        403,
    )
