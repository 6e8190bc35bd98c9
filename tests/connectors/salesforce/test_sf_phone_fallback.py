"""When SOSL finds nothing (a number stored in a grouping the search index does not
match, in an org that matches tokens only as documented) or is refused, SOQL asks the
phone fields with LIKE and keeps only rows that really are the number."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce

from connectors.records import RELATED_TO
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.org import org_shape
from connectors.salesforce.search import (
    build_phone_soql,
    build_phone_sosl,
    phone_like_pattern,
)
from fakes.salesforce import FakeSalesforce

UK = "+441914956203"  # stored "+44 191 4956203" in the conformance Contacts response


@pytest.fixture
def strict(fake_sf: FakeSalesforce) -> FakeSalesforce:
    """The fake org matching search tokens only, as Salesforce documents it."""
    fake_sf.search_whole_digits = False
    return fake_sf


@pytest.fixture
def connector() -> SalesforceConnector:
    return SalesforceConnector()


def _queries(fake: FakeSalesforce) -> list[str]:
    return [unquote(c.query.get("q", "")) for c in fake.calls if c.path.endswith("/query/")]


def test_a_grouping_the_search_misses_is_found_by_the_phone_query(connector, sf_session, strict):
    strict.reset_calls()
    matches = connector.find_contact(sf_session, UK)
    assert [(m.type, m.name, m.phone) for m in matches] == [
        ("Contact", "Ashley James", "+44 191 4956203"),
        ("Account", "United Oil & Gas, UK", "+44 191 4956203"),
    ]
    assert strict.call_count("GET", "search/") == 1
    phone_queries = [q for q in _queries(strict) if "LIKE" in q]
    assert phone_queries == build_phone_soql(UK, connector._returning(_org(connector, sf_session)))
    # The matched contact's account still brings its "Related to" options.
    assert matches[0].additional_info[RELATED_TO]


def _org(connector, session):
    return org_shape(session, connector.client(session))


def test_the_same_digits_as_another_number_are_not_a_match(connector, sf_session, strict):
    strict.add_contact("Lookalike", "Leo", phone="+44 206 5550177")  # LIKE matches, not ours
    gus = strict.add_contact("Grouped", "Gus", phone="206 5550177")
    [match] = connector.find_contact(sf_session, "+12065550177")
    assert (match.id, match.phone) == (gus, "206 5550177")


def test_converted_leads_stay_out_of_the_phone_query(connector, sf_session, strict):
    strict.add_lead("Gone", "Acme", phone="212 5550142", IsConverted=True)
    assert connector.find_contact(sf_session, "+12125550142") == []


def test_a_refused_search_falls_back_to_the_phone_query(connector, sf_session, fake_sf):
    refusal = [{"message": "search is unavailable", "errorCode": "INVALID_SEARCH"}]
    fake_sf.fail_next("GET search/", 400, body=refusal)
    matches = connector.find_contact(sf_session, "+16508673450")
    assert ("Contact", "Edna Frank", "(650) 867-3450") in [
        (m.type, m.name, m.phone) for m in matches
    ]
    assert fake_sf.call_count("GET", "search/") == 1


def test_a_search_hit_needs_no_phone_query(connector, sf_session, fake_sf):
    fake_sf.reset_calls()
    assert connector.find_contact(sf_session, "+16508673450")
    assert not [q for q in _queries(fake_sf) if "LIKE" in q]


def test_the_pattern_is_the_national_digits_in_order():
    assert phone_like_pattern("+16508673450") == "%6%5%0%8%6%7%3%4%5%0"
    assert phone_like_pattern(UK) == "%1%9%1%4%9%5%6%2%0%3"
    assert phone_like_pattern("+1") is None
    assert build_phone_soql("not a number") == []
    [contact, lead, account] = build_phone_soql("+16508673450")
    assert "(Phone LIKE '%6%5%0%8%6%7%3%4%5%0' OR MobilePhone LIKE" in contact
    assert lead.endswith("AND IsConverted = false LIMIT 50")
    assert "MobilePhone" not in account  # Accounts have one phone field
    assert build_phone_sosl("+16508673450").startswith("FIND {")


class _PlainHttp(HTTPAdapter):
    """Sends simple-salesforce's https:// requests to the fake's plain http server."""

    def send(self, request, *args, **kwargs):
        request.url = "http://" + str(request.url).removeprefix("https://")
        return super().send(request, *args, **kwargs)


def test_simple_salesforce_runs_the_fallback_queries_against_the_fake(strict):
    http = requests.Session()
    http.mount("https://", _PlainHttp())
    token = strict.issue_tokens()["access_token"]
    sf = Salesforce(
        instance_url=strict.instance_url, session_id=token, version="66.0", session=http
    )
    statement = r"FIND {\+441914956203 OR 1914956203} IN PHONE FIELDS RETURNING Contact(Id)"
    assert sf.search(statement)["searchRecords"] == []  # tokens 44, 191, 4956203
    found = [r for q in build_phone_soql(UK) for r in sf.query(q)["records"]]
    assert [(r["attributes"]["type"], r["Name"]) for r in found] == [
        ("Contact", "Ashley James"),
        ("Account", "United Oil & Gas, UK"),
    ]
    # LIKE is Salesforce's: % any run, _ one character, case-insensitive.
    assert sf.query("SELECT Id FROM Contact WHERE Name LIKE 'ashley j_mes'")["totalSize"] == 1
    assert sf.query("SELECT Id FROM Contact WHERE Name LIKE 'ashley'")["totalSize"] == 0
