"""Choosing which messages a Log writes: a checkbox per message, all checked by default."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.crm.web.conftest import JANE, SAM, activity_count, inbound, panel_url
from tests.helpers import html
from widget.extensions import db
from widget.local_crm.models import LocalCrmActivity
from widget.models import Message, MessageLog

TEXTS = ["Is the truck arriving at 9?", "My cat typed this <b>", "Gate code is 4411"]


def _ids(app, cid: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Message.id)
                .where(Message.conversation_id == cid, Message.subject.in_(TEXTS))
                .order_by(Message.created_at, Message.id)
            )
        )


def _form(page, unchecked: set[int] = frozenset()) -> dict[str, list[str]]:
    record = page.find("input", {"name": "record_id", "checked": True})["value"]
    listed = [i["value"] for i in page.select("#log-messages input[name=listed_message_id]")]
    return {
        "record_id": [record],
        "field_outcome": ["Resolved"],
        "listed_message_id": listed,
        "message_id": [v for v in listed if int(v) not in unchecked],
    }


def test_panel_lists_each_message_with_a_checked_checkbox(demo_app, demo_client, alice):
    for text in TEXTS:
        cid = inbound(demo_client, JANE, text)
    ids = _ids(demo_app, cid)

    page = html(demo_client.get(panel_url(cid), headers=alice))

    boxes = page.select("#log-messages input[type=checkbox][name=message_id]")
    assert [int(b["value"]) for b in boxes][-3:] == ids
    assert all(b.has_attr("checked") for b in boxes)
    labels = [
        lbl.select_one(".log-message-text").get_text() for lbl in page.select("label.log-message")
    ]
    assert labels[-3:] == TEXTS  # the text as sent, escaped by the template
    assert "<b>" not in str(page.select_one("#log-messages")).split("My cat typed this")[0]
    assert page.select_one("#log-messages legend").get_text() == "Messages to log"


def test_unchecked_messages_stay_out_of_the_crm_body_and_unlogged(demo_app, demo_client, alice):
    for text in TEXTS:
        cid = inbound(demo_client, JANE, text)
    ids = _ids(demo_app, cid)
    page = html(demo_client.get(panel_url(cid), headers=alice))
    form = _form(page, unchecked={ids[1]})

    preview = html(demo_client.get(panel_url(cid, "/preview"), query_string=form, headers=alice))
    assert "Gate code is 4411" in preview.get_text()
    assert "My cat typed this" not in preview.get_text()

    response = demo_client.post(panel_url(cid), data=form, headers=alice)
    assert response.status_code == 200
    with demo_app.app_context():
        body = db.session.scalars(select(LocalCrmActivity.body)).one()
        linked = set(db.session.scalars(select(MessageLog.message_id)))
    assert "Is the truck arriving at 9?" in body and "Gate code is 4411" in body
    assert "My cat typed this" not in body
    assert ids[1] not in linked and {ids[0], ids[2]} <= linked

    # The panel offers the one left out again; logged ones are shown checked and disabled.
    again = html(demo_client.get(panel_url(cid), headers=alice))
    assert [int(i["value"]) for i in again.select("input[name=listed_message_id]")] == [ids[1]]
    logged = again.select("#log-messages input[type=checkbox][disabled]")
    assert len(logged) >= 2 and all(b.has_attr("checked") for b in logged)


def test_every_message_unchecked_is_a_clear_error_that_logs_nothing(demo_app, demo_client, alice):
    for text in TEXTS:
        cid = inbound(demo_client, JANE, text)
    page = html(demo_client.get(panel_url(cid), headers=alice))
    form = _form(page)
    form["message_id"] = []

    response = demo_client.post(panel_url(cid), data=form, headers=alice)

    assert response.status_code == 400
    error = html(response).select_one("#messages-error")
    assert error.get_text() == "Choose at least one message to log."
    assert activity_count(demo_app) == 0
    assert not html(response).select("#log-messages input[name=message_id][checked]")


def test_bad_message_choices_are_refused_and_change_nothing(demo_app, demo_client, alice):
    cid = inbound(demo_client, JANE, TEXTS[0])
    other = inbound(demo_client, SAM, "Another conversation")
    with demo_app.app_context():
        other_message = db.session.scalar(
            select(Message.id).where(Message.conversation_id == other)
        )
    page = html(demo_client.get(panel_url(cid), headers=alice))
    good = _form(page)
    bad_forms = [
        {**good, "listed_message_id": ["abc"]},  # not an id
        {**good, "message_id": [*good["message_id"], str(other_message)]},  # checked, not listed
        {**good, "listed_message_id": [*good["listed_message_id"], str(other_message)]},
        {**good, "listed_message_id": [*good["listed_message_id"], "999999"]},  # no such message
    ]
    for form in bad_forms:
        response = demo_client.post(panel_url(cid), data=form, headers=alice)
        assert response.status_code == 400, form
    assert activity_count(demo_app) == 0
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MessageLog)) == 0


def test_auto_log_logs_every_message(demo_app, demo_client, alice):
    response = demo_client.post(
        "/widget/crm/settings/auto-log", data={"enabled": "1"}, headers=alice
    )
    assert response.status_code == 200
    for text in TEXTS:
        cid = inbound(demo_client, JANE, text)
    with demo_app.app_context():
        linked = set(db.session.scalars(select(MessageLog.message_id)))
    assert set(_ids(demo_app, cid)) <= linked
