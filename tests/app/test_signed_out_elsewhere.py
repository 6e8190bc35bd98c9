"""Signed out from another tab: the next click sends the person to sign in, and signing
in brings back the page they were on, never the bare fragment that click asked for."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.helpers import csrf_from, html, sign_in


def _next_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["next"][0]


def test_a_click_after_signing_out_elsewhere_returns_to_the_page(demo_app):
    tab = demo_app.test_client()
    headers = sign_in(tab, "101")
    other_tab = demo_app.test_client()
    other = sign_in(other_tab, "101")
    signed_out = other_tab.post("/auth/signout", headers=other)
    assert signed_out.status_code in (200, 204, 302)

    fragment = tab.get(
        "/widget/conversations/1",
        headers={
            **headers,
            "HX-Request": "true",
            "HX-Current-URL": "http://localhost/widget/?tab=text",
        },
    )
    assert fragment.status_code == 401
    target = fragment.headers["HX-Redirect"]
    assert _next_of(target) == "/widget/?tab=text"

    # Signing in there lands on the whole page, styled and working.
    page = tab.get(target)
    landed = tab.post(
        "/auth/signin",
        data={"csrf_token": csrf_from(page), "extension_id": "1", "next": _next_of(target)},
    )
    # The answer is the page itself (a token never travels in a redirect's URL); the
    # page rewrites the address bar to where it is.
    assert landed.status_code == 200
    whole = html(landed)
    location = whole.body["data-location"]
    assert urlsplit(location).path == "/widget/"
    assert parse_qs(urlsplit(location).query)["tab"] == ["text"]
    assert whole.find("link", rel="stylesheet") is not None
    assert whole.find("header", class_="topbar") is not None


def test_a_page_elsewhere_is_never_the_next_page(demo_app):
    tab = demo_app.test_client()
    headers = sign_in(tab, "101")
    tab.post("/auth/signout", headers=headers)
    fragment = tab.get(
        "/widget/list",
        headers={**headers, "HX-Request": "true", "HX-Current-URL": "https://evil.example/x"},
    )
    assert _next_of(fragment.headers["HX-Redirect"]) == "/widget/"
