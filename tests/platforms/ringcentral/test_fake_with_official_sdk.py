"""The fake RingCentral, driven by RingCentral's official Python SDK (``ringcentral``).

A fake written by the same hands as the client can share its mistakes; the official SDK
is the independent client that tells whether the fake answers what a real client expects.
"""

from __future__ import annotations

import urllib.parse
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import ringcentral.platform.platform as sdk_platform
from ringcentral import SDK
from ringcentral.http.api_exception import ApiException

from fakes.ringcentral import FakeRingCentral
from fakes.ringcentral.oauth import s256

# ringcentral 0.9.2's login_url uses ``urllib.parse`` without importing it (its bug, not
# the fake's): give the module the name it expects.
sdk_platform.urllib = urllib

REDIRECT = "http://127.0.0.1:9/auth/ringcentral/callback"


@pytest.fixture
def fake():
    with FakeRingCentral() as server:
        yield server


def _sdk_login(fake) -> SDK:
    sdk = SDK(fake.client_id, fake.client_secret, fake.url)
    platform = sdk.platform()
    verifier = "v" * 64
    url = platform.login_url(REDIRECT, state="st-1", challenge=s256(verifier))
    answer = requests.get(url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    query = parse_qs(urlparse(answer.headers["Location"]).query)
    assert query["state"] == ["st-1"]
    platform.login(code=query["code"][0], redirect_uri=REDIRECT, verifier=verifier)
    return sdk


def test_the_sdk_signs_in_with_pkce_reads_the_user_and_syncs(fake):
    fake.inbound_sms("+14155550123", "Is 3pm still OK?")
    sdk = _sdk_login(fake)
    platform = sdk.platform()
    extension = platform.get("/restapi/v1.0/account/~/extension/~").json_dict()
    assert extension["extensionNumber"] == "101"
    numbers = platform.get("/restapi/v1.0/account/~/extension/~/phone-number").json_dict()
    assert "SmsSender" in numbers["records"][0]["features"]
    page = platform.get(
        "/restapi/v1.0/account/~/extension/~/message-sync", {"syncType": "FSync"}
    ).json_dict()
    (record,) = page["records"]
    assert record["subject"] == "Is 3pm still OK?"
    assert record["id"] > 2**53  # a JSON number that only an exact parser keeps
    token = page["syncInfo"]["syncToken"]
    incremental = platform.get(
        "/restapi/v1.0/account/~/extension/~/message-sync",
        {"syncType": "ISync", "syncToken": token},
    ).json_dict()
    assert incremental["records"] == []


def test_the_sdk_sends_sms_and_mms_and_changes_the_message_store(fake):
    sdk = _sdk_login(fake)
    platform = sdk.platform()
    sent = platform.post(
        "/restapi/v1.0/account/~/extension/~/sms",
        {
            "from": {"phoneNumber": "+16505550101"},
            "to": [{"phoneNumber": "+14155550123"}],
            "text": "On my way",
        },
    ).json_dict()
    assert sent["messageStatus"] == "Queued"
    # The message list Sidetalk reconciles a timed-out send against, as the SDK asks it.
    listed = platform.get(
        "/restapi/v1.0/account/~/extension/~/message-store",
        {
            "direction": "Outbound",
            "messageType": "SMS",
            "phoneNumber": "+14155550123",
            "dateFrom": sent["creationTime"],
            "perPage": 100,
        },
    ).json_dict()
    assert [r["id"] for r in listed["records"]] == [sent["id"]]
    assert listed["paging"]["totalElements"] == 1
    builder = sdk.create_multipart_builder()
    builder.set_body(
        {"from": {"phoneNumber": "+16505550101"}, "to": [{"phoneNumber": "+14155550123"}]}
    )
    builder.add(("pic.png", b"\x89PNG fake", "image/png"))
    mms = platform.send_request(builder.request("/restapi/v1.0/account/~/extension/~/mms"))
    assert mms.json_dict()["attachments"][-1]["contentType"] == "image/png"
    path = f"/restapi/v1.0/account/~/extension/~/message-store/{sent['id']}"
    assert platform.put(path, {"readStatus": "Unread"}).json_dict()["readStatus"] == "Unread"
    platform.delete(path)
    assert platform.get(path).json_dict()["availability"] == "Deleted"
    assert platform.patch(path, {"availability": "Alive"}).json_dict()["availability"] == "Alive"


def test_the_sdk_sees_errors_rate_limits_and_refresh(fake):
    fake.limits["Light"] = 1
    fake.penalty_seconds = 30
    platform = _sdk_login(fake).platform()
    first = platform.get("/restapi/v1.0/account/~/extension/~")
    assert first.response().headers["X-Rate-Limit-Group"] == "Light"
    with pytest.raises(ApiException) as limited:
        platform.get("/restapi/v1.0/account/~/extension/~")
    response = limited.value.api_response().response()
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert response.json()["errors"][0]["errorCode"] == "CMN-301"
    with pytest.raises(ApiException) as bad:
        platform.post("/restapi/v1.0/account/~/extension/~/sms", {"text": "x"})
    body = bad.value.api_response().response().json()
    assert {"errorCode", "message", "errors"} <= set(body)
    old_refresh = platform.auth().refresh_token()
    platform.refresh()
    assert platform.auth().refresh_token() != old_refresh
    assert fake.oauth.refresh_count == 1
    platform.logout()
    assert fake.oauth.revoked_tokens
