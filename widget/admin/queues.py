"""Queues as an admin manages them: create, timeouts, overflow, members and numbers.

The rules of queues live in ``widget.queues.manage``; this module reads the console's
forms into them, finds only the admin's own company's queues and people (404 for any
other id), and writes each change's audit entry in the change's own commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from widget import audit
from widget.errors import Conflict, Invalid, NotFound
from widget.extensions import db
from widget.models import Extension, PhoneNumber, Queue, QueueConversation, QueueMember
from widget.phone import to_e164
from widget.queues import manage

# The timeouts as the console's form names and explains them.
TIMEOUTS = {
    "claim_timeout_minutes": "Unclaimed for (minutes) → notify again, then overflow",
    "no_reply_timeout_minutes": "Claimed without a reply for (minutes) → back to the queue",
    "idle_resolve_hours": "No message for (hours) → resolved as timed out",
}
NUMBERS_LIMIT = 20


@dataclass(frozen=True)
class QueueView:
    """One queue as the console's page shows it."""

    queue: Queue
    numbers: list[str]
    members: list[tuple[Extension, QueueMember]]
    candidates: list[Extension]
    open_cases: int


def queue_of(admin: Extension, queue_id: int) -> Queue:
    """The admin's company's queue ``queue_id``; ``NotFound`` for any other id."""
    queue = db.session.get(Queue, queue_id)
    if queue is None or queue.account_id != admin.account_id:
        raise NotFound("That queue does not exist.")
    return queue


def _person(admin: Extension, extension_id: int) -> Extension:
    person = db.session.get(Extension, extension_id)
    if person is None or person.account_id != admin.account_id or person.is_queue_mailbox:
        raise NotFound("That user does not exist.")
    return person


def overview(admin: Extension) -> list[QueueView]:
    """Every queue of the company with its numbers, members and open cases (four queries,
    however many queues, members and cases there are)."""
    queues = db.session.scalars(
        select(Queue)
        .where(Queue.account_id == admin.account_id)
        .options(
            selectinload(Queue.members).joinedload(QueueMember.extension),
            selectinload(Queue.mailbox).selectinload(Extension.phone_numbers),
        )
        .order_by(Queue.name)
    ).all()
    open_cases = dict(
        db.session.execute(
            select(QueueConversation.queue_id, func.count(QueueConversation.id))
            .where(
                QueueConversation.queue_id.in_([q.id for q in queues]),
                QueueConversation.resolved_at.is_(None),
            )
            .group_by(QueueConversation.queue_id)
        ).all()
    )
    people = db.session.scalars(
        select(Extension)
        .where(Extension.account_id == admin.account_id, Extension.people())
        .order_by(Extension.extension_number)
    ).all()
    views = []
    for queue in queues:
        members = [(m.extension, m) for m in queue.members]
        member_ids = {e.id for e, _ in members}
        views.append(
            QueueView(
                queue=queue,
                numbers=sorted(n.e164 for n in queue.mailbox.phone_numbers),
                members=sorted(members, key=lambda pair: pair[0].extension_number),
                candidates=[p for p in people if p.id not in member_ids],
                open_cases=open_cases.get(queue.id, 0),
            )
        )
    return views


def _timeouts(form: Mapping[str, str]) -> dict[str, int | None]:
    """The timeouts of a form: blank is off, otherwise a whole number of at least 1."""
    values: dict[str, int | None] = {}
    for key in TIMEOUTS:
        raw = (form.get(key) or "").strip()
        if not raw:
            values[key] = None
        elif raw.isdigit() and int(raw) >= 1:
            values[key] = int(raw)
        else:
            raise Invalid("Enter a whole number of at least 1, or leave it empty for off.", key)
    return values


def _overflow(admin: Extension, raw: str | None) -> Queue | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid("Choose one of the listed queues.", "overflow_queue_id")
    try:
        return queue_of(admin, int(raw))
    except NotFound:
        raise Invalid("Choose one of the listed queues.", "overflow_queue_id") from None


def _numbers(raw: str, region: str) -> list[str]:
    """The E.164 numbers of a text of numbers, one per line or comma-separated."""
    parts = [p.strip() for p in (raw or "").replace(",", "\n").splitlines() if p.strip()]
    if not parts:
        raise Invalid("A queue needs at least one number customers can text.", "numbers")
    if len(parts) > NUMBERS_LIMIT:
        raise Invalid(f"At most {NUMBERS_LIMIT} numbers per queue.", "numbers")
    return list(dict.fromkeys(to_e164(p, region, field="numbers") for p in parts))


