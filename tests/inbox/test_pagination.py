"""Keyset pagination: every row once, in order, across page boundaries and ties; no OFFSET."""

from __future__ import annotations

import base64
import shutil
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from tests.helpers import html, sign_in
from tests.mailbox import ALICE_NUMBER, build_mailbox, make_test_app
from tests.records import T0, minutes, sms
from widget.extensions import db
from widget.inbox.ingest import ingest_record
from widget.inbox.service import ListFilter, list_conversations
from widget.models import Conversation, Extension, Message

PAGE_SIZE = 10


def _number(index: int) -> str:
    return f"+1212555{index:04d}"


def _seed_conversations(mailbox, count: int = 75) -> None:
    """``count`` conversations; runs of them share one last_message_at, across page edges."""
    for index in range(count):
        # Groups of 7 share a time, so ties straddle every page boundary of 10.
        created = T0 + minutes(index // 7) + timedelta(microseconds=123457)
        record = sms(f"5{index:04d}", other=_number(index), own=ALICE_NUMBER, created=created)
        ingest_record(mailbox.alice, record, "sandbox")
    db.session.commit()


def _expected_order(mailbox) -> list[int]:
    """Alice's conversation ids, newest first (``mailbox``: anything with ``.alice``)."""
    return list(
        db.session.scalars(
            select(Conversation.id)
            .where(Conversation.extension_id == mailbox.alice.id)
            .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        )
    )


def _page(client, headers, url):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.data
    page = html(response)
    ids = [int(li["data-conversation-id"]) for li in page.select("li[data-conversation-id]")]
    more = page.select_one("#load-more button")
    return ids, (more["hx-get"] if more else None)


@pytest.fixture(scope="module")
def paged_template(tmp_path_factory) -> Path:
    """A database with Alice's 75 conversations, built once for this module's tests."""
    root = tmp_path_factory.mktemp("paged")
    app = make_test_app(f"sqlite:///{root / 'paged.db'}", root)
    with app.app_context():
        db.create_all()
        _seed_conversations(build_mailbox())
        db.session.remove()
        db.engine.dispose()
    return root


@pytest.fixture
def paged(paged_template, tmp_path):
    """A private copy of the 75 conversations, Alice signed in, pages of ``PAGE_SIZE``."""
    shutil.copy(paged_template / "paged.db", tmp_path / "paged.db")
    app = make_test_app(f"sqlite:///{tmp_path / 'paged.db'}", tmp_path)
    app.config["PAGE_SIZE"] = PAGE_SIZE
    with app.app_context():
        client = app.test_client()
        headers = sign_in(client, "101")
        alice = db.session.scalars(select(Extension).where(Extension.extension_number == "101"))
        yield SimpleNamespace(client=client, headers=headers, alice=alice.one())
        db.session.remove()
        db.engine.dispose()


def test_load_more_walks_every_conversation_once_in_order(paged):
    client, headers = paged.client, paged.headers

    seen, pages, url = [], 0, "/widget/list"
    while url:
        ids, url = _page(client, headers, url)
        assert len(ids) <= PAGE_SIZE
        seen += ids
        pages += 1

    assert pages == 8
    assert seen == _expected_order(paged)
    assert len(seen) == len(set(seen)) == 75


def test_new_messages_between_pages_neither_repeat_nor_skip_older_rows(paged):
    client, headers = paged.client, paged.headers
    before = _expected_order(paged)

    first, url = _page(client, headers, "/widget/list")
    assert first == before[:PAGE_SIZE]
    # Meanwhile: a brand-new conversation, a reply in one already shown, and a reply in
    # one not yet shown (page 4) all jump to the top of the list.
    late = T0 + timedelta(days=1)
    moved_from_page_4 = before[35]
    moved_number = db.session.get(Conversation, moved_from_page_4).addresses[0]
    for message_id, number, offset in [
        ("6001", "+13125550100", 0),
        ("6002", db.session.get(Conversation, first[3]).addresses[0], 1),
        ("6003", moved_number, 2),
    ]:
        record = sms(message_id, other=number, own=ALICE_NUMBER, created=late + minutes(offset))
        ingest_record(paged.alice, record, "sandbox")
    db.session.commit()

    rest = []
    while url:
        ids, url = _page(client, headers, url)
        rest += ids

    assert not set(rest) & set(first)
    assert len(rest) == len(set(rest))
    assert rest == [i for i in before[PAGE_SIZE:] if i != moved_from_page_4]
    fresh, _ = _page(client, headers, "/widget/list")
    assert fresh[:3] == [moved_from_page_4, first[3], max(_expected_order(paged))]


def test_filtered_pages_also_walk_once(paged):
    client, headers = paged.client, paged.headers
    unread_ids = set(_expected_order(paged)[::4])
    for conversation in db.session.scalars(select(Conversation)):
        if conversation.id not in unread_ids:
            for message in conversation.messages:
                message.read_status = message.read_status.READ
            conversation.unread_count = 0
    db.session.commit()

    seen, url = [], "/widget/list?tab=text&unread=1"
    while url:
        ids, url = _page(client, headers, url)
        seen += ids
        if url:
            assert "tab=text" in url and "unread=1" in url  # the filter rides along

    assert seen == [i for i in _expected_order(paged) if i in unread_ids]


def test_the_list_query_never_uses_offset(paged):
    client, headers = paged.client, paged.headers
    executed: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        executed.append((statement, tuple(parameters)))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        url = "/widget/list"
        while url:
            _, url = _page(client, headers, url)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    list_queries = [(s, p) for s, p in executed if "FROM conversations" in s and "LIMIT" in s]
    assert len(list_queries) >= 8
    for statement, parameters in executed:
        if "OFFSET" in statement.upper():
            # SQLite's dialect always writes "LIMIT ? OFFSET ?" with a LIMIT; the offset
            # bound (the last parameter) must be 0 on every page, deep ones included.
            assert statement.rstrip().endswith("LIMIT ? OFFSET ?")
            assert parameters[-1] == 0, statement


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "%%%",
        _cursor("abc:def"),
        _cursor("1:2:3"),
        _cursor("1717340400000000"),
        base64.urlsafe_b64encode(b"\xff\xfe:\x00").decode(),
        _cursor("99999999999999999999999:5"),  # a year past 9999
        _cursor("-99999999999999999999999:5"),
        _cursor("1717340400000000:99999999999999999999999"),  # no such row id
        _cursor("1717340400000000:-5"),
    ],
)
def test_an_invalid_cursor_is_a_clear_400(app, mailbox, cursor):
    client = app.test_client()
    headers = sign_in(client, "101")

    response = client.get("/widget/list", query_string={"before": cursor}, headers=headers)

    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    box = html(response).select_one(".error-box")
    assert "page position is not valid" in box.get_text()


