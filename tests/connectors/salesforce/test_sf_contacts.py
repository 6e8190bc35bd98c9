"""Creating Contacts and Leads from the sidebar."""

from __future__ import annotations

import pytest

from connectors.errors import CrmValidationError
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.contacts import contact_fields, split_name
from connectors.session import CrmSession
from fakes.salesforce import FakeSalesforce


def test_split_name() -> None:
    assert split_name("Mary Ann van Dyke") == ("Mary Ann van", "Dyke")
    assert split_name("Cher") == (None, "Cher")
    assert split_name("  ") == (None, "")


def test_create_contact_then_find_it(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    created = connector.create_contact(sf_session, "+14155550123", "Jane Doe", "Contact", {})
    assert (created.type, created.name, created.phone) == ("Contact", "Jane Doe", "+14155550123")
    assert created.url == f"{fake_sf.instance_url}/lightning/r/Contact/{created.id}/view"
    stored = fake_sf.get_record(created.id)
    assert stored is not None
    assert (stored["FirstName"], stored["LastName"]) == ("Jane", "Doe")
    [found] = connector.find_contact(sf_session, "+14155550123")
    assert found.id == created.id


def test_create_lead_derives_company_or_uses_submission(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    derived = connector.create_contact(sf_session, "+14155550124", "Sam Lee", "Lead", {})
    given = connector.create_contact(
        sf_session, "+14155550125", "Ana Ruiz", "Lead", {"company": "Acme", "email": "a@acme.test"}
    )
    derived_record = fake_sf.get_record(derived.id)
    given_record = fake_sf.get_record(given.id)
    assert derived_record is not None and given_record is not None
    assert derived_record["Company"] == "Sam Lee"
    assert (given_record["Company"], given_record["Email"]) == ("Acme", "a@acme.test")


def test_nameless_contact_uses_number_as_last_name() -> None:
    assert contact_fields("Contact", "+14155550126", "", {})["LastName"] == "+14155550126"


def test_unknown_contact_type_is_rejected(
    connector: SalesforceConnector, sf_session: CrmSession
) -> None:
    with pytest.raises(CrmValidationError, match="Contact or Lead"):
        connector.create_contact(sf_session, "+14155550127", "X", "Account", {})


def test_salesforce_validation_message_surfaces(
    connector: SalesforceConnector, sf_session: CrmSession
) -> None:
    with pytest.raises(CrmValidationError) as caught:
        connector.create_contact(sf_session, "+14155550128", "A" * 100, "Contact", {})
    assert caught.value.error_code == "STRING_TOO_LONG"
    assert "(max length=80)" in caught.value.message
    assert caught.value.fields == ["LastName"]
