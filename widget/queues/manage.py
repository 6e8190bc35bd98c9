"""Queues and their members: create, settings, add and remove members, availability.

What an admin does (from the CLI or the console's Queues page) and what
a member does to themselves (the "Available" toggle).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from widget.errors import Conflict, Invalid, NotFound
from widget.extensions import db
from widget.models import (
    Account,
    Extension,
    PhoneNumber,
    Queue,
    QueueConversation,
    QueueEventKind,
    QueueMember,
)
from widget.models.account import DEPARTMENT
from widget.models.types import utcnow
from widget.queues import events

NAME_LIMIT = 100
# A new queue's timeouts unless given: a support team's usual promises.
DEFAULT_SETTINGS = {
    "claim_timeout_minutes": 5,
    "no_reply_timeout_minutes": 30,
    "idle_resolve_hours": 24,
}
SETTINGS = tuple(DEFAULT_SETTINGS)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("A queue needs a name.", "name")
    if len(name) > NAME_LIMIT:
        raise Invalid(f"A queue name is at most {NAME_LIMIT} characters.", "name")
    return name


def _check_setting(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise Invalid(f"{name} must be a whole number of at least 1, or off.", name)
    return value


def queue_named(account: Account, name: str) -> Queue:
    """Return the account's queue called ``name``; ``NotFound`` names it otherwise."""
    queue = db.session.scalar(
        select(Queue).where(Queue.account_id == account.id, Queue.name == name)
    )
    if queue is None:
        raise NotFound(f"There is no queue named {name!r}.")
    return queue


def create_queue(
    account: Account, name: str, numbers: list[str], extension_number: str | None = None, **settings
) -> Queue:
    """Create a queue with its mailbox extension and its numbers; the caller commits.

    ``numbers`` are E.164 numbers of the account not given to anyone else (they become
    the queue's); ``settings`` are the timeouts of ``Queue`` (None turns one off).
    """
    name = _clean_name(name)
    same_name = select(Queue.id).where(Queue.account_id == account.id, Queue.name == name)
    if db.session.scalar(same_name):
        raise Conflict(f"There is already a queue named {name!r}.", "name")
    unknown = sorted(set(settings) - set(SETTINGS) - {"overflow_queue"})
    if unknown:
        raise Invalid(f"Unknown queue setting(s): {', '.join(unknown)}.", unknown[0])
    values = {
        key: _check_setting(key, settings.get(key, DEFAULT_SETTINGS[key])) for key in SETTINGS
    }
    overflow = settings.get("overflow_queue")
    taken = db.session.scalars(
        select(PhoneNumber).where(
            PhoneNumber.account_id == account.id,
            PhoneNumber.e164.in_(numbers),
            PhoneNumber.extension_id.is_not(None),
        )
    ).all()
    if taken:
        raise Conflict(f"{taken[0].e164} already belongs to someone else.", "numbers")
    mailbox = Extension(
        account_id=account.id,
        platform_extension_id=f"queue-{uuid.uuid4().hex[:12]}",
        extension_number=extension_number or f"Q{uuid.uuid4().hex[:6]}",
        name=name,
        kind=DEPARTMENT,
    )
    db.session.add(mailbox)
    db.session.flush()
    for e164 in numbers:
        number = db.session.scalar(
            select(PhoneNumber).where(
                PhoneNumber.account_id == account.id, PhoneNumber.e164 == e164
            )
        )
        if number is None:
            number = PhoneNumber(account_id=account.id, e164=e164, usage_type="CompanyNumber")
            db.session.add(number)
        number.extension_id = mailbox.id
        number.sms_enabled = True
    queue = Queue(account_id=account.id, extension_id=mailbox.id, name=name, **values)
    if overflow is not None:
        queue.overflow_queue_id = overflow.id
    db.session.add(queue)
    db.session.flush()
    return queue


def change_settings(queue: Queue, **settings) -> Queue:
    """Change a queue's timeouts or overflow queue; the caller commits."""
    for key, value in settings.items():
        if key == "overflow_queue":
            if value is not None and (value.id == queue.id or value.account_id != queue.account_id):
                raise Invalid("The overflow queue must be another queue of the account.", key)
            queue.overflow_queue_id = value.id if value is not None else None
        elif key in SETTINGS:
            setattr(queue, key, _check_setting(key, value))
        else:
            raise Invalid(f"Unknown queue setting: {key}.", key)
    return queue


