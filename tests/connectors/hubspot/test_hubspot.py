"""HubSpot specifics against the fake: national-number search, associations 81/87/85,
the 5-searches-a-second limit, 429 waits, the v3 token call, and HubSpot's own Python
client driving the fake (so the fake speaks what the real API speaks)."""

from __future__ import annotations

import time

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import PublicObjectSearchRequest
from hubspot.crm.objects.communications import SimplePublicObjectInputForCreate

from connectors.errors import CrmRetryableError, CrmValidationError
from connectors.hubspot import api
from connectors.testing import log_write


def _search_bodies(fake, object_type: str) -> int:
    return fake.call_count("POST", f"/crm/v3/objects/{object_type}/search")


def test_search_leaves_the_country_code_out(hubspot, hs_session, fake_hs):
    contact = fake_hs.add_contact("Ada", "Lovelace", phone="+1 (415) 555-0131")
    [match] = hubspot.find_contact(hs_session, "+14155550131")
    assert match.id == contact
    # What the fake answers is what HubSpot's calculated property matches: area code and
    # local number. A search with the country code would have found nothing.
    searched = fake_hs.searchable_values()
    assert searched == ["4155550131", "4155550131"]


def test_a_digit_substring_is_not_a_match(hubspot, hs_session, fake_hs):
    fake_hs.add_contact("Other", "Person", phone="(650) 867-3450")
    assert hubspot.find_contact(hs_session, "+18673450") == []


def test_log_is_an_sms_communication_associated_by_hubspot_type_ids(hubspot, hs_session, fake_hs):
    company = fake_hs.add_company("Roe Logistics")
    contact = fake_hs.add_contact("Jane", "Roe", phone="4155550141", company_id=company)
    deal = fake_hs.add_deal("Fleet renewal", contact)
    [match] = hubspot.find_contact(hs_session, "+14155550141")
    titles = [o["title"] for o in match.additional_info["relatedTo"]]
    assert titles == ["Company: Roe Logistics", "Deal: Fleet renewal"]

    created = hubspot.create_message_log(
        hs_session, log_write(match, "k/1", "<p>Hi</p>", related_to_id=f"deal:{deal}")
    )
    props = fake_hs.communications[created.log_id]["properties"]
    assert props["hs_communication_channel_type"] == "SMS"
    assert props["hs_communication_logged_from"] == "CRM"
    assert props["sidetalk_log_key"] == "k/1"
    assert fake_hs.associations_of(created.log_id) == {("contacts", contact), ("deals", deal)}

    hubspot.update_message_log(
        hs_session,
        created.log_id,
        log_write(match, "k/1", "<p>Hi again</p>", related_to_id=f"company:{company}"),
    )
    assert fake_hs.communications[created.log_id]["properties"]["hs_communication_body"] == (
        "<p>Hi again</p>"
    )
    assert ("companies", company) in fake_hs.associations_of(created.log_id)


def test_searches_wait_to_stay_within_five_a_second(hubspot, hs_session, fake_hs):
    started = time.monotonic()
    for n in range(7):
        hubspot.find_contact(hs_session, f"+1415555020{n}")
    # Seven searches: the sixth had to wait for the first to leave the 1-second window,
    # and the fake (which answers a sixth search in a second with 429) never refused.
    assert time.monotonic() - started >= 0.9
    assert _search_bodies(fake_hs, "contacts") == 7


def test_a_429_without_retry_after_waits_for_hubspots_window(hubspot, hs_session, fake_hs):
    fake_hs.fail_next("/crm/v3/objects", 429)  # the recorded "secondly limit" body
    with pytest.raises(CrmRetryableError) as caught:
        hubspot.find_contact(hs_session, "+14155550151")
    assert caught.value.retry_after == 1.0


def test_the_fake_refuses_a_sixth_search_in_a_second(fake_hs, hs_session):
    client = api.client(hs_session)
    body = {"filterGroups": [], "limit": 1}
    for _ in range(5):
        client.post("crm/v3/objects/contacts/search", body)
    with pytest.raises(CrmRetryableError) as caught:
        client.post("crm/v3/objects/contacts/search", body)
    assert "secondly limit" in caught.value.message


