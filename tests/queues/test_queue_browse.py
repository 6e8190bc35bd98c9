"""Browsing and searching a queue's conversations after they left the Queue section:
resolved or all, newest first, paged, searched; never another queue's or person's."""

from __future__ import annotations

import pytest

from tests.helpers import html, sign_in
from tests.queues.support import case_of, extension, make_queue, text_in
from tests.queues.test_queue_views import _statements
from widget.errors import Invalid, NotFound
from widget.queues import cases
from widget.queues.browse import PAGE_SIZE, browse


def _resolved(body: str, sender: str, by="101", reason="Resolved"):
    case = case_of(text_in(body, sender=sender))
    cases.resolve(extension(by), case.id, reason)
    return case


def test_resolved_cases_newest_first_and_paged(support):
    made = [_resolved(f"order {n}", f"+1312555{n:04d}") for n in range(PAGE_SIZE + 5)]
    waiting = case_of(text_in("still waiting", sender="+13125559999"))
    first = browse(extension("102"), support.id)
    assert [r.case.id for r in first.rows] == [c.id for c in reversed(made)][:PAGE_SIZE]
    assert first.rows[0].resolver == "Alice Chen"
    second = browse(extension("102"), support.id, before=str(first.older))
    assert [r.case.id for r in second.rows] == [c.id for c in reversed(made)][PAGE_SIZE:]
    assert second.older is None
    everything = browse(extension("102"), support.id, show="all")
    assert everything.rows[0].case.id == waiting.id
    assert everything.rows[0].holder is None and everything.rows[0].resolver is None


def test_claimed_by_someone_else_is_listed_with_the_holder(support):
    case = case_of(text_in("claimed one"))
    cases.claim(extension("101"), case.id)
    rows = browse(extension("102"), support.id, show="all").rows
    assert [(r.case.id, r.holder) for r in rows] == [(case.id, "Alice Chen")]
    assert browse(extension("102"), support.id).rows == []  # not resolved


def test_search_finds_the_queues_conversations_only(support):
    billing = make_queue("Billing", "+16505550177", members=("103",))
    wanted = _resolved("my parcel tracking number", "+13125550001")
    _resolved("unrelated question", "+13125550002")
    other_queue = case_of(text_in("parcel for billing", to="+16505550177"))
    direct = extension("102").phone_numbers[0].e164
    text_in("parcel to Bob himself", to=direct, sender="+13125550003")
    found = browse(extension("102"), support.id, show="all", query="parcel")
    assert [r.case.id for r in found.rows] == [wanted.id]
    assert browse(extension("102"), support.id, query="nothing-like-it").rows == []
    # Billing's own member finds Billing's case, not Support's.
    theirs = browse(extension("103"), billing.id, show="all", query="parcel")
    assert [r.case.id for r in theirs.rows] == [other_queue.id]


def test_another_queue_and_bad_input_are_refused(support):
    billing = make_queue("Billing", "+16505550177", members=("103",))
    with pytest.raises(NotFound):
        browse(extension("101"), billing.id)  # Alice is not in Billing
    with pytest.raises(NotFound):
        browse(extension("104"), support.id)  # Dev is in no queue
    with pytest.raises(NotFound):
        browse(extension("101"), 999999)
    with pytest.raises(Invalid, match="resolved or all"):
        browse(extension("101"), support.id, show="mine")
    with pytest.raises(Invalid, match="page"):
        browse(extension("101"), support.id, before="-3")
    with pytest.raises(Invalid, match="at most"):
        browse(extension("101"), support.id, query="x" * 201)


def test_members_browse_over_http_and_others_get_404(demo_app):
    alice, dev = demo_app.test_client(), demo_app.test_client()
    alice_headers, dev_headers = sign_in(alice, "101"), sign_in(dev, "104")
    with demo_app.app_context():
        case = _resolved("Refund <script>alert(1)</script> please", "+13125550010")
        queue_id, conversation_id = case.queue_id, case.conversation_id
    page = html(alice.get("/widget/", headers=alice_headers))
    links = page.find(class_="queue-browse-links")
    assert links.find("button", string="Resolved") is not None
    url = f"/widget/queues/{queue_id}/conversations"
    answer = alice.get(url, headers=alice_headers)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    row = html(answer).find(id=f"browse-case-{case.id}")
    assert "Resolved by Alice Chen · Resolved" in " ".join(row.get_text().split())
    assert row.find("a")["hx-get"] == f"/widget/conversations/{conversation_id}"
    searched = html(alice.get(f"{url}?show=all&q=refund", headers=alice_headers))
    assert searched.find(id=f"browse-case-{case.id}") is not None
    assert alice.get(f"{url}?show=bogus", headers=alice_headers).status_code == 400
    assert alice.get(f"{url}?before=abc", headers=alice_headers).status_code == 400
    assert dev.get(url, headers=dev_headers).status_code == 404
    # The resolved conversation itself still opens for the member, not for Dev.
    thread = f"/widget/conversations/{conversation_id}"
    assert alice.get(thread, headers=alice_headers).status_code == 200
    assert dev.get(thread, headers=dev_headers).status_code == 404


def test_a_browse_page_costs_the_same_however_many_cases(demo_app):
    alice = demo_app.test_client()
    headers = sign_in(alice, "101")
    with demo_app.app_context():
        queue_id = _resolved("order 1", "+13125550001").queue_id
    url = f"/widget/queues/{queue_id}/conversations?show=all&q=order"

    def page():
        assert alice.get(url, headers=headers).status_code == 200

    few = _statements(demo_app, page)
    with demo_app.app_context():
        for n in range(2, 40):
            _resolved(f"order {n}", f"+131255500{n:02d}", by="102")
    many = _statements(demo_app, page)
    assert many == few, (few, many)
    assert "Older" in alice.get(url, headers=headers).get_data(as_text=True)
