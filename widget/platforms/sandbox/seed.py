"""Seed the sandbox's demo account: extensions, numbers, contacts and 30 days of history.

All history goes through ``build_record`` and the app's event sink like live traffic, so
the seeded mailbox is exactly what RingCentral would have delivered. The demo data set
as a whole (this, the local CRM and the templates) is ``widget.demo``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select

from widget.extensions import db
from widget.models import (
    Account,
    Contact,
    ContactPhone,
    ContactSource,
    Extension,
    MessageType,
    PhoneNumber,
)
from widget.models.types import utcnow
from widget.platforms import get_platform
from widget.platforms.base import EventSink
from widget.platforms.sandbox import seed_data as data
from widget.platforms.sandbox.delivery import build_record
from widget.platforms.sandbox.generated import mms_image
from widget.platforms.sandbox.media_parts import cached_media, fax_part, voicemail_part
from widget.platforms.sandbox.messages import MediaPart


def demo_account() -> Account | None:
    """Return the sandbox's demo account, or None before it is seeded."""
    return db.session.scalar(
        select(Account).where(
            Account.platform == "sandbox",
            Account.platform_account_id == data.ACCOUNT["platform_account_id"],
        )
    )


def seed_people() -> Account:
    """Create the demo account, its extensions, numbers and contacts; return the account."""
    account = Account(
        platform="sandbox",
        platform_account_id=data.ACCOUNT["platform_account_id"],
        name=data.ACCOUNT["name"],
        main_number=data.ACCOUNT["main"],
    )
    db.session.add(account)
    db.session.flush()
    db.session.add(
        PhoneNumber(
            account_id=account.id,
            e164=data.ACCOUNT["main"],
            usage_type="MainCompanyNumber",
            sms_enabled=False,
        )
    )
    by_number = {}
    for number, name, email, tz, admin, phones in data.EXTENSIONS:
        extension = Extension(
            account=account,
            platform_extension_id=f"sandbox-{number}",
            extension_number=number,
            name=name,
            email=email,
            timezone=tz,
            is_admin=admin,
        )
        db.session.add(extension)
        db.session.flush()
        for e164 in phones:
            db.session.add(PhoneNumber(account_id=account.id, extension_id=extension.id, e164=e164))
        by_number[number] = extension
    for first, last, company, e164 in data.DIRECTORY_CONTACTS:
        contact = Contact(
            account_id=account.id,
            source=ContactSource.DIRECTORY,
            first_name=first,
            last_name=last,
            company=company,
        )
        contact.phones.append(ContactPhone(e164=e164, label="work"))
        db.session.add(contact)
    for owner, first, last, e164 in data.PERSONAL_CONTACTS:
        contact = Contact(
            account_id=account.id,
            source=ContactSource.PERSONAL,
            owner_extension_id=by_number[owner].id,
            first_name=first,
            last_name=last,
        )
        contact.phones.append(ContactPhone(e164=e164))
        db.session.add(contact)
    db.session.commit()
    return account


class _History:
    """Writes seeded messages into mailboxes through the event sink, a page per mailbox
    (``flush``): a few statements per mailbox rather than a transaction per message."""

    def __init__(self, sink: EventSink, now: datetime, rng: random.Random) -> None:
        self.sink = sink
        self.now = now
        self.rng = rng
        self.pages: dict[int, tuple[Extension, list[dict], dict[str, bytes]]] = {}

    def write(self, owner: Extension, record: dict, content: dict[str, bytes]) -> None:
        _, records, media = self.pages.setdefault(owner.id, (owner, [], {}))
        records.append(record)
        media.update(content)

    def flush(self) -> None:
        for owner, records, media in self.pages.values():
            self.sink.records_changed(owner, records, media)
        self.pages.clear()

    def moment(self, max_days: int = 30) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(0.02, max_days))

    def deliver(
        self,
        owner: Extension,
        message_type: MessageType,
        outbound: bool,
        own: dict,
        other: dict,
        text: str,
        at: datetime,
        parts=(),
        pages=None,
        read: bool = True,
    ) -> None:
        sender, recipients = (own, [other]) if outbound else (other, [own])
        record, content = build_record(
            owner,
            message_type,
            "Outbound" if outbound else "Inbound",
            sender,
            recipients,
            text,
            at,
            list(parts),
            pages,
            read_status="Read" if read or outbound else "Unread",
        )
        self.write(owner, record, content)

    def sms_thread(
        self, owner: Extension, other: str, script, start: datetime, unread_tail: bool
    ) -> None:
        own = {"phoneNumber": owner.sms_numbers[0].e164, "name": owner.name}
        at = start
        for index, (direction, text) in enumerate(script):
            at += timedelta(minutes=self.rng.randint(1, 90))
            last = index == len(script) - 1
            self.deliver(
                owner,
                MessageType.SMS,
                direction == "out",
                own,
                {"phoneNumber": other},
                text,
                min(at, self.now),
                read=not (unread_tail and last),
            )

    def pager_thread(self, a: Extension, b: Extension, script, start: datetime) -> None:
        at = start
        for direction, text in script:
            at += timedelta(minutes=self.rng.randint(1, 20))
            sender, receiver = (a, b) if direction == "out" else (b, a)
            own = {"extensionNumber": sender.extension_number, "name": sender.name}
            other = {"extensionNumber": receiver.extension_number, "name": receiver.name}
            when = min(at, self.now)
            self.deliver(sender, MessageType.PAGER, True, own, other, text, when)
            self.deliver(
                receiver,
                MessageType.PAGER,
                False,
                other,
                own,
                text,
                when,
                read=when < self.now - timedelta(hours=6),
            )


