"""Company SMS templates in the console: edit (beside add and delete), each bad input refused.

The seeded demo has Alice (admin, 101), Bob (user, 102) and the demo's company templates.
Edits go through the same checks as the widget's template editor (title and text limits,
known variables only), are audit-logged with their diff, and a refused edit changes
nothing: not the template, not the audit log.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import html
from widget import htmx_support
from widget.extensions import db
from widget.models import AdminAuditEntry, Extension, SmsTemplate, TemplateScope
from widget.models.sms_template import TEMPLATE_BODY_LIMIT, TEMPLATE_TITLE_LIMIT
from widget.sms_templates import service as templates


def _company_templates(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        rows = db.session.scalars(
            select(SmsTemplate)
            .where(SmsTemplate.scope == TemplateScope.COMPANY)
            .order_by(SmsTemplate.position)
        )
        return [(t.id, t.title, t.body) for t in rows]


def _audit(app) -> list[AdminAuditEntry]:
    with app.app_context():
        rows = list(db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id)))
        db.session.expunge_all()
        return rows


def _edit(client, headers, template_id: int, title: str, body: str):
    """Post an edit of a company template as the console's edit form does."""
    data = {"title": title, "body": body}
    return client.post(f"/admin/settings/templates/{template_id}", data=data, headers=headers)


def _personal_template_id(app, extension_number: str) -> int:
    with app.app_context():
        owner = db.session.scalars(
            select(Extension).where(Extension.extension_number == extension_number)
        ).first()
        return templates.create_template(owner, TemplateScope.PERSONAL, "Mine", "Only mine").id


def test_an_admin_edits_a_company_template_and_the_change_is_audited_with_its_diff(
    demo_app, demo_client, alice
):
    template_id, title, body = _company_templates(demo_app)[0]
    form = demo_client.get(f"/admin/settings/templates/{template_id}/edit", headers=alice)
    assert form.status_code == 200
    editing = html(form).select_one(f"li[data-template-id='{template_id}'] form")
    assert editing.select_one("#edit-template-title")["value"] == title
    assert editing.select_one("#edit-template-body").get_text() == body

    new_body = "Hi {{contact.first_name}}, we open at 9."
    saved = _edit(demo_client, alice, template_id, "Opening hours", new_body)

    assert saved.status_code == 200
    item = html(saved).select_one(f"li[data-template-id='{template_id}']")
    assert "Opening hours" in item.get_text() and item.find("form") is None
    assert _company_templates(demo_app)[0] == (
        template_id,
        "Opening hours",
        "Hi {{contact.first_name}}, we open at 9.",
    )
    (entry,) = _audit(demo_app)
    assert (entry.action, entry.actor_name) == ("template.edit", "Alice Chen")
    assert entry.summary == "Edited “Opening hours”"
    assert f"-{title}" in entry.diff and "+Opening hours" in entry.diff
    page_headers = {k: v for k, v in alice.items() if k != "HX-Request"}
    shown = html(demo_client.get("/admin/audit", headers=page_headers))
    assert "+Opening hours" in shown.get_text()


def test_saving_an_unchanged_template_writes_no_audit_entry(demo_app, demo_client, alice):
    template_id, title, body = _company_templates(demo_app)[0]

    saved = _edit(demo_client, alice, template_id, title, body)

    assert saved.status_code == 200
    assert _audit(demo_app) == []


@pytest.mark.parametrize(
    ("title", "body", "field", "words"),
    [
        ("", "We open at 9.", "title", "Give the template a title."),
        ("x" * (TEMPLATE_TITLE_LIMIT + 1), "We open at 9.", "title", "limited to"),
        ("Hours", "   ", "body", "Write the template's text."),
        ("Hours", "y" * (TEMPLATE_BODY_LIMIT + 1), "body", "limited to"),
        ("Hours", "Hi {{contact.firstName}}", "body", "Unknown variable {{contact.firstName}}"),
        ("Hours", "Hi {{contact.name", "body", "never closed"),
    ],
)
def test_each_bad_edit_is_refused_in_place_and_changes_nothing(
    demo_app, demo_client, alice, title, body, field, words
):
    before = _company_templates(demo_app)
    template_id = before[0][0]

    response = _edit(demo_client, alice, template_id, title, body)

    assert response.status_code == 422
    page = html(response)
    editing = page.select_one(f"li[data-template-id='{template_id}'] form")
    assert editing is not None, "the edit form stays open with the problem"
    control = editing.select_one(f"#edit-template-{field}")
    assert control["aria-invalid"] == "true"
    error = editing.select_one(f"#{control['aria-describedby']}")
    assert words in error.get_text()
    assert _company_templates(demo_app) == before
    assert _audit(demo_app) == []


def test_a_personal_or_unknown_template_cannot_be_edited_here(demo_app, demo_client, alice):
    personal = _personal_template_id(demo_app, "102")  # Bob's own
    before = _company_templates(demo_app)

    for template_id in (personal, 999_999):
        form = demo_client.get(f"/admin/settings/templates/{template_id}/edit", headers=alice)
        edit = _edit(demo_client, alice, template_id, "Taken", "Over")
        assert (form.status_code, edit.status_code) == (404, 404)

    with demo_app.app_context():
        assert db.session.get(SmsTemplate, personal).title == "Mine"
    assert _company_templates(demo_app) == before
    assert _audit(demo_app) == []


def test_a_user_and_a_request_without_csrf_cannot_edit(demo_app, demo_client, alice, bob):
    template_id = _company_templates(demo_app)[0][0]
    before = _company_templates(demo_app)
    no_csrf = {k: v for k, v in alice.items() if k != htmx_support.CSRF_HEADER}

    as_user = _edit(demo_client, bob, template_id, "Taken", "Over")
    without_csrf = _edit(demo_client, no_csrf, template_id, "Taken", "Over")

    assert (as_user.status_code, without_csrf.status_code) == (403, 403)
    assert _company_templates(demo_app) == before
    assert _audit(demo_app) == []


def test_cancel_returns_the_list_and_the_page_names_the_real_variables(demo_client, alice):
    listed = demo_client.get("/admin/settings/templates", headers=alice)

    assert listed.status_code == 200
    section = html(listed).select_one("#company-templates")
    assert section.find("form", attrs={"hx-post": lambda v: v and v.endswith("/edit")}) is None
    variables = [code.get_text() for code in section.select("p.muted code")]
    assert "{{contact.first_name}}" in variables and "{{company.name}}" in variables
    assert "{{contact.firstName}}" not in variables
