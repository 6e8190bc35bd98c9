"""Compose and reply: validate what the user sent, then send each message once.

Validation happens before anything is written: a form with a bad field changes nothing.
Bad recipients do not stop good ones: each good recipient gets its own message (never a
group blast) and each bad one comes back with its error, for the form to show next to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from widget.compose import optout, pager
from widget.compose.images import ImageRejected, PreparedImage, prepare_image
from widget.compose.recipients import Recipient, parse_recipients
from widget.compose.segments import TEXT_LIMIT
from widget.compose.sending import check_key, claim, complete, release, send_one, sent_item
from widget.errors import DomainError, Invalid, Rejected
from widget.extensions import db
from widget.inputs import clean_message_text, utf16_length
from widget.models import (
    Channel,
    Conversation,
    Direction,
    Extension,
    Message,
    MessageType,
    SendRequest,
)
from widget.phone import display, to_e164
from widget.platforms.base import Outbound, OutboundPart, PlatformRefused

GIF_FLATTENED = "The animated GIF was sent as a still picture (its first frame) to fit an MMS."


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    size: int | None = None  # the whole file's size, when ``data`` is only its start


@dataclass
class Draft:
    """A submitted compose or reply form, as plain values."""

    key: str
    text: str = ""
    sender: str = ""  # the chosen "From" number; empty means the default one
    recipients: list[str] = field(default_factory=list)
    attachment: Upload | None = None


@dataclass
class Outcome:
    """What a send did: messages sent, recipients refused (with why), field errors."""

    sent: list[dict] = field(default_factory=list)
    refused: list[Recipient] = field(default_factory=list)
    field_errors: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    replayed: bool = False
    # The recipients the form shows again: all of them when nothing was sent, else the refused.
    unsent: list[Recipient] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused and not self.field_errors

    def to_json(self) -> dict:
        return {
            "sent": self.sent,
            "refused": [{"raw": r.raw, "label": r.label, "error": r.error} for r in self.refused],
            "field_errors": self.field_errors,
            "notices": self.notices,
        }

    @classmethod
    def replay(cls, request: SendRequest) -> Outcome:
        if request.completed_at is None:
            return cls(
                field_errors={"form": "This form was already sent; open it again to send more."},
                replayed=True,
            )
        data = request.outcome or {}
        refused = [
            Recipient(raw=r["raw"], label=r["label"], error=r["error"])
            for r in data.get("refused", [])
        ]
        return cls(
            sent=list(data.get("sent", [])),
            refused=refused,
            field_errors=dict(data.get("field_errors", {})),
            notices=list(data.get("notices", [])),
            replayed=True,
            unsent=refused,
        )


def normalize_text(text: str) -> str:
    # Browsers submit textarea line breaks as CRLF; the counter and the limit count one.
    return clean_message_text(text)


def text_error(text: str, has_attachment: bool) -> str | None:
    if not text.strip() and not has_attachment:
        return "Write a message (or attach a picture)."
    length = utf16_length(text)
    if length > TEXT_LIMIT:
        return f"The message is {length} characters; the limit is {TEXT_LIMIT}."
    return None


def sender_number(extension: Extension, chosen: str, default: str | None = None) -> str:
    """Return the SMS number to send from; ``Invalid`` when it is not the extension's own."""
    numbers = [n.e164 for n in extension.sms_numbers]
    if not numbers:
        raise Rejected("Your extension has no number that can send texts.", "from")
    if not (chosen or "").strip():
        return default if default in numbers else numbers[0]
    region = current_app.config["DEFAULT_REGION"]
    number = to_e164(chosen, region, field="from")
    if number not in numbers:
        raise Rejected(f"{display(number, region)} is not one of your texting numbers.", "from")
    return number


def prepare_upload(upload: Upload) -> PreparedImage:
    """The uploaded picture ready to send as MMS; ``ImageRejected`` says what is wrong."""
    config = current_app.config
    return prepare_image(
        upload.data,
        upload.filename or "picture",
        config["MMS_MAX_BYTES"],
        config["UPLOAD_MAX_BYTES"],
        config["IMAGE_MAX_PIXELS"],
        size=upload.size,
    )