def _settings_text(queue: Queue) -> str:
    overflow = db.session.get(Queue, queue.overflow_queue_id) if queue.overflow_queue_id else None
    lines = [f"{key}: {getattr(queue, key) or 'off'}" for key in TIMEOUTS]
    lines.append(f"overflow queue: {overflow.name if overflow else 'none'}")
    return "\n".join(lines)


def create(admin: Extension, form: Mapping[str, str], region: str) -> Queue:
    """Create a queue from the console's form (name, numbers, timeouts, overflow);
    numbers without a country code are read as ``region``'s."""
    numbers = _numbers(form.get("numbers", ""), region)
    settings: dict = dict(_timeouts(form))
    overflow = _overflow(admin, form.get("overflow_queue_id"))
    if overflow is not None:
        settings["overflow_queue"] = overflow
    queue = manage.create_queue(admin.account, form.get("name", ""), numbers, **settings)
    summary = f"Created queue {queue.name} on {', '.join(numbers)}"
    diff = audit.text_diff("", _settings_text(queue), "before", "after")
    audit.record(admin, "queue.create", f"Queue {queue.name}", summary, diff)
    db.session.commit()
    return queue


def update_settings(admin: Extension, queue: Queue, form: Mapping[str, str]) -> Queue:
    """Change the timeouts and the overflow queue; an unchanged form records nothing."""
    before = _settings_text(queue)
    timeouts, overflow = _timeouts(form), _overflow(admin, form.get("overflow_queue_id"))
    if overflow is not None and overflow.id == queue.id:
        raise Invalid("The overflow queue must be another queue.", "overflow_queue_id")
    manage.change_settings(queue, **timeouts, overflow_queue=overflow)
    after = _settings_text(queue)
    if after != before:
        diff = audit.text_diff(before, after, "before", "after")
        summary = f"Changed the timeouts of {queue.name}"
        audit.record(admin, "queue.settings", f"Queue {queue.name}", summary, diff)
    db.session.commit()
    return queue


def add_member(admin: Extension, queue: Queue, extension_id: int) -> None:
    """Make one of the company's users a member (available at once)."""
    person = _person(admin, extension_id)
    manage.add_member(queue, person)
    summary = f"Added {person.name} (ext. {person.extension_number}) to {queue.name}"
    audit.record(admin, "queue.member.add", f"Queue {queue.name}", summary)
    db.session.commit()


def remove_member(admin: Extension, queue: Queue, extension_id: int) -> int:
    """Take a member out; their open claims go back to the queue. Returns how many."""
    person = _person(admin, extension_id)
    summary = f"Removed {person.name} (ext. {person.extension_number}) from {queue.name}"
    # Added before ``remove_member`` commits: the entry and the change are one commit.
    audit.record(admin, "queue.member.remove", f"Queue {queue.name}", summary)
    returned = manage.remove_member(queue, person)
    return len(returned)


def add_number(admin: Extension, queue: Queue, raw: str, region: str) -> str:
    """Give the queue one more number (one of the company's, not anyone else's)."""
    e164 = to_e164(raw, region, field="number")
    number = db.session.scalar(
        select(PhoneNumber).where(
            PhoneNumber.account_id == admin.account_id, PhoneNumber.e164 == e164
        )
    )
    if number is not None and number.extension_id == queue.extension_id:
        raise Conflict(f"{e164} is already a number of {queue.name}.", "number")
    if number is not None and number.extension_id is not None:
        raise Conflict(f"{e164} already belongs to someone else.", "number")
    if number is None:
        number = PhoneNumber(account_id=admin.account_id, e164=e164, usage_type="CompanyNumber")
        db.session.add(number)
    number.extension_id = queue.extension_id
    number.sms_enabled = True
    audit.record(admin, "queue.number.add", f"Queue {queue.name}", f"Added {e164} to {queue.name}")
    db.session.commit()
    return e164


def remove_number(admin: Extension, queue: Queue, e164: str) -> None:
    """Take a number from the queue; its last number stays (customers must reach it)."""
    numbers = db.session.scalars(
        select(PhoneNumber).where(PhoneNumber.extension_id == queue.extension_id)
    ).all()
    number = next((n for n in numbers if n.e164 == e164), None)
    if number is None:
        raise NotFound(f"{e164} is not a number of {queue.name}.")
    if len(numbers) == 1:
        raise Conflict(
            f"{e164} is the last number of {queue.name}: add another one first.", "number"
        )
    number.extension_id = None
    summary = f"Removed {e164} from {queue.name}"
    audit.record(admin, "queue.number.remove", f"Queue {queue.name}", summary)
    db.session.commit()
