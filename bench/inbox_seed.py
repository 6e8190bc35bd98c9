"""Seed a large, realistic mailbox fast, for ``bench/inbox_list.py``.

Rows go in with SQLAlchemy Core ``insert()`` executemany in batches, not through the
ORM ingestion (which would take minutes for 100,000 messages). The data still looks
like what ingestion produces: conversations carry the denormalized summary
(``last_message_at``, ``preview``, ``unread_count``, ``message_count``, availability)
of their alive messages (``inbox_list.check_consistency`` proves it on a sample by
running the real ``refresh_conversation`` over them).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from bench.harness import sync_sequences
from bench.inbox_people import (
    BATCH,
    OTHER_EXTENSIONS,
    TARGET_EXTENSION,
    fictional_numbers,
    insert_rows,
    seed_people_and_contacts,
)
from bench.inbox_queue import queue_mailbox, seed_cases
from widget.extensions import db
from widget.inbox.ingest import participants_key, preview_text
from widget.models import (
    Attachment,
    Availability,
    Channel,
    Conversation,
    ConversationKind,
    Direction,
    Extension,
    Message,
    MessageStatus,
    MessageType,
    ReadStatus,
)
from widget.models.types import utcnow
from widget.platforms.sandbox import seed_data as demo

TEXTS = [text for script in demo.SMS_SCRIPTS for _, text in script] + [
    "Can you send the contract again? The link expired.",
    "We're outside, which door should we use?",
    "Thanks for the quick reply 👍",
    "Please call me when you are free.",
]
PAGER_TEXTS = [text for script in demo.PAGER_SCRIPTS for _, text in script]
# (channel, share of conversations, relative thread length, share of them unread)
CHANNEL_MIX = [
    (Channel.TEXT, 0.79, 1.0, 0.10),
    (Channel.VOICEMAIL, 0.12, 0.15, 0.35),
    (Channel.FAX, 0.05, 0.15, 0.20),
    (Channel.PAGER, 0.04, 0.6, 0.15),
]
TYPE_OF = {
    Channel.TEXT: MessageType.SMS,
    Channel.VOICEMAIL: MessageType.VOICEMAIL,
    Channel.FAX: MessageType.FAX,
    Channel.PAGER: MessageType.PAGER,
}


@dataclass(frozen=True)
class SeedSummary:
    target_id: int
    alive_conversations: int  # of the target extension: what the list pages through
    messages: int  # every extension
    conversations: int
    attachments: int
    contacts: int
    seconds: float


class _Seeder:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.next_conversation_id = 1
        self.next_message_id = 1
        self.counts = {"messages": 0, "conversations": 0, "attachments": 0}

    def plan(self, owner: Extension, colleagues: list[str], customers: list[str], n: int, m: int):
        """Return ``n`` conversation plans for ``owner`` sharing ``m`` messages."""
        rng = self.rng
        n = max(1, min(n, m))
        plans, used = [], set()
        channels = rng.choices(
            [c for c, *_ in CHANNEL_MIX], weights=[s for _, s, *_ in CHANNEL_MIX], k=n
        )
        pool = {c: list(customers) for c, *_ in CHANNEL_MIX}
        for channel in pool.values():
            rng.shuffle(channel)
        mates = [c for c in colleagues if c != owner.extension_number]
        for channel in channels:
            for _ in range(50):
                if channel == Channel.PAGER:
                    others = sorted(rng.sample(mates, 1 if rng.random() < 0.6 else 2))
                elif channel == Channel.TEXT and rng.random() < 0.06:
                    others = sorted(rng.sample(customers, rng.randint(2, 4)))
                else:
                    others = [pool[channel].pop()] if pool[channel] else rng.sample(customers, 1)
                key = (channel, participants_key(others))
                if key not in used:
                    used.add(key)
                    break
            else:
                continue
            plans.append({"channel": channel, "others": others})
        lengths = {c: f for c, _, f, _ in CHANNEL_MIX}
        weights = [rng.paretovariate(1.3) * lengths[p["channel"]] for p in plans]
        total = sum(weights)
        counts = [max(1, int(m * w / total)) for w in weights]
        for index in rng.sample(range(len(plans)), len(plans)) * 50:
            if sum(counts) >= m:
                break
            counts[index] += 1
        for plan, count in zip(plans, counts, strict=True):
            age = timedelta(days=365 * rng.random() ** 2, seconds=rng.uniform(60, 3600))
            plan["last_at"] = (self.now - age).replace(microsecond=rng.randrange(1000) * 1000)
            hours = min(count * rng.expovariate(1 / 8), 24 * 200)
            plan["first_at"] = plan["last_at"] - timedelta(hours=hours)
            plan["count"] = count
            plan["owner"] = owner
        return plans

    def write(self, plans: list[dict]) -> None:
        """Insert conversations (ids in creation order) and their messages, chunk by chunk."""
        plans.sort(key=lambda p: p["first_at"])
        for plan in plans:
            plan["id"] = self.next_conversation_id
            self.next_conversation_id += 1
        chunk: list[dict] = []
        size = 0
        for plan in plans:
            chunk.append(plan)
            size += plan["count"]
            if size >= BATCH:
                self._write_chunk(chunk)
                chunk, size = [], 0
        if chunk:
            self._write_chunk(chunk)

    def _write_chunk(self, plans: list[dict]) -> None:
        conversations, messages, attachments = [], [], []
        for plan in plans:
            rows, parts = self._messages(plan)
            conversations.append(self._summary(plan, rows, parts))
            messages.extend(rows)
            attachments.extend(p for found in parts.values() for p in found)
        insert_rows(Conversation.__table__, conversations)
        insert_rows(Message.__table__, messages)
        insert_rows(Attachment.__table__, attachments)
        self.counts["conversations"] += len(conversations)
        self.counts["messages"] += len(messages)
        self.counts["attachments"] += len(attachments)

    def _messages(self, plan: dict) -> tuple[list[dict], dict[int, list[dict]]]:
        rng, owner, channel = self.rng, plan["owner"], plan["channel"]
        message_type = TYPE_OF[channel]
        own = owner.extension_number if channel == Channel.PAGER else owner.phone_numbers[0].e164
        span = (plan["last_at"] - plan["first_at"]).total_seconds()
        moments = sorted(
            plan["first_at"] + timedelta(seconds=rng.uniform(0, span))
            for _ in range(plan["count"] - 1)
        ) + [plan["last_at"]]
        inbound_share = {Channel.VOICEMAIL: 1.0, Channel.FAX: 0.8}.get(channel, 0.55)
        all_deleted = rng.random() < 0.01
        unread_left = rng.randint(1, 3) if rng.random() < _unread_share(channel) else 0
        rows, parts = [], {}
        for moment in moments:
            inbound = rng.random() < inbound_share
            rows.append(self._message(plan, message_type, own, moment, inbound, all_deleted, parts))
        for row in reversed(rows):  # the newest inbound messages since the last reply
            if row["direction"] == Direction.OUTBOUND or not unread_left:
                break
            if row["availability"] == Availability.ALIVE:
                row["read_status"] = ReadStatus.UNREAD
                unread_left -= 1
        return rows, parts

    def _message(self, plan, message_type, own, moment, inbound, all_deleted, parts) -> dict:
        rng, owner = self.rng, plan["owner"]
        message_id = self.next_message_id
        self.next_message_id += 1
        others = plan["others"]
        sender = rng.choice(others) if inbound else own
        recipients = [own, *[o for o in others if o != sender]] if inbound else others
        subject, transcription = "", None
        if message_type == MessageType.SMS:
            subject = rng.choice(TEXTS)
        elif message_type == MessageType.PAGER:
            subject = rng.choice(PAGER_TEXTS)
        elif message_type == MessageType.VOICEMAIL:
            transcription = rng.choice(demo.VOICEMAILS) if rng.random() < 0.8 else None
        parts[message_id] = self._parts(message_id, message_type, transcription)
        if message_type == MessageType.SMS and parts[message_id] and rng.random() < 0.4:
            subject = ""  # a picture on its own: previews as "Picture message"
        deleted = all_deleted or rng.random() < 0.01
        status = MessageStatus.RECEIVED
        if not inbound:
            roll = rng.random()
            status = (
                MessageStatus.SENT
                if message_type in (MessageType.PAGER, MessageType.FAX) or roll < 0.08
                else MessageStatus.DELIVERY_FAILED
                if roll < 0.11
                else MessageStatus.SENDING_FAILED
                if roll < 0.13
                else MessageStatus.DELIVERED
            )
        modified = moment + timedelta(seconds=rng.uniform(1, 600))
        return {
            "id": message_id,
            "extension_id": owner.id,
            "conversation_id": plan["id"],
            "platform": "sandbox",
            "platform_message_id": f"bench-{message_id}",
            "platform_conversation_id": f"conv-{plan['id']}",
            "type": message_type,
            "direction": Direction.INBOUND if inbound else Direction.OUTBOUND,
            "from_address": sender,
            "from_name": None if inbound else owner.name,
            "to_parties": [
                {"address": a, "name": None, "status": status.value, "internal": a.isdigit()}
                for a in recipients
            ],
            "subject": subject,
            "message_status": status,
            "read_status": ReadStatus.READ,
            "availability": Availability.DELETED if deleted else Availability.ALIVE,
            "priority": "Normal",
            "transcription": transcription,
            "created_at": moment,
            "last_modified_at": modified,
            "deleted_at": modified if deleted else None,
            "purged_at": None,
        }

    def _parts(self, message_id: int, message_type: MessageType, transcription) -> list[dict]:
        rng = self.rng

        def part(suffix, kind, content_type, **extra) -> dict:
            row = {
                "message_id": message_id,
                "platform_attachment_id": f"{message_id}{suffix}",
                "kind": kind,
                "content_type": content_type,
                "size": rng.randint(2_000, 600_000),
                "filename": None,
                "platform_uri": f"sandbox://bench/{message_id}/{suffix}",
                "storage_path": None,
                "duration_seconds": None,
                "page_count": None,
                "width": None,
                "height": None,
            }
            row.update(extra)
            return row

        if message_type == MessageType.VOICEMAIL:
            found = [
                part(
                    "1",
                    "AudioRecording",
                    "audio/wav",
                    filename="voicemail.wav",
                    duration_seconds=float(rng.randint(4, 90)),
                )
            ]
            if transcription:
                found.append(part("t", "AudioTranscription", "text/plain"))
            return found
        if message_type == MessageType.FAX:
            pages = rng.choice([1, 1, 1, 2, 3, 5, 12])
            return [part("1", "RenderedDocument", "application/pdf", page_count=pages)]
        if message_type == MessageType.SMS and rng.random() < 0.05:
            return [
                part(
                    "1", "MmsAttachment", "image/jpeg", filename="photo.jpg", width=600, height=450
                )
            ]
        return []

    def _summary(self, plan: dict, rows: list[dict], parts: dict[int, list[dict]]) -> dict:
        """The conversation row as ``refresh_conversation`` would leave it."""
        alive = [r for r in rows if r["availability"] == Availability.ALIVE]
        latest = alive[-1] if alive else rows[-1]
        others = plan["others"]
        if plan["channel"] == Channel.PAGER:
            kind = ConversationKind.PAGER
        else:
            kind = ConversationKind.GROUP if len(others) > 1 else ConversationKind.DIRECT
        unread = sum(
            1
            for r in alive
            if r["read_status"] == ReadStatus.UNREAD and r["direction"] == Direction.INBOUND
        )
        return {
            "id": plan["id"],
            "extension_id": plan["owner"].id,
            "channel": plan["channel"],
            "kind": kind,
            "participants": participants_key(others),
            "platform_conversation_id": f"conv-{plan['id']}",
            "title": None,
            "availability": Availability.ALIVE if alive else Availability.DELETED,
            "last_message_at": latest["created_at"],
            "last_message_type": latest["type"],
            "last_direction": latest["direction"],
            "preview": _preview(latest, parts[latest["id"]]),
            "unread_count": unread,
            "message_count": len(alive),
            "created_at": rows[0]["created_at"],
        }


def _unread_share(channel: Channel) -> float:
    return next(share for c, _, _, share in CHANNEL_MIX if c == channel)


def _preview(row: dict, parts: list[dict]) -> str:
    """The ingestion's own ``preview_text``, applied to a plain row."""
    attachments = [SimpleNamespace(**p) for p in parts]
    message = SimpleNamespace(
        type=row["type"],
        subject=row["subject"],
        attachments=attachments,
        is_mms=any(p["kind"] == "MmsAttachment" for p in parts),
    )
    return preview_text(message)


