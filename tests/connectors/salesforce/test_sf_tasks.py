"""Task logs: create, update, reconcile, field limits and validation errors."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.errors import CrmNotFound, CrmValidationError
from connectors.records import MatchedRecord, MessageLogWrite
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.tasks import (
    DESCRIPTION_MAX,
    call_object_for,
    reconcile_soql,
    truncate_description,
    utf16_len,
)
from connectors.session import CrmSession
from fakes.salesforce import FakeSalesforce

DAY = dt.date(2026, 11, 22)


def _log(record: MatchedRecord, **changes: object) -> MessageLogWrite:
    values: dict[str, object] = {
        "log_key": f"conv-123/2026-11-22/{record.id}",
        "subject": "SMS conversation with Edna Frank",
        "body": "Conversation summary\nNumber: +16508673450\n\n09:15 Edna: Hi\n09:16 Me: Hello\n",
        "activity_date": DAY,
        "record": record,
    }
    values.update(changes)
    return MessageLogWrite(**values)  # type: ignore[arg-type]


@pytest.fixture
def edna(fake_sf: FakeSalesforce) -> MatchedRecord:
    return MatchedRecord(fake_sf.ids["Edna Frank"], "Edna Frank", "Contact")


def test_create_sets_task_fields(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce, edna
) -> None:
    opportunity = fake_sf.ids["GenePoint Lab Generators"]
    fake_sf.reset_calls()
    result = connector.create_message_log(
        sf_session,
        _log(edna, related_to_id=opportunity, additional_submission={"priority": "High"}),
    )
    assert fake_sf.call_count() == 1
    assert result.url == f"{fake_sf.instance_url}/lightning/r/Task/{result.log_id}/view"
    task = fake_sf.get_record(result.log_id)
    assert task is not None
    assert task["WhoId"] == edna.id
    assert task["WhatId"] == opportunity
    assert task["Subject"] == "SMS conversation with Edna Frank"
    assert task["Description"].startswith("Conversation summary")
    assert task["ActivityDate"] == "2026-11-22"
    assert task["Status"] == "Completed" and task["IsClosed"] is True
    assert task["Priority"] == "High"
    assert task["TaskSubtype"] == "Task"
    assert task["CallObject"] == f"sidetalk:conv-123/2026-11-22/{edna.id}"


def test_create_defaults_priority_and_honours_subject_override(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce, edna
) -> None:
    log = _log(edna, additional_submission={"subjectOverride": "  Callback request  "})
    task = fake_sf.get_record(connector.create_message_log(sf_session, log).log_id)
    assert task is not None
    assert (task["Priority"], task["Subject"], task["WhatId"]) == (
        "Normal",
        "Callback request",
        None,
    )


def test_account_match_logs_on_what_id(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    account = MatchedRecord(fake_sf.ids["GenePoint"], "GenePoint", "Account")
    task = fake_sf.get_record(connector.create_message_log(sf_session, _log(account)).log_id)
    assert task is not None
    assert (task["WhoId"], task["WhatId"]) == (None, account.id)


def test_lead_never_gets_what_id(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    lead = MatchedRecord(fake_sf.ids["Jeff Glimpse"], "Jeff Glimpse", "Lead")
    log = _log(lead, related_to_id=fake_sf.ids["GenePoint"])
    task = fake_sf.get_record(connector.create_message_log(sf_session, log).log_id)
    assert task is not None
    assert (task["WhoId"], task["WhatId"]) == (lead.id, None)


def test_update_patches_without_task_subtype(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce, edna
) -> None:
    created = connector.create_message_log(sf_session, _log(edna))
    fake_sf.reset_calls()
    updated = connector.update_message_log(
        sf_session,
        created.log_id,
        _log(edna, body="Conversation summary\n\n09:15 Edna: Hi\n10:00 Edna: Still there?\n"),
    )
    assert updated.log_id == created.log_id
    assert fake_sf.calls == [("PATCH", f"/services/data/v66.0/sobjects/Task/{created.log_id}", {})]
    task = fake_sf.get_record(created.log_id)
    assert task is not None
    assert task["Description"].endswith("Still there?\n")
    assert task["Priority"] == "Normal"  # not sent on update, kept


def test_fake_rejects_task_subtype_on_patch(fake_sf: FakeSalesforce, sf_session) -> None:
    """The rule the connector respects: TaskSubtype is create-only."""
    import requests

    task_id = fake_sf.add_record("Task", Subject="x", Status="Completed", TaskSubtype="Task")
    response = requests.patch(
        f"{fake_sf.instance_url}{fake_sf.data_path(f'sobjects/Task/{task_id}')}",
        json={"TaskSubtype": "Call"},
        headers={"Authorization": f"Bearer {sf_session.credentials.access_token}"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert response.json()[0]["fields"] == ["TaskSubtype"]


def test_update_of_deleted_task_is_not_found(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce, edna
) -> None:
    created = connector.create_message_log(sf_session, _log(edna))
    fake_sf.delete_record(created.log_id)
    with pytest.raises(CrmNotFound, match="entity is deleted"):
        connector.update_message_log(sf_session, created.log_id, _log(edna))


def test_find_message_log_reconciles(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce, edna
) -> None:
    log = _log(edna, log_key="conv-'quoted'\\/2026-11-22/x")
    assert connector.find_message_log(sf_session, log.log_key) is None
    created = connector.create_message_log(sf_session, log)
    fake_sf.reset_calls()
    assert connector.find_message_log(sf_session, log.log_key) == created.log_id
    assert fake_sf.call_count() == 1
    assert connector.find_message_log(sf_session, "conv-other/2026-11-22/x") is None


def test_long_log_key_is_hashed_into_call_object() -> None:
    key = "conv-" + "9" * 400
    value = call_object_for(key)
    assert value.startswith("sidetalk:sha256:") and len(value) <= 255
    assert value == call_object_for(key)
    assert "\\'" in reconcile_soql("it's")


def test_description_truncated_keeping_header_and_newest_lines() -> None:
    header = "SMS conversation with Edna Frank\nNumber: +16508673450\n\n"
    lines = [f"{i:05d} Edna: {'x' * 90}\n" for i in range(1000)]
    body = header + "".join(lines)
    assert len(body) > DESCRIPTION_MAX

    text = truncate_description(body)

    assert utf16_len(text) <= DESCRIPTION_MAX
    assert text.startswith(header)
    assert "earlier line(s) omitted" in text
    assert text.endswith(lines[-1])
    assert lines[0] not in text
    assert truncate_description("short") == "short"


def test_description_counts_utf16_units() -> None:
    body = "Header\n\n" + "😀" * 20000  # 40,000 UTF-16 units on one line
    text = truncate_description(body)
    assert utf16_len(text) <= DESCRIPTION_MAX
    assert text.startswith("Header\n\n[")


def test_long_body_accepted_by_fake(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce, edna
) -> None:
    body = "Header\n\n" + "".join(f"{i} message text {'y' * 60}\n" for i in range(2000))
    log = _log(edna, body=body, subject="S" * 400)
    task = fake_sf.get_record(connector.create_message_log(sf_session, log).log_id)
    assert task is not None
    assert len(task["Description"]) <= DESCRIPTION_MAX and len(task["Subject"]) == 255


def test_bad_what_id_gives_salesforce_message(
    connector: SalesforceConnector, sf_session: CrmSession, edna
) -> None:
    with pytest.raises(CrmValidationError) as caught:
        connector.create_message_log(sf_session, _log(edna, related_to_id="006B000002nBrQ"))
    assert caught.value.message == "Related To ID: id value of incorrect type: 006B000002nBrQ"
    assert caught.value.fields == ["WhatId"]
    assert caught.value.error_code == "MALFORMED_ID"


def test_required_field_missing_and_multiple_errors(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce, edna
) -> None:
    fake_sf.fail_next("POST sobjects/Task", 400)  # default: REQUIRED_FIELD_MISSING payload
    with pytest.raises(CrmValidationError) as caught:
        connector.create_message_log(sf_session, _log(edna))
    assert caught.value.message == "Required fields are missing: [Name]"
    assert caught.value.error_code == "REQUIRED_FIELD_MISSING"

    errors = [
        {
            "message": "Subject: data value too large",
            "errorCode": "STRING_TOO_LONG",
            "fields": ["Subject"],
        },
        {
            "message": "Comments are required",
            "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "fields": [],
        },
    ]
    fake_sf.fail_next("POST sobjects/Task", 400, body=errors)
    with pytest.raises(CrmValidationError) as caught:
        connector.create_message_log(sf_session, _log(edna))
    assert caught.value.message == "Subject: data value too large; Comments are required"
    assert caught.value.fields == ["Subject"]
    assert len(caught.value.details) == 2
