"""A scheduled picture's file goes once nothing needs it, and never while something does.

The media store names files by their content's hash, so one file can be the picture of
several scheduled messages, of the message a scheduled one became, or of a received one.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.compose.conftest import conversation_with, messages_of, small_png
from tests.scheduled.conftest import ALICE_SMS, JANE, NOW, tomorrow_at
from widget import media
from widget.compose import optout
from widget.compose.service import Upload
from widget.errors import Conflict
from widget.extensions import db
from widget.lifecycle.service import delete_message, purge_due_messages
from widget.models import ScheduledMessage, ScheduleState
from widget.scheduled import service
from widget.scheduled.pictures import release_finished_pictures
from widget.scheduled.service import LaterDraft, claim_due, send_claimed
from widget.scheduled.tasks import sweep_scheduled


def later(picture: bytes, text="", send_at="2026-12-04T09:30") -> LaterDraft:
    return LaterDraft(text=text, send_at=send_at, picture=Upload(filename="plan.png", data=picture))


def stored(path: str) -> bool:
    return media.path_of(path).exists()


def schedule(alice, picture: bytes, text="") -> ScheduledMessage:
    return service.schedule_reply(alice, conversation_with("101", JANE), later(picture, text), NOW)


def send(row: ScheduledMessage) -> ScheduledMessage:
    assert row.id in claim_due(now=row.send_at)
    send_claimed(row.id)
    db.session.refresh(row)
    return row


def test_cancelling_removes_the_picture_but_the_row_still_says_it_had_one(alice):
    row = schedule(alice, small_png())
    path = row.picture_path
    assert stored(path)

    service.cancel(alice, row.id)

    assert not stored(path)
    assert row.picture_path is None and row.picture_name == "plan.png"


def test_a_picture_shared_by_two_scheduled_messages_stays_until_both_are_done(alice):
    first = schedule(alice, small_png(), "For you")
    second = schedule(alice, small_png(), "And again")
    assert first.picture_path == second.picture_path  # one file for both
    path = first.picture_path

    service.cancel(alice, first.id)
    assert stored(path)  # the second still goes with it

    sent = send(second)
    assert sent.state == ScheduleState.SENT
    (message,) = [m for m in messages_of("101") if m.id in sent.sent_message_ids]
    assert [a.content_type for a in message.attachments if a.kind == "MmsAttachment"] == [
        "image/png"
    ]


def test_compose_to_two_people_shares_one_file_until_the_last_one_goes(alice):
    rows = service.schedule_compose(alice, [JANE, "+14155550188"], later(small_png()), now=NOW)
    path = rows[0].picture_path
    assert {r.picture_path for r in rows} == {path}

    service.cancel(alice, rows[0].id)
    assert stored(path)
    service.cancel(alice, rows[1].id)
    assert not stored(path)


def test_after_sending_the_file_stays_while_the_sent_message_shows_it(alice):
    row = schedule(alice, small_png())
    path = row.picture_path

    row = send(row)

    assert row.state == ScheduleState.SENT and row.picture_path is None
    (message,) = [m for m in messages_of("101") if m.id in row.sent_message_ids]
    (part,) = [a for a in message.attachments if a.kind == "MmsAttachment"]
    # The sent message's picture is the same file (the sandbox points at it by URI).
    assert path in (part.storage_path, part.platform_uri.removeprefix(media.STORE_URI_PREFIX))
    assert stored(path)


def test_a_purged_sent_picture_stays_while_a_scheduled_message_still_needs_it(alice, demo_app):
    sent = send(schedule(alice, small_png(), "First"))
    waiting = schedule(alice, small_png(), "Second")
    path = waiting.picture_path
    (message,) = [m for m in messages_of("101") if m.id in sent.sent_message_ids]
    # As with RingCentral: the platform serves the picture, and its download is kept here.
    (part,) = [a for a in message.attachments if a.kind == "MmsAttachment"]
    part.platform_uri = "https://media.ringcentral.com/restapi/v1.0/account/1/content/9"
    part.storage_path = media.store_bytes(media.read_bytes(path))
    assert part.storage_path == path
    db.session.commit()
    delete_message(alice, message)

    retention = timedelta(days=demo_app.config["DELETED_RETENTION_DAYS"] + 1)
    assert purge_due_messages(now=message.deleted_at + retention) >= 1

    assert stored(path)  # the purge let go of it, the scheduled message did not
    service.cancel(alice, waiting.id)
    assert not stored(path)


def test_a_failed_send_lets_go_of_its_picture(alice):
    row = schedule(alice, small_png(), "Deal ends Friday")
    path = row.picture_path
    optout.opt_out(alice.account_id, ALICE_SMS, JANE, "STOP")
    db.session.commit()

    row = send(row)

    assert row.state == ScheduleState.FAILED
    assert not stored(path)


def test_a_refused_cancel_keeps_the_picture_of_a_message_being_sent(alice):
    row = schedule(alice, small_png())
    path = row.picture_path
    claim_due(now=row.send_at)  # the worker has it now

    with pytest.raises(Conflict):
        service.cancel(alice, row.id)

    db.session.refresh(row)
    assert row.state == ScheduleState.SENDING and row.picture_path == path
    assert stored(path)


def test_the_sweep_lets_go_of_pictures_a_crash_kept(alice):
    row = schedule(alice, small_png())
    # The sweep sends what is due by the real clock: this one must not be due.
    keep_later = later(small_png(color=(200, 10, 10)), send_at=tomorrow_at(9))
    keep = service.schedule_reply(alice, conversation_with("101", JANE), keep_later)
    path = row.picture_path
    # Cancelled, but the process died before it let go of the picture.
    db.session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.id == row.id)
        .values(state=ScheduleState.CANCELLED)
    )
    db.session.commit()

    sweep_scheduled.call_local()

    db.session.refresh(row)
    assert row.picture_path is None and not stored(path)
    assert stored(keep.picture_path)  # still scheduled: untouched
    assert release_finished_pictures() == set()  # nothing left to do
