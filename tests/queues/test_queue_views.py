"""The sidebar's queue views over HTTP (signed in like the iframe), and what is pushed.

Alice (101) and Bob (102) are members of the demo's Support queue; Dev (104) is not.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import html, sign_in
from tests.queues.support import CUSTOMER, SUPPORT_NUMBER, case_of, extension, text_in
from widget.extensions import db
from widget.models import Direction, Message, QueueConversation, QueueEvent


@pytest.fixture
def people(demo_app):
    alice, bob, dev = (demo_app.test_client() for _ in range(3))
    headers = {
        "alice": (alice, sign_in(alice, "101")),
        "bob": (bob, sign_in(bob, "102")),
        "dev": (dev, sign_in(dev, "104")),
    }
    return headers


def post(person, url, **form):
    client, headers = person
    return client.post(url, data=form, headers=headers)


def get(person, url):
    client, headers = person
    return client.get(url, headers=headers)


def outbound_in(conversation_id: int) -> list[Message]:
    return list(
        db.session.scalars(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.direction == Direction.OUTBOUND
            )
        )
    )


def arrive(demo_app, text="Where is my order <b>#42</b>?"):
    with demo_app.app_context():
        message = text_in(text)
        return case_of(message).id, message.conversation_id


def test_the_queue_section_offers_waiting_conversations_to_members_only(demo_app, people):
    case_id, _ = arrive(demo_app)
    page = html(get(people["alice"], "/widget/"))
    section = page.find(id="queue-section")
    assert section is not None and not section.has_attr("hidden")
    row = section.find(id=f"case-{case_id}")
    assert row.find("button", string="Claim") is not None
    assert "<b>#42</b>" in row.get_text()  # the customer's text, escaped
    assert "Available" in section.find(class_="queue-availability").get_text()
    dev_page = html(get(people["dev"], "/widget/"))
    assert dev_page.find(id="queue-section").has_attr("hidden")
    assert dev_page.find(id=f"case-{case_id}") is None


def test_away_members_are_not_offered_conversations(demo_app, people):
    queue_id = html(get(people["bob"], "/widget/")).find(class_="queue-box")["data-queue-id"]
    away = post(people["bob"], f"/widget/queues/{queue_id}/availability", available="0")
    assert away.status_code == 200
    case_id, _ = arrive(demo_app)
    section = html(get(people["bob"], "/widget/queues/section"))
    assert section.find(id=f"case-{case_id}") is None
    assert "Away" in section.get_text()


def test_claim_then_the_loser_gets_409_naming_the_claimer(demo_app, people):
    case_id, conversation_id = arrive(demo_app)
    won = post(people["alice"], f"/widget/queues/cases/{case_id}/claim")
    assert won.status_code == 200
    thread = html(won)
    assert thread.find(class_="queue-state").get_text(" ", strip=True).endswith("Claimed by you")
    assert thread.find("button", string="Release") is not None
    lost = post(people["bob"], f"/widget/queues/cases/{case_id}/claim")
    assert lost.status_code == 409
    answer = html(lost)
    assert "Claimed by Alice Chen" in answer.find(class_="queue-state").get_text()
    assert "Claimed by Alice Chen" in answer.find(id=f"case-{case_id}").get_text()
    assert post(people["dev"], f"/widget/queues/cases/{case_id}/claim").status_code == 404
    assert get(people["dev"], f"/widget/conversations/{conversation_id}").status_code == 404


def test_reply_claims_and_goes_out_from_the_queue_number(demo_app, people):
    case_id, conversation_id = arrive(demo_app)
    sent = post(
        people["bob"],
        f"/widget/compose/conversations/{conversation_id}/reply",
        text="On its way!",
        idempotency_key="k" * 32,
    )
    assert sent.status_code == 200, sent.data
    with demo_app.app_context():
        [reply] = outbound_in(conversation_id)
        assert reply.from_address == SUPPORT_NUMBER and reply.subject == "On its way!"
        assert [p["address"] for p in reply.to_parties] == [CUSTOMER]
        case = case_of(reply)
        assert case.claimed_by_id == extension("102").id and case.reply_due_since is None
    refused = post(
        people["alice"],
        f"/widget/compose/conversations/{conversation_id}/reply",
        text="Me too",
        idempotency_key="m" * 32,
    )
    assert refused.status_code == 409  # read-only for her: Bob holds it
    assert "Claimed by Bob Martinez" in refused.get_data(as_text=True)
    deleted = post(people["bob"], f"/widget/conversations/{conversation_id}/delete")
    assert deleted.status_code == 404  # the shared copy is nobody's to delete
    with demo_app.app_context():
        assert len(outbound_in(conversation_id)) == 1


def test_a_note_is_a_pill_for_members_and_never_a_message(demo_app, people):
    case_id, conversation_id = arrive(demo_app)
    noted = post(
        people["alice"],
        f"/widget/compose/conversations/{conversation_id}/reply",
        text="VIP <script>x</script>",
        as_note="1",
        idempotency_key="n" * 32,
    )
    assert noted.status_code == 200
    note = html(noted).find(attrs={"data-event-kind": "note"})
    assert "VIP <script>x</script>" in note.get_text()
    assert "<script>x</script>" not in noted.get_data(as_text=True)
    with demo_app.app_context():
        assert outbound_in(conversation_id) == []
    too_long = post(people["alice"], f"/widget/queues/cases/{case_id}/notes", text="x" * 2001)
    assert too_long.status_code == 400
    assert "at most 2000" in too_long.get_data(as_text=True)


def test_transfer_resolve_and_the_pills_in_order(demo_app, people):
    case_id, conversation_id = arrive(demo_app)
    bob_id = str(extension_id(demo_app, "102"))
    post(people["alice"], f"/widget/queues/cases/{case_id}/claim")
    bad = post(people["alice"], f"/widget/queues/cases/{case_id}/transfer", to="member:999999")
    assert bad.status_code == 400
    moved = post(
        people["alice"],
        f"/widget/queues/cases/{case_id}/transfer",
        to=f"member:{bob_id}",
        note="Billing question",
    )
    assert moved.status_code == 200
    no_reason = post(people["bob"], f"/widget/queues/cases/{case_id}/resolve")
    assert no_reason.status_code == 400
    assert "Choose a reason" in no_reason.get_data(as_text=True)
    done = post(people["bob"], f"/widget/queues/cases/{case_id}/resolve", reason="Resolved")
    assert done.status_code == 200
    again = post(people["bob"], f"/widget/queues/cases/{case_id}/resolve", reason="Spam")
    assert again.status_code == 409
    assert "Already resolved by Bob Martinez" in again.get_data(as_text=True)
    thread = html(get(people["alice"], f"/widget/conversations/{conversation_id}"))
    pills = [li["data-event-kind"] for li in thread.select("[data-event-kind]")]
    assert pills == ["arrived", "claimed", "transferred", "resolved"]
    assert "Billing question" in thread.find(attrs={"data-event-kind": "transferred"}).get_text()


def extension_id(demo_app, number):
    with demo_app.app_context():
        return extension(number).id


def test_every_member_is_pushed_arrivals_and_claims(demo_app):
    with demo_app.app_context():
        broker = demo_app.extensions["realtime"]
        alice, bob, dev = extension("101"), extension("102"), extension("104")
        subs = {p.extension_number: broker.subscribe([f"ext:{p.id}"]) for p in (alice, bob, dev)}
        message = text_in("Hello queue")
        case = case_of(message)
        arrived = "".join(d.html for d in subs["102"].drain() if hasattr(d, "html"))
        assert f'id="case-{case.id}"' in arrived and "Claim" in arrived
        assert subs["104"].drain() == []
        from widget.queues import cases

        cases.claim(alice, case.id)
        frames = "".join(d.html for d in subs["102"].drain() if hasattr(d, "html"))
        assert "Claimed by <bdi>Alice Chen</bdi>" in frames
        kinds = db.session.scalars(
            select(QueueEvent.kind).where(QueueEvent.queue_conversation_id == case.id)
        ).all()
        assert [k.value for k in kinds] == ["arrived", "claimed"]


def _statements(app, work) -> int:
    from sqlalchemy import event

    count = [0]

    def record(*_):
        count[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return count[0]


def test_the_queue_section_costs_the_same_however_many_wait_are_held_or_were_resolved(
    demo_app, people
):
    from widget.queues import cases

    def section():
        response = get(people["bob"], "/widget/queues/section")
        assert response.status_code == 200

    with demo_app.app_context():
        text_in("first", sender="+13125550001")
        cases.claim(extension("101"), case_of(text_in("held", sender="+13125550002")).id)
    few = _statements(demo_app, section)
    with demo_app.app_context():
        # More waiting and more held by others than the section shows, and resolved history.
        for n in range(3, 70):
            case = case_of(text_in(f"customer {n}", sender=f"+131255500{n:02d}"))
            if n % 3 == 0:
                cases.resolve(extension("101"), case.id, "Spam")
            elif n % 3 == 1:
                cases.claim(extension("101" if n % 2 else "103"), case.id)
    many = _statements(demo_app, section)
    assert many == few, (few, many)
    page = html(get(people["bob"], "/widget/queues/section"))
    assert len(page.select("li.queue-case:not(.gone)")) == 20  # WAITING_SHOWN
    assert len(page.select("li.queue-case.gone")) == 20  # CLAIMED_SHOWN
    assert "More are waiting" in page.get_text()
    assert "More are claimed by others" in page.get_text()


def test_a_claim_timeout_notifies_the_available_members_again(demo_app):
    from datetime import timedelta

    from widget.queues import manage, timeouts

    with demo_app.app_context():
        broker = demo_app.extensions["realtime"]
        bob, carol = extension("102"), extension("103")
        manage.set_available(manage.queue_named(bob.account, "Support"), carol, False)
        subs = {p.id: broker.subscribe([f"ext:{p.id}"]) for p in (bob, carol)}
        case = case_of(text_in("Hello?"))
        for sub in subs.values():
            sub.drain()
        assert timeouts.sweep(case.opened_at + timedelta(minutes=6)) == 1
        nudged = [d for d in subs[bob.id].drain() if getattr(d, "notice", None)]
        assert len(nudged) == 1 and nudged[0].notice["conversation_id"] == str(case.conversation_id)
        assert 'data-event-kind="timed_out"' in nudged[0].html
        away = subs[carol.id].drain()
        assert away and not any(getattr(d, "notice", None) for d in away)


def test_queue_changes_without_the_csrf_token_are_refused_and_change_nothing(demo_app, people):
    from widget import htmx_support

    case_id, _ = arrive(demo_app)
    client, headers = people["alice"]
    forged = {k: v for k, v in headers.items() if k != htmx_support.CSRF_HEADER}
    for url, form in (
        (f"/widget/queues/cases/{case_id}/claim", {}),
        (f"/widget/queues/cases/{case_id}/resolve", {"reason": "Spam"}),
        (f"/widget/queues/cases/{case_id}/notes", {"text": "hi"}),
    ):
        assert client.post(url, data=form, headers=forged).status_code == 403, url
    with demo_app.app_context():
        case = db.session.get(QueueConversation, case_id)
        assert case.is_waiting and [e.kind.value for e in case.events] == ["arrived"]


def test_a_resolved_case_shows_who_resolved_it_instead_of_a_reply_box(demo_app, people):
    case_id, conversation_id = arrive(demo_app)
    open_thread = html(get(people["alice"], f"/widget/conversations/{conversation_id}"))
    assert open_thread.find(id="compose-text") is not None  # waiting: replying claims it
    post(people["alice"], f"/widget/queues/cases/{case_id}/claim")
    done = post(
        people["alice"],
        f"/widget/queues/cases/{case_id}/resolve",
        reason="Other",
        reason_text="Sent <i>a refund</i>",
    )
    assert done.status_code == 200
    for person in ("alice", "bob"):
        thread = html(get(people[person], f"/widget/conversations/{conversation_id}"))
        assert thread.find(id="compose-text") is None
        reply_url = f"/widget/conversations/{conversation_id}/reply"
        assert thread.find("form", attrs={"hx-post": reply_url}) is None
        note = thread.find(id=f"queue-resolved-{case_id}")
        said = " ".join(note.get_text().split())
        assert "Resolved by Alice" in said and "Other: Sent <i>a refund</i>" in said
        assert "A new text from the customer reopens it in Support" in said
    # The customer writes again: a new case, and the reply box is back.
    with demo_app.app_context():
        text_in("One more thing")
    reopened = html(get(people["bob"], f"/widget/conversations/{conversation_id}"))
    assert reopened.find(id="compose-text") is not None
    assert reopened.find(class_="queue-resolved") is None


def test_claimed_by_stays_on_the_row_for_as_long_as_the_case_is_held(demo_app, people):
    case_id, conversation_id = arrive(demo_app, text="Held <script>x</script>")
    post(people["alice"], f"/widget/queues/cases/{case_id}/claim")
    for _ in range(2):  # any later render of Bob's section still says who has it
        section = html(get(people["bob"], "/widget/queues/section"))
        row = section.find(id=f"case-{case_id}")
        assert "Claimed by Alice Chen" in row.get_text()
        assert row.find("button", string="Claim") is None
        assert row.find("a")["hx-get"] == f"/widget/conversations/{conversation_id}"
    bob_page = html(get(people["bob"], "/widget/"))
    assert "Claimed by Alice Chen" in bob_page.find(id=f"case-{case_id}").get_text()
    # Away members see who holds the queue's cases too; a non-member sees nothing.
    queue_id = bob_page.find(class_="queue-box")["data-queue-id"]
    post(people["bob"], f"/widget/queues/{queue_id}/availability", available="0")
    away = html(get(people["bob"], "/widget/queues/section"))
    assert "Claimed by Alice Chen" in away.find(id=f"case-{case_id}").get_text()
    assert html(get(people["dev"], "/widget/queues/section")).find(id=f"case-{case_id}") is None
    # The holder's own section lists it under Mine, not as claimed by someone.
    alice_section = html(get(people["alice"], "/widget/queues/section"))
    assert "Claimed by" not in alice_section.find(id=f"case-{case_id}").get_text()
    # Released: back to waiting, no holder named.
    post(people["alice"], f"/widget/queues/cases/{case_id}/release")
    post(people["bob"], f"/widget/queues/{queue_id}/availability", available="1")
    back = html(get(people["bob"], "/widget/queues/section")).find(id=f"case-{case_id}")
    assert "Claimed by" not in back.get_text()
    assert back.find("button", string="Claim") is not None


def test_thread_context_of_a_resolved_case_names_the_resolver(support):
    from widget.queues import cases
    from widget.queues.views import thread_context

    message = text_in("Resolve me")
    case = case_of(message)
    bob = extension("102")
    waiting = thread_context(bob, message.conversation)
    assert not waiting.resolved and waiting.resolver is None
    cases.claim(extension("101"), case.id)
    cases.resolve(extension("101"), case.id, "No response")
    resolved = thread_context(bob, message.conversation)
    assert resolved.resolved and resolved.resolver.name == "Alice Chen"
    assert resolved.case.resolve_reason.value == "No response"
    text_in("Back again")  # a new case: open again, nobody named as resolver
    reopened = thread_context(bob, message.conversation)
    assert not reopened.resolved and reopened.resolver is None
