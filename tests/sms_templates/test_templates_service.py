"""Template lists without HTTP: create, edit, delete, reorder, limits, permissions."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from widget.errors import DomainError
from widget.extensions import db
from widget.models import SmsTemplate, TemplateScope
from widget.sms_templates.service import (
    DEMO_COMPANY_TEMPLATES,
    TemplateInvalid,
    create_template,
    delete_template,
    get_template,
    list_templates,
    move_template,
    picker_items,
    seed_templates,
    update_template,
)
from widget.sms_templates.variables import recipient_values

PERSONAL = TemplateScope.PERSONAL
COMPANY = TemplateScope.COMPANY


def titles(extension, scope):
    return [t.title for t in list_templates(extension, scope)]


def positions(extension, scope):
    return [t.position for t in list_templates(extension, scope)]


def all_rows():
    return [
        (t.id, t.scope, t.owner_key, t.position, t.title, t.body)
        for t in db.session.scalars(select(SmsTemplate).order_by(SmsTemplate.id))
    ]


def test_demo_seeds_company_templates_and_personal_ones_for_101(ext):
    alice, bob = ext("101"), ext("102")
    assert titles(alice, COMPANY) == [title for title, _ in DEMO_COMPANY_TEMPLATES]
    assert titles(alice, PERSONAL) == ["Call me back", "On my way"]
    assert titles(bob, COMPANY) == titles(alice, COMPANY)  # shared by the account
    assert titles(bob, PERSONAL) == []
    before = all_rows()
    seed_templates(alice.account)  # seeding twice adds nothing
    assert all_rows() == before


def test_create_appends_at_the_end(ext):
    bob = ext("102")
    for n in range(3):
        create_template(bob, PERSONAL, f"  T{n}  ", f"Body {n}\r\nline two")
    assert titles(bob, PERSONAL) == ["T0", "T1", "T2"]
    assert positions(bob, PERSONAL) == [0, 1, 2]
    assert list_templates(bob, PERSONAL)[0].body == "Body 0\nline two"


@pytest.mark.parametrize(
    ("title", "body", "field", "words"),
    [
        ("", "text", "title", "title"),
        ("   ", "text", "title", "title"),
        ("x" * 81, "text", "title", "80 characters"),
        ("Title", "", "body", "text"),
        ("Title", " \n ", "body", "text"),
        ("Title", "x" * 1001, "body", "1000 characters"),
        ("Title", "Hi {{contact.shoe_size}}", "body", "{{contact.shoe_size}}"),
        ("Title", "Hi {{contact.first_name", "body", "never closed"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_saved(ext, title, body, field, words):
    alice = ext("101")
    before = all_rows()
    with pytest.raises(TemplateInvalid) as caught:
        create_template(alice, PERSONAL, title, body)
    assert words in caught.value.errors[field]
    assert all_rows() == before


def test_exactly_1000_characters_is_allowed_and_crlf_counts_once(ext):
    bob = ext("102")
    create_template(bob, PERSONAL, "Long", "x" * 1000)
    create_template(bob, PERSONAL, "Lines", ("x" * 9 + "\r\n") * 100)  # 1000 chars once LF
    assert [len(t.body) for t in list_templates(bob, PERSONAL)] == [1000, 999]


def test_personal_limit_is_25(ext):
    bob = ext("102")
    for n in range(25):
        create_template(bob, PERSONAL, f"T{n}", "text")
    with pytest.raises(TemplateInvalid) as caught:
        create_template(bob, PERSONAL, "One more", "text")
    assert "25 personal templates" in caught.value.errors["form"]
    assert len(list_templates(bob, PERSONAL)) == 25
    create_template(ext("103"), PERSONAL, "Carol's own", "text")  # per user, not shared


def test_company_limit_is_50(ext):
    alice = ext("101")
    for n in range(50 - len(DEMO_COMPANY_TEMPLATES)):
        create_template(alice, COMPANY, f"C{n}", "text")
    with pytest.raises(TemplateInvalid) as caught:
        create_template(alice, COMPANY, "One more", "text")
    assert "50 company templates" in caught.value.errors["form"]
    assert len(list_templates(alice, COMPANY)) == 50


def _insert_raw_template(bob, position: int) -> None:
    """Bypass the service: only the database's own constraints stand in the way."""
    db.session.add(
        SmsTemplate(
            account_id=bob.account_id,
            scope=PERSONAL,
            owner_extension_id=bob.id,
            owner_key=bob.id,
            position=position,
            title="sneaky",
            body="x",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_database_itself_refuses_a_position_beyond_the_limit(ext):
    _insert_raw_template(ext("102"), position=25)


def test_the_database_refuses_two_templates_at_one_position(ext):
    bob = ext("102")
    create_template(bob, PERSONAL, "First", "x")
    _insert_raw_template(bob, position=0)


def test_only_admins_change_company_templates(ext):
    alice, bob = ext("101"), ext("102")
    company = list_templates(bob, COMPANY)[0]
    before = all_rows()
    for attempt in (
        lambda: create_template(bob, COMPANY, "Mine", "text"),
        lambda: update_template(bob, company, "Changed", "text"),
        lambda: delete_template(bob, company),
        lambda: move_template(bob, company, 1),
    ):
        with pytest.raises(DomainError) as caught:
            attempt()
        assert caught.value.status == 403
    assert all_rows() == before
    update_template(alice, company, "Changed by admin", "text")
    assert titles(bob, COMPANY)[0] == "Changed by admin"


def test_update_validates_like_create(ext):
    alice = ext("101")
    template = list_templates(alice, PERSONAL)[0]
    before = all_rows()
    with pytest.raises(TemplateInvalid) as caught:
        update_template(alice, template, "Fine", "{{user.shoe}}")
    assert "{{user.shoe}}" in caught.value.errors["body"]
    db.session.rollback()
    assert all_rows() == before


def test_delete_closes_the_gap(ext):
    bob = ext("102")
    made = [create_template(bob, PERSONAL, f"T{n}", "x") for n in range(5)]
    delete_template(bob, made[1])
    assert titles(bob, PERSONAL) == ["T0", "T2", "T3", "T4"]
    assert positions(bob, PERSONAL) == [0, 1, 2, 3]
    delete_template(bob, made[0])
    delete_template(bob, made[4])
    assert titles(bob, PERSONAL) == ["T2", "T3"]
    assert positions(bob, PERSONAL) == [0, 1]


@pytest.mark.parametrize(
    ("moved", "to", "expected"),
    [
        (0, 1, ["B", "A", "C", "D"]),  # move down
        (1, 0, ["B", "A", "C", "D"]),  # move up
        (0, 3, ["B", "C", "D", "A"]),  # to the bottom
        (3, 0, ["D", "A", "B", "C"]),  # to the top
        (2, 2, ["A", "B", "C", "D"]),  # where it is
    ],
)
def test_move_keeps_positions_dense(ext, moved, to, expected):
    bob = ext("102")
    made = [create_template(bob, PERSONAL, name, "x") for name in "ABCD"]
    move_template(bob, made[moved], to)
    assert titles(bob, PERSONAL) == expected
    assert positions(bob, PERSONAL) == [0, 1, 2, 3]


@pytest.mark.parametrize("to", [-1, 2, 99])
def test_move_out_of_range_is_refused(ext, to):
    bob = ext("102")
    made = [create_template(bob, PERSONAL, name, "x") for name in "AB"]
    before = all_rows()
    with pytest.raises(DomainError) as caught:
        move_template(bob, made[0], to)
    assert caught.value.status == 400
    assert "out of range" in caught.value.message
    assert all_rows() == before


def test_other_peoples_templates_are_not_found(ext):
    alice, bob = ext("101"), ext("102")
    alices = list_templates(alice, PERSONAL)[0]
    with pytest.raises(DomainError) as caught:
        get_template(bob, alices.id)
    assert caught.value.status == 404
    with pytest.raises(DomainError):
        get_template(bob, 999_999)
    assert get_template(bob, list_templates(alice, COMPANY)[0].id).scope == COMPANY


def test_lists_of_other_accounts_are_separate(ext):
    from widget.models import Account, Extension

    alice = ext("101")
    other_account = Account(platform="sandbox", platform_account_id="other", name="Other Inc")
    outsider = Extension(
        account=other_account,
        platform_extension_id="o-1",
        extension_number="101",
        name="Olga Other",
        is_admin=True,
    )
    db.session.add_all([other_account, outsider])
    db.session.commit()
    create_template(outsider, COMPANY, "Theirs", "x")
    assert titles(outsider, COMPANY) == ["Theirs"]
    assert "Theirs" not in titles(alice, COMPANY)
    with pytest.raises(DomainError) as caught:
        get_template(outsider, list_templates(alice, COMPANY)[0].id)
    assert caught.value.status == 404


def test_picker_items_are_filled_for_the_recipient(ext):
    alice = ext("101")
    context = recipient_values(alice, ["+14155550123"], "US")
    items = picker_items(alice, PERSONAL, context)
    assert items[0].filled.text.startswith("Hi Jane, this is Alice.")
    assert items[0].filled.warnings == []
