"""The shared inbox of ``bench/inbox_list.py``: the demo's "Support" queue (101, 102 and
103 are members), its mailbox's text conversations seeded like a person's, and one case
on each (resolved, held or waiting), so the list's search reads a queue mailbox too."""

from __future__ import annotations

import random

from bench.inbox_people import insert_rows
from widget.models import Channel, Extension, Queue, QueueConversation
from widget.queues.manage import seed_demo_queue


def queue_mailbox(
    seeder, target: Extension, colleagues, customers, n: int, m: int
) -> tuple[Queue | None, list]:
    """With ``n`` conversations: the demo's Support queue (committed) and ``n`` plans of
    ``m`` messages for its mailbox, texts only (customers text a queue's number), made
    as ``_Seeder.plan`` makes them for a person. With none: no queue."""
    if n <= 0:
        return None, []
    queue = seed_demo_queue(target.account)
    plans = seeder.plan(queue.mailbox, colleagues, customers, n, m)
    return queue, [p for p in plans if p["channel"] == Channel.TEXT]


def seed_cases(queue: Queue, plans: list[dict], holder: Extension, rng: random.Random) -> None:
    """One case per queue conversation: 60 % resolved, 20 % held by ``holder``, the rest
    waiting (its messages are the whole conversation: no ``first_message_id``)."""
    rows = []
    for plan in plans:
        draw = rng.random()
        resolved = plan["last_at"] if draw < 0.6 else None
        claimed = holder.id if 0.6 <= draw < 0.8 else None
        rows.append(
            {
                "queue_id": queue.id,
                "conversation_id": plan["id"],
                "claimed_by_id": claimed,
                "claimed_at": plan["last_at"] if claimed else None,
                "resolved_at": resolved,
                "resolved_by_id": holder.id if resolved else None,
                "resolve_reason": "Resolved" if resolved else None,
                "opened_at": plan["first_at"],
                "waiting_since": None if resolved or claimed else plan["first_at"],
                "last_message_at": plan["last_at"],
            }
        )
    insert_rows(QueueConversation.__table__, rows)
