"""Pipedrive specifics against the fake: api_domain as base URL, Basic client auth, the
activity type checked at connect time, national-number search, the activity written."""

from __future__ import annotations

import pytest
import requests

from connectors.errors import CrmValidationError
from connectors.pipedrive.records import choose_activity_type
from connectors.testing import log_write
from fakes.pipedrive import FakePipedrive


def _types(*specs: tuple[str, str, bool]) -> dict:
    return {
        "data": [
            {"key_string": key, "name": name, "active_flag": active} for key, name, active in specs
        ]
    }


def test_connecting_keeps_api_domain_user_and_the_accounts_sms_type(pipedrive, pd_config, fake_pd):
    fake_pd.codes["c"] = "http://localhost/cb"
    credentials = pipedrive.exchange_code(pd_config, "c", "http://localhost/cb")
    assert credentials.instance_url == fake_pd.api_domain != fake_pd.url
    assert credentials.extra["activity_type"] == "sms"
    assert credentials.extra["user_id"] == fake_pd.user["id"]
    # Every API call went to the company domain (the fake refuses its OAuth host for /api).
    assert fake_pd.call_count("GET", "/api/v1/activityTypes") == 1


def test_the_token_endpoint_wants_basic_client_auth(fake_pd):
    fake_pd.codes["c"] = "http://localhost/cb"
    form = {"grant_type": "authorization_code", "code": "c", "redirect_uri": "http://localhost/cb"}
    in_body = {**form, "client_id": fake_pd.client_id, "client_secret": fake_pd.client_secret}
    assert requests.post(f"{fake_pd.url}/oauth/token", data=in_body, timeout=5).status_code == 401


def test_a_configured_activity_type_must_exist_and_be_active(pipedrive, pd_config, fake_pd):
    fake_pd.codes["c"] = "http://localhost/cb"
    with pytest.raises(CrmValidationError) as caught:
        pipedrive.exchange_code(
            {**pd_config, "activity_type": "Text message"}, "c", "http://localhost/cb"
        )
    assert (
        "Text message" in caught.value.message and "PIPEDRIVE_ACTIVITY_TYPE" in caught.value.message
    )


@pytest.mark.parametrize(
    ("types", "configured", "chosen"),
    [
        (_types(("call", "Call", True), ("sms", "SMS", True)), "", "sms"),
        (_types(("call", "Call", True), ("texting", "Send SMS", True)), "", "texting"),
        (_types(("sms", "SMS", False), ("call", "Call", True)), "", "call"),
        (_types(("meeting", "Meeting", True)), "", "meeting"),
        (_types(("call", "Call", True), ("sms", "SMS", True)), "CALL", "call"),
    ],
)
def test_activity_type_choice(types, configured, chosen):
    assert choose_activity_type(types, configured) == chosen


def test_no_active_type_refuses_the_connection():
    with pytest.raises(CrmValidationError):
        choose_activity_type(_types(("sms", "SMS", False)), "")


def test_search_uses_the_national_number_and_checks_each_hit(pipedrive, pd_session, fake_pd):
    wanted = fake_pd.add_person("Ada Lovelace", "+1 (415) 555-0131")
    fake_pd.add_person("Not Ada", "+44 20 4155 5501 31")  # contains the digits, another number
    [match] = pipedrive.find_contact(pd_session, "+14155550131")
    assert match.id == str(wanted)
    [search] = [c for c in fake_pd.calls if c.path == "/api/v2/itemSearch"]
    assert search.query == {
        "term": "4155550131",
        "item_types": "person",
        "fields": "phone",
        "search_for_related_items": "true",
        "limit": "100",
    }


def test_deals_and_leads_of_every_match_come_with_the_one_search(pipedrive, pd_session, fake_pd):
    first = fake_pd.add_person("Jane Roe", "4155550141")
    second = fake_pd.add_person("Jane Roe (home)", "+1 415 555 0141")
    deal = fake_pd.add_deal("Fleet renewal", first)
    lead = fake_pd.add_lead("Upsell", second)
    fake_pd.add_deal("Someone else's deal", fake_pd.add_person("Other", "4155550999"))
    fake_pd.reset_calls()

    matches = {m.id: m for m in pipedrive.find_contact(pd_session, "+14155550141")}

    assert [c.path for c in fake_pd.calls] == ["/api/v2/itemSearch"]  # one call, no N+1
    options = {k: [o["const"] for o in m.additional_info["relatedTo"]] for k, m in matches.items()}
    assert options == {str(first): [f"deal:{deal}"], str(second): [f"lead:{lead}"]}


def test_the_log_is_a_done_activity_with_participant_org_and_deal(pipedrive, pd_session, fake_pd):
    org = fake_pd.add_organization("Roe Logistics")
    person = fake_pd.add_person("Jane Roe", "4155550141", org)
    deal = fake_pd.add_deal("Fleet renewal", person)
    fake_pd.add_deal("Lost deal", person, status="lost")
    [match] = pipedrive.find_contact(pd_session, "+14155550141")
    titles = [o["title"] for o in match.additional_info["relatedTo"]]
    assert titles == ["Organization: Roe Logistics", "Deal: Fleet renewal"]

    created = pipedrive.create_message_log(
        pd_session, log_write(match, "k/1", "<p>Hi</p>", related_to_id=f"deal:{deal}")
    )
    activity = fake_pd.activities[int(created.log_id)]
    assert activity["type"] == "sms" and activity["done"] is True
    assert (activity["person_id"], activity["org_id"], activity["deal_id"]) == (person, org, deal)
    assert activity["participants"] == [{"person_id": person, "primary": True}]
    assert activity["note"] == "<p>Hi</p>" and activity["due_date"] == "2026-11-17"
    assert created.url.startswith(fake_pd.api_domain)


def test_a_spent_burst_window_is_waited_out_not_failed(pipedrive, pd_session, fake_pd):
    fake_pd.add_person("Ada Lovelace", "4155550131")
    fake_pd.burst_limit = len(fake_pd._burst) + 1  # one call left in this 2-second window
    pipedrive.find_contact(pd_session, "+14155550131")  # leaves the window spent
    pipedrive.find_contact(pd_session, "+14155550131")  # waits for the reset, then goes
    assert [c for c in fake_pd.calls if c.path.startswith("/api/")]


def test_the_fake_charges_documented_token_costs(fake_pd: FakePipedrive, pd_session, pipedrive):
    spent = fake_pd.budget_spent
    pipedrive.find_contact(pd_session, "+14155550199")  # a search, nothing found
    assert fake_pd.budget_spent - spent == 20


def test_numbers_that_are_not_e164_find_nothing_without_a_call(pipedrive, pd_session, fake_pd):
    fake_pd.reset_calls()
    for number in ("101", "", "+", "not a number"):
        assert pipedrive.find_contact(pd_session, number) == []
    assert fake_pd.calls == []
