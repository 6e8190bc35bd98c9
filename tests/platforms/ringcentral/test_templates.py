"""SMS templates are RingCentral's message-store-templates, read and written both ways."""

from __future__ import annotations

from sqlalchemy import select

from tests.platforms.ringcentral.helpers import signed_in
from widget.extensions import db
from widget.models import SmsTemplate, TemplateScope


def _local(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            (t.scope.value, t.title, t.body)
            for t in db.session.scalars(
                select(SmsTemplate).order_by(SmsTemplate.scope, SmsTemplate.position)
            )
        ]


def _remote(fake) -> list[tuple[str, str, str]]:
    return sorted(
        (t.scope.lower(), t.display_name, t.text) for t in fake.templates.template_store.values()
    )


def test_templates_made_in_ringcentral_show_and_local_ones_reach_ringcentral(rc_server):
    fake = rc_server.fake
    fake.templates.add_template("Personal", "Running late", "Running 10 minutes late, sorry!")
    fake.templates.add_template("Company", "Hours", "We are open 9 to 5, Monday to Friday.")
    browser, headers = signed_in(rc_server)
    manager = browser.get(f"{rc_server.url}/widget/templates/", headers=headers)
    assert manager.status_code == 200
    assert "Running late" in manager.text and "We are open 9 to 5" in manager.text

    data = {"scope": "personal", "title": "Directions", "body": "Park behind the building."}
    created = browser.post(f"{rc_server.url}/widget/templates/", headers=headers, data=data)
    assert created.status_code == 200, created.text
    assert ("personal", "Directions", "Park behind the building.") in _remote(fake)

    # Changed and deleted in the RingCentral app: the manager follows.
    (hours_id,) = [i for i, t in fake.templates.template_store.items() if t.scope == "Company"]
    fake.templates.template_store[hours_id].text = "We are open 8 to 6 now."
    (late_id,) = [
        i for i, t in fake.templates.template_store.items() if t.display_name == "Running late"
    ]
    del fake.templates.template_store[late_id]
    browser.get(f"{rc_server.url}/widget/templates/", headers=headers)
    assert _local(rc_server.app) == [
        ("company", "Hours", "We are open 8 to 6 now."),
        ("personal", "Directions", "Park behind the building."),
    ]


def test_editing_and_deleting_here_changes_ringcentral(rc_server):
    fake = rc_server.fake
    fake.templates.add_template("Personal", "Thanks", "Thanks for your visit!")
    browser, headers = signed_in(rc_server)
    browser.get(f"{rc_server.url}/widget/templates/", headers=headers)
    with rc_server.app.app_context():
        template = db.session.scalars(
            select(SmsTemplate).where(SmsTemplate.scope == TemplateScope.PERSONAL)
        ).one()
        template_id = template.id
    edited = browser.post(
        f"{rc_server.url}/widget/templates/{template_id}",
        headers=headers,
        data={"title": "Thanks", "body": "Thank you for visiting today!"},
    )
    assert edited.status_code == 200, edited.text
    assert _remote(fake) == [("personal", "Thanks", "Thank you for visiting today!")]
    deleted = browser.post(
        f"{rc_server.url}/widget/templates/{template_id}/delete", headers=headers
    )
    assert deleted.status_code == 200
    assert _remote(fake) == []