def add_member(queue: Queue, extension: Extension, available: bool = True) -> QueueMember:
    """Make ``extension`` a member of ``queue``; the caller commits."""
    if extension.account_id != queue.account_id or extension.is_queue_mailbox:
        raise Invalid(f"{extension.name} cannot join {queue.name}.", "extension")
    existing = membership(queue, extension)
    if existing is not None:
        raise Conflict(f"{extension.name} is already a member of {queue.name}.", "extension")
    member = QueueMember(queue_id=queue.id, extension_id=extension.id, available=available)
    db.session.add(member)
    db.session.flush()
    return member


def membership(queue: Queue, extension: Extension) -> QueueMember | None:
    return db.session.scalar(
        select(QueueMember).where(
            QueueMember.queue_id == queue.id, QueueMember.extension_id == extension.id
        )
    )


def remove_member(queue: Queue, extension: Extension) -> list[QueueConversation]:
    """Take ``extension`` out of ``queue``: their open claims return to the queue.

    Commits and announces; returns the cases that went back to the queue.
    """
    member = membership(queue, extension)
    if member is None:
        raise NotFound(f"{extension.name} is not a member of {queue.name}.")
    now = utcnow()
    held = db.session.scalars(
        select(QueueConversation).where(
            QueueConversation.queue_id == queue.id,
            QueueConversation.claimed_by_id == extension.id,
            QueueConversation.resolved_at.is_(None),
        )
    ).all()
    db.session.execute(
        update(QueueConversation)
        .where(QueueConversation.id.in_([case.id for case in held]))
        .values(claimed_by_id=None, claimed_at=None, reply_due_since=None, waiting_since=now)
    )
    recorded = [
        (
            case,
            events.record(
                case,
                QueueEventKind.RELEASED,
                reason="member_removed",
                text=f"{extension.name} left {queue.name}",
                at=now,
            ),
        )
        for case in held
    ]
    db.session.delete(member)
    db.session.commit()
    for case, event in recorded:
        db.session.refresh(case)
        events.announce(case, [event])
    return [case for case, _ in recorded]


def set_available(queue: Queue, extension: Extension, available: bool) -> QueueMember:
    """The member's "Available" toggle; commits. Only available members are offered cases."""
    member = membership(queue, extension)
    if member is None:
        raise NotFound("That queue does not exist.")
    member.available = bool(available)
    db.session.commit()
    return member


def queues_of(extension: Extension) -> list[tuple[Queue, QueueMember]]:
    """The queues ``extension`` is a member of, with their membership, by name."""
    rows = db.session.execute(
        select(Queue, QueueMember)
        .join(QueueMember, QueueMember.queue_id == Queue.id)
        .where(QueueMember.extension_id == extension.id)
        .order_by(Queue.name)
    ).all()
    return [(queue, member) for queue, member in rows]


def account_queues(account: Account) -> list[Queue]:
    return list(
        db.session.scalars(select(Queue).where(Queue.account_id == account.id).order_by(Queue.name))
    )


def available_member_ids(queue_id: int) -> list[int]:
    """Extension ids of the queue's available members: whom new cases are offered to."""
    return list(
        db.session.scalars(
            select(QueueMember.extension_id).where(
                QueueMember.queue_id == queue_id, QueueMember.available.is_(True)
            )
        )
    )


def member_ids(queue_id: int) -> list[int]:
    return list(
        db.session.scalars(select(QueueMember.extension_id).where(QueueMember.queue_id == queue_id))
    )


DEMO_QUEUE = {"name": "Support", "number": "+16505550150", "extension_number": "800"}
DEMO_MEMBERS = ("101", "102", "103")


def seed_demo_queue(account: Account) -> Queue:
    """The demo's shared inbox: "Support" on its own number, with three members."""
    queue = create_queue(
        account,
        DEMO_QUEUE["name"],
        [DEMO_QUEUE["number"]],
        extension_number=DEMO_QUEUE["extension_number"],
    )
    for person in db.session.scalars(
        select(Extension)
        .where(Extension.account_id == account.id, Extension.extension_number.in_(DEMO_MEMBERS))
        .order_by(Extension.extension_number)
    ):
        add_member(queue, person)
    db.session.commit()
    return queue