def _prepare(upload: Upload | None, outcome: Outcome) -> PreparedImage | None:
    if upload is None:
        return None
    try:
        return prepare_upload(upload)
    except ImageRejected as exc:
        outcome.field_errors["attachment"] = str(exc)
        return None


def opted_out_error(recipient_label: str, sender: str) -> str:
    shown = display(sender, current_app.config["DEFAULT_REGION"])
    return (
        f"{recipient_label} opted out of texts from {shown} (they replied STOP); "
        f"nothing was sent to them. They can reply START to {shown} to receive texts again."
    )


def send_all(extension: Extension, key: str, plan, outcome: Outcome) -> Outcome:
    """Claim ``key`` and send each (label, Outbound) of ``plan``; record the outcome."""
    claimed = claim(extension, key)
    if not claimed.fresh:
        return Outcome.replay(claimed.request)
    try:
        for recipient, outbound in plan:
            try:
                message = send_one(extension, outbound)
            except PlatformRefused as exc:
                outcome.refused.append(
                    Recipient(raw=recipient.raw, label=recipient.label, error=exc.message)
                )
                continue
            outcome.sent.append(sent_item(message, recipient.label))
    except Exception:
        # The platform failed outright (unreachable, a bug): what went out stays
        # recorded; with nothing sent, the form keeps its key for another try.
        if outcome.sent:
            complete(claimed.request, outcome.to_json())
        else:
            release(claimed.request)
        raise
    outcome.unsent = list(outcome.refused)
    if not outcome.sent:
        release(claimed.request)
        return outcome
    complete(claimed.request, outcome.to_json())
    return outcome


def send_compose(extension: Extension, draft: Draft) -> Outcome:
    """Send one message to each recipient of a compose form."""
    check_key(draft.key)
    outcome = Outcome()
    text = normalize_text(draft.text)
    if error := text_error(text, draft.attachment is not None):
        outcome.field_errors["text"] = error
    image = _prepare(draft.attachment, outcome)
    region = current_app.config["DEFAULT_REGION"]
    try:
        recipients = parse_recipients(extension, draft.recipients, region)
    except DomainError as exc:
        outcome.field_errors["to"] = exc.message
        recipients = []
    sender = None
    if draft.sender or any(r.address and not r.is_pager for r in recipients):
        try:
            sender = sender_number(extension, draft.sender)
        except DomainError as exc:
            outcome.field_errors["from"] = exc.message
    if not recipients and "to" not in outcome.field_errors:
        outcome.field_errors["to"] = "Add at least one recipient."
    checked = [_check_recipient(extension, r, sender, image) for r in recipients]
    outcome.refused = [r for r in checked if r.error]
    valid = [r for r in checked if not r.error]
    if outcome.field_errors or not valid:
        outcome.unsent = checked  # nothing was claimed or sent: the form comes back as it was
        return outcome
    parts = (OutboundPart(image.content_type, image.data, image.filename),) if image else ()
    plan = [
        (
            r,
            Outbound(MessageType.PAGER, extension.extension_number, (r.address,), text)
            if r.is_pager
            else Outbound(MessageType.SMS, sender, (r.address,), text, parts),
        )
        for r in valid
    ]
    if image and image.flattened:
        outcome.notices.append(GIF_FLATTENED)
    return send_all(extension, draft.key, plan, outcome)


def _check_recipient(extension, recipient: Recipient, sender, image) -> Recipient:
    if recipient.error:
        return recipient
    error = None
    if recipient.is_pager and image is not None:
        error = "Pictures cannot be paged; pick their phone number to send it by MMS."
    elif (
        not recipient.is_pager
        and sender
        and optout.is_blocked(extension.account_id, sender, recipient.address)
    ):
        error = opted_out_error(recipient.label, sender)
    if error is None:
        return recipient
    return Recipient(
        raw=recipient.raw, address=recipient.address, label=recipient.label, error=error
    )


