"""A shared-inbox case's log: messages left out, and moving it to another record.

As for a direct conversation-day (``tests/crm/logging``): the Log panel lists the case's
messages, each checked; what the user unchecks is not in the case's one activity, and
later updates (new messages, claims, notes, the sweeper) keep it out. A logged case
moves to another record of its number exactly once in the CRM: re-parented where the
CRM can, else the old log deleted and created again. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.crm.conftest import (  # noqa: F401 (_clean_jobs_and_cache: autouse fixture)
    PRIYA,
    _clean_jobs_and_cache,
    assert_moved_to,
    without_re_parenting,
)
from tests.helpers import html, sign_in
from tests.queues.support import case_of, extension, make_queue, text_in
from tests.queues.test_case_logging import FIELDS, _crm_activities
from widget.crm_logging import case_logs, engine, selection, tasks
from widget.crm_logging.moves import move_activity
from widget.errors import Conflict, Invalid, NotFound
from widget.extensions import db
from widget.models import Conversation, CrmActivity, MessageLog
from widget.models.crm import case_log_key
from widget.models.types import utcnow
from widget.queues import cases


def _priya_case(member, *texts: str):
    """Priya (a Contact and a Lead in the local CRM) texts the queue; ``member`` claims.
    Return the case, its conversation, its messages and her records by type."""
    messages = [text_in(body, sender=PRIYA) for body in texts]
    case = case_of(messages[0])
    cases.claim(member, case.id)
    conversation = db.session.get(Conversation, case.conversation_id)
    records = {r.type: r.id for _, r in engine.conversation_records(member, conversation)}
    return case, conversation, messages, records


def _linked(activity_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(MessageLog.message_id).where(MessageLog.activity_id == activity_id)
        )
    )


def test_an_unchecked_message_stays_out_of_the_case_and_its_updates(crm):
    bob = extension("102")
    case, conversation, (kept, private, later), records = _priya_case(
        bob, "Order 51 is late", "my card is 4111 1111", "never mind, it came"
    )
    contact = records["Contact"]
    listed = selection.messages_to_choose(bob, conversation, contact)
    assert [m.message.id for day in listed for m in day.messages] == [kept.id, private.id, later.id]
    preview = engine.compose_preview(bob, conversation, contact, skip_message_ids=[private.id])

    engine.log_conversation(bob, conversation, contact, FIELDS, skip_message_ids=[private.id])
    [activity] = _crm_activities()
    assert activity.body == preview
    assert "Order 51 is late" in activity.body and "never mind" in activity.body
    assert "4111" not in activity.body
    [row] = db.session.scalars(select(CrmActivity)).all()
    assert _linked(row.id) == {kept.id, later.id}

    # Later updates add what is new and keep the choice: a text, a note, the sweeper.
    text_in("one more question", sender=PRIYA)
    cases.add_note(bob, case.id, "card number left out on purpose")
    [activity] = _crm_activities()
    assert "one more question" in activity.body and "left out on purpose" in activity.body
    assert "4111" not in activity.body
    later_sweep = utcnow() + timedelta(minutes=5)
    assert case_logs.stale_cases(later_sweep, tasks.SWEEP_AGE) == []
    # The panel lists it again, not logged: checking it then is the user's new choice.
    again = selection.messages_to_choose(bob, conversation, contact)
    flags = {m.message.id: m.logged for day in again for m in day.messages}
    assert flags[private.id] is False and flags[kept.id] is True
    engine.log_conversation(bob, conversation, contact, FIELDS)
    [activity] = _crm_activities()
    assert "4111" in activity.body


def test_bad_choices_are_refused_and_change_nothing(crm):
    bob = extension("102")
    make_queue("Billing", "+16505550177", members=("103",))
    elsewhere = text_in("billing question", to="+16505550177", sender=PRIYA)
    case, conversation, (first, second), records = _priya_case(bob, "first", "second")
    contact = records["Contact"]
    with pytest.raises(Invalid, match="Choose at least one message") as every:
        engine.log_conversation(
            bob, conversation, contact, FIELDS, skip_message_ids=[first.id, second.id]
        )
    assert every.value.field == selection.FIELD
    with pytest.raises(Invalid, match="not part of this conversation"):
        engine.log_conversation(bob, conversation, contact, FIELDS, skip_message_ids=[elsewhere.id])
    with pytest.raises(Invalid, match="not part of this conversation"):
        engine.log_conversation(bob, conversation, contact, FIELDS, skip_message_ids=[10**9])
    assert db.session.scalar(select(func.count()).select_from(CrmActivity)) == 0
    assert _crm_activities() == []


def test_over_http_the_panel_lists_the_case_and_logs_the_checked_messages(crm, queue_app):
    with queue_app.app_context():
        bob = extension("102")
        _, conversation, messages, records = _priya_case(bob, "keep me", "leave me out")
        conversation_id, contact = conversation.id, records["Contact"]
        kept, left_out = (m.id for m in messages)
    client = queue_app.test_client()
    headers = sign_in(client, "102")
    url = f"/widget/crm/conversations/{conversation_id}/log"
    panel = html(client.get(f"{url}?record_id={contact}", headers=headers))
    listed = [box["value"] for box in panel.select("#log-messages input[name=message_id]")]
    assert listed == [str(kept), str(left_out)]
    form = {"record_id": contact, "field_outcome": "Resolved"}
    form["listed_message_id"] = [str(kept), str(left_out)]
    refused = client.post(url, data={**form, "message_id": []}, headers=headers)
    assert refused.status_code == 400
    error = html(refused).find(id="messages-error")
    assert error.get_text(strip=True) == "Choose at least one message to log."
    with queue_app.app_context():
        assert _crm_activities() == []
    logged = client.post(url, data={**form, "message_id": [str(kept)]}, headers=headers)
    assert logged.status_code == 200
    with queue_app.app_context():
        [activity] = _crm_activities()
        assert "keep me" in activity.body and "leave me out" not in activity.body


def test_a_logged_case_moves_to_another_record_as_one_crm_activity(crm):
    bob = extension("102")
    case, conversation, _, records = _priya_case(bob, "Which plan fits me?")
    engine.log_conversation(bob, conversation, records["Contact"], FIELDS)
    [row] = db.session.scalars(select(CrmActivity)).all()
    [before] = _crm_activities()

    outcome = move_activity(bob, conversation, row.id, records["Lead"])

    assert outcome.state == "written"
    [after] = _crm_activities()
    assert after.id == before.id  # re-parented: still one activity in the CRM
    assert (after.record_type, after.record_ref) == ("Lead", records["Lead"])
    assert after.log_key == case_log_key(case.id, row.log_date, records["Lead"])
    assert_moved_to(row.id, records["Lead"])
    # The case keeps growing in its one activity, under the new record.
    text_in("And the price?", sender=PRIYA)
    [grown] = _crm_activities()
    assert grown.id == before.id and "And the price?" in grown.body


def test_a_crm_that_cannot_re_parent_deletes_the_old_log_and_creates_one(crm, monkeypatch):
    bob = extension("102")
    case, conversation, _, records = _priya_case(bob, "Move me")
    engine.log_conversation(bob, conversation, records["Contact"], FIELDS)
    [row] = db.session.scalars(select(CrmActivity)).all()
    old_log_id = row.crm_log_id
    deleted = without_re_parenting(monkeypatch)

    move_activity(bob, conversation, row.id, records["Lead"])

    [new] = _crm_activities()
    assert deleted == [old_log_id]
    assert new.record_ref == records["Lead"] and new.revision_count == 1
    assert new.log_key == case_log_key(case.id, row.log_date, records["Lead"])


def test_a_create_that_landed_before_a_crash_is_found_under_the_old_record(crm, monkeypatch):
    """The move's writer looks the case's log up by its key under the record it came
    from: a case key, not a day's, or it would create a second activity."""
    bob = extension("102")
    case, conversation, _, records = _priya_case(bob, "Crash me")
    engine.log_conversation(bob, conversation, records["Contact"], FIELDS)
    [row] = db.session.scalars(select(CrmActivity)).all()
    # The create landed in the CRM, but the commit recording its id never happened.
    row.crm_log_id = None
    db.session.commit()

    move_activity(bob, conversation, row.id, records["Lead"])

    [only] = _crm_activities()
    assert only.record_ref == records["Lead"]
    assert only.log_key == case_log_key(case.id, row.log_date, records["Lead"])


