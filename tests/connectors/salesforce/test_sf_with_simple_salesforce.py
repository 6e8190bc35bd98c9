"""The fake checked against Salesforce's most used Python client, simple-salesforce.

The library is written against real orgs; where it and the fake disagree, the fake is
wrong. It speaks https only, so its requests reach the fake's http port through an
adapter that changes nothing but the scheme.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from fakes.salesforce import FakeSalesforce


class _PlainHttp(HTTPAdapter):
    """Sends the library's https:// requests to the fake's plain http server."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any):
        request.url = "http://" + str(request.url).removeprefix("https://")
        return super().send(request, *args, **kwargs)


def _client(fake: FakeSalesforce, version: str = "66.0") -> Salesforce:
    http = requests.Session()
    http.mount("https://", _PlainHttp())
    token = fake.issue_tokens()["access_token"]
    return Salesforce(
        instance_url=fake.instance_url, session_id=token, version=version, session=http
    )


@pytest.fixture
def org() -> Iterator[FakeSalesforce]:
    with FakeSalesforce() as fake:
        yield fake
    assert fake.errors == []


def test_query_all_follows_next_records_url_in_batches_of_2000(org: FakeSalesforce) -> None:
    for n in range(4100):
        org.store.insert("Contact", {"LastName": f"Bulk{n:04d}", "Phone": "(415) 555-0100"})
    sf = _client(org)
    first = sf.query("SELECT Id, LastName FROM Contact")
    total = len(org.records("Contact"))
    assert (first["done"], first["totalSize"], len(first["records"])) == (False, total, 2000)
    every = sf.query_all("SELECT Id, LastName FROM Contact")
    assert every["done"] is True and len(every["records"]) == total
    assert len({r["Id"] for r in every["records"]}) == total
    assert org.call_count("GET", "query/") == 1 + 3  # one page, then query_all's three


def test_search_finds_tokens_not_digit_substrings(org: FakeSalesforce) -> None:
    sf = _client(org)
    assert sf.search("FIND {0867} IN PHONE FIELDS RETURNING Contact(Id, Name)") == {
        "searchRecords": []
    }
    found = sf.search(r'FIND {"\(650\) 867\-3450"} IN PHONE FIELDS RETURNING Contact(Id, Name)')
    assert [r["Name"] for r in found["searchRecords"]] == ["Edna Frank"]


def test_search_leaves_converted_leads_out_when_asked(org: FakeSalesforce) -> None:
    org.add_lead("Gone", "Acme", phone="(212) 555-0142", IsConverted=True)
    sf = _client(org)
    statement = (
        "FIND {2125550142} IN PHONE FIELDS RETURNING Lead(Id, Name WHERE IsConverted = false)"
    )
    assert sf.search(statement)["searchRecords"] == []


def test_describe_answers_with_the_org_task_statuses(org: FakeSalesforce) -> None:
    sf = _client(org)
    described = sf.Task.describe()
    fields = {f["name"]: f for f in described["fields"]}
    assert fields["Description"]["length"] == 32000
    assert fields["Description"]["filterable"] is False
    assert fields["TaskSubtype"]["updateable"] is False
    assert [v["value"] for v in fields["Status"]["picklistValues"]][2] == "Completed"
    assert "CallObject" in fields


def test_describe_of_an_org_without_call_center_has_no_call_object() -> None:
    with FakeSalesforce(call_center=False) as fake:
        fields = {f["name"] for f in _client(fake).Task.describe()["fields"]}
    assert "CallObject" not in fields and "Subject" in fields


def test_task_status_outside_the_picklist_is_refused(org: FakeSalesforce) -> None:
    sf = _client(org)
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Task.create({"Subject": "x", "Status": "Finished"})
    assert refused.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    created = sf.Task.create({"Subject": "x", "Status": "Completed"})
    assert created["success"] is True


def test_invalid_ids_are_refused(org: FakeSalesforce) -> None:
    sf = _client(org)
    good = org.ids["Edna Frank"]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get("003nope")
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(good[:15] + "ZZZ")  # a wrong case-safe suffix
    assert sf.Contact.get(good[:15])["Id"] == good  # the 15-character form is fine
    with pytest.raises(SalesforceMalformedRequest) as bad_filter:
        sf.query(f"SELECT Id FROM Contact WHERE Id = '{good[:15]}ZZZ'")  # noqa: S608
    assert bad_filter.value.content[0]["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"
    with pytest.raises(SalesforceMalformedRequest) as bad_what:
        sf.Task.create({"Subject": "x", "WhatId": "0065g00000zzzzzZZZ"})  # bad suffix
    assert bad_what.value.content[0]["errorCode"] == "MALFORMED_ID"


def test_expired_session_and_versions(org: FakeSalesforce) -> None:
    sf = _client(org)
    versions = sf.restful("", method="GET")  # the version's resources
    assert "sobjects" in versions
    org.expire_access_tokens()
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")
    listed = requests.get(f"{org.url}/services/data/", timeout=5).json()
    assert [v["version"] for v in listed][0] == "31.0" and listed[-1]["label"] == "Summer '26"
