"""Send later with a picture: checked and stored when scheduled, sent once as an MMS."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.compose.conftest import conversation_with, messages_of, noisy_png, small_png
from tests.scheduled.conftest import JANE, NOW
from widget import media
from widget.compose.service import Upload
from widget.errors import Invalid
from widget.extensions import db
from widget.models import Direction, ScheduledMessage, ScheduleState
from widget.scheduled import service
from widget.scheduled.service import LaterDraft, claim_due, send_claimed


def later(picture: bytes | None, text="", name="plan.png") -> LaterDraft:
    upload = Upload(filename=name, data=picture) if picture is not None else None
    return LaterDraft(text=text, send_at="2026-12-04T09:30", picture=upload)


def _scheduled_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ScheduledMessage))


def test_a_scheduled_picture_is_sent_once_as_an_mms(alice):
    conversation = conversation_with("101", JANE)
    picture = small_png()
    row = service.schedule_reply(alice, conversation, later(picture), now=NOW)
    assert (row.picture_type, row.picture_name) == ("image/png", "plan.png")
    # Kept under the store's own name (its content hash), not the uploader's.
    assert "plan" not in row.picture_path
    stored = media.read_bytes(row.picture_path)
    assert Image.open(io.BytesIO(stored)).size == (40, 30)

    assert claim_due(now=row.send_at) == [row.id]
    send_claimed(row.id)
    send_claimed(row.id)  # run twice: still one message

    (sent,) = [m for m in messages_of("101") if m.id in (row.sent_message_ids or [])]
    assert sent.direction == Direction.OUTBOUND
    assert sent.conversation_id == conversation.id
    (part,) = [a for a in sent.attachments if a.kind == "MmsAttachment"]
    assert part.content_type == "image/png"
    assert media.read_bytes(part.storage_path or part.platform_uri.split("media/")[-1]) == stored
    db.session.refresh(row)
    assert row.state == ScheduleState.SENT
    assert len(row.sent_message_ids) == 1


def test_a_picture_too_big_for_mms_is_resized_when_scheduled(alice, demo_app):
    conversation = conversation_with("101", JANE)
    big = noisy_png(1600, 1200, grain=1)
    assert len(big) > demo_app.config["MMS_MAX_BYTES"]
    row = service.schedule_reply(alice, conversation, later(big, text="Floor plan"), now=NOW)
    assert len(media.read_bytes(row.picture_path)) <= demo_app.config["MMS_MAX_BYTES"]


@pytest.mark.parametrize(
    ("picture", "name", "says"),
    [
        (b"%PDF-1.4 not a picture", "plan.png", "JPEG, PNG or GIF"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "broken.png", ""),
    ],
)
def test_a_bad_picture_is_refused_and_nothing_is_scheduled(alice, picture, name, says):
    conversation = conversation_with("101", JANE)
    with pytest.raises(Invalid) as refused:
        service.schedule_reply(alice, conversation, later(picture, name=name), now=NOW)
    assert refused.value.field == "attachment"
    assert says in refused.value.message
    assert _scheduled_count() == 0


def test_an_oversized_upload_is_refused_with_its_size(alice, demo_app):
    conversation = conversation_with("101", JANE)
    limit = demo_app.config["UPLOAD_MAX_BYTES"]
    upload = Upload(filename="huge.png", data=small_png() + b"\0" * limit, size=limit + 2_000_000)
    draft = LaterDraft(text="", send_at="2026-12-04T09:30", picture=upload)
    with pytest.raises(Invalid) as refused:
        service.schedule_reply(alice, conversation, draft, now=NOW)
    assert refused.value.field == "attachment"
    assert _scheduled_count() == 0


def test_pictures_cannot_be_paged(alice):
    with pytest.raises(Invalid) as refused:
        service.schedule_compose(alice, ["102"], later(small_png(), text="Look"), now=NOW)
    assert "pager" in refused.value.message
    assert _scheduled_count() == 0


def test_editing_keeps_the_picture_and_allows_no_text(alice):
    conversation = conversation_with("101", JANE)
    row = service.schedule_reply(alice, conversation, later(small_png(), text="Plan"), now=NOW)
    path = row.picture_path
    edited = service.edit(alice, row.id, LaterDraft(text="", send_at="2026-12-04T10:00"), now=NOW)
    assert edited.picture_path == path and edited.text == ""
    with pytest.raises(Invalid):  # a text-only row still needs its text
        text_row = service.schedule_reply(
            alice, conversation, LaterDraft(text="Hi", send_at="2026-12-04T09:30"), now=NOW
        )
        service.edit(alice, text_row.id, LaterDraft(text=" ", send_at="2026-12-04T10:00"), now=NOW)