def test_an_unknown_property_is_refused_with_hubspots_message(hs_session, fake_hs):
    client = api.client(hs_session)
    with pytest.raises(CrmValidationError) as caught:
        client.post(
            "crm/v3/objects/communications",
            {"properties": {"hs_communication_channel_type": "SMS", "nope": "1"}},
        )
    assert caught.value.fields == ["nope"] and "does not exist" in caught.value.message


def test_the_code_is_exchanged_on_the_v3_endpoint_with_the_secret_in_the_body(
    hubspot, hs_config, fake_hs
):
    fake_hs.codes["the-code"] = "http://localhost/cb"
    credentials = hubspot.exchange_code(hs_config, "the-code", "http://localhost/cb")
    assert fake_hs.call_count("POST", "/oauth/v3/token") == 1
    assert credentials.extra["hub_id"] == fake_hs.hub_id
    assert "sidetalk_log_key" in fake_hs.custom_properties  # created once, at connect
    assert credentials.expires_at is not None


def test_hubspots_own_client_speaks_to_the_fake(fake_hs, hs_session):
    """hubspot-api-client (HubSpot's official Python client) against the fake."""
    contact = fake_hs.add_contact("Maria", "Johnson", phone="(415) 555-0177")
    client = HubSpot(access_token=hs_session.credentials.access_token, host=fake_hs.url)
    found = client.crm.contacts.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[
                {
                    "filters": [
                        {
                            "propertyName": "hs_searchable_calculated_phone_number",
                            "operator": "EQ",
                            "value": "4155550177",
                        }
                    ]
                }
            ],
            properties=["firstname", "lastname"],
        )
    )
    assert found.total == 1 and found.results[0].id == contact
    assert found.results[0].properties["lastname"] == "Johnson"

    created = client.crm.objects.communications.basic_api.create(
        simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
            properties={
                "hs_communication_channel_type": "SMS",
                "hs_communication_logged_from": "CRM",
                "hs_communication_body": "Texted Maria",
                "hs_timestamp": "2026-11-17T12:00:00Z",
            },
            associations=[
                {
                    "to": {"id": contact},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 81}],
                }
            ],
        )
    )
    assert created.properties["hs_communication_body"] == "Texted Maria"
    assert fake_hs.associations_of(created.id) == {("contacts", contact)}

    info = client.oauth.access_tokens_api.get(token=hs_session.credentials.access_token)
    assert info.hub_id == fake_hs.hub_id


def test_the_sliding_window_waits_only_when_full():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    from connectors.ratelimit import SlidingWindow

    window = SlidingWindow(2, 1.0, clock=lambda: now[0], sleep=sleep)
    assert window.acquire("a") == 0 and window.acquire("a") == 0
    assert window.acquire("b") == 0  # another account has its own window
    now[0] = 0.25
    assert window.acquire("a") == pytest.approx(0.75)
    assert slept == [pytest.approx(0.75)]


def test_tokens_in_hubspot_paths_never_reach_the_logs(hubspot, hs_session, caplog):
    # Our own records, at their most verbose (urllib3's DEBUG lines print whole URLs of
    # every client, phone numbers in query strings included: never run it at DEBUG).
    caplog.set_level("DEBUG", logger="connectors")
    hubspot.get_user_info(hs_session)
    hubspot.revoke(hs_session)
    assert hs_session.credentials.access_token not in caplog.text
    assert str(hs_session.credentials.refresh_token) not in caplog.text
    assert "HubSpot GET /oauth/v1/access-tokens -> 200" in caplog.text


def test_numbers_that_are_not_e164_find_nothing_without_a_call(hubspot, hs_session, fake_hs):
    for number in ("101", "", "+", "not a number"):
        assert hubspot.find_contact(hs_session, number) == []
    assert fake_hs.calls == []


def test_a_token_at_its_announced_end_is_refreshed_before_the_call(hubspot, hs_session, fake_hs):
    import datetime as dt

    hs_session.credentials.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    fake_hs.expire_access_tokens()  # HubSpot would refuse it any moment now
    hubspot.find_contact(hs_session, "+14155550161")
    assert fake_hs.refresh_count == 1
    # No call was spent on a 401: the search went out once, with the new token.
    assert fake_hs.call_count("POST", "/crm/v3/objects/contacts/search") == 1
    assert hs_session.credentials.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
