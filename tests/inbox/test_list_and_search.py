"""The message list: type tabs, the Unread filter, search, names and unread counts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.helpers import html, sign_in
from tests.mailbox import ALICE_NUMBER, JANE, MARCO, demo_extension
from tests.records import T0, minutes, sms
from widget.contacts.service import names_for
from widget.extensions import db
from widget.inbox.ingest import ingest_record
from widget.inbox.service import ListFilter, list_conversations, unread_counts
from widget.models import (
    Availability,
    Channel,
    Conversation,
    Direction,
    Message,
    ReadStatus,
)

JANE_ROE = "+14155550123"
ACME = "+16175550199"
MARCO_ROSSI = "+15035550177"  # a personal contact of Alice (101) only


def _rows(response) -> list[dict]:
    return [
        {
            "id": int(li["data-conversation-id"]),
            "channel": li["data-channel"],
            "who": li.select_one(".who").get_text(strip=True),
            "preview": li.select_one(".preview").get_text(strip=True),
            "unread": "unread" in li["class"],
        }
        for li in html(response).select("li[data-conversation-id]")
    ]


def _list(client, headers, **params):
    response = client.get("/widget/list", query_string=params, headers=headers)
    assert response.status_code == 200, response.data
    return response


def _alive(extension_number: str):
    extension = demo_extension(extension_number)
    return list(
        db.session.scalars(
            select(Conversation).where(
                Conversation.extension_id == extension.id,
                Conversation.availability == Availability.ALIVE,
            )
        )
    )


@pytest.fixture
def alice(demo_client, demo_db):
    return demo_client, sign_in(demo_client, "101")


@pytest.mark.parametrize("tab", ["text", "voicemail", "fax", "pager"])
def test_each_tab_lists_exactly_its_channel(alice, tab):
    client, headers = alice

    rows = _rows(_list(client, headers, tab=tab))

    expected = {c.id for c in _alive("101") if c.channel == Channel(tab)}
    assert expected, f"the demo should have {tab} conversations for Alice"
    assert {r["id"] for r in rows} == expected
    assert {r["channel"] for r in rows} == {tab}


def test_all_tab_lists_every_channel_newest_first(alice):
    client, headers = alice

    rows = _rows(_list(client, headers, tab="all"))

    conversations = sorted(_alive("101"), key=lambda c: (c.last_message_at, c.id), reverse=True)
    assert [r["id"] for r in rows] == [c.id for c in conversations]
    assert {r["channel"] for r in rows} == {"text", "voicemail", "fax", "pager"}


def test_unread_filter_lists_only_conversations_with_unread_messages(alice):
    client, headers = alice

    rows = _rows(_list(client, headers, tab="all", unread="1"))

    expected = {c.id for c in _alive("101") if c.unread_count}
    assert expected and {r["id"] for r in rows} == expected
    assert all(r["unread"] for r in rows)
    voicemail_only = _rows(_list(client, headers, tab="voicemail", unread="1"))
    assert {r["id"] for r in voicemail_only} == {
        c.id for c in _alive("101") if c.unread_count and c.channel == Channel.VOICEMAIL
    }


def _ids_with_party(extension_number: str, address: str) -> set[int]:
    return {c.id for c in _alive(extension_number) if address in c.addresses}


def test_search_by_directory_contact_name(alice):
    client, headers = alice

    rows = _rows(_list(client, headers, q="jane roe"))

    assert {r["id"] for r in rows} == _ids_with_party("101", JANE_ROE)
    assert any(r["who"] == "Jane Roe" for r in rows)


def test_search_by_company_name(alice):
    client, headers = alice

    rows = _rows(_list(client, headers, q="Acme"))

    assert {r["id"] for r in rows} == _ids_with_party("101", ACME)


def test_search_by_personal_contact_name_is_the_owners_alone(demo_client, demo_db):
    alice_headers = sign_in(demo_client, "101")
    alice_rows = _rows(_list(demo_client, alice_headers, q="Marco"))
    assert {r["id"] for r in alice_rows} == _ids_with_party("101", MARCO_ROSSI)
    assert [r["who"] for r in alice_rows] == ["Marco Rossi"]

    bob_headers = sign_in(demo_client, "102")
    assert _ids_with_party("102", MARCO_ROSSI), "Bob also talks to Marco's number"
    assert _rows(_list(demo_client, bob_headers, q="Marco")) == []
    bob_rows = _rows(_list(demo_client, bob_headers, q="503-555-0177"))
    assert [r["who"] for r in bob_rows] == ["(503) 555-0177"]  # Alice's contact stays hers


def test_search_by_extension_name_finds_pager_conversations(alice):
    client, headers = alice

    rows = _rows(_list(client, headers, q="Bob"))

    assert {r["id"] for r in rows} == _ids_with_party("101", "102")
    assert rows[0]["who"] == "Bob Martinez"


@pytest.mark.parametrize("typed", ["(415) 555-0123", "415555", "+1 415 555 0123"])
def test_search_by_number_digits(alice, typed):
    client, headers = alice

    rows = _rows(_list(client, headers, q=typed))

    assert {r["id"] for r in rows} == _ids_with_party("101", JANE_ROE)


def test_search_by_message_text(alice):
    client, headers = alice

    rows = _rows(_list(client, headers, q="PALLET"))

    with_text = {
        c.id for c in _alive("101") if any("pallet" in m.subject.lower() for m in c.messages)
    }
    assert with_text and {r["id"] for r in rows} == with_text


def test_search_finds_voicemails_by_their_transcription(alice):
    client, headers = alice

    rows = _rows(_list(client, headers, q="tax was ADDED twice"))

    transcribed = {
        c.id
        for c in _alive("101")
        if any("tax was added twice" in (m.transcription or "") for m in c.messages)
    }
    assert transcribed and {r["id"] for r in rows} == transcribed
    assert {r["channel"] for r in rows} == {"voicemail"}


def test_search_without_match_shows_the_empty_state(alice):
    client, headers = alice

    page = html(_list(client, headers, q="zebra <i>crossing</i>"))

    assert page.select("li[data-conversation-id]") == []
    empty = page.select_one("li.empty")
    assert empty.get_text(strip=True) == "No conversations match “zebra <i>crossing</i>”."
    assert page.find("i") is None  # the query is shown as text, never as markup


def test_names_replace_numbers_and_unknown_numbers_are_formatted(alice):
    client, headers = alice

    rows = {r["id"]: r for r in _rows(_list(client, headers))}

    for conversation in _alive("101"):
        row = rows[conversation.id]
        if conversation.addresses == [JANE_ROE]:
            assert row["who"] == "Jane Roe"
        elif conversation.addresses == ["+19175550112"]:
            assert row["who"] == "(917) 555-0112"
        elif conversation.addresses == ["+442079460123"]:
            assert row["who"] == "Oliver Brooks"
        elif conversation.addresses == ["102"]:
            assert row["who"] == "Bob Martinez"
    group = next(c for c in _alive("101") if len(c.addresses) == 2)
    assert rows[group.id]["who"] == "Sam Okafor, Jane Roe"


def test_message_text_in_rows_is_escaped(alice):
    client, headers = alice
    attack = '<img src=x onerror="alert(1)"> <b>bold</b> & more'
    delivered = client.post(
        "/sandbox/inbound", json={"from": JANE_ROE, "to": ALICE_NUMBER, "text": attack}
    )
    assert delivered.status_code == 201

    page = html(_list(client, headers, q="bold"))

    row = page.select_one(f"li[data-conversation-id='{delivered.json['conversation_id']}']")
    preview = row.select_one(".preview")
    assert preview.find("img") is None and preview.find("b") is None
    assert preview.get_text() == attack


def test_tab_counts_equal_the_unread_messages_in_the_database(alice):
    client, headers = alice
    page = html(
        client.get("/widget/", headers={k: v for k, v in headers.items() if k != "HX-Request"})
    )

    shown = {b["id"].removeprefix("count-"): int(b["data-count"]) for b in page.select(".badge")}

    extension = demo_extension("101")
    real = dict.fromkeys(["text", "voicemail", "fax", "pager"], 0)
    for channel, count in db.session.execute(
        select(Conversation.channel, func.count(Message.id))
        .join(Message, Message.conversation_id == Conversation.id)
        .where(
            Message.extension_id == extension.id,
            Message.read_status == ReadStatus.UNREAD,
            Message.direction == Direction.INBOUND,
            Message.availability == Availability.ALIVE,
        )
        .group_by(Conversation.channel)
    ):
        real[Channel(channel).value] = count
    real["all"] = sum(real.values())
    assert real["all"] > 0
    assert shown == real
    assert unread_counts(extension) == real


# --------------------------------------------- service level, on a mailbox we control


def _ingest_texts(mailbox, texts: dict[str, str]) -> dict[str, int]:
    """One conversation per text, each with its own number; return text -> conversation id."""
    ids = {}
    for index, (key, text) in enumerate(texts.items()):
        record = sms(
            f"77{index}",
            other=f"+1212555{index:04d}",
            own=ALICE_NUMBER,
            text=text,
            created=T0 + minutes(index),
        )
        ids[key] = ingest_record(mailbox.alice, record, "sandbox").message.conversation_id
    db.session.commit()
    return ids


def _search(mailbox, query: str) -> set[int]:
    return {c.id for c in list_conversations(mailbox.alice, ListFilter(query=query)).rows}


def test_like_wildcards_in_search_match_literally(any_db_mailbox):
    mailbox = any_db_mailbox
    ids = _ingest_texts(
        mailbox,
        {
            "percent": "save 50% today",
            "underscore": "file report_final.pdf",
            "plain": "save 50 percent; reportXfinal",
            "backslash": r"path C:\temp",
        },
    )

    assert _search(mailbox, "%") == {ids["percent"]}
    assert _search(mailbox, "50%") == {ids["percent"]}
    assert _search(mailbox, "_") == {ids["underscore"]}
    assert _search(mailbox, "report_final") == {ids["underscore"]}
    assert _search(mailbox, "\\") == {ids["backslash"]}
    assert _search(mailbox, "%%%") == set()


def test_personal_contact_names_resolve_only_for_their_owner(any_db_mailbox):
    mailbox = any_db_mailbox
    assert names_for(mailbox.alice, {MARCO, JANE}) == {MARCO: "Marco Rossi", JANE: "Jane Roe"}
    assert names_for(mailbox.bob, {MARCO, JANE}) == {JANE: "Jane Roe"}
    assert names_for(mailbox.bob, {"101", ALICE_NUMBER}) == {
        "101": "Alice Chen",
        ALICE_NUMBER: "Alice Chen",
    }