def test_thread_pages_walk_every_message_once_in_order(app, mailbox):
    for index in range(120):
        created = T0 + minutes(index // 9)  # ties across the 50-message page edge
        record = sms(f"8{index:04d}", other=_number(1), own=ALICE_NUMBER, created=created)
        record["subject"] = f"message {index}"
        ingest_record(mailbox.alice, record, "sandbox")
    db.session.commit()
    conversation_id = db.session.scalar(select(Conversation.id))
    client = app.test_client()
    headers = sign_in(client, "101")

    page = html(client.get(f"/widget/conversations/{conversation_id}", headers=headers))
    seen = [int(li["data-message-id"]) for li in page.select("li[data-message-id]")]
    button = page.select_one(".load-earlier button")
    while button is not None:
        earlier = html(client.get(button["hx-get"], headers=headers))
        seen = [int(li["data-message-id"]) for li in earlier.select("li[data-message-id]")] + seen
        button = earlier.select_one(".load-earlier button")

    expected = list(db.session.scalars(select(Message.id).order_by(Message.created_at, Message.id)))
    assert seen == expected
    assert len(set(seen)) == 120


@pytest.mark.postgres
def test_keyset_pages_on_postgresql_walk_every_row_once(pg_app):
    with pg_app.app_context():
        mailbox = build_mailbox()
        _seed_conversations(mailbox, count=33)

        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", _record_into(statements))

        seen, cursor = [], None
        while True:
            page = list_conversations(mailbox.alice, ListFilter(), cursor, limit=PAGE_SIZE)
            seen += [c.id for c in page.rows]
            cursor = page.next_cursor
            if cursor is None:
                break

        assert seen == _expected_order(mailbox)
        assert len(set(seen)) == 33
        assert len([s for s in statements if "LIMIT" in s]) == 4
        assert not [s for s in statements if "OFFSET" in s.upper()]


def _record_into(statements: list[str]):
    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    return record
