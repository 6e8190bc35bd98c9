"""Helpers for queue tests: a "Support" queue on the demo account and texts into it."""

from __future__ import annotations

from sqlalchemy import select

from widget.extensions import db
from widget.models import Extension, QueueConversation
from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound
from widget.queues import manage

SUPPORT_NUMBER = "+16505550150"  # the demo's "Support" queue: 101, 102, 103
CUSTOMER = "+14155550123"


def extension(number: str) -> Extension:
    return db.session.scalars(select(Extension).where(Extension.extension_number == number)).one()


def queue_named(name: str):
    return manage.queue_named(extension("101").account, name)


def make_queue(name: str, number: str, members=("101", "102", "103"), **settings):
    """Create and commit a queue with ``members`` (demo extension numbers), all available."""
    account = extension("101").account
    queue = manage.create_queue(account, name, [number], **settings)
    for member in members:
        manage.add_member(queue, extension(member))
    db.session.commit()
    return queue


def text_in(body: str, to: str = SUPPORT_NUMBER, sender: str = CUSTOMER, at=None):
    """A customer texts ``to``; return the stored message (through sandbox ingestion)."""
    inbound = parse_inbound({"from": sender, "to": to, "text": body, "type": "SMS"})
    return deliver_inbound(inbound, at=at)


def case_of(message) -> QueueConversation:
    return db.session.scalars(
        select(QueueConversation)
        .where(QueueConversation.conversation_id == message.conversation_id)
        .order_by(QueueConversation.id.desc())
    ).first()
