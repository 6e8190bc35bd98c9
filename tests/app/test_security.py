"""Framing, cookies, tokens and the markup rules the CSP relies on."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlparse

import pytest

from tests.helpers import csrf_from, html, sign_in
from tests.mailbox import demo_extension
from widget import create_app
from widget.config import TestConfig
from widget.extensions import db

CRM = "https://acme.my.salesforce.com https://crm.example.org"


def _frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    (directive,) = [d.strip() for d in policy.split(";") if "frame-ancestors" in d]
    return directive.removeprefix("frame-ancestors ").strip()


@pytest.fixture
def production_app(tmp_path, demo_template):
    """The seeded demo served with production framing rules (not testing, not demo mode)."""
    import shutil

    shutil.copy(demo_template / "demo.db", tmp_path / "prod.db")
    shutil.copytree(demo_template / "media", tmp_path / "media")
    config = TestConfig(f"sqlite:///{tmp_path / 'prod.db'}", str(tmp_path / "media"))
    config.TESTING = False
    config.JOBS_IMMEDIATE = True  # keep the job queue in memory for this test
    config.FRAME_ANCESTORS = CRM
    os.environ["SIDETALK_INSTANCE_PATH"] = str(tmp_path / "instance")
    try:
        app = create_app(config)
    finally:
        os.environ.pop("SIDETALK_INSTANCE_PATH", None)
    # The demo chooser stays usable so the tests can sign in; framing rules are production's.
    app.config["SANDBOX_OPEN"] = True
    yield app
    with app.app_context():
        db.engine.dispose()


def test_widget_may_be_framed_only_by_the_configured_crm_origins(production_app):
    client = production_app.test_client()
    headers = sign_in(client, "101")

    for response in (
        client.get("/widget/", headers={"X-Sidetalk-Token": headers["X-Sidetalk-Token"]}),
        client.get("/widget/list", headers=headers),
        client.get("/auth/signin?next=/widget/"),  # signing in happens inside the frame too
    ):
        assert _frame_ancestors(response) == CRM
        assert "X-Frame-Options" not in response.headers


def test_other_pages_deny_framing(production_app):
    client = production_app.test_client()

    for path in ("/healthz", "/sandbox/phone", "/sandbox/extensions", "/no-such-page"):
        response = client.get(path)
        assert _frame_ancestors(response) == "'none'", path
        assert response.headers["X-Frame-Options"] == "DENY"


def test_development_adds_local_origins_to_the_allow_list(demo_client, demo_db):
    response = demo_client.get("/auth/signin")

    ancestors = _frame_ancestors(response).split()
    assert {"http://127.0.0.1:*", "http://localhost:*"} <= set(ancestors)
    assert "https://*.force.com" in ancestors  # the Salesforce default stays


def test_csp_allows_no_inline_script_or_eval(demo_client, demo_db):
    policy = demo_client.get("/auth/signin").headers["Content-Security-Policy"]

    script = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert script.split()[1:] == ["'self'"]
    assert "'unsafe-eval'" not in policy


def test_widget_scripts_may_come_from_the_frame_ancestors_only(demo_client, demo_db):
    # The Open CTI bridge loads Salesforce's library from the org framing the widget.
    policy = demo_client.get("/widget/").headers["Content-Security-Policy"]

    script = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    frame = next(d for d in policy.split(";") if d.strip().startswith("frame-ancestors"))
    assert set(script.split()[1:]) == {"'self'", *frame.split()[1:]}
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in policy


def test_pages_carry_no_inline_scripts_or_handlers(demo_client, demo_db):
    headers = sign_in(demo_client, "101")
    token = {"X-Sidetalk-Token": headers["X-Sidetalk-Token"]}
    pages = [
        demo_client.get("/widget/", headers=token),
        demo_client.get("/auth/signin"),
        demo_client.get("/sandbox/phone"),
    ]

    for response in pages:
        page = html(response)
        assert all(script.get("src") for script in page.find_all("script"))
        for element in page.find_all(True):
            handlers = [a for a in element.attrs if a.startswith(("on", "hx-on"))]
            assert not handlers, (element.name, handlers)
            assert "[" not in element.get("hx-trigger", ""), "event filters need eval"


def test_sign_in_cookie_is_partitioned_cross_site_and_secure(demo_client, demo_db):
    page = demo_client.get("/auth/signin")
    extension_id = html(page).select_one("input[name=extension_id]")["value"]

    response = demo_client.post(
        "/auth/signin",
        data={"csrf_token": csrf_from(page), "extension_id": extension_id, "next": "/widget/"},
    )

    cookie = response.headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith("sidetalk_session=")
    assert {"secure", "httponly", "partitioned", "samesite"} <= attributes
    assert "SameSite=None" in cookie


@pytest.mark.parametrize(
    ("next_value", "lands_on"),
    [
        ("/widget/?tab=fax", "/widget/?tab=fax"),
        ("//evil.example/widget/", "/widget/"),
        ("https://evil.example/", "/widget/"),
        ("/\\evil.example", "/widget/"),
        # Browsers drop tabs and newlines in URLs: "/<TAB>/evil" would become "//evil".
        ("/\t/evil.example/", "/widget/"),
        ("/\n/evil.example/", "/widget/"),
        ("/widget/\r\nX-Injected: 1", "/widget/"),
        (" //evil.example", "/widget/"),
        ("", "/widget/"),
    ],
)
def test_sign_in_answers_with_a_page_within_sidetalk(demo_client, demo_db, next_value, lands_on):
    page = demo_client.get("/auth/signin")
    extension_id = html(page).select_one("input[name=extension_id]")["value"]

    response = demo_client.post(
        "/auth/signin",
        data={"csrf_token": csrf_from(page), "extension_id": extension_id, "next": next_value},
    )

    # No redirect: the answer is the page itself, its token in page memory, not in a URL.
    assert response.status_code == 200
    assert "Location" not in response.headers
    body = html(response).find("body")
    assert body["data-location"] == lands_on
    assert "X-Sidetalk-Token" in body["hx-headers"]
    assert "?token=" not in response.get_data(as_text=True)


@pytest.mark.parametrize("extension_id", ["", "abc", "99999", "-1"])
def test_sign_in_as_an_unknown_extension_is_a_400(demo_client, demo_db, extension_id):
    page = demo_client.get("/auth/signin")

    response = demo_client.post(
        "/auth/signin", data={"csrf_token": csrf_from(page), "extension_id": extension_id}
    )

    assert response.status_code == 400
    assert "Choose one of the listed extensions" in html(response).get_text()
    assert "Set-Cookie" not in response.headers


def test_token_authenticated_responses_carry_a_fresh_token(demo_client, demo_db):
    headers = sign_in(demo_client, "101")

    with_token = demo_client.get("/widget/list", headers=headers)
    anonymous = demo_client.application.test_client().get("/auth/signin")

    fresh = with_token.headers["X-Sidetalk-Token-Refresh"]
    assert fresh and fresh.count(".") == 2
    again = demo_client.get("/widget/list", headers={**headers, "X-Sidetalk-Token": fresh})
    assert again.status_code == 200
    assert "X-Sidetalk-Token-Refresh" not in anonymous.headers


def test_the_session_cookie_alone_also_signs_the_widget_in(demo_client, demo_db):
    page = demo_client.get("/auth/signin")
    extension_id = html(page).select_one("input[name=extension_id]")["value"]
    demo_client.post(
        "/auth/signin", data={"csrf_token": csrf_from(page), "extension_id": extension_id}
    )

    response = demo_client.get("/widget/")  # no token anywhere: the first-party cookie path

    assert response.status_code == 200
    assert html(response).select_one(".me").get_text(strip=True) == "Alice Chen"
    assert "X-Sidetalk-Token-Refresh" not in response.headers


def test_sign_out_forgets_the_session(demo_client, demo_db):
    sign_in(demo_client, "101")
    page = demo_client.get("/widget/")
    assert page.status_code == 200

    response = demo_client.post("/auth/signout", data={"csrf_token": csrf_from(page)})

    assert response.status_code == 303
    assert urlparse(response.headers["Location"]).path == "/auth/signin"
    after = demo_client.get("/widget/")
    assert after.status_code == 302
    assert parse_qs(urlparse(after.headers["Location"]).query)["next"] == ["/widget/?"]


def test_sign_out_from_a_cookie_less_frame_uses_the_token_headers(demo_app, demo_db):
    client = demo_app.test_client()
    headers = sign_in(client, "101")
    cookie_less = demo_app.test_client()  # the frame's third-party cookies are blocked

    refused = cookie_less.post("/auth/signout", headers={"HX-Request": "true"})
    response = cookie_less.post("/auth/signout", headers=headers)

    assert refused.status_code == 403
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/auth/signin"
    assert _frame_ancestors(response) != "'none'"  # what the frame shows must be framable


def test_sign_out_revokes_every_token_and_session_of_the_user(demo_app, demo_db):
    frame = demo_app.test_client()
    headers = sign_in(frame, "101")
    other_browser = demo_app.test_client()
    other_headers = sign_in(other_browser, "101")
    bob = demo_app.test_client()
    bob_headers = sign_in(bob, "102")
    # A token copied before sign-out (a stolen one, or one still in another tab).
    kept = dict(headers)
    assert frame.get("/widget/list", headers=kept).status_code == 200

    assert frame.post("/auth/signout", headers=headers).status_code == 200

    assert frame.get("/widget/list", headers=kept).status_code == 401
    assert frame.post("/widget/conversations/1/read", headers=kept).status_code == 401
    assert other_browser.get("/widget/list", headers=other_headers).status_code == 401
    # The other browser's cookie session ended too: its page asks to sign in again.
    assert other_browser.get("/widget/").status_code == 302
    # Another user is not affected, and signing in again works.
    assert bob.get("/widget/list", headers=bob_headers).status_code == 200
    fresh = sign_in(frame, "101")
    assert frame.get("/widget/list", headers=fresh).status_code == 200
    assert frame.get("/widget/list", headers=kept).status_code == 401


def test_a_token_of_another_sign_in_generation_is_refused(demo_app, demo_db):
    from widget import htmx_support
    from widget.security import Identity, issue_widget_token

    client = demo_app.test_client()
    headers = sign_in(client, "101")
    assert client.post("/auth/signout", headers=headers).status_code == 200
    with demo_app.test_request_context():
        alice = demo_extension("101")
        # Tokens name the generation they were issued for; only the current one counts.
        current, stale, other = (
            issue_widget_token(Identity(alice.id, "csrf", epoch=alice.session_epoch + n))
            for n in (0, -1, 1)
        )

    def status(token):
        sent = {**headers, htmx_support.TOKEN_HEADER: token, htmx_support.CSRF_HEADER: "csrf"}
        return client.get("/widget/list", headers=sent).status_code

    assert (status(current), status(stale), status(other)) == (200, 401, 401)
