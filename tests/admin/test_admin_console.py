"""The admin console over HTTP: every route admin-only and never framed, bad input, conflicts."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from tests.helpers import html
from widget.crm_logging import manifests
from widget.extensions import db
from widget.models import AdminAuditEntry, CrmAccountSettings, Extension, ManifestVersion

CONNECTOR = "local"
EDITOR = f"/admin/manifests/{CONNECTOR}"
ROUTES = [
    ("GET", "/admin/"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/settings"),
    ("GET", EDITOR),
    ("GET", f"{EDITOR}/diff?from=0&to=0"),
    ("POST", f"{EDITOR}/validate"),
    ("POST", f"{EDITOR}/builder"),
    ("POST", f"{EDITOR}/versions"),
    ("POST", f"{EDITOR}/versions/0/rollback"),
    ("POST", f"{EDITOR}/draft/discard"),
    ("POST", f"{EDITOR}/import"),
    ("POST", "/admin/settings/auto-log"),
    ("POST", "/admin/settings/admins/1"),
    ("POST", "/admin/settings/templates"),
    ("POST", "/admin/settings/templates/1/delete"),
    ("GET", "/admin/settings/templates"),
    ("GET", "/admin/settings/templates/1/edit"),
    ("POST", "/admin/settings/templates/1"),
    ("GET", "/admin/queues"),
    ("POST", "/admin/queues"),
    ("POST", "/admin/queues/1/settings"),
    ("POST", "/admin/queues/1/members"),
    ("POST", "/admin/queues/1/members/1/remove"),
    ("POST", "/admin/queues/1/numbers"),
    ("POST", "/admin/queues/1/numbers/remove"),
]


def _page(headers):
    return {k: v for k, v in headers.items() if k != "HX-Request"}


def _fields(document):
    return document["platforms"][CONNECTOR]["page"]["messageLog"]["additionalFields"]


def _text(mutate=None) -> str:
    document = manifests.bundled_manifest(CONNECTOR)
    if mutate:
        mutate(_fields(document))
    return json.dumps(document)


def _audit(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id))
        return [(row.action, row.actor_name) for row in rows]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_admin_route_is_403_for_a_user_and_changes_nothing(
    demo_app, demo_client, bob, method, path
):
    headers = _page(bob) if method == "GET" else bob
    data = {"document": _text(), "base_version": "0", "role": "admin", "conflict_policy": "ask"}

    response = demo_client.open(path, method=method, data=data, headers=headers)

    assert response.status_code == 403, response.get_data(as_text=True)[:300]
    assert _audit(demo_app) == []
    with demo_app.app_context():
        assert db.session.scalars(select(ManifestVersion)).first() is None
        bob_row = db.session.scalars(select(Extension).where(Extension.extension_number == "102"))
        assert bob_row.one().is_admin is False


def test_nobody_signed_in_is_sent_to_sign_in(demo_client):
    assert demo_client.get("/admin/").status_code == 302
    assert demo_client.post(f"{EDITOR}/versions", data={"document": "{}"}).status_code in (401, 403)


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/audit", "/admin/settings", "/admin/queues", EDITOR]
)
def test_admin_pages_are_never_framed(demo_client, alice, path):
    response = demo_client.get(path, headers=_page(alice))

    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_home_lists_what_there_is_to_manage(demo_client, alice):
    page = html(demo_client.get("/admin/", headers=_page(alice)))

    links = {a.get_text(strip=True): a["href"] for a in page.select("main a")}
    assert links["Local CRM"] == "/admin/manifests/local"
    assert links["Open company settings"] == "/admin/settings"
    assert links["Open the audit log"] == "/admin/audit"
    assert links["Manage queues"] == "/admin/queues"


def _validate(client, headers, text):
    response = client.post(
        f"{EDITOR}/validate", data={"document": text, "base_version": "0"}, headers=headers
    )
    assert response.status_code == 200
    page = html(response)
    errors = {li["data-pointer"]: li.get_text() for li in page.select(".manifest-error-list li")}
    warnings = {li["data-pointer"]: li.get_text() for li in page.select(".warning-list li")}
    return errors, warnings


FIELDS = "/platforms/local/page/messageLog/additionalFields"


def test_duplicate_const_and_options_without_values_are_errors_in_words(demo_client, alice):
    def break_it(fields):
        fields.append(dict(fields[-1]))
        fields.append(
            {
                "const": "outcome",
                "title": "Outcome",
                "type": "selection",
                "options": [{"title": "Won"}],
            }
        )

    errors, _ = _validate(demo_client, alice, _text(break_it))

    last = len(
        manifests.bundled_manifest(CONNECTOR)["platforms"][CONNECTOR]["page"]["messageLog"][
            "additionalFields"
        ]
    )
    assert "duplicate const" in errors[f"{FIELDS}/{last}/const"]
    assert any(p.startswith(f"{FIELDS}/{last + 1}/options/0") for p in errors), errors


def test_contact_dependent_field_no_connector_supplies_is_a_warning_not_an_error(
    demo_client, alice
):
    def add(fields):
        fields.append(
            {"const": "matter", "title": "Matter", "type": "selection", "contactDependent": True}
        )

    errors, warnings = _validate(demo_client, alice, _text(add))

    assert errors == {}
    [(pointer, words)] = warnings.items()
    assert pointer.endswith("/const") and "“matter”" in words and "will not see" in words


def test_oversize_and_invalid_drafts_are_saved_but_never_published(demo_app, demo_client, alice):
    huge = " " * (manifests.MAX_DOCUMENT_CHARACTERS + 1)
    too_big = demo_client.post(
        f"{EDITOR}/validate", data={"document": huge, "base_version": "0"}, headers=alice
    )
    assert too_big.status_code == 400

    errors, _ = _validate(demo_client, alice, '{"platforms": ')
    assert "not valid JSON" in errors["/"]
    page = html(demo_client.get(EDITOR, headers=_page(alice)))
    assert page.find("textarea", {"name": "document"}).get_text() == '{"platforms": '

    published = demo_client.post(
        f"{EDITOR}/versions",
        data={"document": '{"platforms": ', "base_version": "0"},
        headers=alice,
    )
    assert published.status_code == 422
    with demo_app.app_context():
        assert manifests.active_version(CONNECTOR, 1) == 0


def test_second_publish_over_a_stale_version_is_a_conflict_with_the_diff(
    demo_app, demo_client, alice
):
    def retitle(title):
        def change(fields):
            fields[-1]["title"] = title

        return _text(change)

    first = demo_client.post(
        f"{EDITOR}/versions", data={"document": retitle("Mine"), "base_version": "0"}, headers=alice
    )
    assert first.status_code == 200
    # A second admin (or tab) started from version 0 too.
    second = demo_client.post(
        f"{EDITOR}/versions",
        data={"document": retitle("Theirs"), "base_version": "0"},
        headers=alice,
    )

    assert second.status_code == 409
    box = html(second).select_one(".conflict-box")
    assert box["data-active-version"] == "1"
    assert "+" in box.select_one(".diff-add").get_text() and "Mine" in box.get_text()
    assert box.find("button", {"name": "publish_over", "value": "1"}) is not None
    with demo_app.app_context():
        assert manifests.active_version(CONNECTOR, 1) == 1
    over = demo_client.post(
        f"{EDITOR}/versions",
        data={"document": retitle("Theirs"), "base_version": "0", "publish_over": "1"},
        headers=alice,
    )
    assert over.status_code == 200
    actions = [action for action, _ in _audit(demo_app)]
    assert actions.count("manifest.publish") == 2


def test_builder_form_writes_the_json_and_keeps_unknown_keys(demo_app, demo_client, alice):
    document = json.loads(_text())
    document["platforms"][CONNECTOR]["x-vendor"] = {"kept": True}
    from manifest.builder import fields_from_form, form_data, page_fields

    rows = page_fields(document, CONNECTOR, "messageLog")
    form = dict(form_data(rows))
    form.update(
        document=json.dumps(document), base_version="0", builder_page="messageLog", action="add"
    )

    response = demo_client.post(f"{EDITOR}/builder", data=form, headers=alice)

    assert response.status_code == 200
    page = html(response)
    text = page.select_one("textarea#manifest-document").get_text()
    written = json.loads(text)
    assert written["platforms"][CONNECTOR]["x-vendor"] == {"kept": True}
    assert len(_fields(written)) == len(rows) + 1
    assert page.select_one("#builder")["hx-swap-oob"] == "true"
    assert fields_from_form(form_data(rows)) == rows


def test_import_upgrades_legacy_manifests_and_refuses_non_manifests(demo_client, alice):
    legacy = manifests.bundled_manifest(CONNECTOR)["platforms"][CONNECTOR]  # a bare platform
    ok = demo_client.post(
        f"{EDITOR}/import",
        data={
            "manifest_file": (io.BytesIO(json.dumps(legacy).encode()), "legacy.json"),
            "builder_page": "messageLog",
        },
        headers=alice,
        content_type="multipart/form-data",
    )
    assert ok.status_code == 200
    assert '"platforms"' in html(ok).select_one("textarea").get_text()

    bad = demo_client.post(
        f"{EDITOR}/import",
        data={"manifest_file": (io.BytesIO(b"not json"), "x.json")},
        headers=alice,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    missing = demo_client.post(f"{EDITOR}/import", data={}, headers=alice)
    assert missing.status_code == 400


def test_diff_rejects_bad_versions(demo_client, alice):
    assert demo_client.get(f"{EDITOR}/diff?from=x&to=0", headers=alice).status_code == 400
    assert demo_client.get(f"{EDITOR}/diff?from=0&to=9", headers=alice).status_code == 404


def test_roles_grant_and_revoke_keep_one_admin_and_are_audited(demo_app, demo_client, alice):
    with demo_app.app_context():
        ids = dict(db.session.execute(select(Extension.extension_number, Extension.id)).all())

    granted = demo_client.post(
        f"/admin/settings/admins/{ids['102']}", data={"role": "admin"}, headers=alice
    )
    assert granted.status_code == 200
    revoked = demo_client.post(
        f"/admin/settings/admins/{ids['102']}", data={"role": "user"}, headers=alice
    )
    assert revoked.status_code == 200
    last = demo_client.post(
        f"/admin/settings/admins/{ids['101']}", data={"role": "user"}, headers=alice
    )
    assert last.status_code == 409
    bad = demo_client.post(
        f"/admin/settings/admins/{ids['102']}", data={"role": "boss"}, headers=alice
    )
    assert bad.status_code == 400
    assert [a for a, _ in _audit(demo_app)] == ["role.grant", "role.revoke"]


def test_forced_auto_log_policy_and_bad_policy(demo_app, demo_client, alice, bob):
    bad = demo_client.post(
        "/admin/settings/auto-log", data={"conflict_policy": "coin"}, headers=alice
    )
    assert bad.status_code == 400

    saved = demo_client.post(
        "/admin/settings/auto-log",
        data={"force_auto_log": "on", "conflict_policy": "most_recent"},
        headers=alice,
    )

    assert saved.status_code == 200
    with demo_app.app_context():
        settings = db.session.scalars(select(CrmAccountSettings)).one()
        assert (settings.force_auto_log, settings.conflict_policy.value) == (True, "most_recent")
    off = demo_client.post("/widget/crm/settings/auto-log", data={"enabled": "0"}, headers=bob)
    assert off.status_code == 409
    shown = html(demo_client.get("/widget/crm/settings", headers=bob))
    switch = shown.select_one("#auto-log-setting input[name=enabled]")
    assert switch.has_attr("checked") and switch.has_attr("disabled")
    assert "turned it on for everyone" in shown.select_one("#auto-log-setting").get_text()
    assert [a for a, _ in _audit(demo_app)] == ["policy.update"]


def test_company_templates_with_bad_input_in_place(demo_app, demo_client, alice):
    bad = demo_client.post(
        "/admin/settings/templates", data={"title": "", "body": ""}, headers=alice
    )
    assert bad.status_code == 422
    assert "Give the template a title." in bad.get_data(as_text=True)

    ok = demo_client.post(
        "/admin/settings/templates", data={"title": "Hours", "body": "We open at 9."}, headers=alice
    )
    assert ok.status_code == 200
    assert "We open at 9." in html(ok).select_one("#company-templates").get_text()
    assert [a for a, _ in _audit(demo_app)] == ["template.add"]


def test_admin_changes_made_from_the_widget_are_audited_too(demo_app, demo_client, alice, bob):
    policy = demo_client.post(
        "/widget/crm/settings/conflict-policy", data={"policy": "alphabetical"}, headers=alice
    )
    personal = demo_client.post(
        "/widget/templates/", data={"scope": "personal", "title": "Mine", "body": "Hi"}, headers=bob
    )

    assert policy.status_code == 200
    assert personal.status_code in (200, 201), personal.get_data(as_text=True)[:200]
    assert _audit(demo_app) == [("policy.update", "Alice Chen")]  # personal: not an admin change


def test_callcenter_definition_follows_salesforce_rules(demo_app, demo_client):
    demo_app.config["PUBLIC_URL"] = "http://sidetalk.example.com:8443/base"
    response = demo_client.get("/salesforce/callcenter.xml")

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)  # noqa: S314 (our own response)
    items = {i.get("name"): i.text for i in root.iter("item")}
    assert items["reqAdapterUrl"] == "https://sidetalk.example.com:8443/base/widget/"
    assert items["reqSalesforceCompatibilityMode"] == "Lightning"
    assert 240 <= int(items["reqSoftphoneHeight"]) <= 2560
    assert 200 <= int(items["reqSoftphoneWidth"]) <= 1920
    name = items["reqInternalName"]
    assert name.isalnum() and name[0].isalpha() and len(name) <= 40
    assert items["reqUseApi"] == "true"