def seed_mailboxes(
    messages: int,
    conversations: int,
    other_share: float = 0.5,
    seed: int = 2,
    queue_share: float = 0.0,
) -> SeedSummary:
    """Seed the demo people plus ``messages`` over ``conversations`` for extension 101.

    Extensions 102-105 get ``other_share`` as much again between them, with the same
    customers, so tenant filtering is exercised by every query. With ``queue_share``, the
    demo's "Support" queue (101, 102 and 103 are members) gets that share of 101's
    figures as its own mailbox's text conversations, each with one case
    (``bench.inbox_queue``).
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    seeder = _Seeder(rng, now)
    customers = fictional_numbers(rng)[: max(50, int(conversations * 1.1))]
    extensions, contacts = seed_people_and_contacts(rng, now, customers)
    colleagues = [n for n in extensions if n != TARGET_EXTENSION]
    target = extensions[TARGET_EXTENSION]
    plans = seeder.plan(target, colleagues, customers, conversations, messages)
    others = [extensions[n] for n in OTHER_EXTENSIONS]
    for owner in others:
        share = other_share / len(others)
        plans += seeder.plan(
            owner, colleagues, customers, int(conversations * share), int(messages * share)
        )
    share = (int(conversations * queue_share), int(messages * queue_share))
    queue, queue_plans = queue_mailbox(seeder, target, colleagues, customers, *share)
    plans += queue_plans
    seeder.write(plans)
    if queue is not None:
        seed_cases(queue, queue_plans, extensions["102"], rng)
    sync_sequences(("conversations", "messages", "contacts"))
    db.session.commit()
    alive = db.session.scalar(
        select(func.count()).where(
            Conversation.extension_id == target.id,
            Conversation.availability == Availability.ALIVE,
        )
    )
    return SeedSummary(
        target_id=target.id,
        alive_conversations=alive,
        messages=seeder.counts["messages"],
        conversations=seeder.counts["conversations"],
        attachments=seeder.counts["attachments"],
        contacts=contacts,
        seconds=time.perf_counter() - started,
    )