def seed_history(account: Account, now: datetime | None = None) -> None:
    """Give every demo extension 30 days of SMS, MMS, voicemail, fax and pager history.

    The caller decides whether the sink announces it (history is not news).
    """
    history = _History(get_platform().sink, now or utcnow(), random.Random(2026))
    extensions = sorted(account.extensions, key=lambda e: e.extension_number)
    outside = [c[3] for c in data.DIRECTORY_CONTACTS] + [c[3] for c in data.PERSONAL_CONTACTS]
    outside += data.UNKNOWN_NUMBERS
    for position, owner in enumerate(extensions):
        rng = history.rng
        numbers = rng.sample(outside, k=min(len(outside), 7 + position % 3))
        for index, number in enumerate(numbers):
            script = data.SMS_SCRIPTS[(index + position) % len(data.SMS_SCRIPTS)]
            history.sms_thread(owner, number, script, history.moment(), unread_tail=index % 3 == 0)
        own = {"phoneNumber": owner.sms_numbers[0].e164, "name": owner.name}
        for index, (fmt, label, caption) in enumerate(data.MMS):
            part = MediaPart(
                "MmsAttachment",
                f"image/{fmt}",
                cached_media("mms", (fmt, label), partial(mms_image, fmt, label)),
                f"photo-{index + 1}.{'jpg' if fmt == 'jpeg' else fmt}",
            )
            history.deliver(
                owner,
                MessageType.SMS,
                False,
                own,
                {"phoneNumber": numbers[index % len(numbers)]},
                caption,
                history.moment(20),
                [part],
                read=index != 0,
            )
        for index, text in enumerate(data.VOICEMAILS):
            caller = data.DIRECTORY_CONTACTS[index][3] if index < 2 else data.UNKNOWN_NUMBERS[0]
            history.deliver(
                owner,
                MessageType.VOICEMAIL,
                False,
                own,
                {"phoneNumber": caller},
                text,
                history.moment(),
                [voicemail_part(text)],
                read=index > 0,
            )
        for index, (title, body) in enumerate(data.FAXES):
            sender = data.DIRECTORY_CONTACTS[2 - index][3]
            part, pages = fax_part(title, body, sender, own["phoneNumber"])
            history.deliver(
                owner,
                MessageType.FAX,
                False,
                own,
                {"phoneNumber": sender},
                "",
                history.moment(),
                [part],
                pages,
                read=index > 0,
            )
        for index, script in enumerate(data.PAGER_SCRIPTS):
            peer = extensions[(position + index + 1) % len(extensions)]
            if position < extensions.index(peer):
                history.pager_thread(owner, peer, script, history.moment(10))
    seed_group_sms(extensions[0], history)
    history.flush()


def seed_group_sms(owner: Extension, history: _History) -> None:
    """A group text: Jane writes to the extension and Sam; both reply in the same thread."""
    jane, sam = data.DIRECTORY_CONTACTS[0][3], data.DIRECTORY_CONTACTS[1][3]
    own = {"phoneNumber": owner.sms_numbers[0].e164, "name": owner.name}
    at = history.moment(5)
    lines = [
        (jane, "Looping in Sam for the install on Monday."),
        (sam, "Hi both, Monday 9 am works for me."),
        (None, "Great, I'll send the confirmation to you both."),
    ]
    for offset, (sender, text) in enumerate(lines):
        when = at + timedelta(minutes=7 * offset)
        if sender is None:
            record, content = build_record(
                owner,
                MessageType.SMS,
                "Outbound",
                own,
                [{"phoneNumber": jane}, {"phoneNumber": sam}],
                text,
                when,
            )
        else:
            others = [own] + [{"phoneNumber": n} for n in (jane, sam) if n != sender]
            record, content = build_record(
                owner,
                MessageType.SMS,
                "Inbound",
                {"phoneNumber": sender},
                others,
                text,
                when,
                read_status="Unread" if offset == 1 else "Read",
            )
        history.write(owner, record, content)
