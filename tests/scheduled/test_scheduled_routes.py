"""Scheduled send over HTTP: "Send later" in the thread and Compose, the list in the
conversation, edit and cancel; bad input refused clearly, other people's ids not found."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.compose.conftest import conversation_with, form_key, post_form
from tests.helpers import html, sign_in
from tests.scheduled.conftest import tomorrow_at
from widget.extensions import db
from widget.models import ScheduledMessage, ScheduleState

JANE = "+14155550123"
ALICE_SMS = "+16505550101"


@pytest.fixture
def thread(demo_app):
    from tests.realtime.conftest import deliver

    with demo_app.app_context():
        deliver(JANE, ALICE_SMS, "Can you call me tomorrow?")
        return conversation_with("101", JANE).id


def _schedule(client, headers, conversation_id, **fields):
    path = f"/widget/conversations/{conversation_id}"
    data = {"idempotency_key": form_key(client, headers, path), "text": "Calling at 9"}
    data.update(fields)
    return post_form(client, f"/widget/scheduled/conversations/{conversation_id}", headers, data)


def _rows(app) -> list[ScheduledMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(ScheduledMessage).order_by(ScheduledMessage.id)))
        db.session.expunge_all()
        return rows


def test_send_later_from_a_thread_is_listed_in_it(demo_app, demo_client, thread):
    alice = sign_in(demo_client, "101")
    page = html(demo_client.get(f"/widget/conversations/{thread}", headers=alice))
    later = page.find("details", class_="send-later")
    assert "America/New_York" in later.get_text()
    assert later.find("input", {"name": "send_at"})["type"] == "datetime-local"

    response = _schedule(demo_client, alice, thread, send_at=tomorrow_at(9))
    assert response.status_code == 200, response.data
    answer = html(response)
    listed = answer.find("section", id=f"scheduled-{thread}")
    assert listed["hx-swap-oob"] == "true"
    item = listed.find("li", class_="scheduled-item")
    assert "Calling at 9" in item.get_text() and "9:15 AM" in item.get_text()
    assert answer.find("form", id="reply-form").find("textarea").get_text() == ""
    (row,) = _rows(demo_app)
    assert row.state == ScheduleState.SCHEDULED

    # Reopened later, the thread still lists it.
    again = html(demo_client.get(f"/widget/conversations/{thread}", headers=alice))
    assert again.find("li", id=f"scheduled-item-{row.id}") is not None


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"send_at": ""}, "send-at-error", "Choose the date and time"),
        ({"send_at": "2020-01-01T09:00"}, "send-at-error", "at least a minute from now"),
        ({"send_at": "soon"}, "send-at-error", "is not a date and time"),
        ({"text": "", "send_at": tomorrow_at(9)}, "compose-text-error", "Write a message"),
        ({"text": "x" * 1001, "send_at": tomorrow_at(9)}, "compose-text-error", "limit is 1000"),
    ],
)
def test_bad_input_is_refused_in_the_form_and_changes_nothing(
    demo_app, demo_client, thread, fields, field, says
):
    alice = sign_in(demo_client, "101")
    response = _schedule(demo_client, alice, thread, **fields)
    assert response.status_code == 422
    assert says in html(response).find(id=field).get_text()
    assert _rows(demo_app) == []


def test_edit_and_cancel_from_the_list(demo_app, demo_client, thread):
    alice = sign_in(demo_client, "101")
    _schedule(demo_client, alice, thread, send_at=tomorrow_at(9))
    (row,) = _rows(demo_app)

    edited = demo_client.post(
        f"/widget/scheduled/{row.id}/edit",
        headers=alice,
        data={"text": "Calling at 10 instead", "send_at": tomorrow_at(10)},
    )
    assert edited.status_code == 200, edited.data
    assert "Calling at 10 instead" in html(edited).get_text()
    assert "10:15 AM" in html(edited).get_text()

    bad = demo_client.post(
        f"/widget/scheduled/{row.id}/edit", headers=alice, data={"text": "x", "send_at": "no"}
    )
    assert bad.status_code == 422
    assert "is not a date and time" in html(bad).get_text()
    assert _rows(demo_app)[0].text == "Calling at 10 instead"

    cancelled = demo_client.post(f"/widget/scheduled/{row.id}/cancel", headers=alice)
    assert cancelled.status_code == 200
    assert html(cancelled).find("li", class_="scheduled-item") is None
    assert _rows(demo_app)[0].state == ScheduleState.CANCELLED


def test_other_peoples_ids_are_not_found_and_nothing_changes(demo_app, demo_client, thread):
    alice = sign_in(demo_client, "101")
    _schedule(demo_client, alice, thread, send_at=tomorrow_at(9))
    (row,) = _rows(demo_app)
    bob_client = demo_app.test_client()
    bob = sign_in(bob_client, "102")
    theirs = post_form(
        bob_client,
        f"/widget/scheduled/conversations/{thread}",
        bob,
        {"idempotency_key": "k" * 20, "text": "mine", "send_at": tomorrow_at(9)},
    )
    assert theirs.status_code == 404
    assert bob_client.post(f"/widget/scheduled/{row.id}/cancel", headers=bob).status_code == 404
    edit = bob_client.post(
        f"/widget/scheduled/{row.id}/edit",
        headers=bob,
        data={"text": "hijacked", "send_at": tomorrow_at(9)},
    )
    assert edit.status_code == 404
    (unchanged,) = _rows(demo_app)
    assert (unchanged.text, unchanged.state) == ("Calling at 9", ScheduleState.SCHEDULED)


def test_without_the_csrf_token_nothing_is_scheduled(demo_app, demo_client, thread):
    alice = sign_in(demo_client, "101")
    headers = {k: v for k, v in alice.items() if "csrf" not in k.lower()}
    response = demo_client.post(
        f"/widget/scheduled/conversations/{thread}",
        headers=headers,
        data={"text": "hi", "send_at": tomorrow_at(9)},
    )
    assert response.status_code in (400, 403)
    assert _rows(demo_app) == []


def test_send_later_from_compose(demo_app, demo_client, thread):
    alice = sign_in(demo_client, "101")
    response = post_form(
        demo_client,
        "/widget/scheduled/compose",
        alice,
        {
            "idempotency_key": form_key(demo_client, alice),
            "to": [JANE, "102"],
            "text": "Office closed Friday",
            "send_at": tomorrow_at(8),
        },
    )
    assert response.status_code == 200, response.data
    notice = html(response).find("div", id="flash").get_text()
    assert "Scheduled for" in notice and "8:15 AM" in notice
    rows = _rows(demo_app)
    assert [r.recipients for r in rows] == [[JANE], ["102"]]
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScheduledMessage)) == 2


def test_send_later_speaks_of_a_picture_only_where_one_can_be_attached(demo_app, demo_client):
    """A page carries no picture: its Send later says nothing about one (seen in a walk)."""
    from tests.realtime.conftest import deliver

    with demo_app.app_context():
        deliver(JANE, ALICE_SMS, "Can you call me tomorrow?")
        deliver("102", "101", "Lunch at noon?", "Pager")
        texted = conversation_with("101", JANE).id
        paged = conversation_with("101", "102", channel="pager").id
    alice = sign_in(demo_client, "101")
    for conversation_id, attachable in ((texted, True), (paged, False)):
        page = html(demo_client.get(f"/widget/conversations/{conversation_id}", headers=alice))
        later = page.find("details", class_="send-later").get_text()
        assert ("A picture attached above goes with it." in later) is attachable
        assert (page.select_one("button[data-attach-for]") is not None) is attachable
