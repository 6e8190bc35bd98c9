"""Pager groups: create with a name, mixed members, messages to everyone, add and remove."""

from __future__ import annotations

from sqlalchemy import select

from tests.compose.conftest import extension, form_key, messages_of, post_form
from tests.helpers import html, sign_in
from widget.extensions import db
from widget.models import Channel, Conversation, ConversationKind, PagerGroup

JANE = "+14155550123"


def create(client, headers, name, members):
    return post_form(client, "/widget/compose/groups", headers, {"name": name, "members": members})


def group_rows(app, number: str) -> list[Conversation]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Conversation).where(
                    Conversation.extension_id == extension(number).id,
                    Conversation.kind == ConversationKind.GROUP,
                    Conversation.channel == Channel.PAGER,
                )
            )
        )


def reply(client, headers, conversation_id, text):
    key = form_key(client, headers, f"/widget/conversations/{conversation_id}")
    return post_form(
        client,
        f"/widget/compose/conversations/{conversation_id}/reply",
        headers,
        {"idempotency_key": key, "text": text},
    )


def test_group_with_an_external_member(demo_app, demo_client, alice):
    response = create(demo_client, alice, "Install team", ["102", "103", "(415) 555-0123"])
    assert response.status_code == 200, response.data
    page = html(response)
    thread = page.find("article", class_="thread")
    assert thread.find("h2").get_text() == "Install team"
    summary = thread.find("details", id="group-members").find("summary").get_text()
    # Three people under the title, four members: the count says it includes the reader.
    assert summary == "Members (4, you included)"
    assert page.find("section", id="list")["hx-swap-oob"] == "innerHTML"
    (mine,) = group_rows(demo_app, "101")
    (bobs,) = group_rows(demo_app, "102")
    (carols,) = group_rows(demo_app, "103")
    assert mine.title == bobs.title == carols.title == "Install team"
    assert mine.participants == f",{JANE},102,103,"
    assert bobs.participants == f",{JANE},101,103,"
    assert group_rows(demo_app, "104") == []

    sent = reply(demo_client, alice, mine.id, "Install is Monday 9am")
    assert sent.status_code == 200, sent.data
    with demo_app.app_context():
        outbound = messages_of("101", subject="Install is Monday 9am")
        by_type = {m.type.value: m for m in outbound}
        assert set(by_type) == {"Pager", "SMS"}
        assert by_type["Pager"].conversation_id == mine.id
        assert sorted(p["address"] for p in by_type["Pager"].to_parties) == ["102", "103"]
        # The outside member is texted from Alice's number, in her thread with that number.
        assert by_type["SMS"].to_parties[0]["address"] == JANE
        assert by_type["SMS"].from_address == "+16505550101"
        assert by_type["SMS"].message_status.value == "Delivered"
        for number, row in (("102", bobs), ("103", carols)):
            (received,) = messages_of(number, subject="Install is Monday 9am")
            assert received.type.value == "Pager" and received.conversation_id == row.id
            assert received.from_address == "101"
    # Bob answers in the group: Alice and Carol get it in their group thread.
    bob = sign_in(demo_client, "102")
    assert reply(demo_client, bob, bobs.id, "I'll bring the ladder").status_code == 200
    with demo_app.app_context():
        (at_alice,) = messages_of("101", subject="I'll bring the ladder")
        assert at_alice.conversation_id == mine.id and at_alice.direction.value == "Inbound"
        (at_carol,) = messages_of("103", subject="I'll bring the ladder")
        assert at_carol.conversation_id == carols.id


