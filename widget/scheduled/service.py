"""Scheduled send: write a text (or attach a picture) now, the worker sends it at a time
in the user's time zone.

Rules: the time is at least a minute ahead and at most a year; a scheduled text can be
edited or cancelled until the worker claims it; the worker claims each row once (a
conditional UPDATE from scheduled to sending) and sends it through the compose path with
the row's own key, so a retry after a crash replays the first send instead of repeating
it. Opt-out and every other check of a normal send happen at send time, not when it was
written: a customer who replied STOP in between is not texted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update

from widget.access import conversation_for, personal_to
from widget.compose.recipients import parse_recipients
from widget.compose.service import (
    Draft,
    Outcome,
    Upload,
    normalize_text,
    send_compose,
    send_reply,
    sender_number,
    text_error,
)
from widget.errors import Conflict, DomainError, Invalid, NotFound
from widget.extensions import db
from widget.models import (
    Channel,
    Conversation,
    ConversationKind,
    Extension,
    ScheduledMessage,
    ScheduleState,
)
from widget.models.types import utcnow
from widget.scheduled.pictures import (
    PAGER_REFUSAL,
    picture_upload,
    release_pictures,
    store_picture,
)

MIN_LEAD = timedelta(minutes=1)
MAX_LEAD = timedelta(days=365)
# A row claimed this long ago and still "sending" lost its worker: send it again (its key
# makes that a replay if the first attempt got through).
STUCK_AFTER = timedelta(minutes=5)
DUE_BATCH = 100
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class LaterDraft:
    """A "Send later" form, as plain values."""

    text: str
    send_at: str  # the browser's datetime-local value, in the user's time zone
    sender: str = ""
    picture: Upload | None = None  # an MMS picture, checked and stored when scheduled


def parse_send_at(value: str, timezone: str, now: datetime | None = None) -> datetime:
    """The UTC moment of ``value`` (``2026-12-07T09:00``) read in ``timezone``."""
    raw = (value or "").strip()
    if not raw:
        raise Invalid("Choose the date and time to send it.", "send_at")
    for pattern in LOCAL_FORMATS:
        try:
            local = datetime.strptime(raw, pattern)
            break
        except ValueError:
            continue
    else:
        raise Invalid(f"“{raw[:40]}” is not a date and time.", "send_at")
    zone = ZoneInfo(timezone)
    moment = local.replace(tzinfo=zone)
    # A time skipped by a daylight-saving jump does not exist on the clock: refuse it
    # rather than send an hour off.
    if moment.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != local:
        raise Invalid("That time does not exist on the clock that day (clocks change).", "send_at")
    moment = moment.astimezone(ZoneInfo("UTC"))
    now = now or utcnow()
    if moment < now + MIN_LEAD:
        raise Invalid("Choose a time at least a minute from now.", "send_at")
    if moment > now + MAX_LEAD:
        raise Invalid("Choose a time within a year.", "send_at")
    return moment


def _checked_text(text: str, has_picture: bool = False) -> str:
    text = normalize_text(text)
    if error := text_error(text, has_attachment=has_picture):
        raise Invalid(error, "text")
    return text


def _picture_columns(draft: LaterDraft, by_pager: bool) -> dict:
    """The picture of ``draft`` stored (checked last: nothing is kept for a refused form)."""
    if draft.picture is None:
        return {}
    if by_pager:
        raise Invalid(PAGER_REFUSAL, "attachment")
    return store_picture(draft.picture)


def own_scheduled(extension: Extension, scheduled_id: int) -> ScheduledMessage:
    row = db.session.scalar(
        select(ScheduledMessage).where(
            ScheduledMessage.id == scheduled_id,
            personal_to(extension, ScheduledMessage.extension_id),
        )
    )
    if row is None:
        raise NotFound("That scheduled message does not exist.")
    return row


def schedule_reply(
    extension: Extension, conversation: Conversation, draft: LaterDraft, now=None
) -> ScheduledMessage:
    """Schedule a text in ``conversation`` (the caller checked it is the extension's)."""
    if conversation.channel not in (Channel.TEXT, Channel.PAGER):
        raise Invalid("Only texts and pages can be sent later.")
    text = _checked_text(draft.text, draft.picture is not None)
    send_at = parse_send_at(draft.send_at, extension.timezone, now)
    sender = None
    if conversation.channel == Channel.TEXT and draft.sender.strip():
        sender = sender_number(extension, draft.sender)
    picture = _picture_columns(draft, by_pager=conversation.channel == Channel.PAGER)
    row = ScheduledMessage(
        extension_id=extension.id,
        conversation_id=conversation.id,
        recipients=[],
        sender=sender,
        text=text,
        send_at=send_at,
        **picture,
    )
    db.session.add(row)
    db.session.commit()
    return row


def schedule_compose(
    extension: Extension, entries: list[str], draft: LaterDraft, now=None
) -> list[ScheduledMessage]:
    """Schedule one text per recipient of a compose form (as sending now would)."""
    text = _checked_text(draft.text, draft.picture is not None)
    send_at = parse_send_at(draft.send_at, extension.timezone, now)
    recipients = parse_recipients(extension, entries, current_app.config["DEFAULT_REGION"])
    if not recipients:
        raise Invalid("Add at least one recipient.", "to")
    for recipient in recipients:
        if recipient.error:
            raise Invalid(f"{recipient.raw}: {recipient.error}", "to")
    sender = sender_number(extension, draft.sender) if draft.sender.strip() else None
    picture = _picture_columns(draft, by_pager=any(r.is_pager for r in recipients))
    rows = [
        ScheduledMessage(
            extension_id=extension.id,
            conversation_id=_direct_conversation(extension, r.address),
            recipients=[r.address],
            sender=sender,
            text=text,
            send_at=send_at,
            **picture,
        )
        for r in recipients
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def _direct_conversation(extension: Extension, address: str) -> int | None:
    """The conversation a compose-scheduled text will land in, to list it there now."""
    channel = Channel.PAGER if not address.startswith("+") else Channel.TEXT
    return db.session.scalar(
        select(Conversation.id).where(
            Conversation.extension_id == extension.id,
            Conversation.channel == channel,
            Conversation.kind != ConversationKind.GROUP,
            Conversation.participants == f",{address},",
        )
    )


def edit(extension: Extension, scheduled_id: int, draft: LaterDraft, now=None) -> ScheduledMessage:
    """Change the text and time of a scheduled message that has not gone yet (its picture
    stays)."""
    row = own_scheduled(extension, scheduled_id)
    text = _checked_text(draft.text, row.picture_path is not None)
    send_at = parse_send_at(draft.send_at, extension.timezone, now)
    return _change_while_scheduled(row, text=text, send_at=send_at)


def cancel(extension: Extension, scheduled_id: int) -> ScheduledMessage:
    """Cancel a scheduled message that has not gone yet."""
    row = own_scheduled(extension, scheduled_id)
    row = _change_while_scheduled(row, state=ScheduleState.CANCELLED)
    release_pictures([row])
    return row


def _change_while_scheduled(row: ScheduledMessage, **values) -> ScheduledMessage:
    """Apply ``values`` only if the worker has not claimed ``row``: the database decides
    between an edit or cancel and the worker's claim, whichever comes first."""
    changed = db.session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.id == row.id, ScheduledMessage.state == ScheduleState.SCHEDULED)
        .values(updated_at=utcnow(), **values)
    ).rowcount
    db.session.commit()
    if not changed:
        raise Conflict(_too_late(row))
    db.session.refresh(row)
    return row