def test_bad_moves_are_refused_and_change_nothing(crm):
    bob, carol, dev = extension("102"), extension("103"), extension("104")
    make_queue("Billing", "+16505550177", members=("103",))
    case, conversation, _, records = _priya_case(bob, "Hello")
    engine.log_conversation(bob, conversation, records["Contact"], FIELDS)
    [row] = db.session.scalars(select(CrmActivity)).all()
    billing_case = case_of(text_in("billing", to="+16505550177", sender=PRIYA))
    cases.claim(carol, billing_case.id)
    billing = db.session.get(Conversation, billing_case.conversation_id)
    engine.log_conversation(carol, billing, records["Contact"], FIELDS)
    billing_row = db.session.scalar(
        select(CrmActivity).where(CrmActivity.queue_conversation_id == billing_case.id)
    )
    [before, _] = _crm_activities()

    with pytest.raises(Invalid, match="Choose a record"):
        move_activity(bob, conversation, row.id, "contact-999")  # no such record
    with pytest.raises(Invalid, match="already logged to"):
        move_activity(bob, conversation, row.id, records["Contact"])  # the same record
    with pytest.raises(NotFound):
        move_activity(bob, conversation, billing_row.id, records["Lead"])  # another queue's
    with pytest.raises(NotFound):
        move_activity(bob, billing, billing_row.id, records["Lead"])  # not a Billing member
    with pytest.raises(NotFound):
        move_activity(dev, conversation, row.id, records["Lead"])  # in no queue
    with pytest.raises(Conflict, match="Claimed by Bob Martinez"):
        move_activity(carol, conversation, row.id, records["Lead"])  # Bob holds it
    engine.log_conversation(bob, conversation, records["Lead"], FIELDS)
    with pytest.raises(Conflict, match="This conversation is already logged to P. Shah"):
        move_activity(bob, conversation, row.id, records["Lead"])
    db.session.rollback()
    db.session.expire_all()
    unchanged = db.session.get(CrmActivity, row.id)
    assert (unchanged.record_id, unchanged.moved_from_record_id) == (records["Contact"], None)
    assert _crm_activities()[0].record_ref == before.record_ref