def test_add_and_remove_members_keep_the_thread(demo_app, demo_client, alice):
    create(demo_client, alice, "Ops", ["102", "103"])
    (mine,) = group_rows(demo_app, "101")
    reply(demo_client, alice, mine.id, "Before the change")
    added = post_form(
        demo_client, f"/widget/compose/conversations/{mine.id}/members", alice, {"member": "104"}
    )
    assert added.status_code == 200
    members = [li["data-member"] for li in html(added).find_all("li", {"data-member": True})]
    assert members == ["101", "102", "103", "104"]
    (devs,) = group_rows(demo_app, "104")
    assert devs.participants == ",101,102,103,"
    reply(demo_client, alice, mine.id, "After adding Dev")
    with demo_app.app_context():
        assert messages_of("104", subject="After adding Dev")[0].conversation_id == devs.id
        assert messages_of("101", subject="After adding Dev")[0].conversation_id == mine.id
        assert messages_of("101", subject="Before the change")[0].conversation_id == mine.id

    removed = post_form(
        demo_client,
        f"/widget/compose/conversations/{mine.id}/members/remove",
        alice,
        {"address": "103"},
    )
    assert removed.status_code == 200
    reply(demo_client, alice, mine.id, "Without Carol")
    with demo_app.app_context():
        assert messages_of("103", subject="Without Carol") == []
        assert messages_of("104", subject="Without Carol")[0].conversation_id == devs.id
        assert db.session.get(Conversation, mine.id).participants == ",102,104,"


def test_group_bad_input_changes_nothing(demo_app, demo_client, alice):
    no_name = create(demo_client, alice, "  ", ["102", "103"])
    assert no_name.status_code == 422
    assert html(no_name).find(class_="field-error").get_text() == "Give the group a name."
    too_small = create(demo_client, alice, "Pair", ["102"])
    assert too_small.status_code == 422
    assert "at least two other members" in too_small.get_data(as_text=True)
    only_outside = create(demo_client, alice, "Outside", [JANE, "+12125550187"])
    assert only_outside.status_code == 422
    bad_member = create(demo_client, alice, "Typo", ["102", "999"])
    assert bad_member.status_code == 422
    chip = html(bad_member).find("li", {"data-recipient": "999"})
    assert "no extension 999" in chip.find(class_="field-error").get_text()
    with demo_app.app_context():
        assert db.session.scalars(select(PagerGroup)).all() == []
    assert group_rows(demo_app, "101") == []


def test_same_members_twice_is_refused(demo_app, demo_client, alice):
    assert create(demo_client, alice, "First", ["102", "103"]).status_code == 200
    second = create(demo_client, alice, "Second", ["103", "102"])
    assert second.status_code == 422
    assert "exactly these members" in second.get_data(as_text=True)
    assert len(group_rows(demo_app, "101")) == 1


def test_members_of_another_extensions_group_are_404(demo_app, demo_client, alice):
    bob = sign_in(demo_client, "102")
    create(demo_client, bob, "Bob's", ["103", "104"])
    (bobs,) = group_rows(demo_app, "102")
    add = post_form(
        demo_client, f"/widget/compose/conversations/{bobs.id}/members", alice, {"member": "105"}
    )
    assert add.status_code == 404
    remove = post_form(
        demo_client,
        f"/widget/compose/conversations/{bobs.id}/members/remove",
        alice,
        {"address": "103"},
    )
    assert remove.status_code == 404
    with demo_app.app_context():
        (group,) = db.session.scalars(select(PagerGroup)).all()
        assert sorted(m.address for m in group.members) == ["102", "103", "104"]


def test_a_group_header_names_its_members_and_follows_a_new_one(demo_app, demo_client, alice):
    create(demo_client, alice, "Names", ["102", "103", JANE])
    (mine,) = group_rows(demo_app, "101")
    page = html(demo_client.get(f"/widget/conversations/{mine.id}", headers=alice))
    people = page.find("p", id=f"thread-people-{mine.id}").get_text()
    assert people == "Jane Roe, Bob Martinez, Carol Nguyen", people
    assert "Ext." not in people and "(415)" not in people

    added = demo_client.post(
        f"/widget/compose/conversations/{mine.id}/members", headers=alice, data={"member": "104"}
    )
    assert added.status_code == 200, added.data
    line = html(added).find("p", id=f"thread-people-{mine.id}")
    assert line["hx-swap-oob"] == "true"
    assert line.get_text().count(",") == 3  # four others now, by name
    assert "Ext." not in line.get_text()
