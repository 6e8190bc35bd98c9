"""The console's queue page over HTTP: the demo's Support queue (numbers +16505550150,
members 101-103), new queues, timeouts, members and numbers, each refusal in place."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import html
from widget.extensions import db
from widget.models import (
    AdminAuditEntry,
    Extension,
    PhoneNumber,
    Queue,
    QueueConversation,
    QueueMember,
)
from widget.queues import cases

SUPPORT_NUMBER = "+16505550150"


def _page(headers):
    return {k: v for k, v in headers.items() if k != "HX-Request"}


def _support(app) -> Queue:
    return db.session.scalars(select(Queue).where(Queue.name == "Support")).one()


def _ext(number: str) -> Extension:
    return db.session.scalars(select(Extension).where(Extension.extension_number == number)).one()


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AdminAuditEntry.action).order_by(AdminAuditEntry.id)))


def _queue_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Queue.id).order_by(Queue.id)))


def test_the_page_shows_each_queue_with_numbers_members_and_timeouts(demo_app, demo_client, alice):
    page = html(demo_client.get("/admin/queues", headers=_page(alice)))

    card = page.select_one("section.queue-admin")
    assert card.find("h2").get_text(strip=True) == "Support"
    assert [li["data-number"] for li in card.select("[data-number]")] == [SUPPORT_NUMBER]
    assert [tr["data-member"] for tr in card.select("tr[data-member]")] == ["101", "102", "103"]
    offered = [o.get_text(strip=True) for o in card.select("select[name=extension_id] option")]
    assert [o.split("(")[1].rstrip(")") for o in offered] == ["104", "105"]
    assert card.select_one("input[name=claim_timeout_minutes]")["value"] == "5"


def test_creating_a_queue_takes_its_numbers_and_is_audited(demo_app, demo_client, alice):
    form = {
        "name": "Billing",
        "numbers": "(650) 555-0177\n+1 650 555 0178",
        "claim_timeout_minutes": "10",
        "no_reply_timeout_minutes": "",
        "idle_resolve_hours": "48",
    }
    response = demo_client.post("/admin/queues", data=form, headers=alice)

    assert response.status_code == 200
    page = html(response)
    assert "Queue Billing created." in page.get_text()
    assert page.select_one("#new-queue[hx-swap-oob]") is not None  # the form empties
    with demo_app.app_context():
        billing = db.session.scalars(select(Queue).where(Queue.name == "Billing")).one()
        assert (billing.claim_timeout_minutes, billing.no_reply_timeout_minutes) == (10, None)
        assert billing.idle_resolve_hours == 48
        numbers = db.session.scalars(
            select(PhoneNumber.e164).where(PhoneNumber.extension_id == billing.extension_id)
        )
        assert sorted(numbers) == ["+16505550177", "+16505550178"]
    assert _actions(demo_app) == ["queue.create"]


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"name": "", "numbers": "+16505550177"}, "name", "needs a name"),
        ({"name": "Support", "numbers": "+16505550177"}, "name", "already a queue"),
        ({"name": "B", "numbers": ""}, "numbers", "at least one number"),
        ({"name": "B", "numbers": "12"}, "numbers", "not a valid phone number"),
        ({"name": "B", "numbers": "+16505550101"}, "numbers", "belongs to someone else"),
        (
            {"name": "B", "numbers": "+16505550177", "claim_timeout_minutes": "0"},
            None,
            "at least 1",
        ),
        ({"name": "B", "numbers": "+16505550177", "idle_resolve_hours": "x"}, None, "whole number"),
    ],
)
def test_a_refused_new_queue_says_why_beside_the_field_and_creates_nothing(
    demo_app, demo_client, alice, form, field, words
):
    before = _queue_ids(demo_app)

    response = demo_client.post("/admin/queues", data=form, headers=alice)

    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#new-queue"
    page = html(response)
    error = page.select_one(f"#error-{field}" if field else ".field-error")
    assert error is not None and words in error.get_text(), page.get_text()[:400]
    assert _queue_ids(demo_app) == before
    assert _actions(demo_app) == []


def test_timeouts_and_overflow_change_with_a_diff_in_the_audit_log(demo_app, demo_client, alice):
    demo_client.post(
        "/admin/queues", data={"name": "Overflow", "numbers": "+16505550177"}, headers=alice
    )
    with demo_app.app_context():
        support = _support(demo_app)
        overflow = db.session.scalars(select(Queue).where(Queue.name == "Overflow")).one()
        support_id, overflow_id = support.id, overflow.id

    form = {
        "claim_timeout_minutes": "2",
        "no_reply_timeout_minutes": "",
        "idle_resolve_hours": "12",
        "overflow_queue_id": str(overflow_id),
    }
    response = demo_client.post(f"/admin/queues/{support_id}/settings", data=form, headers=alice)

    assert response.status_code == 200
    with demo_app.app_context():
        support = db.session.get(Queue, support_id)
        assert support.claim_timeout_minutes == 2 and support.no_reply_timeout_minutes is None
        assert support.overflow_queue_id == overflow_id
        entry = db.session.scalars(
            select(AdminAuditEntry).where(AdminAuditEntry.action == "queue.settings")
        ).one()
        assert "-claim_timeout_minutes: 5" in entry.diff
        assert "+overflow queue: Overflow" in entry.diff


@pytest.mark.parametrize("overflow", ["self", "999999", "x"])
def test_a_bad_overflow_queue_is_refused_and_changes_nothing(
    demo_app, demo_client, alice, overflow
):
    with demo_app.app_context():
        support_id = _support(demo_app).id
    chosen = str(support_id) if overflow == "self" else overflow
    form = {"claim_timeout_minutes": "1", "overflow_queue_id": chosen}

    response = demo_client.post(f"/admin/queues/{support_id}/settings", data=form, headers=alice)

    assert response.status_code == 422
    error = html(response).select_one("#error-overflow_queue_id")
    assert error is not None
    assert "another queue" in error.get_text() or "listed queues" in error.get_text()
    with demo_app.app_context():
        support = db.session.get(Queue, support_id)
        assert (support.claim_timeout_minutes, support.overflow_queue_id) == (5, None)
    assert _actions(demo_app) == []


def test_members_are_added_and_a_removed_member_s_claims_return_to_the_queue(
    demo_app, demo_client, alice
):
    inbound = {"from": "+14155550123", "to": SUPPORT_NUMBER, "text": "My order?", "type": "SMS"}
    assert demo_client.post("/sandbox/inbound", json=inbound).status_code == 201
    with demo_app.app_context():
        support, carol = _support(demo_app), _ext("103")
        case = db.session.scalars(
            select(QueueConversation).where(QueueConversation.queue_id == support.id)
        ).one()
        cases.claim(carol, case.id)
        support_id, carol_id, dave_id, case_id = support.id, carol.id, _ext("104").id, case.id

    added = demo_client.post(
        f"/admin/queues/{support_id}/members", data={"extension_id": str(dave_id)}, headers=alice
    )
    removed = demo_client.post(
        f"/admin/queues/{support_id}/members/{carol_id}/remove", headers=alice
    )

    assert added.status_code == 200 and removed.status_code == 200
    assert "1 open conversation(s) went back to the queue" in removed.get_data(as_text=True)
    with demo_app.app_context():
        members = db.session.scalars(
            select(QueueMember.extension_id).where(QueueMember.queue_id == support_id)
        )
        assert carol_id not in set(members) and dave_id in set(
            db.session.scalars(
                select(QueueMember.extension_id).where(QueueMember.queue_id == support_id)
            )
        )
        assert db.session.get(QueueConversation, case_id).claimed_by_id is None
    assert _actions(demo_app) == ["queue.member.add", "queue.member.remove"]


def test_a_member_twice_is_refused_in_place_and_strangers_are_not_found(
    demo_app, demo_client, alice
):
    with demo_app.app_context():
        support_id, bob_id = _support(demo_app).id, _ext("102").id

    twice = demo_client.post(
        f"/admin/queues/{support_id}/members", data={"extension_id": str(bob_id)}, headers=alice
    )
    nobody = demo_client.post(
        f"/admin/queues/{support_id}/members", data={"extension_id": "999999"}, headers=alice
    )
    no_queue = demo_client.post(
        "/admin/queues/999999/members", data={"extension_id": str(bob_id)}, headers=alice
    )

    assert twice.status_code == 422 and "already a member" in twice.get_data(as_text=True)
    assert nobody.status_code == 404 and no_queue.status_code == 404
    assert _actions(demo_app) == []


def test_numbers_are_added_and_removed_but_never_the_last_one(demo_app, demo_client, alice):
    with demo_app.app_context():
        support_id = _support(demo_app).id
    url = f"/admin/queues/{support_id}/numbers"

    taken = demo_client.post(url, data={"number": "+16505550101"}, headers=alice)
    bad = demo_client.post(url, data={"number": "not a number"}, headers=alice)
    last = demo_client.post(f"{url}/remove", data={"number": SUPPORT_NUMBER}, headers=alice)
    added = demo_client.post(url, data={"number": "650-555-0188"}, headers=alice)
    again = demo_client.post(url, data={"number": "+16505550188"}, headers=alice)
    removed = demo_client.post(f"{url}/remove", data={"number": SUPPORT_NUMBER}, headers=alice)
    unknown = demo_client.post(f"{url}/remove", data={"number": "+16505550999"}, headers=alice)

    assert taken.status_code == 422 and "belongs to someone else" in taken.get_data(as_text=True)
    assert bad.status_code == 422 and "not a phone number" in bad.get_data(as_text=True)
    assert last.status_code == 422 and "last number" in last.get_data(as_text=True)
    assert added.status_code == 200 and again.status_code == 422
    assert removed.status_code == 200 and unknown.status_code == 404
    with demo_app.app_context():
        queue = db.session.get(Queue, support_id)
        numbers = db.session.scalars(
            select(PhoneNumber.e164).where(PhoneNumber.extension_id == queue.extension_id)
        )
        assert list(numbers) == ["+16505550188"]
    assert _actions(demo_app) == ["queue.number.add", "queue.number.remove"]
    # The freed number now delivers to nobody's queue: a text to it is refused.
    inbound = {"from": "+14155550123", "to": SUPPORT_NUMBER, "text": "Hi", "type": "SMS"}
    assert demo_client.post("/sandbox/inbound", json=inbound).status_code in (400, 404, 422)


def test_an_admin_of_another_company_finds_neither_the_queue_nor_its_people(company):
    from widget.admin import queues as admin_queues
    from widget.errors import NotFound
    from widget.queues import manage

    queue = manage.create_queue(company.admin.account, "Help", ["+16505550177"])
    db.session.commit()

    with pytest.raises(NotFound):
        admin_queues.queue_of(company.stranger, queue.id)
    with pytest.raises(NotFound):
        admin_queues.add_member(company.stranger, queue, company.user.id)
    with pytest.raises(NotFound):  # the stranger's own queue cannot take another company's user
        own = manage.create_queue(company.stranger.account, "Theirs", ["+16505550178"])
        admin_queues.add_member(company.stranger, own, company.user.id)
    assert [v.queue.name for v in admin_queues.overview(company.stranger)] == ["Theirs"]
    assert [v.queue.name for v in admin_queues.overview(company.admin)] == ["Help"]
