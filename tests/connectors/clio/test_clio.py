"""Clio specifics against the fakes: regions kept per connection, per-format search,
IF-MATCH with a 412 re-read, the key in an external property, request schemas."""

from __future__ import annotations

import pytest
import requests

from connectors.clio.api import ClioSettings
from connectors.clio.communications import etags
from connectors.errors import CrmValidationError
from connectors.session import CrmSession
from connectors.testing import log_write
from fakes.clio import FakeClio


def test_regions_offered_are_those_with_an_app(clio):
    [option] = clio.connect_options({"eu_client_id": "eu-app", "au_client_id": "au-app"})
    assert option.const == "region" and [c for c, _ in option.choices] == ["EU", "AU"]
    assert option.default == "EU"
    assert clio.connect_choices({"eu_client_id": "x"}, {"region": "EU"}) == {"region": "EU"}
    with pytest.raises(CrmValidationError):
        clio.connect_choices({"eu_client_id": "x"}, {"region": "US"})
    with pytest.raises(CrmValidationError):
        clio.connect_choices({}, {"region": "MARS"})


def test_a_connection_stays_on_its_region(clio, clio_config, fake_clio):
    with FakeClio() as europe:
        config = {
            **clio_config,
            "eu_url": europe.url,
            "eu_client_id": europe.client_id,
            "eu_client_secret": europe.client_secret,
            "region": "EU",
        }
        europe.codes["c"] = "http://localhost/cb"
        info = clio.get_oauth_info(config)
        assert info.authorize_url == f"{europe.url}/oauth/authorize"
        credentials = clio.exchange_code(config, "c", "http://localhost/cb")
        assert credentials.instance_url == europe.url and credentials.extra["region"] == "EU"
        europe.add_contact("Ada Lovelace", "+14155550131")
        # Later sessions get the US default from the server config: the region kept in
        # the credentials still wins.
        session = CrmSession(credentials, config={**config, "region": "US"})
        [match] = clio.find_contact(session, "+14155550131")
        assert match.name == "Ada Lovelace"
        assert fake_clio.call_count() == 0  # the US instance never saw a call
        # A token works only against its own region (the most common 401 at Clio).
        us_token = fake_clio.issue_tokens()["access_token"]
        answer = requests.get(
            f"{europe.url}/api/v4/users/who_am_i.json",
            headers={"Authorization": f"Bearer {us_token}"},
            timeout=5,
        )
        assert answer.status_code == 401


def test_search_tries_stored_spellings_until_one_matches(clio, clio_session, fake_clio):
    contact = fake_clio.add_contact("Ada Lovelace", "415.555.0133")
    [match] = clio.find_contact(clio_session, "+14155550133")
    assert match.id == str(contact)
    queries = [c.query["query"] for c in fake_clio.calls if c.path.endswith("contacts.json")]
    assert queries == ["4155550133", "(415) 555-0133", "415-555-0133", "415.555.0133"]


def test_matters_are_related_to_options_closed_ones_left_out(clio, clio_session, fake_clio):
    contact = fake_clio.add_contact("Jane Roe", "+14155550141")
    open_matter = fake_clio.add_matter(contact, "Lease dispute")
    fake_clio.add_matter(contact, "Done", status="Closed")
    [match] = clio.find_contact(clio_session, "+14155550141")
    assert [o["const"] for o in match.additional_info["relatedTo"]] == [str(open_matter)]

    created = clio.create_message_log(
        clio_session, log_write(match, "k/1", "Hi", related_to_id=str(open_matter))
    )
    stored = fake_clio.communications[int(created.log_id)]
    assert stored["type"] == "PhoneCommunication" and stored["matter"] == {"id": open_matter}
    assert stored["senders"] == [{"id": contact, "type": "Contact"}]
    assert stored["receivers"] == [{"id": fake_clio.user["id"], "type": "User"}]
    assert stored["external_properties"] == [{"name": "sidetalk_log_key", "value": "k/1"}]


def test_outbound_conversations_are_sent_by_the_user(clio, clio_session, fake_clio):
    contact = fake_clio.add_contact("Jane Roe", "+14155550142")
    [match] = clio.find_contact(clio_session, "+14155550142")
    created = clio.create_message_log(
        clio_session, log_write(match, "k/2", "Hi", direction="Outbound")
    )
    stored = fake_clio.communications[int(created.log_id)]
    assert stored["senders"] == [{"id": fake_clio.user["id"], "type": "User"}]
    assert stored["receivers"] == [{"id": contact, "type": "Contact"}]


def test_update_sends_if_match_and_rereads_after_a_412(clio, clio_session, fake_clio):
    fake_clio.add_contact("Jane Roe", "+14155550151")
    [match] = clio.find_contact(clio_session, "+14155550151")
    created = clio.create_message_log(clio_session, log_write(match, "k/3", "one"))
    fake_clio.reset_calls()
    clio.update_message_log(clio_session, created.log_id, log_write(match, "k/3", "one two"))
    assert [c.method for c in fake_clio.calls] == ["PATCH"]  # the ETag was remembered

    fake_clio.touch(int(created.log_id))  # someone else changed it meanwhile
    fake_clio.reset_calls()
    clio.update_message_log(clio_session, created.log_id, log_write(match, "k/3", "one two 3"))
    assert [c.method for c in fake_clio.calls] == ["PATCH", "GET", "PATCH"]
    assert fake_clio.communications[int(created.log_id)]["body"] == "one two 3"
    assert fake_clio.patches_without_if_match == 0

    etags.put(f"{clio_session.credentials.instance_url}|{created.log_id}", None)  # restart
    fake_clio.reset_calls()
    clio.update_message_log(clio_session, created.log_id, log_write(match, "k/3", "four"))
    assert [c.method for c in fake_clio.calls] == ["GET", "PATCH"]


def test_the_fake_checks_clios_request_schema(clio_session, fake_clio):
    from connectors.clio import api

    with pytest.raises(CrmValidationError) as caught:
        api.client(clio_session).post("communications.json", {"data": {"body": 5}})
    assert caught.value.message == "'subject' is a required property"


def test_an_unsupported_api_version_is_gone(clio_session, fake_clio):
    from connectors.clio import api
    from connectors.errors import CrmNotFound

    session = CrmSession(
        clio_session.credentials, config={**clio_session.config, "api_version": "3"}
    )
    with pytest.raises(CrmNotFound):
        api.client(session).get("users/who_am_i.json")


def test_settings_pick_the_regions_own_app():
    config = {"client_id": "us", "eu_client_id": "eu", "eu_client_secret": "s"}
    assert ClioSettings.from_config(config, "EU").client_id == "eu"
    assert ClioSettings.from_config(config).client_id == "us"
    assert ClioSettings.from_config(config, "EU").host == "https://eu.app.clio.com"


def test_numbers_that_are_not_e164_find_nothing_without_a_call(clio, clio_session, fake_clio):
    for number in ("101", "", "+", "not a number"):
        assert clio.find_contact(clio_session, number) == []
    assert fake_clio.calls == []
