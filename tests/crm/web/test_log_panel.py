"""The Log panel against the local CRM: names, Related to, fields, preview, Log, bad input."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from tests.crm.web.conftest import (
    HOSTILE,
    JANE,
    OLIVER,
    PRIYA,
    SAM,
    activity_count,
    conversation_id,
    field_error,
    inbound,
    panel_url,
    related_options,
)
from tests.helpers import html
from widget.crm_logging import manifests
from widget.extensions import db
from widget.local_crm.models import LocalCrmActivity, LocalCrmContact, LocalCrmLead


def test_thread_offers_log_for_phone_conversations_only(demo_app, demo_client, alice):
    voicemail = conversation_id(demo_app, "101", f",{JANE},", "voicemail")
    pager = conversation_id(demo_app, "101", ",102,", "pager")

    thread = html(demo_client.get(f"/widget/conversations/{voicemail}", headers=alice))
    pager_thread = html(demo_client.get(f"/widget/conversations/{pager}", headers=alice))

    button = thread.find("button", string="Log")
    assert button["hx-get"] == panel_url(voicemail)
    assert thread.select_one(f"#log-status-{voicemail}")["hx-trigger"] == "load"
    assert pager_thread.find("button", string="Log") is None
    assert demo_client.get(panel_url(pager), headers=alice).status_code == 400


def test_panel_lists_every_record_matching_the_number_with_its_type(demo_client, alice):
    cid = inbound(demo_client, PRIYA, "Hi, it's Priya")

    page = html(demo_client.get(panel_url(cid), headers=alice))

    names = page.select("fieldset.log-names label.choice")
    labels = [label.select_one(".record-name").get_text(strip=True) for label in names]
    assert labels == ["Priya Shah (Contact)", "P. Shah (Lead)"]
    radios = page.select("input[name=record_id]")
    assert [r.has_attr("checked") for r in radios] == [True, False]
    assert all(r["hx-get"] == panel_url(cid, "/fields") for r in radios)
    assert page.find("button", string="Log") is not None


def test_group_conversation_offers_records_of_each_member(demo_app, demo_client, alice):
    group = conversation_id(demo_app, "101", f",{SAM},{JANE},", "text")

    page = html(demo_client.get(panel_url(group), headers=alice))

    choices = {
        label["data-record-id"]: label.get_text(" ", strip=True)
        for label in page.select("label.choice")
    }
    assert any(
        "Jane Roe (Contact)" in text and "(415) 555-0123" in text for text in choices.values()
    )
    assert any(
        "Sam Okafor (Contact)" in text and "(212) 555-0187" in text for text in choices.values()
    )


def test_related_to_follows_the_chosen_name(demo_app, demo_client, alice):
    group = conversation_id(demo_app, "101", f",{SAM},{JANE},", "text")
    page = html(demo_client.get(panel_url(group), headers=alice))
    ids = {
        label.select_one(".record-name").get_text(strip=True): label["data-record-id"]
        for label in page.select("label.choice")
    }
    jane_id = ids["Jane Roe (Contact)"]

    response = demo_client.get(
        panel_url(group, "/fields"),
        query_string={"record_id": jane_id, "field_outcome": "Resolved"},
        headers=alice,
    )

    assert response.status_code == 200
    fields = html(response)
    titles = set(related_options(fields).values())
    assert {
        "None",
        "Opportunity: Fleet tracking renewal 2026",
        "Opportunity: Warehouse SMS pilot",
    } <= titles
    assert not any("2024 onboarding" in t for t in titles)  # closed deals are not offered
    assert (
        fields.find("select", {"name": "field_outcome"}).find("option", selected=True)["value"]
        == "Resolved"
    )
    preview = fields.select_one("#log-preview")
    assert preview["hx-swap-oob"] == "true"
    # Inside the form, whose own target is the whole panel: the preview must target itself.
    assert preview["hx-target"] == "this"
    assert "Group SMS" in preview.find("pre").get_text()


def test_log_writes_one_activity_and_shows_the_logged_mark_with_links(demo_app, demo_client, alice):
    cid = inbound(demo_client, JANE, "Is the truck arriving at 9?")
    page = html(demo_client.get(panel_url(cid), headers=alice))
    record_id = page.find("input", {"name": "record_id", "checked": True})["value"]
    deal = next(v for v, t in related_options(page).items() if "Fleet tracking" in t)

    response = demo_client.post(
        panel_url(cid),
        data={
            "record_id": record_id,
            "field_relatedTo": deal,
            "field_outcome": "Follow-up needed",
            "field_note": "Call back Monday",
        },
        headers=alice,
    )

    assert response.status_code == 200
    status = html(response).select_one(f"#log-status-{cid}")
    assert status["data-state"] == "logged"
    links = {a.get_text(strip=True): a["href"] for a in status.find_all("a")}
    with demo_app.app_context():
        landed = db.session.scalars(select(LocalCrmActivity)).one()
        assert landed.related_to_title.endswith("Fleet tracking renewal 2026")
        assert landed.fields["note"] == "Call back Monday"
        assert "Is the truck arriving at 9?" in landed.body
    assert links["Jane Roe (Contact)"] == f"http://localhost/crm/local/records/Contact/{record_id}"
    assert links["View activity"] == f"http://localhost/crm/local/activities/{landed.id}"
    again = html(demo_client.get(panel_url(cid, "/status"), headers=alice))
    assert again.select_one(".logged-mark a.activity-link")["href"] == links["View activity"]


def test_hostile_text_is_escaped_in_the_preview_and_the_crm_body(demo_app, demo_client, alice):
    cid = inbound(demo_client, JANE, HOSTILE)

    page = html(demo_client.get(panel_url(cid), headers=alice))

    frame = page.select_one("#log-preview iframe")
    assert frame.has_attr("sandbox") and not frame["sandbox"]  # no allow-* tokens at all
    inner = BeautifulSoup(frame["srcdoc"], "html.parser")
    assert inner.find("script") is None and inner.find("img") is None
    assert '<script>alert("x")</script>' in inner.get_text()
    assert (
        "default-src 'none'"
        in inner.find("meta", {"http-equiv": "Content-Security-Policy"})["content"]
    )
    source = page.select_one("#log-preview pre").get_text()
    assert "&lt;script&gt;" in source  # the HTML body escapes the text; shown as source here
    record_id = page.find("input", {"name": "record_id", "checked": True})["value"]

    demo_client.post(
        panel_url(cid), data={"record_id": record_id, "field_outcome": "Resolved"}, headers=alice
    )

    with demo_app.app_context():
        body = db.session.scalars(select(LocalCrmActivity.body)).one()
    written = BeautifulSoup(body, "html.parser")
    assert written.find("script") is None and written.find("img") is None
    assert '<script>alert("x")</script>' in written.get_text()
    assert not any(a.get("href", "").startswith("javascript") for a in written.find_all("a"))


def test_voicemail_and_fax_conversations_log_with_media_links(demo_app, demo_client, alice):
    voicemail = conversation_id(demo_app, "101", f",{JANE},", "voicemail")
    page = html(demo_client.get(panel_url(voicemail), headers=alice))
    record_id = page.find("input", {"name": "record_id", "checked": True})["value"]

    response = demo_client.post(
        panel_url(voicemail),
        data={"record_id": record_id, "field_outcome": "Resolved"},
        headers=alice,
    )

    assert response.status_code == 200
    assert html(response).select_one(f"#log-status-{voicemail}")["data-state"] == "logged"
    with demo_app.app_context():
        body = db.session.scalars(select(LocalCrmActivity.body)).one()
    links = [a["href"] for a in BeautifulSoup(body, "html.parser").find_all("a")]
    assert any("/widget/media/" in href for href in links)


def test_create_contact_when_nothing_matches(demo_app, demo_client, alice):
    cid = conversation_id(demo_app, "101", f",{OLIVER},", "text")
    page = html(demo_client.get(panel_url(cid), headers=alice))
    form = page.select_one("#create-contact form")
    assert page.select_one("#log-form") is None
    assert form.find("input", {"name": "name"})["value"] == "Oliver Brooks"
    types = [o["value"] for o in form.find("select", {"name": "contact_type"}).find_all("option")]
    assert types == ["Contact", "Lead", "Account"]
    prefix = "new_" + OLIVER.lstrip("+") + "_"
    assert form.find("input", {"name": prefix + "company"}) is not None

    response = demo_client.post(
        f"/widget/crm/conversations/{cid}/contacts",
        data={
            "phone": OLIVER,
            "name": "Oliver Brooks",
            "contact_type": "Lead",
            prefix + "company": "Brooks Plumbing",
        },
        headers=alice,
    )

    assert response.status_code == 200
    created = html(response)
    chosen = created.find("input", {"name": "record_id", "checked": True})
    assert (
        chosen.find_parent("label").select_one(".record-name").get_text(strip=True)
        == "Oliver Brooks (Lead)"
    )
    assert created.select_one("#create-contact") is None
    logged = demo_client.post(
        panel_url(cid),
        data={"record_id": chosen["value"], "field_outcome": "Resolved"},
        headers=alice,
    )
    assert html(logged).select_one(f"#log-status-{cid}")["data-state"] == "logged"


@pytest.mark.parametrize(
    ("data", "status", "where", "message"),
    [
        ({"name": "  ", "contact_type": "Contact"}, 422, "name", "Required"),
        (
            {"name": "Oliver", "contact_type": "Alien"},
            422,
            "contact_type",
            "Not one of the offered types",
        ),
        ({"name": "Oliver", "contact_type": "Contact", "phone": JANE}, 400, None, None),
    ],
)
def test_create_contact_bad_input_changes_nothing(
    demo_app, demo_client, alice, data, status, where, message
):
    cid = conversation_id(demo_app, "101", f",{OLIVER},", "text")
    with demo_app.app_context():
        before = db.session.scalar(select(func.count(LocalCrmContact.id))) + db.session.scalar(
            select(func.count(LocalCrmLead.id))
        )

    response = demo_client.post(
        f"/widget/crm/conversations/{cid}/contacts", data={"phone": OLIVER, **data}, headers=alice
    )

    assert response.status_code == status
    if where == "name":
        assert (
            html(response).select_one("#create-contact .has-error .field-error").get_text()
            == message
        )
    elif where == "contact_type":
        select_box = html(response).find("select", {"name": "contact_type"})
        assert select_box.find_next("p", class_="field-error").get_text() == message
    with demo_app.app_context():
        after = db.session.scalar(select(func.count(LocalCrmContact.id))) + db.session.scalar(
            select(func.count(LocalCrmLead.id))
        )
    assert after == before


def test_auto_log_that_cannot_choose_marks_the_conversation_needs_a_decision(
    demo_app, demo_client, alice
):
    demo_client.post("/widget/crm/settings/auto-log", data={"enabled": "1"}, headers=alice)
    cid = inbound(demo_client, PRIYA, "Which of you do I talk to?")

    status = html(demo_client.get(panel_url(cid, "/status"), headers=alice))

    mark = status.select_one(".needs-decision")
    assert "Needs a decision" in mark.get_text()
    assert mark.find("button", string="Choose record")["hx-get"] == panel_url(cid)
    assert activity_count(demo_app) == 0
    page = html(demo_client.get(panel_url(cid), headers=alice))
    lead = page.select_one("label.choice:-soup-contains('P. Shah (Lead)') input")

    logged = html(
        demo_client.post(
            panel_url(cid),
            data={"record_id": lead["value"], "field_outcome": "Resolved"},
            headers=alice,
        )
    )

    assert logged.select_one(".needs-decision") is None
    assert logged.select_one(f"#log-status-{cid}")["data-state"] == "logged"


def test_the_panel_uses_the_active_manifest_version(demo_app, demo_client, alice):
    with demo_app.app_context():
        document = manifests.bundled_manifest("local")
    fields = document["platforms"]["local"]["page"]["messageLog"]["additionalFields"]
    note = next(f for f in fields if f["const"] == "note")
    note.update(title="Call summary", required=True)
    published = demo_client.post(
        "/admin/manifests/local/versions",
        data={"document": json.dumps(document), "base_version": "0"},
        headers=alice,
    )
    assert published.status_code == 200
    cid = inbound(demo_client, JANE, "Hello")

    page = html(demo_client.get(panel_url(cid), headers=alice))

    assert (
        page.find("label", {"for": "field_note"})
        .get_text(" ", strip=True)
        .startswith("Call summary")
    )
    record_id = page.find("input", {"name": "record_id", "checked": True})["value"]
    missing = demo_client.post(
        panel_url(cid), data={"record_id": record_id, "field_outcome": "Resolved"}, headers=alice
    )
    assert missing.status_code == 422
    assert field_error(html(missing), "field_note") == "Required"
    assert activity_count(demo_app) == 0