def default_sender(extension: Extension, conversation: Conversation) -> str | None:
    """The number this conversation has been using: reply from the number they texted."""
    latest = db.session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.type == MessageType.SMS)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    if latest.direction == Direction.OUTBOUND:
        return latest.from_address
    mine = {n.e164 for n in extension.sms_numbers}
    return next((p["address"] for p in latest.to_parties if p.get("address") in mine), None)


def labels_for(extension: Extension, addresses: list[str]) -> list[Recipient]:
    return parse_recipients(extension, addresses, current_app.config["DEFAULT_REGION"])


def send_reply(extension: Extension, conversation: Conversation, draft: Draft) -> Outcome:
    """Reply inside ``conversation`` (the caller has checked it is the extension's)."""
    check_key(draft.key)
    if conversation.channel not in (Channel.TEXT, Channel.PAGER):
        raise Invalid("Reply to a voicemail or fax with SMS back or Call back.")
    outcome = Outcome()
    text = normalize_text(draft.text)
    if error := text_error(text, draft.attachment is not None):
        outcome.field_errors["text"] = error
    if draft.attachment is not None and conversation.channel == Channel.PAGER:
        outcome.field_errors["attachment"] = "Pictures cannot be sent by pager."
    image = None if "attachment" in outcome.field_errors else _prepare(draft.attachment, outcome)
    parts = (OutboundPart(image.content_type, image.data, image.filename),) if image else ()
    group = pager.group_of(conversation)
    needs_sms = conversation.channel == Channel.TEXT or (
        group is not None and any(not m.is_internal for m in group.members)
    )
    sender = None
    if needs_sms:
        try:
            sender = sender_number(extension, draft.sender, default_sender(extension, conversation))
        except DomainError as exc:
            outcome.field_errors["from"] = exc.message
    if outcome.field_errors:
        return outcome
    plan = _reply_plan(extension, conversation, group, sender, text, parts, outcome)
    if outcome.field_errors or not plan:
        return outcome
    if image and image.flattened:
        outcome.notices.append(GIF_FLATTENED)
    return send_all(extension, draft.key, plan, outcome)


def _reply_plan(extension, conversation, group, sender, text, parts, outcome: Outcome) -> list:
    if conversation.channel == Channel.TEXT:
        # A group text is answered to everyone in it at once, as phones do.
        everyone = labels_for(extension, conversation.addresses)
        blocked = optout.blocked_pairs(extension.account_id, [sender], conversation.addresses)
        if blocked:
            names = ", ".join(r.label for r in everyone if (sender, r.address) in blocked)
            outcome.field_errors["text"] = opted_out_error(names, sender)
            return []
        label = Recipient(
            raw=", ".join(conversation.addresses), label=", ".join(r.label for r in everyone)
        )
        return [
            (label, Outbound(MessageType.SMS, sender, tuple(conversation.addresses), text, parts))
        ]
    if group is None:
        others = labels_for(extension, conversation.addresses)
        return [
            (
                others[0],
                Outbound(
                    MessageType.PAGER,
                    extension.extension_number,
                    tuple(conversation.addresses),
                    text,
                ),
            )
        ]
    colleagues = [
        m.address for m in group.members if m.is_internal and m.extension_id != extension.id
    ]
    outside = [m.address for m in group.members if not m.is_internal]
    plan = [
        (
            Recipient(raw=group.name, label=group.name),
            Outbound(
                MessageType.PAGER,
                extension.extension_number,
                tuple(colleagues),
                text,
                conversation_id=group.platform_conversation_id,
            ),
        )
    ]
    for recipient in labels_for(extension, outside):
        checked = _check_recipient(extension, recipient, sender, None)
        if checked.error:
            outcome.refused.append(checked)
        else:
            # The group's id travels with the text, so it and the reply stay in the group.
            sms = Outbound(
                MessageType.SMS,
                sender,
                (checked.address,),
                text,
                conversation_id=group.platform_conversation_id,
            )
            plan.append((checked, sms))
    return plan