def test_over_http_a_case_moves_and_a_bad_record_is_shown(crm, queue_app):
    with queue_app.app_context():
        bob = extension("102")
        _, conversation, _, records = _priya_case(bob, "Move me over HTTP")
        engine.log_conversation(bob, conversation, records["Contact"], FIELDS)
        [row] = db.session.scalars(select(CrmActivity)).all()
        conversation_id, activity_id = conversation.id, row.id
    client = queue_app.test_client()
    headers = sign_in(client, "102")
    url = f"/widget/crm/conversations/{conversation_id}/log/activities/{activity_id}/move"
    panel = html(client.get(f"/widget/crm/conversations/{conversation_id}/log", headers=headers))
    move_form = panel.find("form", attrs={"data-activity-id": str(activity_id)})
    assert move_form.find("option", attrs={"value": records["Lead"]}) is not None
    label = move_form.find("label").get_text(" ", strip=True)
    assert label.startswith("Move this conversation from Priya Shah")
    refused = client.post(url, data={"record_id": "contact-999"}, headers=headers)
    assert refused.status_code == 400
    assert "Choose a record" in html(refused).find(id="move-error").get_text()
    other = sign_in(dev := queue_app.test_client(), "104")
    assert dev.post(url, data={"record_id": records["Lead"]}, headers=other).status_code == 404
    moved = client.post(url, data={"record_id": records["Lead"]}, headers=headers)
    assert moved.status_code == 200
    with queue_app.app_context():
        [activity] = _crm_activities()
        assert activity.record_ref == records["Lead"]
