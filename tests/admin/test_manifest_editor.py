"""The log-form builder page over HTTP: admin only, live validation, publish, rollback."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.helpers import html, sign_in
from widget import htmx_support
from widget.crm_logging import manifests
from widget.extensions import db
from widget.models import Extension, ManifestVersion

CONNECTOR = "salesforce"
EDITOR = f"/admin/manifests/{CONNECTOR}"


@pytest.fixture
def bob(demo_client):
    return sign_in(demo_client, "102")  # not an admin


def _page_headers(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if k != "HX-Request"}


def _bundled_text(title: str = "Priority") -> str:
    document = manifests.bundled_manifest(CONNECTOR)
    document["platforms"][CONNECTOR]["page"]["messageLog"]["additionalFields"][1]["title"] = title
    return json.dumps(document)


def _stored_versions(demo_app) -> list[int]:
    with demo_app.app_context():
        return list(
            db.session.scalars(select(ManifestVersion.version).order_by(ManifestVersion.version))
        )


def test_editor_page_shows_the_active_manifest_and_is_never_framed(demo_client, alice):
    response = demo_client.get(EDITOR, headers=_page_headers(alice))

    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    page = html(response)
    text = page.find("textarea", {"name": "document"}).get_text()
    assert json.loads(text)["platforms"][CONNECTOR]["displayName"] == "Salesforce"
    active = page.select("#manifest-versions li.active")
    assert [li["data-version"] for li in active] == ["0"]
    assert page.find("button", string="Publish") is not None


def test_non_admins_cannot_open_or_publish(demo_app, demo_client, bob):
    assert demo_client.get(EDITOR, headers=_page_headers(bob)).status_code == 403

    response = demo_client.post(
        f"{EDITOR}/versions",
        data={"document": _bundled_text("Mine"), "base_version": "0"},
        headers=bob,
    )

    assert response.status_code == 403
    assert _stored_versions(demo_app) == []
    rollback = demo_client.post(f"{EDITOR}/versions/0/rollback", headers=bob)
    assert rollback.status_code == 403


def test_live_validation_lists_each_error_with_its_pointer(demo_client, alice):
    broken = json.loads(_bundled_text())
    broken["platforms"][CONNECTOR]["page"]["messageLog"]["additionalFields"][1]["type"] = "dial"
    broken["platforms"][CONNECTOR]["contactPageUrl"] = "https://{hostname}/{recordKind}"

    response = demo_client.post(
        f"{EDITOR}/validate",
        data={"document": json.dumps(broken), "base_version": "0"},
        headers=alice,
    )

    assert response.status_code == 200
    lines = html(response).select("#manifest-errors li[data-pointer]")
    pointers = [li["data-pointer"] for li in lines]
    assert f"/platforms/{CONNECTOR}/page/messageLog/additionalFields/1/type" in pointers
    assert f"/platforms/{CONNECTOR}/contactPageUrl" in pointers
    assert all(li.find("code").get_text() == li["data-pointer"] for li in lines)


def test_live_validation_of_a_valid_manifest_previews_the_log_form(demo_client, alice):
    response = demo_client.post(
        f"{EDITOR}/validate",
        data={"document": _bundled_text("Urgency"), "base_version": "0"},
        headers=alice,
    )

    box = html(response).select_one("#manifest-errors")
    assert box["data-error-count"] == "0"
    assert "can be published" in box.get_text()
    frame = html(response).select_one("#log-form-preview iframe")
    assert frame["width"] == "360" and "sandbox" in frame.attrs
    panel = BeautifulSoup(frame["srcdoc"], "html.parser")
    assert panel.find("label", {"for": "field_priority"}).get_text(strip=True) == "Urgency"
    assert panel.select_one("#log-panel .record-name").get_text() == "Jane Roe (sample) (Contact)"


def test_invalid_publish_is_422_in_place_and_the_active_version_stays(demo_app, demo_client, alice):
    first = demo_client.post(
        f"{EDITOR}/versions",
        data={"document": _bundled_text("Kept"), "base_version": "0"},
        headers=alice,
    )
    assert first.status_code == 200

    response = demo_client.post(
        f"{EDITOR}/versions",
        data={"document": '{"platforms": ', "base_version": "1"},
        headers=alice,
    )

    assert response.status_code == 422
    assert "HX-Retarget" not in response.headers  # rendered in place, not in the flash area
    errors = html(response).select("#manifest-errors li[data-pointer]")
    assert [e["data-pointer"] for e in errors] == ["/"]
    assert "not valid JSON" in errors[0].get_text()
    assert _stored_versions(demo_app) == [1]
    page = html(demo_client.get(EDITOR, headers=_page_headers(alice)))
    assert [li["data-version"] for li in page.select("#manifest-versions li.active")] == ["1"]
    assert "Kept" in page.find("textarea").get_text()


def test_publish_returns_the_new_version_list_out_of_band(demo_client, alice):
    response = demo_client.post(
        f"{EDITOR}/versions",
        data={"document": _bundled_text("Urgency"), "base_version": "0"},
        headers=alice,
    )

    page = html(response)
    assert "Published version 1" in page.select_one("#manifest-errors").get_text()
    versions = page.select_one("#manifest-versions")
    assert versions["hx-swap-oob"] == "true"
    assert [li["data-version"] for li in versions.select("li")] == ["1", "0"]
    assert versions.select_one("li.active")["data-version"] == "1"
    assert versions.find("button", string="Roll back to version 0") is not None


def test_rollback_restores_the_earlier_document_in_the_editor(demo_app, demo_client, alice):
    demo_client.post(
        f"{EDITOR}/versions",
        data={"document": _bundled_text("One"), "base_version": "0"},
        headers=alice,
    )
    demo_client.post(
        f"{EDITOR}/versions",
        data={"document": _bundled_text("Two"), "base_version": "1"},
        headers=alice,
    )

    response = demo_client.post(f"{EDITOR}/versions/1/rollback", headers=alice)

    assert response.status_code == 200
    page = html(response)
    editor_text = page.select_one("#manifest-editor textarea").get_text()
    assert '"title": "One"' in editor_text
    assert "Version 1 is active again" in page.get_text()
    assert page.select_one("#manifest-versions li.active")["data-version"] == "3"
    assert _stored_versions(demo_app) == [1, 2, 3]
    missing = demo_client.post(f"{EDITOR}/versions/7/rollback", headers=alice)
    assert missing.status_code == 404


def test_json_publish_answers_json_and_errors_carry_pointers(demo_app, demo_client, alice):
    headers = {**alice, "Accept": "application/json"}
    del headers["HX-Request"]

    created = demo_client.post(
        f"{EDITOR}/versions", json=json.loads(_bundled_text("Api")), headers=headers
    )
    refused = demo_client.post(
        f"{EDITOR}/versions", json={"platforms": {CONNECTOR: {"name": 7}}}, headers=headers
    )

    assert created.status_code == 201
    assert created.get_json() == {"connector_id": CONNECTOR, "version": 1}
    assert refused.status_code == 422
    lines = refused.get_json()["error"]["errors"]
    assert {
        "pointer": f"/platforms/{CONNECTOR}/name",
        "message": "name must be a string; got 7",
    } in lines
    assert _stored_versions(demo_app) == [1]


def test_publish_without_csrf_is_refused(demo_app, demo_client, alice):
    headers = {k: v for k, v in alice.items() if k != htmx_support.CSRF_HEADER}

    response = demo_client.post(
        f"{EDITOR}/versions",
        data={"document": _bundled_text("X"), "base_version": "0"},
        headers=headers,
    )

    assert response.status_code == 403
    assert _stored_versions(demo_app) == []


def test_unknown_connector_is_404(demo_client, alice):
    assert (
        demo_client.get("/admin/manifests/nocrm", headers=_page_headers(alice)).status_code == 404
    )


def test_a_published_version_records_its_account_and_author(demo_app, demo_client, alice):
    demo_client.post(
        f"{EDITOR}/versions",
        data={"document": _bundled_text("Ours"), "base_version": "0"},
        headers=alice,
    )

    with demo_app.app_context():
        row = db.session.scalars(select(ManifestVersion)).one()
        alice_row = db.session.scalars(
            select(Extension).where(Extension.extension_number == "101")
        ).one()
        assert (row.account_id, row.published_by_id) == (alice_row.account_id, alice_row.id)
