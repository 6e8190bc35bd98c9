"""The templates manager over HTTP, as the sidebar's htmx calls them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import html
from widget.extensions import db
from widget.models import Extension, SmsTemplate

JANE = "+14155550123"


def rows(app):
    with app.app_context():
        return [
            (t.id, t.scope.value, t.owner_key, t.position, t.title, t.body)
            for t in db.session.scalars(select(SmsTemplate).order_by(SmsTemplate.id))
        ]


def ids_of(app, number, scope):
    with app.app_context():
        extension = db.session.scalars(
            select(Extension).where(Extension.extension_number == number)
        ).one()
        owner_key = extension.id if scope == "personal" else 0
        return [
            t.id
            for t in db.session.scalars(
                select(SmsTemplate)
                .where(SmsTemplate.scope == scope, SmsTemplate.owner_key == owner_key)
                .order_by(SmsTemplate.position)
            )
        ]


def item_titles(section):
    return [li.select_one(".template-title").get_text() for li in section.select("li.template")]


def test_sidebar_has_a_templates_button_opening_the_manager(demo_client, alice):
    page = html(
        demo_client.get("/widget/", headers={k: v for k, v in alice.items() if k != "HX-Request"})
    )
    button = next(b for b in page.find_all("button") if b.get_text(strip=True) == "Templates")
    assert button["hx-get"] == "/widget/templates/"
    assert button["hx-target"] == "#thread"
    manager = html(demo_client.get(button["hx-get"], headers=alice))
    personal = manager.select_one("#templates-personal")
    company = manager.select_one("#templates-company")
    assert item_titles(personal) == ["Call me back", "On my way"]
    assert len(item_titles(company)) == 3
    assert company.select_one("form.template-form") is not None  # Alice is an admin
    assert [b.get_text() for b in company.select("li.template")[0].find_all("button")] == [
        "Edit",
        "Move up",
        "Move down",
        "Delete",
    ]


def test_manager_without_htmx_is_a_whole_page(demo_client, alice):
    headers = {k: v for k, v in alice.items() if k != "HX-Request"}
    page = html(demo_client.get("/widget/templates/", headers=headers))
    assert page.find("html") is not None
    assert page.select_one("#templates-manager a.back")["href"] == "/widget/"


def test_non_admins_see_company_templates_read_only(demo_client, bob):
    manager = html(demo_client.get("/widget/templates/", headers=bob))
    company = manager.select_one("#templates-company")
    assert len(item_titles(company)) == 3
    assert company.find("button") is None and company.find("form") is None
    assert "Only administrators" in company.get_text()
    assert manager.select_one("#templates-personal form.template-form") is not None


def test_create_returns_the_list_with_the_new_template(demo_client, alice):
    response = demo_client.post(
        "/widget/templates/",
        data={
            "scope": "personal",
            "title": "Running late",
            "body": "Running late, {{user.first_name}}",
        },
        headers=alice,
    )
    assert response.status_code == 200
    section = html(response).select_one("section#templates-personal")
    assert item_titles(section) == ["Call me back", "On my way", "Running late"]
    assert section.select_one("#new-personal-title")["value"] == ""  # a fresh form


@pytest.mark.parametrize(
    ("title", "body", "field", "words"),
    [
        ("", "Hello", "title", "Give the template a title"),
        ("Hi", "", "body", "Write the template"),
        ("Hi", "x" * 1001, "body", "limited to 1000 characters; this one has 1001"),
        ("Hi", "Hello {{contact.shoe_size}}", "body", "Unknown variable {{contact.shoe_size}}"),
    ],
)
def test_bad_input_re_renders_the_form_with_errors(
    demo_client, demo_app, alice, title, body, field, words
):
    before = rows(demo_app)
    response = demo_client.post(
        "/widget/templates/",
        data={"scope": "personal", "title": title, "body": body},
        headers=alice,
    )
    assert response.status_code == 422
    form = html(response).select_one("form#new-template-personal")
    error = form.select_one(f"#new-personal-{field}-error")
    assert words in error.get_text()
    assert form.select_one(f"#new-personal-{field}")["aria-invalid"] == "true"
    assert form.select_one("#new-personal-body").get_text() == body  # what was typed stays
    assert rows(demo_app) == before


def test_typed_text_is_escaped_when_the_form_comes_back(demo_client, alice):
    hostile = "</textarea><script>alert(1)</script>{{contact.shoe}}"
    response = demo_client.post(
        "/widget/templates/",
        data={"scope": "personal", "title": '"><img src=x onerror=alert(1)>', "body": hostile},
        headers=alice,
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "<script>" not in text and "<img" not in text
    form = html(response).select_one("form#new-template-personal")
    assert form.select_one("#new-personal-body").get_text() == hostile


def test_over_the_limit_is_a_form_error(demo_client, demo_app, bob):
    for n in range(25):
        demo_client.post(
            "/widget/templates/",
            data={"scope": "personal", "title": f"T{n}", "body": "x"},
            headers=bob,
        )
    before = rows(demo_app)
    response = demo_client.post(
        "/widget/templates/", data={"scope": "personal", "title": "26th", "body": "x"}, headers=bob
    )
    assert response.status_code == 422
    section = html(response).select_one("#templates-personal")
    assert (
        "25 personal templates, the most allowed" in section.select_one(".field-error").get_text()
    )
    assert section.select_one("form button[type=submit]").has_attr("disabled")
    assert rows(demo_app) == before


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/widget/templates/", {"scope": "company", "title": "Mine", "body": "x"}),
        ("post", "/widget/templates/{id}", {"title": "Changed", "body": "x"}),
        ("post", "/widget/templates/{id}/delete", {}),
        ("post", "/widget/templates/{id}/position", {"position": "1"}),
        ("get", "/widget/templates/{id}/edit", None),
    ],
)
def test_non_admins_cannot_change_company_templates(demo_client, demo_app, bob, method, path, data):
    company_id = ids_of(demo_app, "101", "company")[0]
    before = rows(demo_app)
    response = getattr(demo_client, method)(path.format(id=company_id), data=data, headers=bob)
    assert response.status_code == 403
    assert "Only an administrator" in html(response).get_text()
    assert rows(demo_app) == before


def test_admin_edits_a_company_template(demo_client, demo_app, alice):
    company_id = ids_of(demo_app, "101", "company")[0]
    form = html(demo_client.get(f"/widget/templates/{company_id}/edit", headers=alice))
    assert form.select_one("li.editing form")["hx-post"] == f"/widget/templates/{company_id}"
    assert form.select_one(f"#edit-{company_id}-title")["value"] == "Thanks for reaching out"
    bad = demo_client.post(
        f"/widget/templates/{company_id}", data={"title": "", "body": "x"}, headers=alice
    )
    assert bad.status_code == 422
    assert html(bad).select_one(f"#edit-{company_id}-title-error") is not None
    good = demo_client.post(
        f"/widget/templates/{company_id}",
        data={"title": "Welcome", "body": "Welcome to {{company.name}}"},
        headers=alice,
    )
    assert good.status_code == 200
    item = html(good).select_one(f"li#template-{company_id}")
    assert item.select_one(".template-title").get_text() == "Welcome"
    cancel = html(demo_client.get(f"/widget/templates/{company_id}", headers=alice))
    assert cancel.select_one(".template-body").get_text() == "Welcome to {{company.name}}"


def test_move_and_delete_return_the_list_in_order(demo_client, demo_app, alice):
    first, second, third = ids_of(demo_app, "101", "company")
    moved = demo_client.post(
        f"/widget/templates/{first}/position", data={"position": "2"}, headers=alice
    )
    assert moved.status_code == 200
    section = html(moved).select_one("#templates-company")
    order = [int(li["data-template-id"]) for li in section.select("li.template")]
    assert order == [second, third, first]
    assert section.select_one(f"#template-{second} button[value='-1']").has_attr("disabled")
    assert section.select_one(f"#template-{first} button[value='3']").has_attr("disabled")
    deleted = demo_client.post(f"/widget/templates/{third}/delete", headers=alice)
    order = [
        int(li["data-template-id"]) for li in html(deleted).select("#templates-company li.template")
    ]
    assert order == [second, first]
    assert [li["data-position"] for li in html(deleted).select("li.template")] == ["0", "1"]


@pytest.mark.parametrize("position", ["-1", "3", "99", "up", ""])
def test_move_out_of_range_or_not_a_number(demo_client, demo_app, alice, position):
    first = ids_of(demo_app, "101", "company")[0]
    before = rows(demo_app)
    response = demo_client.post(
        f"/widget/templates/{first}/position", data={"position": position}, headers=alice
    )
    assert response.status_code == 400
    assert rows(demo_app) == before


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/widget/templates/{id}", None),
        ("get", "/widget/templates/{id}/edit", None),
        ("post", "/widget/templates/{id}", {"title": "Stolen", "body": "x"}),
        ("post", "/widget/templates/{id}/delete", {}),
        ("post", "/widget/templates/{id}/position", {"position": "1"}),
    ],
)
def test_another_users_personal_template_is_not_found(
    demo_client, demo_app, bob, method, path, data
):
    alices = ids_of(demo_app, "101", "personal")[0]
    before = rows(demo_app)
    response = getattr(demo_client, method)(path.format(id=alices), data=data, headers=bob)
    assert response.status_code == 404
    assert rows(demo_app) == before


def test_unknown_scope_is_refused(demo_client, demo_app, alice):
    before = rows(demo_app)
    response = demo_client.post(
        "/widget/templates/", data={"scope": "global", "title": "t", "body": "x"}, headers=alice
    )
    assert response.status_code == 400
    assert rows(demo_app) == before


def test_changes_need_the_csrf_token(demo_client, demo_app, alice):
    before = rows(demo_app)
    headers = {k: v for k, v in alice.items() if k != "X-CSRF-Token"}
    response = demo_client.post(
        "/widget/templates/", data={"scope": "personal", "title": "t", "body": "x"}, headers=headers
    )
    assert response.status_code == 403
    assert rows(demo_app) == before
