"""The logged communication is owned by the signed-in user: ``hubspot_owner_id`` is the
owner whose ``userId`` is the token's user, resolved through the owners API once (at
sign-in, or on the first log of an older connection) and kept with the credentials."""

from __future__ import annotations

import requests

from connectors.hubspot import OWNER_ID
from connectors.testing import log_write

OWNER = "41629779"  # the fake portal's owner for the token metadata's user 293199


def _contact(hubspot, hs_session, fake_hs):
    fake_hs.add_contact("Jane", "Roe", phone="4155550141")
    [match] = hubspot.find_contact(hs_session, "+14155550141")
    return match


def _owners_calls(fake_hs) -> int:
    return fake_hs.call_count("GET", "/crm/v3/owners")


def test_signing_in_resolves_the_users_owner_id(hubspot, hs_config, fake_hs):
    fake_hs.codes["c"] = "http://localhost/cb"
    credentials = hubspot.exchange_code(hs_config, "c", "http://localhost/cb")
    assert credentials.extra[OWNER_ID] == OWNER
    [call] = [c for c in fake_hs.calls if c.path.startswith("/crm/v3/owners")]
    assert (call.path, call.query) == ("/crm/v3/owners/293199", {"idProperty": "userId"})


def test_the_communication_is_owned_by_the_signed_in_user(hubspot, hs_session, fake_hs):
    match = _contact(hubspot, hs_session, fake_hs)

    first = hubspot.create_message_log(hs_session, log_write(match, "k/1", "<p>Hi</p>"))
    second = hubspot.create_message_log(hs_session, log_write(match, "k/2", "<p>Hi</p>"))

    for created in (first, second):
        assert fake_hs.communications[created.log_id]["properties"]["hubspot_owner_id"] == OWNER
    assert _owners_calls(fake_hs) == 1  # resolved once, then kept
    saved = hs_session.on_credentials_changed.saved
    assert saved and saved[-1].extra[OWNER_ID] == OWNER  # persisted for every process


def test_a_user_who_is_no_owner_logs_without_one_and_is_not_asked_again(
    hubspot, hs_session, fake_hs
):
    fake_hs.owners.clear()
    match = _contact(hubspot, hs_session, fake_hs)
    for key in ("k/1", "k/2"):
        created = hubspot.create_message_log(hs_session, log_write(match, key, "<p>Hi</p>"))
        assert "hubspot_owner_id" not in fake_hs.communications[created.log_id]["properties"]
    assert _owners_calls(fake_hs) == 1
    assert hs_session.credentials.extra[OWNER_ID] == ""


def test_an_app_without_the_owners_scope_still_logs(hubspot, hs_session, fake_hs):
    match = _contact(hubspot, hs_session, fake_hs)
    missing_scope = {
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call.",
        "category": "MISSING_SCOPES",
    }
    fake_hs.fail_next("GET /crm/v3/owners", 403, body=missing_scope)
    created = hubspot.create_message_log(hs_session, log_write(match, "k/1", "<p>Hi</p>"))
    assert "hubspot_owner_id" not in fake_hs.communications[created.log_id]["properties"]


def test_the_fake_refuses_a_user_id_as_owner(hs_session, fake_hs):
    """HubSpot warns that a ``userId`` "will result in an error if it is used to assign
    ownership": the fake refuses it, so a connector sending the wrong id fails here."""
    contact = fake_hs.add_contact("Jane", "Roe", phone="4155550141")
    body = {
        "properties": {
            "hs_communication_channel_type": "SMS",
            "hs_communication_logged_from": "CRM",
            "hs_communication_body": "Hi",
            "hs_timestamp": "2026-11-17T12:00:00Z",
            "hubspot_owner_id": "293199",
        },
        "associations": [
            {
                "to": {"id": contact},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 81}],
            }
        ],
    }
    token = hs_session.credentials.access_token
    answer = requests.post(
        f"{fake_hs.url}/crm/v3/objects/communications",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["context"] == {"propertyName": ["hubspot_owner_id"]}
