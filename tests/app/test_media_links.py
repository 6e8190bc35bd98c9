"""Media links: a widget's link dies with the session that got it (sign-out ends it);
a link written into a CRM body is long-lived by design (another person opens it days
later from the CRM) and survives a sign-out."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import html, sign_in
from widget import htmx_support
from widget.extensions import db
from widget.inbox.presenters import crm_media_url
from widget.models import Attachment


def _voicemail_link(client, headers) -> str:
    page = html(client.get("/widget/?tab=voicemail", headers=headers))
    return page.select_one("audio.inline-audio")["src"]


def _sign_out(client, headers):
    response = client.post("/auth/signout", headers=headers)
    assert response.status_code in (200, 303)


def test_a_widget_media_link_stops_working_after_sign_out(demo_app, demo_db):
    browser = demo_app.test_client()
    alice = sign_in(browser, "101")
    link = _voicemail_link(browser, alice)
    elsewhere = demo_app.test_client()  # no session: only the signed link
    first = elsewhere.get(link)
    assert first.status_code == 200
    first.close()

    _sign_out(browser, alice)

    after = elsewhere.get(link)
    assert after.status_code == 404
    fresh = sign_in(browser, "101")  # a new sign-in hands out new, working links
    renewed = elsewhere.get(_voicemail_link(browser, fresh))
    assert renewed.status_code == 200
    renewed.close()
    assert htmx_support.TOKEN_HEADER in fresh


def test_a_crm_body_link_outlives_the_session(demo_app, demo_db):
    browser = demo_app.test_client()
    alice = sign_in(browser, "101")
    link = _voicemail_link(browser, alice)
    attachment_id = int(link.split("/widget/media/", 1)[1].split("?", 1)[0])
    crm_link = crm_media_url(db.session.get(Attachment, attachment_id))
    path = "/" + crm_link.split("://", 1)[1].split("/", 1)[1]

    _sign_out(browser, alice)

    response = demo_app.test_client().get(path)
    assert response.status_code == 200
    response.close()
    assert db.session.scalar(select(Attachment.id).where(Attachment.id == attachment_id))
