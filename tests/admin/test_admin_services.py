"""The admin console's services without HTTP: drafts, publish conflicts, audit, roles."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, select

from widget import audit
from widget.admin import company as company_settings
from widget.admin import drafts, preview
from widget.crm_logging import manifests
from widget.errors import Conflict, Forbidden, NotFound
from widget.extensions import db
from widget.models import AdminAuditEntry, ManifestDraft, ManifestVersion

CONNECTOR = "local"


def _titled(title: str) -> str:
    document = manifests.bundled_manifest(CONNECTOR)
    fields = document["platforms"][CONNECTOR]["page"]["messageLog"]["additionalFields"]
    fields[-1]["title"] = title
    return json.dumps(document)


def _actions(account_id: int) -> list[str]:
    return [entry.action for entry in reversed(audit.entries(account_id))]


def test_drafts_are_per_admin_and_only_the_first_save_is_audited(company):
    drafts.save_draft(company.admin, CONNECTOR, "{not json", 0)
    drafts.save_draft(company.admin, CONNECTOR, _titled("Mine"), 0)
    drafts.save_draft(company.other_admin, CONNECTOR, _titled("Theirs"), 0)

    mine = drafts.editor_state(company.admin, CONNECTOR)
    theirs = drafts.editor_state(company.other_admin, CONNECTOR)
    assert '"Mine"' in mine.text and '"Theirs"' in theirs.text
    assert _actions(company.admin.account_id) == ["draft.start", "draft.start"]
    assert drafts.editor_state(company.stranger, CONNECTOR).draft is None


def test_the_second_admin_publishing_from_a_stale_version_gets_the_diff(company):
    drafts.save_draft(company.other_admin, CONNECTOR, _titled("Theirs"), 0)
    drafts.publish(company.admin, CONNECTOR, _titled("Mine"), 0)

    with pytest.raises(drafts.PublishConflict) as conflict:
        drafts.publish(company.other_admin, CONNECTOR, _titled("Theirs"), 0)

    assert conflict.value.status == 409
    assert (conflict.value.expected, conflict.value.active) == (0, 1)
    assert "+" in conflict.value.diff and '"title": "Mine"' in conflict.value.diff
    assert manifests.active_version(CONNECTOR, company.admin.account_id) == 1
    kept = drafts.editor_state(company.other_admin, CONNECTOR)
    assert kept.draft is not None and '"Theirs"' in kept.text  # nothing lost
    published = drafts.publish(company.other_admin, CONNECTOR, _titled("Theirs"), 1)
    assert published.version == 2


def test_publish_and_its_audit_entry_commit_together_and_end_the_draft(company):
    drafts.save_draft(company.admin, CONNECTOR, _titled("Mine"), 0)

    version = drafts.publish(company.admin, CONNECTOR, _titled("Mine"), 0)

    [entry] = [e for e in audit.entries(company.admin.account_id) if e.action == "manifest.publish"]
    assert entry.summary == f"Published version {version.version}"
    assert entry.actor_name == "Ann Admin"
    assert "+" in entry.diff and "Mine" in entry.diff
    assert db.session.scalars(select(ManifestDraft)).first() is None


def test_an_invalid_draft_is_never_published_and_nothing_is_audited(company):
    with pytest.raises(manifests.ManifestRejected):
        drafts.publish(company.admin, CONNECTOR, '{"platforms": {}}', 0)

    assert db.session.scalars(select(ManifestVersion)).first() is None
    assert db.session.scalars(select(AdminAuditEntry)).first() is None


def test_rollback_is_audited_with_the_diff(company):
    drafts.publish(company.admin, CONNECTOR, _titled("Mine"), 0)

    restored = drafts.rollback(company.admin, CONNECTOR, 0)

    assert restored.version == 2
    entry = audit.entries(company.admin.account_id)[0]
    assert entry.action == "manifest.rollback"
    assert "-" in entry.diff and "Mine" in entry.diff


def test_versions_diff_and_unknown_versions(company):
    drafts.publish(company.admin, CONNECTOR, _titled("Mine"), 0)

    diff = drafts.versions_diff(CONNECTOR, company.admin.account_id, 0, 1)

    assert [line.kind for line in audit.diff_lines(diff)].count("add") == 1
    assert drafts.versions_diff(CONNECTOR, company.admin.account_id, 1, 1) == ""
    with pytest.raises(NotFound):
        drafts.versions_diff(CONNECTOR, company.stranger.account_id, 0, 1)


def test_roles_are_granted_and_revoked_within_the_company_only(company):
    company_settings.set_admin_role(company.admin, company.user.id, True)
    company_settings.set_admin_role(company.admin, company.user.id, False)
    company_settings.set_admin_role(company.admin, company.other_admin.id, False)

    with pytest.raises(Conflict):
        company_settings.set_admin_role(company.admin, company.admin.id, False)  # the last
    with pytest.raises(NotFound):
        company_settings.set_admin_role(company.admin, company.stranger.id, False)
    assert _actions(company.admin.account_id) == ["role.grant", "role.revoke", "role.revoke"]


def test_roles_from_the_platform_cannot_be_changed_here(company, monkeypatch):
    from widget.platforms import get_platform

    monkeypatch.setattr(type(get_platform()), "admin_roles_from_platform", True)

    with pytest.raises(Forbidden):
        company_settings.set_admin_role(company.admin, company.user.id, True)
    assert company_settings.roles_editable() is False


def test_forcing_auto_log_turns_it_on_for_every_user(company):
    from widget.crm_logging.connections import connection_for

    company_settings.set_auto_log_policy(company.admin, True, "alphabetical")

    assert connection_for(company.user).auto_log is True
    assert connection_for(company.other_admin).auto_log is True
    assert connection_for(company.stranger).auto_log is False


def test_the_preview_shows_the_draft_form_for_a_sample_contact(company, app):
    document = json.loads(_titled("Call summary"))
    with app.test_request_context():
        page = preview.render_preview(CONNECTOR, document, "http://localhost/")

    assert "Jane Roe (sample) (Contact)" in page
    assert "Call summary" in page
    assert "Account: Roe Logistics (sample)" in page  # the contact-dependent Related to


def test_the_audit_page_query_count_does_not_grow_with_entries(company):
    for number in range(30):
        audit.record(company.admin, "x", "s", f"entry {number}")
    db.session.commit()
    account_id = company.admin.account_id
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        entries = audit.entries(account_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(entries) == 30 and len(statements) == 1


def test_a_script_publishing_json_is_audited_too(company):
    drafts.publish(company.admin, CONNECTOR, _titled("First"), 0)

    version = drafts.publish(company.admin, CONNECTOR, json.loads(_titled("Scripted")), None)

    assert version.version == 2
    entry = audit.entries(company.admin.account_id)[0]
    assert entry.summary == "Published version 2"
    assert "-" in entry.diff and "First" in entry.diff and "Scripted" in entry.diff


def test_ringcentral_decides_admins_itself():
    from widget.platforms.ringcentral.platform import RingCentralPlatform
    from widget.platforms.sandbox.platform import SandboxPlatform

    assert RingCentralPlatform.admin_roles_from_platform is True
    assert SandboxPlatform.admin_roles_from_platform is False
