"""Salesforce made faithful: phone tokens, converted Leads, Person Accounts, orgs without
CallObject or "Completed", invalid ids and query batches, in the fake and the connector."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from connectors.errors import CrmValidationError
from connectors.http import close_pooled_http
from connectors.records import MatchedRecord, MessageLogWrite
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.oauth import credentials_from_token
from connectors.salesforce.org import ORG_KEY, OrgShape, describe_org
from connectors.salesforce.tasks import KEY_LINE_PREFIX
from connectors.session import CrmCredentials, CrmSession
from fakes.salesforce import FakeSalesforce
from fakes.salesforce import ids as sf_ids
from fakes.salesforce.sosl import phone_term_matches
from fakes.salesforce.versions import version_list

DAY = dt.date(2026, 11, 22)


def _session(fake: FakeSalesforce, config: dict[str, Any], saved: list | None = None):
    credentials = credentials_from_token(fake.issue_tokens())
    on_change = saved.append if saved is not None else (lambda _c: None)
    return CrmSession(credentials, on_change, {**config, "login_url": fake.url})


def _log(record: MatchedRecord, key_day: str = "2026-11-22") -> MessageLogWrite:
    return MessageLogWrite(
        log_key=f"77/{key_day}/{record.id}",
        subject="SMS conversation with Edna Frank",
        body="SMS conversation\n\n09:15 Edna: Hi\n",
        activity_date=DAY,
        record=record,
    )


# -- the fake's search tokenizes like Salesforce --------------------------------------------


@pytest.mark.parametrize(
    ("term", "stored", "found"),
    [
        ("0867", "(650) 867-3450", False),  # not a token: a digit substring finds nothing
        ("50867", "(650) 867-3450", False),
        ("6508673450", "(650) 867-3450", True),  # an unpunctuated whole number
        ("+16508673450", "+1 650-867-3450", True),
        ("(650) 867-3450", "(650) 867-3450", True),
        ("650-867-3450", "(650) 867-3450", True),
        ("650-867-3450", "1-650-867-3450", True),
        ("6508673450", "+1 650-867-3450", False),  # 1 6508673450 is another digit string
        ("867-3450", "(650) 867-3450", True),  # tokens in order are a phrase match
        ("3450 867", "(650) 867-3450", False),
    ],
)
def test_fake_phone_search_is_by_tokens(term: str, stored: str, found: bool) -> None:
    assert phone_term_matches(term, stored) is found


def test_digit_substring_no_longer_finds_a_contact(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    client = connector.client(sf_session)
    statement = "FIND {0867} IN PHONE FIELDS RETURNING Contact(Id, Name)"
    assert client.get(client.with_query("search/", statement))["searchRecords"] == []
    statement = r"FIND {\(650\) 867\-3450} IN PHONE FIELDS RETURNING Contact(Id, Name)"
    names = [
        r["Name"] for r in client.get(client.with_query("search/", statement))["searchRecords"]
    ]
    assert names == ["Edna Frank"]


@pytest.mark.parametrize(
    "stored",
    ["(415) 555-0190", "415-555-0190", "4155550190", "+14155550190", "+1 415-555-0190",
     "1-415-555-0190", "415.555.0190", "+1 (415) 555-0190"],
)  # fmt: skip
def test_connector_finds_each_stored_format_in_one_search(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce, stored: str
) -> None:
    fake_sf.add_contact("Quill", "Pat", phone=stored)
    matches = connector.find_contact(sf_session, "+14155550190")
    assert [(m.name, m.phone) for m in matches] == [("Pat Quill", stored)]
    assert fake_sf.call_count("GET", "search/") == 1


def test_converted_leads_are_not_matched(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    fake_sf.add_lead("Old", "Acme", first_name="Lee", phone="(415) 555-0191", IsConverted=True)
    fake_sf.add_lead("New", "Acme", first_name="Lee", phone="(415) 555-0191")
    assert [m.name for m in connector.find_contact(sf_session, "+14155550191")] == ["Lee New"]


def test_person_account_matched_once_as_its_contact(sf_config: dict[str, Any]) -> None:
    with FakeSalesforce(person_accounts=True) as fake:
        account_id = fake.add_person_account("Moss", "Robin", phone="(415) 555-0192")
        session = _session(fake, sf_config)
        connector = SalesforceConnector()
        matches = connector.find_contact(session, "+14155550192")
        assert [(m.name, m.type) for m in matches] == [("Robin Moss", "Contact")]
        related = [o["const"] for o in matches[0].additional_info["relatedTo"]]
        assert related[0] == account_id  # the person's own Account is "Related to"
        named = connector.search_contacts(session, "Robin Moss")
        assert [(m.name, m.type) for m in named] == [("Robin Moss", "Contact")]
        task = connector.create_message_log(session, _log(matches[0]))
        stored = fake.get_record(task.log_id)
        assert stored["WhoId"] == matches[0].id and stored["Status"] == "Completed"
    close_pooled_http()


def test_person_account_fields_are_not_asked_of_an_org_without_them(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    client = connector.client(sf_session)
    statement = "FIND {6508673450} IN PHONE FIELDS RETURNING Contact(Id, IsPersonAccount)"
    with pytest.raises(CrmValidationError) as refused:
        client.get(client.with_query("search/", statement))
    assert refused.value.error_code == "INVALID_FIELD"
    fake_sf.reset_calls()
    assert [m.name for m in connector.find_contact(sf_session, "+16508673450")]
    assert "IsPersonAccount" not in fake_sf.queries("search")[0]  # ours never asks for it


# -- describe: CallObject, Task statuses ---------------------------------------------------------


def test_describe_learns_the_org_shape(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    shape = describe_org(connector.client(sf_session))
    assert shape == OrgShape(
        call_object=True,
        person_accounts=False,
        closed_status="Completed",
        task_statuses=("Not Started", "In Progress", "Completed", "Waiting on someone else",
                       "Deferred"),
    )  # fmt: skip
    assert fake_sf.call_count("GET", "sobjects/Task/describe") == 1
    assert fake_sf.call_count("GET", "query/") == 0  # "Completed" exists: no TaskStatus query


def test_get_user_info_stores_the_org_shape_in_the_credentials(
    connector: SalesforceConnector, sf_config: dict[str, Any], fake_sf: FakeSalesforce
) -> None:
    session = _session(fake_sf, sf_config)
    assert ORG_KEY not in session.credentials.extra
    connector.get_user_info(session)
    assert session.credentials.extra[ORG_KEY]["call_object"] is True
    fake_sf.reset_calls()
    connector.find_contact(session, "+16508673450")
    assert fake_sf.call_count("GET", "sobjects/") == 0  # no describe when logging


def test_org_without_call_object_logs_and_reconciles_by_description(
    sf_config: dict[str, Any],
) -> None:
    saved: list[CrmCredentials] = []
    with FakeSalesforce(call_center=False) as fake:
        session = _session(fake, sf_config, saved)
        connector = SalesforceConnector()
        edna = MatchedRecord(fake.ids["Edna Frank"], "Edna Frank", "Contact")
        created = connector.create_message_log(session, _log(edna))
        # Learnt on first use (a connection made before describe existed) and persisted.
        assert saved[-1].extra[ORG_KEY]["call_object"] is False
        task = fake.get_record(created.log_id)
        assert "CallObject" not in task
        assert task["Description"].endswith(f"{KEY_LINE_PREFIX}77/2026-11-22/{edna.id}")
        # Another Task of the same day and contact must not be taken for ours.
        connector.create_message_log(session, _log(edna, key_day="2026-11-21"))
        fake.reset_calls()
        assert connector.find_message_log(session, f"77/2026-11-22/{edna.id}") == created.log_id
        assert fake.call_count("GET", "query/") == 1
        assert connector.find_message_log(session, f"78/2026-11-22/{edna.id}") is None
        connector.update_message_log(session, created.log_id, _log(edna))
        assert fake.get_record(created.log_id)["Description"].count(KEY_LINE_PREFIX) == 1
    close_pooled_http()


def test_fake_refuses_call_object_where_the_org_has_none(sf_config: dict[str, Any]) -> None:
    with FakeSalesforce(call_center=False) as fake:
        client = SalesforceConnector().client(_session(fake, sf_config))
        with pytest.raises(CrmValidationError) as refused:
            client.post("sobjects/Task/", {"Subject": "x", "CallObject": "k"})
        assert refused.value.error_code == "INVALID_FIELD"
    close_pooled_http()


def test_org_without_completed_writes_its_own_closed_status(sf_config: dict[str, Any]) -> None:
    statuses = (("Open", False), ("Done", True), ("Cancelled", True))
    with FakeSalesforce(task_statuses=statuses) as fake:
        session = _session(fake, sf_config)
        connector = SalesforceConnector()
        connector.get_user_info(session)
        assert session.credentials.extra[ORG_KEY]["closed_status"] == "Done"
        edna = MatchedRecord(fake.ids["Edna Frank"], "Edna Frank", "Contact")
        created = connector.create_message_log(session, _log(edna))
        assert fake.get_record(created.log_id)["Status"] == "Done"
        client = connector.client(session)
        with pytest.raises(CrmValidationError) as refused:
            client.post("sobjects/Task/", {"Subject": "x", "Status": "Completed"})
        assert refused.value.error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        assert "Status: bad value for restricted picklist field: Completed" in str(refused.value)
    close_pooled_http()


# -- ids, query batches, versions ----------------------------------------------------------------


def test_invalid_ids_are_refused_like_salesforce(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    client = connector.client(sf_session)
    good = fake_sf.ids["Edna Frank"]
    bad_suffix = good[:15] + "ZZZ"
    for wrong in ("not-an-id", bad_suffix):
        with pytest.raises(Exception) as missing:
            client.get(f"sobjects/Contact/{wrong}")
        assert "Provided external ID field does not exist" in str(missing.value)
    with pytest.raises(CrmValidationError) as filtered:
        statement = f"SELECT Id FROM Contact WHERE Id = '{bad_suffix}'"  # noqa: S608
        client.get(client.with_query("query/", statement))
    assert filtered.value.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert sf_ids.is_valid(good) and sf_ids.is_valid(good[:15]) and not sf_ids.is_valid(bad_suffix)


def test_soql_comes_in_batches_of_2000_with_next_records_url(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    for n in range(4500):
        fake_sf.store.insert("Account", {"Name": f"Bulk {n:04d}"})
    client = connector.client(sf_session)
    first = client.get(client.with_query("query/", "SELECT Id, Name FROM Account"))
    total = 4500 + len(fake_sf.records("Account")) - 4500
    assert (first["done"], first["totalSize"], len(first["records"])) == (False, total, 2000)
    assert first["nextRecordsUrl"].startswith("/services/data/v66.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    records = client.query_all("SELECT Id, Name FROM Account")
    assert len(records) == total and len({r["Id"] for r in records}) == total


def test_version_list_is_complete_and_matches_the_conformance_entries(
    fake_sf: FakeSalesforce,
) -> None:
    import requests

    from fakes.salesforce.payloads import load

    served = requests.get(f"{fake_sf.url}/services/data/", timeout=5).json()
    assert served == version_list()
    assert [v["version"] for v in served] == [f"{n}.0" for n in range(31, 68)]
    for entry in load("versions-response.json"):  # every documented entry, label included
        assert entry in served
