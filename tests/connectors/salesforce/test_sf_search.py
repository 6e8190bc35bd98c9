"""SOSL phone search: escaping, encoding, heterogeneous formats, related-to options."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from connectors.errors import CrmValidationError
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.search import (
    build_name_sosl,
    build_phone_sosl,
    escape_sosl,
    phone_search_terms,
    search_records,
    to_hits,
)
from connectors.session import CrmSession
from fakes.salesforce import FakeSalesforce, conformance_dir


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("+1 (415) 555-1212", r"\+1 \(415\) 555\-1212"),
        ('O\'Brien "Bob"', r"O\'Brien \"Bob\""),
        ("a?b&c|d!e{f}g[h]i^j~k*l:m\\n", r"a\?b\&c\|d\!e\{f\}g\[h\]i\^j\~k\*l\:m\\n"),
        ("6508673450", "6508673450"),
    ],
)
def test_escape_sosl_reserved_characters(raw: str, escaped: str) -> None:
    assert escape_sosl(raw) == escaped


def test_query_encoding_keeps_plus_braces_and_backslashes() -> None:
    encoded = SalesforceClient.with_query("search/", r"FIND {\+1 \(415\) 555\-1212}")
    query = encoded.split("?q=", 1)[1]
    assert "+" not in query  # a bare + would decode to a space
    assert "%2B" in query and "%7B" in query and "%7D" in query and "%5C" in query
    assert "%20" in query
    assert unquote(query) == r"FIND {\+1 \(415\) 555\-1212}"


def test_phone_terms_are_the_formats_salesforce_stores() -> None:
    assert phone_search_terms("+16508673450") == [
        "+16508673450",
        "(650) 867-3450",
        "650-867-3450",
        "6508673450",
        "+1 650-867-3450",
        "16508673450",
    ]
    assert phone_search_terms("+441914956203") == [
        "+441914956203",
        "0191 495 6203",
        "1914956203",
        "+44 191 495 6203",
        "01914956203",
        "441914956203",
    ]
    assert phone_search_terms("101") == ["101"]


def test_sosl_statement_shape() -> None:
    sosl = build_phone_sosl("+16508673450")
    assert sosl.startswith(
        r'FIND {\+16508673450 OR "\(650\) 867\-3450" OR 650\-867\-3450 OR 6508673450 OR '
        r'"\+1 650\-867\-3450" OR 16508673450} IN PHONE FIELDS RETURNING '
    )
    assert (
        "Contact(Id, Name, Phone, MobilePhone, AccountId, LastModifiedDate, CreatedDate), "
        "Lead(Id, Name, Phone, MobilePhone, LastModifiedDate, CreatedDate "
        "WHERE IsConverted = false), "
        "Account(Id, Name, Phone, LastModifiedDate, CreatedDate)"
    ) in sosl


def test_not_a_phone_number_is_a_validation_error() -> None:
    with pytest.raises(CrmValidationError):
        build_phone_sosl("call me")


def test_formatted_us_number_found_by_e164(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    matches = connector.find_contact(sf_session, "+16508673450")
    # One number, two records (the contact and her account), each with its type.
    assert [(m.type, m.name, m.phone) for m in matches] == [
        ("Contact", "Edna Frank", "(650) 867-3450"),
        ("Account", "GenePoint", "(650) 867-3450"),
    ]
    edna = matches[0]
    assert edna.id == fake_sf.ids["Edna Frank"]
    assert edna.url == f"{fake_sf.instance_url}/lightning/r/Contact/{edna.id}/view"
    assert edna.updated_at is not None and edna.updated_at.tzinfo is not None
    assert edna.created_at is not None


def test_international_number_found(connector: SalesforceConnector, sf_session) -> None:
    matches = connector.find_contact(sf_session, "+441914956203")
    assert ("Contact", "Ashley James", "+44 191 4956203") in [
        (m.type, m.name, m.phone) for m in matches
    ]


def test_digits_only_lead_and_mobile_phone(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    assert [(m.type, m.name) for m in connector.find_contact(sf_session, "+11231231234")] == [
        ("Lead", "Jeff Glimpse")
    ]
    contact_id = fake_sf.add_contact("Mobile", "Mo", phone=None, MobilePhone="415.555.0100")
    [match] = connector.find_contact(sf_session, "+14155550100")
    assert (match.id, match.phone) == (contact_id, "415.555.0100")


def test_no_match_makes_one_search_then_one_phone_query_per_object(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    fake_sf.reset_calls()
    assert connector.find_contact(sf_session, "+19995550000") == []
    assert fake_sf.call_count("GET", "search/") == 1
    assert fake_sf.call_count("GET", "query/") == 3  # the SOQL fallback: Contact, Lead, Account
    assert fake_sf.call_count() == 4


def test_related_to_options_in_one_extra_call(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    fake_sf.reset_calls()
    edna, genepoint = connector.find_contact(sf_session, "+16508673450")
    assert fake_sf.call_count() == 2
    assert fake_sf.call_count("GET", "search/") == 1
    assert fake_sf.call_count("GET", "query/") == 1
    ids = fake_sf.ids
    assert edna.additional_info["relatedTo"] == [
        {"const": ids["GenePoint"], "title": "Account: GenePoint"},
        {
            "const": ids["GenePoint Lab Generators"],
            "title": "Opportunity: GenePoint Lab Generators",
        },
        {"const": ids["Generator making noise"], "title": "Case: 00001001 Generator making noise"},
    ]  # the closed opportunity and the closed case are not offered
    assert genepoint.additional_info["relatedTo"][0]["title"] == "Account: GenePoint"


def test_contact_sees_only_its_own_cases(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    account = fake_sf.ids["GenePoint"]
    other = fake_sf.add_contact("Other", "Olga", phone="+1 650 555 0199", account_id=account)
    fake_sf.add_case("Olga's case", account_id=account, contact_id=other)
    [olga] = connector.find_contact(sf_session, "+16505550199")
    titles = [o["title"] for o in olga.additional_info["relatedTo"]]
    assert "Case: 00001003 Olga's case" in titles
    assert "Case: 00001001 Generator making noise" not in titles


def test_many_matches_share_one_related_query(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    for n in range(5):
        account = fake_sf.add_account(f"Branch {n}")
        fake_sf.add_contact(f"Desk{n}", phone="(415) 555-0142", account_id=account)
    fake_sf.reset_calls()
    matches = connector.find_contact(sf_session, "+14155550142")
    assert len(matches) == 5
    assert fake_sf.call_count() == 2
    assert all(len(m.additional_info["relatedTo"]) == 1 for m in matches)


def test_leads_get_no_related_options_and_no_query(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    fake_sf.reset_calls()
    [lead] = connector.find_contact(sf_session, "+18506444200")
    assert lead.additional_info == {"relatedTo": []}
    assert fake_sf.call_count() == 1


def test_legacy_bare_array_parsed_from_conformance_payload() -> None:
    path = conformance_dir() / "sosl-search-response-legacy-v35-array.json"
    if not path.is_file():
        pytest.skip("conformance folder not available")
    payload = json.loads(path.read_text())
    assert isinstance(payload, list)
    hits = to_hits(payload, "https://example.my.salesforce.com", "+16508673450")
    assert [(h.record.type, h.record.name) for h in hits] == [
        ("Account", "Acme"),
        ("Account", "Acme Import Company"),
    ]
    assert search_records({"searchRecords": []}) == []


def test_legacy_api_version_against_fake(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    sf_session.config = {**sf_session.config, "api_version": "32.0"}
    matches = connector.find_contact(sf_session, "+16508673450")
    assert [m.name for m in matches] == ["Edna Frank", "GenePoint"]
    assert fake_sf.calls[0].path == "/services/data/v32.0/search/"


def test_fake_received_exact_sosl(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    fake_sf.reset_calls()
    connector.find_contact(sf_session, "+16508673450")
    assert fake_sf.queries("search") == [build_phone_sosl("+16508673450")]


def test_name_search_is_one_sosl_call_in_name_fields(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    fake_sf.reset_calls()
    [edna] = connector.search_contacts(sf_session, "edna fr")
    assert (edna.name, edna.type, edna.id) == ("Edna Frank", "Contact", fake_sf.ids["Edna Frank"])
    assert edna.phone  # as stored; the picker turns it into E.164
    assert fake_sf.queries("search") == [build_name_sosl("edna fr")]
    assert build_name_sosl("edna fr").startswith("FIND {edna* fr*} IN NAME FIELDS RETURNING ")
    assert fake_sf.call_count() == 1


def test_name_search_needs_every_word_and_a_searchable_one(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    assert connector.search_contacts(sf_session, "edna nobody") == []
    fake_sf.reset_calls()
    assert connector.search_contacts(sf_session, "e") == []
    assert connector.search_contacts(sf_session, "   ") == []
    assert fake_sf.call_count() == 0  # nothing SOSL could search: no call at all


def test_name_search_escapes_reserved_characters(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    contact_id = fake_sf.add_contact("O'Brien", "Bob", phone="(415) 555-0171")
    [bob] = connector.search_contacts(sf_session, "o'brien")
    assert (bob.id, bob.phone) == (contact_id, "(415) 555-0171")
    assert connector.search_contacts(sf_session, "(x) {y} *z") == []
    assert fake_sf.errors == []
