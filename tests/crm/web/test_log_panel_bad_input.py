"""The Log panel's answers to bad input: errors in place, nothing written."""

from __future__ import annotations

import pytest

from tests.crm.web.conftest import (
    JANE,
    activity_count,
    conversation_id,
    field_error,
    inbound,
    panel_url,
)
from tests.helpers import html, sign_in
from widget import htmx_support


def test_missing_required_field_is_422_next_to_the_field(demo_app, demo_client, alice):
    cid = inbound(demo_client, JANE, "Hello")
    record_id = html(demo_client.get(panel_url(cid), headers=alice)).find(
        "input", {"name": "record_id", "checked": True}
    )["value"]

    response = demo_client.post(
        panel_url(cid), data={"record_id": record_id, "field_outcome": ""}, headers=alice
    )

    assert response.status_code == 422
    assert "HX-Retarget" not in response.headers
    assert field_error(html(response), "field_outcome") == "Required"
    assert activity_count(demo_app) == 0


def test_option_not_offered_is_422(demo_app, demo_client, alice):
    cid = inbound(demo_client, JANE, "Hello")
    record_id = html(demo_client.get(panel_url(cid), headers=alice)).find(
        "input", {"name": "record_id", "checked": True}
    )["value"]

    response = demo_client.post(
        panel_url(cid),
        data={"record_id": record_id, "field_outcome": "Bribe", "field_relatedTo": "opp-999"},
        headers=alice,
    )

    assert response.status_code == 422
    page = html(response)
    assert field_error(page, "field_outcome") == "Not one of the offered options"
    assert field_error(page, "field_relatedTo") == "Not one of the offered options"
    assert activity_count(demo_app) == 0


@pytest.mark.parametrize("record_id", ["contact-999", "contact-2"])
def test_record_not_offered_by_matching_is_400_in_place(demo_app, demo_client, alice, record_id):
    """contact-2 exists (Sam Okafor) but was not offered for Jane's number."""
    cid = inbound(demo_client, JANE, "Hello")

    response = demo_client.post(
        panel_url(cid), data={"record_id": record_id, "field_outcome": "Resolved"}, headers=alice
    )

    assert response.status_code == 400
    assert "HX-Retarget" not in response.headers
    error = html(response).select_one("#record-error")
    assert "Choose a record from the list of matches" in error.get_text()
    assert activity_count(demo_app) == 0
    fields = demo_client.get(
        panel_url(cid, "/fields"), query_string={"record_id": record_id}, headers=alice
    )
    assert fields.status_code == 400


def test_no_record_chosen_is_422(demo_app, demo_client, alice):
    cid = inbound(demo_client, JANE, "Hello")

    response = demo_client.post(panel_url(cid), data={"field_outcome": "Resolved"}, headers=alice)

    assert response.status_code == 422
    assert html(response).select_one("#record-error").get_text() == "Choose the record to log to."
    assert activity_count(demo_app) == 0


def test_another_extensions_conversation_is_404_on_every_route(demo_app, demo_client):
    bob = sign_in(demo_client, "102")
    alices = conversation_id(demo_app, "101", f",{JANE},", "voicemail")

    gets = ["", "/fields?record_id=contact-1", "/preview?record_id=contact-1", "/status"]
    for tail in gets:
        assert demo_client.get(panel_url(alices, tail), headers=bob).status_code == 404, tail
    posts = [
        (panel_url(alices), {"record_id": "contact-1", "field_outcome": "Resolved"}),
        (panel_url(alices, "/retry"), {}),
        (f"/widget/crm/conversations/{alices}/contacts", {"phone": JANE, "name": "X"}),
    ]
    for url, data in posts:
        assert demo_client.post(url, data=data, headers=bob).status_code == 404, url
    assert activity_count(demo_app) == 0


def test_log_without_csrf_is_refused(demo_app, demo_client, alice):
    cid = inbound(demo_client, JANE, "Hello")
    headers = {k: v for k, v in alice.items() if k != htmx_support.CSRF_HEADER}

    response = demo_client.post(
        panel_url(cid),
        data={"record_id": "contact-1", "field_outcome": "Resolved"},
        headers=headers,
    )

    assert response.status_code == 403
    assert activity_count(demo_app) == 0