def _too_late(row: ScheduledMessage) -> str:
    db.session.refresh(row)
    if row.state == ScheduleState.CANCELLED:
        return "This scheduled message was already cancelled."
    return "This message is already being sent; it can no longer be changed."


def pending_in(extension: Extension, conversation: Conversation) -> list[ScheduledMessage]:
    """What ``extension`` scheduled in ``conversation`` and has not gone, or failed."""
    return list(
        db.session.scalars(
            select(ScheduledMessage)
            .where(
                personal_to(extension, ScheduledMessage.extension_id),
                ScheduledMessage.conversation_id == conversation.id,
                ScheduledMessage.state.in_(
                    (ScheduleState.SCHEDULED, ScheduleState.SENDING, ScheduleState.FAILED)
                ),
            )
            .order_by(ScheduledMessage.send_at, ScheduledMessage.id)
        )
    )


def claim_due(now: datetime | None = None) -> list[int]:
    """Claim every scheduled message whose time has come; return their ids.

    Each row moves from scheduled to sending in a conditional UPDATE: of two workers
    racing for it, exactly one gets a row count of one. Rows whose worker died while
    sending are returned again (their send key makes the second attempt a replay).
    """
    now = now or utcnow()
    due = db.session.scalars(
        select(ScheduledMessage.id)
        .where(ScheduledMessage.state == ScheduleState.SCHEDULED, ScheduledMessage.send_at <= now)
        .order_by(ScheduledMessage.send_at, ScheduledMessage.id)
        .limit(DUE_BATCH)
    ).all()
    claimed = []
    for scheduled_id in due:
        won = db.session.execute(
            update(ScheduledMessage)
            .where(
                ScheduledMessage.id == scheduled_id,
                ScheduledMessage.state == ScheduleState.SCHEDULED,
            )
            .values(state=ScheduleState.SENDING, claimed_at=now)
        ).rowcount
        if won:
            claimed.append(scheduled_id)
    stuck = db.session.scalars(
        select(ScheduledMessage.id)
        .where(
            ScheduledMessage.state == ScheduleState.SENDING,
            ScheduledMessage.claimed_at < now - STUCK_AFTER,
        )
        .limit(DUE_BATCH)
    ).all()
    for scheduled_id in stuck:
        db.session.execute(
            update(ScheduledMessage)
            .where(ScheduledMessage.id == scheduled_id)
            .values(claimed_at=now)
        )
    db.session.commit()
    return claimed + list(stuck)


