"""Test helpers: sign in like a browser in a cookie-less iframe, parse HTML."""

from __future__ import annotations

from bs4 import BeautifulSoup

from widget import htmx_support


def html(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csrf_from(response) -> str:
    field = html(response).find("input", {"name": "csrf_token"})
    assert field is not None, "no csrf_token field on the page"
    return field["value"]


def sign_in(client, extension_number: str) -> dict[str, str]:
    """Sign in as the demo extension; return the headers an htmx call from the widget sends.

    The headers carry the widget token and CSRF token, exactly what ``hx-headers`` holds,
    so tests exercise the cookie-less path the iframe relies on.
    """
    page = client.get("/auth/signin")
    choice = html(page).find("label", {"data-extension-number": extension_number})
    assert choice is not None, f"extension {extension_number} is not offered"
    extension_id = choice.find("input")["value"]
    response = client.post(
        "/auth/signin",
        data={"csrf_token": csrf_from(page), "extension_id": extension_id, "next": "/widget/"},
    )
    # The sign-in's answer is the widget page itself, holding the token in hx-headers.
    assert response.status_code == 200, response.data
    body = html(response).find("body")
    import json

    headers = json.loads(body["hx-headers"])
    return {
        htmx_support.CSRF_HEADER: headers[htmx_support.CSRF_HEADER],
        htmx_support.TOKEN_HEADER: headers[htmx_support.TOKEN_HEADER],
        "HX-Request": "true",
    }


def add_contact(account_id: int, number: str, source, owner_id: int | None = None, **names):
    """Add and commit an address-book contact with one phone number; return it.

    ``source`` is a ``ContactSource``; a personal contact names its owner extension.
    """
    from widget.extensions import db
    from widget.models import Contact, ContactPhone

    contact = Contact(account_id=account_id, source=source, owner_extension_id=owner_id, **names)
    contact.phones.append(ContactPhone(e164=number))
    db.session.add(contact)
    db.session.commit()
    return contact


def add_extension(account, number: str, name: str, admin: bool):
    """Add (without committing) an extension of ``account``; return it."""
    from widget.extensions import db
    from widget.models import Extension

    extension = Extension(
        account=account,
        platform_extension_id=f"{account.platform_account_id}-{number}",
        extension_number=number,
        name=name,
        is_admin=admin,
        timezone="America/New_York",
    )
    db.session.add(extension)
    return extension
