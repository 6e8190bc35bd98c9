"""The sidebar's main search finds the conversations of the searcher's queues too.

A member searching a customer's name, number or message text sees the matching
conversations of their queues in the list, marked with the queue's name and claim
state, opening as queue conversations do. Anyone else never sees them (not listed,
404 on the id), and a queue's row costs the list no statement per row.
"""

from __future__ import annotations

import pytest

from tests.helpers import add_contact, html, sign_in
from tests.queues.support import CUSTOMER, case_of, extension, make_queue, text_in
from tests.queues.test_queue_views import _statements
from widget.extensions import db
from widget.inbox.fragments import list_context
from widget.inbox.service import ListFilter, list_conversations
from widget.models import ContactSource
from widget.queues import cases


def _found(viewer: str, query: str) -> list[int]:
    page = list_conversations(extension(viewer), ListFilter(query=query))
    return [c.id for c in page.rows]


def _rows(viewer: str, query: str) -> dict[int, object]:
    rows = list_context(extension(viewer), ListFilter(query=query))["rows"]
    return {row.conversation.id: row for row in rows}


def test_members_find_queue_conversations_by_text_number_and_name(support, queue_app):
    message = text_in("Where is my parcel, order 7781?")
    conversation_id = message.conversation_id
    alice = extension("101")
    add_contact(alice.account_id, CUSTOMER, ContactSource.PERSONAL, alice.id, first_name="Zelda")
    with queue_app.test_request_context():
        assert conversation_id in _found("101", "parcel")  # a word of the text
        assert conversation_id in _found("101", "parc")  # as a word prefix
        assert conversation_id in _found("101", "555-0123")  # the number, any format
        assert conversation_id in _found("101", "Zelda")  # Alice's own contact's name
        assert conversation_id in _found("102", "parcel")  # another member
        assert conversation_id not in _found("102", "Zelda")  # Alice's contact, not Bob's
        assert conversation_id not in _found("104", "parcel")  # Dev is in no queue
        assert conversation_id not in _found("104", "555-0123")
        assert conversation_id not in _found("101", "nothing-like-it")
        # Without a search the list stays one's own: the Queue section lists the queue.
        plain = list_conversations(alice, ListFilter())
        assert conversation_id not in [c.id for c in plain.rows]


def test_rows_carry_the_queue_name_claim_state_and_the_matching_words(support, queue_app):
    waiting = case_of(text_in("refund for the blue kettle", sender="+13125550001"))
    mine = case_of(text_in("refund for the red kettle", sender="+13125550002"))
    bobs = case_of(text_in("refund for the green kettle", sender="+13125550003"))
    done = case_of(text_in("refund for the old kettle", sender="+13125550004"))
    cases.claim(extension("101"), mine.id)
    cases.claim(extension("102"), bobs.id)
    cases.resolve(extension("101"), done.id, "Resolved")
    direct = extension("101").phone_numbers[0].e164
    own = text_in("refund for my own kettle", to=direct, sender="+13125550005")
    with queue_app.test_request_context():
        rows = _rows("101", "kettle")
    states = {cid: (r.queue.queue_name, r.queue.state) for cid, r in rows.items() if r.queue}
    assert states == {
        waiting.conversation_id: ("Support", "Waiting"),
        mine.conversation_id: ("Support", "Claimed by you"),
        bobs.conversation_id: ("Support", "Claimed by Bob Martinez"),
        done.conversation_id: ("Support", "Resolved"),
    }
    assert rows[own.conversation_id].queue is None  # Alice's own conversation
    assert "<mark>kettle</mark>" in str(rows[waiting.conversation_id].snippet)


def test_another_queues_conversations_stay_hidden(support, queue_app):
    make_queue("Billing", "+16505550177", members=("103",))
    billing = text_in("invoice question", to="+16505550177")
    support_case = case_of(text_in("invoice for support"))
    with queue_app.test_request_context():
        assert _found("101", "invoice") == [support_case.conversation_id]
        assert set(_found("103", "invoice")) == {
            billing.conversation_id,
            support_case.conversation_id,
        }
    # Transferred to Billing: Support's members no longer read it, in search or by id.
    cases.transfer(extension("101"), support_case.id, to_queue_id=case_of(billing).queue_id)
    with queue_app.test_request_context():
        assert _found("101", "invoice") == []


def test_the_deleted_view_never_lists_queue_conversations(support, queue_app):
    text_in("parcel lost")
    with queue_app.test_request_context():
        page = list_conversations(extension("101"), ListFilter(query="parcel", deleted=True))
    assert page.rows == []


@pytest.fixture
def clients(demo_app):
    alice, dev = demo_app.test_client(), demo_app.test_client()
    return {"alice": (alice, sign_in(alice, "101")), "dev": (dev, sign_in(dev, "104"))}


def _get(person, url):
    client, headers = person
    return client.get(url, headers=headers)


def test_over_http_a_member_sees_and_opens_it_and_others_get_404(demo_app, clients):
    with demo_app.app_context():
        case = case_of(text_in("Lost <b>zebra</b> parcel", sender="+13125550042"))
        case_id, conversation_id = case.id, case.conversation_id
    listed = html(_get(clients["alice"], "/widget/list?q=zebra"))
    row = listed.find(id=f"conversation-{conversation_id}")
    assert row is not None and "queue-row" in row["class"]
    assert row["data-case-id"] == str(case_id)
    assert row.find(class_="row-queue").get_text(" ", strip=True) == "Queue · Support · Waiting"
    assert row.find("mark").get_text() == "zebra"
    assert "<b>" not in str(row.find(class_="preview"))  # the customer's text, escaped
    opened = _get(clients["alice"], row.find("a", class_="row-main")["hx-get"])
    assert opened.status_code == 200
    thread = html(opened)
    assert "queue-thread" in thread.find("article")["class"]
    assert thread.find(id=f"queue-controls-{conversation_id}").find("button", string="Claim")
    # Dev is in no queue: not listed, and its id is "not found".
    theirs = html(_get(clients["dev"], "/widget/list?q=zebra"))
    assert theirs.find(id=f"conversation-{conversation_id}") is None
    assert _get(clients["dev"], f"/widget/conversations/{conversation_id}").status_code == 404


def test_a_search_costs_the_same_however_many_queue_conversations_match(demo_app, clients):
    def search():
        response = _get(clients["alice"], "/widget/list?q=walrus")
        assert response.status_code == 200
        return response

    with demo_app.app_context():
        text_in("walrus one", sender="+13125550100")
    few = _statements(demo_app, search)
    with demo_app.app_context():
        for n in range(25):
            case = case_of(text_in(f"walrus {n}", sender=f"+1312555{n + 200:04d}"))
            if n % 3 == 0:
                cases.claim(extension("102"), case.id)
        db.session.remove()
    many = _statements(demo_app, search)
    assert len(html(search()).select("li.queue-row")) == 26
    assert many == few