def send_claimed(scheduled_id: int) -> ScheduledMessage | None:
    """Send a claimed scheduled message now, as its author would; record what happened."""
    row = db.session.get(ScheduledMessage, scheduled_id)
    if row is None or row.state != ScheduleState.SENDING:
        return row
    extension = db.session.get(Extension, row.extension_id)
    draft = Draft(
        key=row.send_key, text=row.text, sender=row.sender or "", attachment=picture_upload(row)
    )
    try:
        if row.recipients:
            draft.recipients = list(row.recipients)
            outcome = send_compose(extension, draft)
        else:
            conversation = conversation_for(extension, row.conversation_id, change=True)
            outcome = send_reply(extension, conversation, draft)
    except DomainError as exc:
        outcome = Outcome(field_errors={"form": exc.message})
    _record(row, outcome)
    db.session.commit()
    release_pictures([row])
    return row


def _record(row: ScheduledMessage, outcome: Outcome) -> None:
    problems = list(outcome.field_errors.values()) + [
        f"{r.label}: {r.error}" if r.label and r.label not in r.error else r.error
        for r in outcome.refused
    ]
    row.sent_message_ids = [item["message_id"] for item in outcome.sent]
    if outcome.sent:
        row.state = ScheduleState.SENT
        row.result = " ".join(problems) or None
        if row.conversation_id is None:
            row.conversation_id = outcome.sent[0]["conversation_id"]
    else:
        row.state = ScheduleState.FAILED
        row.result = " ".join(problems) or "It could not be sent."
    row.updated_at = utcnow()
