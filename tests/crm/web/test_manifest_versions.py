"""Manifest versions: bundled version 0, publish with validation, rollback, per account."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, select

from widget.crm_logging import manifests
from widget.errors import DomainError
from widget.extensions import db as _db
from widget.models import ManifestVersion

CONNECTOR = "salesforce"


def _with_title(document: dict, title: str) -> dict:
    edited = json.loads(json.dumps(document))
    fields = edited["platforms"][CONNECTOR]["page"]["messageLog"]["additionalFields"]
    fields[1]["title"] = title
    return edited


def _priority_title(document: dict) -> str:
    return document["platforms"][CONNECTOR]["page"]["messageLog"]["additionalFields"][1]["title"]


def test_bundled_manifest_is_version_zero_until_an_admin_publishes(people):
    bundled = manifests.bundled_manifest(CONNECTOR)

    assert manifests.active_manifest(CONNECTOR, people.account.id) == bundled
    versions = manifests.list_versions(CONNECTOR, people.account.id)
    assert [(v.number, v.active, v.is_bundled) for v in versions] == [(0, True, True)]


def test_publish_makes_a_new_active_version_for_that_account_only(people):
    edited = _with_title(manifests.bundled_manifest(CONNECTOR), "Urgency")

    version = manifests.publish_manifest(CONNECTOR, json.dumps(edited), people.admin)

    assert version.version == 1
    assert _priority_title(manifests.active_manifest(CONNECTOR, people.account.id)) == "Urgency"
    other = manifests.active_manifest(CONNECTOR, people.other_admin.account_id)
    assert _priority_title(other) == "Priority"
    listed = manifests.list_versions(CONNECTOR, people.account.id)
    assert [(v.number, v.active, v.published_by) for v in listed] == [
        (1, True, "Ann Admin"),
        (0, False, None),
    ]


@pytest.mark.parametrize(
    ("source", "pointer", "words"),
    [
        ("{not json", "/", "not valid JSON (line 1, column 2)"),
        ("", "/", "empty"),
        ('{"endpointUrl": "https://x", "isAsync": true}', "/", "plugin manifest"),
        ('{"platforms": {"hubspot": {"name": "hubspot"}}}', "/platforms", "salesforce"),
    ],
)
def test_unusable_documents_are_rejected_with_a_pointer_and_nothing_changes(
    people, source, pointer, words
):
    manifests.publish_manifest(
        CONNECTOR, _with_title(manifests.bundled_manifest(CONNECTOR), "Kept"), people.admin
    )

    with pytest.raises(manifests.ManifestRejected) as rejected:
        manifests.publish_manifest(CONNECTOR, source, people.admin)

    assert rejected.value.status == 422
    assert any(e.pointer == pointer and words in e.message for e in rejected.value.errors), [
        str(e) for e in rejected.value.errors
    ]
    assert manifests.active_version(CONNECTOR, people.account.id) == 1
    assert _priority_title(manifests.active_manifest(CONNECTOR, people.account.id)) == "Kept"


def test_schema_errors_name_every_bad_field(people):
    broken = manifests.bundled_manifest(CONNECTOR)
    fields = broken["platforms"][CONNECTOR]["page"]["messageLog"]["additionalFields"]
    fields[1]["type"] = "slider"
    fields[2]["const"] = fields[1]["const"]

    errors = manifests.check_document(json.dumps(broken), CONNECTOR)

    pointers = {e.pointer for e in errors}
    base = f"/platforms/{CONNECTOR}/page/messageLog/additionalFields"
    assert f"{base}/1/type" in pointers
    assert any(p.startswith(f"{base}/2") for p in pointers)
    assert _db.session.scalar(select(ManifestVersion.id)) is None


def test_only_admins_publish_and_roll_back(people):
    bundled = manifests.bundled_manifest(CONNECTOR)

    with pytest.raises(DomainError) as denied:
        manifests.publish_manifest(CONNECTOR, bundled, people.user)
    assert denied.value.status == 403
    with pytest.raises(DomainError) as denied_rollback:
        manifests.rollback_to(CONNECTOR, 0, people.user)
    assert denied_rollback.value.status == 403
    assert manifests.list_versions(CONNECTOR, people.account.id)[0].number == 0


def test_unknown_connector_is_not_found(people):
    with pytest.raises(DomainError) as missing:
        manifests.publish_manifest("nocrm", {"platforms": {}}, people.admin)
    assert missing.value.status == 404


def test_rollback_republishes_an_earlier_version(people):
    bundled = manifests.bundled_manifest(CONNECTOR)
    manifests.publish_manifest(CONNECTOR, _with_title(bundled, "First"), people.admin)
    manifests.publish_manifest(CONNECTOR, _with_title(bundled, "Second"), people.admin)

    restored = manifests.rollback_to(CONNECTOR, 1, people.admin)
    assert (restored.version, restored.restored_version) == (3, 1)
    assert _priority_title(manifests.active_manifest(CONNECTOR, people.account.id)) == "First"

    to_bundled = manifests.rollback_to(CONNECTOR, 0, people.admin)
    assert to_bundled.document is None
    assert manifests.active_manifest(CONNECTOR, people.account.id) == bundled
    assert [v.number for v in manifests.list_versions(CONNECTOR, people.account.id)] == [
        4,
        3,
        2,
        1,
        0,
    ]

    with pytest.raises(DomainError) as missing:
        manifests.rollback_to(CONNECTOR, 9, people.admin)
    assert missing.value.status == 404


def test_a_version_taken_by_a_concurrent_publish_gets_the_next_number(people):
    """Another admin's publish commits between our max() and our insert: no lost update."""
    bundled = manifests.bundled_manifest(CONNECTOR)
    session = _db.session()
    raced = []

    @event.listens_for(session, "before_flush")
    def _other_admin_publishes_first(flush_session, _context, _instances):
        if raced:
            return
        raced.append(True)
        with _db.engine.begin() as other:
            other.execute(
                ManifestVersion.__table__.insert().values(
                    account_id=people.account.id,
                    connector_id=CONNECTOR,
                    version=1,
                    document=_with_title(bundled, "Theirs"),
                )
            )

    try:
        mine = manifests.publish_manifest(CONNECTOR, _with_title(bundled, "Mine"), people.admin)
    finally:
        event.remove(session, "before_flush", _other_admin_publishes_first)

    assert mine.version == 2
    assert _priority_title(manifests.active_manifest(CONNECTOR, people.account.id)) == "Mine"
    assert manifests.active_version(CONNECTOR, people.account.id) == 2
