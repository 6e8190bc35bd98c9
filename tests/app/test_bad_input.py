"""Bad input gets a clear 4xx in the caller's format and changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from tests.helpers import html, sign_in
from widget.extensions import db
from widget.models import Attachment, Conversation, Message
from widget.models.types import utcnow

ALICE = "+16505550101"
CAROL, CAROL_SECOND = "+16505550103", "+16505550113"
JANE = "+14155550123"


def _counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Message, Conversation, Attachment)
    )


@pytest.fixture
def api(demo_client, demo_db):
    return demo_client


def _post_inbound(client, **kwargs):
    return client.post("/sandbox/inbound", **kwargs)


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"from": JANE, "to": ALICE, "text": "hi", "cc": "x"}, "cc", "Unknown field"),
        ({"from": "call me maybe", "to": ALICE, "text": "hi"}, "from", "not a phone number"),
        ({"from": "+1 555 01", "to": ALICE, "text": "hi"}, "from", "not a valid phone number"),
        ({"from": JANE, "to": "twelve", "text": "hi"}, "to", "not a phone number"),
        ({"from": JANE, "to": "", "text": "hi"}, "to", "required"),
        ({"from": JANE, "to": "+12125550187", "text": "hi"}, "to", "demo extensions' numbers"),
        ({"from": JANE, "to": ALICE, "text": "x" * 1001}, "text", "limit is 1000"),
        ({"from": JANE, "to": ALICE, "text": ""}, "text", "must not be empty"),
        ({"from": JANE, "to": ALICE, "text": " \n\t "}, "text", "must not be empty"),
        ({"from": JANE, "to": ALICE}, "text", "must not be empty"),
        ({"from": JANE, "to": ALICE, "text": 42}, "text", "must be a string"),
        ({"from": [JANE], "to": ALICE, "text": "hi"}, "from", "must be a string"),
        ({"from": JANE, "to": ALICE, "text": "hi", "type": "Telegram"}, "type", "must be one of"),
        ({"from": JANE, "to": ALICE, "text": "hi", "type": "sms"}, "type", "must be one of"),
        ({"from": JANE, "to": ALICE, "text": "hi", "type": None}, "type", "must be one of"),
        ({"from": ALICE, "to": ALICE, "text": "hi"}, "from", "different"),
        # One of Carol's numbers texting her other number is still Carol texting herself.
        ({"from": CAROL_SECOND, "to": CAROL, "text": "hi"}, "from", "different"),
        ({"from": "101", "to": "999", "text": "hi", "type": "Pager"}, "to", "extension number"),
        ({"from": JANE, "to": "102", "text": "hi", "type": "Pager"}, "from", "extension number"),
        ({"from": "101", "to": "101", "text": "hi", "type": "Pager"}, "from", "different"),
    ],
)
def test_bad_inbound_json_is_a_400_naming_the_field(api, body, field, says):
    before = _counts()

    response = _post_inbound(api, json=body)

    assert response.status_code == 400, response.json
    error = response.json["error"]
    assert error["field"] == field
    assert says in error["message"]
    assert _counts() == before


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ('{"from": "+14155550123", "to": ', "not valid JSON"),
        ("{'from': 'single quotes'}", "not valid JSON"),
        ("", "not valid JSON"),
        ("null", "JSON object"),
        ('["+14155550123", "+16505550101", "hi"]', "JSON object"),
        ('"hello"', "JSON object"),
        ("42", "JSON object"),
    ],
)
def test_malformed_or_non_object_json_is_a_400(api, data, says):
    before = _counts()

    response = _post_inbound(api, data=data, content_type="application/json")

    assert response.status_code == 400
    assert says in response.json["error"]["message"]
    assert response.json["error"]["field"] is None
    assert _counts() == before


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", json.dumps({"from": JANE, "to": ALICE, "text": "hi"})),
        ("application/x-www-form-urlencoded", f"from={JANE}&to={ALICE}&text=hi"),
        (None, json.dumps({"from": JANE, "to": ALICE, "text": "hi"})),
    ],
)
def test_inbound_needs_json_content_type(api, content_type, data):
    before = _counts()

    response = _post_inbound(api, data=data, content_type=content_type)

    assert response.status_code == 415
    assert "application/json" in response.json["error"]["message"]
    assert _counts() == before


def test_text_of_exactly_the_limit_is_accepted(api):
    response = _post_inbound(api, json={"from": JANE, "to": ALICE, "text": "y" * 1000})

    assert response.status_code == 201
    assert db.session.get(Message, response.json["id"]).subject == "y" * 1000


def test_only_post_is_allowed_on_inbound(api):
    assert api.get("/sandbox/inbound").status_code == 405


# ------------------------------------------------------------------------ widget inputs


@pytest.fixture
def alice(demo_client, demo_db):
    return demo_client, sign_in(demo_client, "101")


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"tab": "sms"}, "Unknown tab"),
        ({"tab": "<script>"}, "Unknown tab"),
        ({"q": "x" * 101}, "limited to 100 characters"),
    ],
)
def test_bad_list_filters_are_an_error_fragment_for_htmx(alice, params, says):
    client, headers = alice

    response = client.get("/widget/list", query_string=params, headers=headers)

    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.headers["HX-Reswap"] == "innerHTML"
    box = html(response).select_one(".error-box")
    assert says in box.get_text()
    assert html(response).find("script") is None


def test_a_search_of_exactly_100_characters_is_fine(alice):
    client, headers = alice

    response = client.get("/widget/list", query_string={"q": "z" * 100}, headers=headers)

    assert response.status_code == 200
    assert html(response).select_one("li.empty") is not None


def test_bad_filters_on_the_full_page_render_an_error_page(alice):
    client, headers = alice
    token_only = {"X-Sidetalk-Token": headers["X-Sidetalk-Token"]}

    response = client.get("/widget/?tab=everything", headers=token_only)

    assert response.status_code == 400
    page = html(response)
    assert page.find("h1").get_text() == "Error 400"
    assert "Unknown tab" in page.select_one(".error-box").get_text()


def test_earlier_messages_without_a_cursor_is_a_400(alice):
    client, headers = alice
    conversation = db.session.scalar(select(Conversation.id).order_by(Conversation.id))

    response = client.get(f"/widget/conversations/{conversation}/earlier", headers=headers)

    assert response.status_code == 400
    assert "page position is missing" in html(response).get_text()


# ---------------------------------------------------------------------- CSRF and tokens


def test_sign_in_without_or_with_a_forged_csrf_token_is_403(demo_client, demo_db):
    page = html(demo_client.get("/auth/signin"))
    extension_id = page.select_one("input[name=extension_id]")["value"]

    missing = demo_client.post("/auth/signin", data={"extension_id": extension_id})
    forged = demo_client.post(
        "/auth/signin", data={"extension_id": extension_id, "csrf_token": "made-up"}
    )
    other_key = URLSafeTimedSerializer("another-secret", salt="sidetalk-anon-csrf").dumps("x")
    foreign = demo_client.post(
        "/auth/signin", data={"extension_id": extension_id, "csrf_token": other_key}
    )

    for response in (missing, forged, foreign):
        assert response.status_code == 403
        assert "Location" not in response.headers


def test_state_changes_without_csrf_are_403_and_change_nothing(alice):
    client, headers = alice
    token_only = {"X-Sidetalk-Token": headers["X-Sidetalk-Token"], "HX-Request": "true"}
    conversation = db.session.scalars(
        select(Conversation).where(Conversation.unread_count > 0).order_by(Conversation.id)
    ).first()
    before = _counts()

    read = client.post(f"/widget/conversations/{conversation.id}/read", headers=token_only)
    wrong = client.post(
        f"/widget/conversations/{conversation.id}/read",
        headers={**headers, "X-CSRF-Token": "not-" + headers["X-CSRF-Token"]},
    )
    phone = client.post("/sandbox/phone/send", data={"from": JANE, "ext": "101", "text": "hi"})

    for response in (read, wrong, phone):
        assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).unread_count > 0
    assert _counts() == before


def _forged_tokens(app, headers) -> list[str]:
    good = headers["X-Sidetalk-Token"]
    signer = URLSafeTimedSerializer("not-the-server-secret", salt="sidetalk-widget-token")
    with app.app_context():
        unsigned_payload = URLSafeTimedSerializer(
            app.config["SECRET_KEY"], salt="sidetalk-widget-token"
        ).dumps({"e": "1", "c": "x"})
    return [
        "garbage",
        good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        signer.dumps({"e": 1, "c": headers["X-CSRF-Token"]}),
        unsigned_payload,  # validly signed, but the extension id is not a number
    ]


def test_forged_widget_tokens_send_the_user_to_sign_in(alice, demo_app):
    client, headers = alice
    conversation = db.session.scalar(select(Conversation.id).order_by(Conversation.id))

    for token in _forged_tokens(demo_app, headers):
        page = client.get("/widget/", headers={"X-Sidetalk-Token": token})
        fragment = client.get("/widget/list", headers={**headers, "X-Sidetalk-Token": token})
        post = client.post(
            f"/widget/conversations/{conversation}/read",
            headers={**headers, "X-Sidetalk-Token": token},
        )
        assert page.status_code == 302
        assert page.headers["Location"].startswith("/auth/signin?next=")
        assert fragment.status_code == 401
        assert fragment.headers["HX-Redirect"].startswith("/auth/signin?next=")
        assert post.status_code == 401, token


def test_expired_widget_tokens_send_the_user_to_sign_in(alice, demo_app):
    client, headers = alice
    conversation = db.session.scalar(
        select(Conversation.id).where(Conversation.unread_count > 0).order_by(Conversation.id)
    )
    max_age = demo_app.config["WIDGET_TOKEN_MAX_AGE"]

    with time_machine.travel(utcnow() + timedelta(seconds=max_age + 5), tick=False):
        fragment = client.get("/widget/list", headers=headers)
        post = client.post(f"/widget/conversations/{conversation}/read", headers=headers)
        page = client.get("/widget/", headers={"X-Sidetalk-Token": headers["X-Sidetalk-Token"]})

    assert fragment.status_code == 401
    assert fragment.headers["HX-Redirect"].startswith("/auth/signin")
    assert post.status_code == 401
    assert "Sign in" in post.get_data(as_text=True)
    assert page.status_code == 302
    db.session.expire_all()
    assert db.session.get(Conversation, conversation).unread_count > 0


def test_a_fresh_token_rides_back_and_keeps_working(alice, demo_app):
    client, headers = alice
    max_age = demo_app.config["WIDGET_TOKEN_MAX_AGE"]

    with time_machine.travel(utcnow() + timedelta(seconds=max_age - 60), tick=False):
        response = client.get("/widget/list", headers=headers)
        fresh = response.headers["X-Sidetalk-Token-Refresh"]
    with time_machine.travel(utcnow() + timedelta(seconds=max_age + 120), tick=False):
        old = client.get("/widget/list", headers=headers)
        new = client.get("/widget/list", headers={**headers, "X-Sidetalk-Token": fresh})

    assert response.status_code == 200
    assert old.status_code == 401
    assert new.status_code == 200
