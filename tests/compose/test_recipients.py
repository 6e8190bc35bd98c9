"""Recipient parsing, picker sources (the CRM one only when configured), the status sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors import registry
from connectors.base import Connector
from connectors.records import MatchedRecord
from connectors.session import CrmCredentials, CrmSession
from tests.compose.conftest import compose, extension, messages_of
from tests.helpers import html
from widget.compose import recipients
from widget.compose.recipients import (
    crm_contacts,
    parse_recipient,
    parse_recipients,
    recipient_sources,
    search,
)
from widget.compose.tasks import track_delivery, unfinished_outbound
from widget.extensions import db
from widget.models.types import utcnow


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("(415) 555-0123", "+14155550123"),
        ("415.555.0123", "+14155550123"),
        ("+1 415 555 0123", "+14155550123"),
        ("1-415-555-0123", "+14155550123"),
        ("+44 20 7946 0123", "+442079460123"),
        ("102", "102"),
        ("Ext. 102", "102"),
        ("x103", "103"),
    ],
)
def test_numbers_in_common_formats(demo_app, raw, address):
    with demo_app.app_context():
        parsed = parse_recipient(extension("101"), raw, "US")
        assert (parsed.address, parsed.error) == (address, None)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "Enter a name or number."),
        ("   ", "Enter a name or number."),
        ("hello", "is not a phone number"),
        ("999", "There is no extension 999."),
        ("ext 42", "There is no extension 42."),
        ("+1 555 000 1234", "is not a valid phone number"),
        ("101", "That is your own extension."),
        ("(650) 555-0101", "That is one of your own numbers."),
    ],
)
def test_bad_recipients_say_why(demo_app, raw, error):
    with demo_app.app_context():
        parsed = parse_recipient(extension("101"), raw, "US")
        assert parsed.address is None and error in parsed.error


def test_duplicates_collapse_and_names_fill_in(demo_app):
    with demo_app.app_context():
        parsed = parse_recipients(
            extension("101"), ["(415) 555-0123", "+14155550123", "102", "", "+15035550177"], "US"
        )
        assert [(r.address, r.label) for r in parsed] == [
            ("+14155550123", "Jane Roe"),
            ("102", "Bob Martinez (Ext. 102)"),
            ("+15035550177", "Marco Rossi"),  # Alice's personal contact
        ]


def test_too_many_recipients(demo_app):
    from widget.errors import DomainError

    numbers = [f"+1202555{1000 + i}" for i in range(recipients.MAX_RECIPIENTS + 1)]
    with demo_app.app_context(), pytest.raises(DomainError, match="at most 20"):
        parse_recipients(extension("101"), numbers, "US")


class FakeCrm(Connector):
    """A connector with no authentication and a name search, registered for one test."""

    id = "fake-crm-for-picker"
    display_name = "Fake CRM"

    def get_auth_type(self):
        return "none"

    def search_contacts(self, session, text):
        if "zed" not in text.lower():
            return []
        return [MatchedRecord(id="003A", name="Zed Quinn", type="Lead", phone="+13125550999")]

    def get_user_info(self, session):
        return {"id": "u", "name": "User"}

    def find_contact(self, session, phone):
        return []

    # The picker only reads: a write would mean searching had side effects, so fail loudly.
    def create_contact(self, session, phone, name, contact_type, additional=None):
        raise AssertionError("the recipient picker must never create CRM contacts")

    def create_message_log(self, session, log):
        raise AssertionError("the recipient picker must never write CRM logs")

    def update_message_log(self, session, log_id, log):
        raise AssertionError("the recipient picker must never write CRM logs")


def test_crm_source_only_when_a_connector_is_configured(demo_app, demo_client, alice):
    demo_app.config["DEFAULT_CRM"] = "no-such-crm"
    with demo_app.test_request_context():
        assert crm_contacts not in recipient_sources()
    registry.register(FakeCrm)
    demo_app.extensions[recipients.CRM_SESSION_PROVIDER] = lambda extension: (
        FakeCrm(),
        CrmSession(CrmCredentials(access_token="")),
    )
    try:
        demo_app.config["DEFAULT_CRM"] = FakeCrm.id
        with demo_app.test_request_context():
            assert recipient_sources()[-1] is crm_contacts
            found = search(extension("101"), "zed")
            assert [(c.name, c.address, c.source) for c in found] == [
                ("Zed Quinn", "+13125550999", "CRM")
            ]
        page = html(demo_client.get("/widget/compose/recipients?q=Zed", headers=alice))
        option = page.find("button", {"data-picker-option": True})
        assert option.find(class_="option-source").text == "CRM"
        chip = html(demo_client.get(option["hx-get"], headers=alice))
        assert chip.find(class_="chip-label").text == "Zed Quinn"  # the CRM's name, kept
    finally:
        registry.unregister(FakeCrm.id)
        demo_app.extensions.pop(recipients.CRM_SESSION_PROVIDER)


class NationalFormatCrm(FakeCrm):
    """A CRM storing numbers as typed, like Salesforce does."""

    id = "fake-crm-national-format"

    def search_contacts(self, session, text):
        return [
            MatchedRecord(id="003B", name="Yara Quinn", type="Contact", phone="(312) 555-0998"),
            MatchedRecord(id="003C", name="Yara Nophone", type="Contact", phone=None),
            MatchedRecord(id="003D", name="Yara Ext", type="Contact", phone="102"),
        ]


def test_crm_numbers_stored_as_typed_become_e164_in_the_picker(demo_app):
    registry.register(NationalFormatCrm)
    demo_app.extensions[recipients.CRM_SESSION_PROVIDER] = lambda extension: (
        NationalFormatCrm(),
        CrmSession(CrmCredentials(access_token="")),
    )
    try:
        demo_app.config["DEFAULT_CRM"] = NationalFormatCrm.id
        with demo_app.test_request_context():
            found = crm_contacts(extension("101"), "yara", 12)
        assert [(c.name, c.address) for c in found] == [("Yara Quinn", "+13125550998")]
    finally:
        registry.unregister(NationalFormatCrm.id)
        demo_app.extensions.pop(recipients.CRM_SESSION_PROVIDER)


def test_local_crm_records_are_found_by_number(demo_app, demo_client, alice):
    from widget.crm_logging.connections import connection_for, connector_session

    assert demo_app.config["DEFAULT_CRM"] == "local"
    with demo_app.app_context():
        connector, session = connector_session(connection_for(extension("101")))
        connector.create_contact(session, "+13125550777", "Nadia Park", "Lead", {"company": "Park"})
    page = html(demo_client.get("/widget/compose/recipients?q=312-555-0777", headers=alice))
    options = [
        (b.find(class_="option-name").text, b.find(class_="option-source").text)
        for b in page.find_all("button", {"data-picker-option": True})
    ]
    assert options == [("Nadia Park", "CRM")]
    # A number known to the directory keeps its directory name and appears once.
    page = html(demo_client.get("/widget/compose/recipients?q=4155550123", headers=alice))
    names = [
        b.find(class_="option-name").text
        for b in page.find_all("button", {"data-picker-option": True})
    ]
    assert names == ["Jane Roe"]


def test_local_crm_records_are_found_by_name(demo_app, demo_client, alice):
    from widget.crm_logging.connections import connection_for, connector_session

    with demo_app.app_context():
        connector, session = connector_session(connection_for(extension("101")))
        connector.create_contact(session, "+13125550777", "Nadia Park", "Lead", {"company": "Park"})
    page = html(demo_client.get("/widget/compose/recipients?q=nadia", headers=alice))
    options = [
        (b.find(class_="option-name").text, b.find(class_="option-source").text)
        for b in page.find_all("button", {"data-picker-option": True})
    ]
    assert options == [("Nadia Park", "CRM")]


def test_sweeper_requeues_outbound_messages_that_stopped_moving(demo_app, demo_client, alice):
    demo_app.config["DELIVERY_POLL_SECONDS"] = 3600  # the scheduled check is "lost"
    compose(demo_client, alice, ["+12025550123"], text="Stuck")
    with demo_app.app_context():
        (message,) = messages_of("101", subject="Stuck")
        assert message.message_status.value == "Queued"
        assert unfinished_outbound() == []  # too recent to be called stuck
        later = utcnow() + timedelta(minutes=6)
        assert message.id in unfinished_outbound(later)
        demo_app.config["DELIVERY_POLL_SECONDS"] = 0
        track_delivery.call_local(message.id)  # what the sweeper re-queues
        db.session.expire_all()
        assert messages_of("101", subject="Stuck")[0].message_status.value == "Delivered"
        assert message.id not in unfinished_outbound(later)
