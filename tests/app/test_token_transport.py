"""Session swap: a widget token in a URL never signs anyone in, and tokens never travel in
URLs at all (they reach access logs and history, and carry the CSRF secret).

The attacks reproduced first: ``/widget/?token=<attacker's>`` and
``/auth/signin?next=/widget/%3Ftoken%3D<attacker's>`` used to land the victim in the
attacker's mailbox.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.helpers import csrf_from, html, sign_in
from widget import htmx_support

OWN = "http://localhost"


def _me(response) -> str:
    return html(response).select_one(".me").get_text(strip=True)


@pytest.fixture
def mallory_token(demo_app, demo_db) -> str:
    """The attacker: Bob (102), signed in in a browser of his own."""
    return sign_in(demo_app.test_client(), "102")[htmx_support.TOKEN_HEADER]


def _sign_in_cookie(client, number: str, next_value: str = "/widget/"):
    page = client.get("/auth/signin")
    choice = html(page).find("label", {"data-extension-number": number})
    return client.post(
        "/auth/signin",
        data={
            "csrf_token": csrf_from(page),
            "extension_id": choice.find("input")["value"],
            "next": next_value,
        },
    )


def test_a_token_in_the_url_does_not_replace_the_victims_session(
    demo_client, demo_db, mallory_token
):
    _sign_in_cookie(demo_client, "101")  # Alice, the victim, with her cookie session

    response = demo_client.get(f"/widget/?token={mallory_token}")

    assert response.status_code == 200
    assert _me(response) == "Alice Chen"


def test_a_token_in_the_url_signs_nobody_in(demo_client, demo_db, mallory_token):
    response = demo_client.get(f"/widget/?token={mallory_token}")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/signin")


def test_a_sign_in_link_carrying_a_token_lands_in_the_signers_own_mailbox(
    demo_client, demo_db, mallory_token
):
    response = _sign_in_cookie(demo_client, "101", f"/widget/?token={quote(mallory_token)}")

    assert response.status_code == 200
    assert _me(response) == "Alice Chen"
    headers = html(response).find("body")["hx-headers"]
    assert mallory_token not in headers


def test_a_token_in_the_query_string_of_a_fragment_call_is_ignored(
    demo_client, demo_db, mallory_token
):
    response = demo_client.get(
        f"/auth/keepalive?token={mallory_token}", headers={"HX-Request": "true"}
    )

    assert response.status_code == 401
    assert htmx_support.TOKEN_REFRESH_HEADER not in response.headers


def test_sign_in_puts_no_token_in_any_url_or_header_of_its_answer(demo_client, demo_db):
    response = _sign_in_cookie(demo_client, "101")
    body = html(response).find("body")
    token = json.loads(body["hx-headers"])[htmx_support.TOKEN_HEADER]

    assert response.status_code == 200 and "Location" not in response.headers
    for element in html(response).find_all(href=True) + html(response).find_all(src=True):
        assert token not in (element.get("href", "") + element.get("src", ""))
    assert token not in html(response).find(attrs={"ws-connect": True})["ws-connect"]


# --- the hand-over to a new tab ------------------------------------------------------


def _handoff(client, headers, origin: str | None = OWN, next_value="/crm/local/activities"):
    """Post the widget's token and CSRF secret into a new tab, as crm.js does."""
    form = {
        "token": headers[htmx_support.TOKEN_HEADER],
        "csrf_token": headers[htmx_support.CSRF_HEADER],
        "next": next_value,
    }
    return client.post(
        "/auth/handoff", data=form, headers={"Origin": origin} if origin is not None else {}
    )


@pytest.fixture
def mallory(demo_app, demo_db) -> dict[str, str]:
    return sign_in(demo_app.test_client(), "102")


def test_a_hand_over_from_sidetalk_opens_the_page_for_the_tokens_user(demo_app, demo_db):
    alice = sign_in(demo_app.test_client(), "101")
    new_tab = demo_app.test_client()

    response = _handoff(new_tab, alice)

    assert response.status_code == 200
    assert html(response).find("body")["data-location"] == "/crm/local/activities"
    # The tab now has a session of its own: a plain reload works.
    assert new_tab.get("/crm/local/activities").status_code == 200


@pytest.mark.parametrize("origin", ["https://evil.example", "null", None, "http://localhost.evil"])
def test_a_hand_over_posted_from_elsewhere_is_refused(demo_app, demo_db, mallory, origin):
    victim = demo_app.test_client()

    response = _handoff(victim, mallory, origin=origin)

    assert response.status_code == 403
    assert "sidetalk_session" not in response.headers.get("Set-Cookie", "")
    assert victim.get("/widget/").status_code == 302  # still nobody signed in


def test_a_hand_over_never_replaces_another_users_session(demo_client, demo_db, mallory):
    _sign_in_cookie(demo_client, "101")

    response = _handoff(demo_client, mallory)

    assert response.status_code == 409
    assert "sign out first" in html(response).get_text()
    assert _me(demo_client.get("/widget/")) == "Alice Chen"


@pytest.mark.parametrize(("token", "status"), [("", 403), ("forged", 401), ("a" * 5000, 401)])
def test_a_hand_over_with_a_bad_token_is_refused(demo_client, demo_db, mallory, token, status):
    response = _handoff(demo_client, {**mallory, htmx_support.TOKEN_HEADER: token})

    assert response.status_code == status
    assert "sidetalk_session" not in response.headers.get("Set-Cookie", "")
    assert demo_client.get("/widget/").status_code == 302
