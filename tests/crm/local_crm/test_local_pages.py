"""The local CRM's pages: what landed, rendered safely, for the signed-in company only."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.crm.conftest import JANE, NOON_UTC, deliver
from tests.helpers import html, sign_in
from widget import htmx_support
from widget.crm_logging import engine
from widget.extensions import db
from widget.local_crm.models import LocalCrmActivity
from widget.models import Conversation

HOSTILE = "<script>alert(document.cookie)</script><img src=x onerror=alert(1)> & **md**"


def _token_headers(client, number: str) -> dict[str, str]:
    """The widget token alone, as a CRM page opened from the widget carries it."""
    headers = sign_in(client, number)
    return {htmx_support.TOKEN_HEADER: headers[htmx_support.TOKEN_HEADER]}


def _log_hostile(world) -> LocalCrmActivity:
    message = deliver(world.alice, JANE, HOSTILE, NOON_UTC)
    conversation = db.session.get(Conversation, message.conversation_id)
    engine.log_conversation(
        world.alice, conversation, "contact-1", {"outcome": "Resolved", "note": "<b>n</b>"}
    )
    return db.session.scalar(select(LocalCrmActivity))


def test_the_page_needs_a_signed_in_user(world, client):
    response = client.get("/crm/local/activities")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/signin?next=/crm/local/activities")


def test_activities_show_the_body_in_a_sandboxed_frame_never_as_markup(world, client):
    activity = _log_hostile(world)
    response = client.get("/crm/local/activities", headers=_token_headers(client, "101"))
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    page = html(response)
    [card] = page.select("article.crm-activity")
    assert card["data-activity-id"] == str(activity.id)
    assert (
        card.select_one('[data-field="record"]').get_text(" ", strip=True) == "Jane Roe (Contact)"
    )
    assert card.select_one('[data-field="date"]').get_text() == "2026-11-17"
    assert card.select_one('[data-field="outcome"]').get_text() == "Resolved"
    assert card.select_one('[data-field="note"]').get_text() == "<b>n</b>"  # escaped field value
    # Fields are named by the manifest's titles, not their keys.
    terms = [dt.get_text() for dt in card.select("dl.crm-facts dt")]
    assert "Outcome" in terms and "Note" in terms
    assert "outcome" not in terms and "note" not in terms
    assert card.select_one('[data-field="logged-by"]').get_text() == "Alice Chen"
    # Nothing from the message became markup on this page.
    assert page.find("img") is None
    scripts = page.find_all("script")
    assert scripts and all(s["src"].startswith("/static/") and not s.string for s in scripts)
    frame = card.find("iframe")
    assert list(frame["sandbox"]) == ["allow-popups", "allow-popups-to-escape-sandbox"]
    document = BeautifulSoup(frame["srcdoc"], "html.parser")
    assert "default-src 'none'" in document.find("meta", attrs={"http-equiv": True})["content"]
    assert document.find("script") is None and document.find("img") is None
    assert HOSTILE in document.get_text()  # the body shows the text as text
    assert card.select_one('[data-field="body-source"]').get_text() == activity.body


def test_one_activity_page_and_another_companys_ids(world, client):
    activity = _log_hostile(world)
    alice = _token_headers(client, "101")
    response = client.get(f"/crm/local/activities/{activity.id}", headers=alice)
    assert response.status_code == 200
    assert len(html(response).select("article.crm-activity")) == 1

    zed = _token_headers(client, "201")
    assert client.get(f"/crm/local/activities/{activity.id}", headers=zed).status_code == 404
    listing = html(client.get("/crm/local/activities", headers=zed))
    assert listing.select("article.crm-activity") == []
    assert listing.select_one('[data-empty="activities"]') is not None
    assert client.get("/crm/local/records/Contact/contact-1", headers=zed).status_code == 404


def test_record_page_lists_its_related_options_and_activities(world, client):
    activity = _log_hostile(world)
    headers = _token_headers(client, "101")
    page = html(client.get("/crm/local/records/Contact/contact-1", headers=headers))
    record = page.select_one("section.crm-record")
    assert (record["data-record-id"], record["data-record-type"]) == ("contact-1", "Contact")
    assert record.select_one('[data-field="phone"]').get_text() == "(415) 555-0123"
    assert [li["data-option"] for li in record.select(".crm-related li")] == [
        "account-1",
        "opportunity-1",
        "opportunity-2",
    ]
    assert [a["data-activity-id"] for a in page.select("article")] == [str(activity.id)]
    for bad in ("Contact/lead-1", "Wizard/contact-1", "Contact/contact-x", "Lead/contact-1"):
        assert client.get(f"/crm/local/records/{bad}", headers=headers).status_code == 404


def _visible_ids(client, number: str, path: str = "/crm/local/activities") -> set[str]:
    response = client.get(path, headers=_token_headers(client, number))
    assert response.status_code == 200
    return {card["data-activity-id"] for card in html(response).select("article.crm-activity")}


def test_a_user_reads_only_activities_of_their_own_conversations(world, client):
    """Review: every user read every extension's logged transcripts on these pages."""
    activity = _log_hostile(world)  # Alice's conversation, logged by Alice
    single = f"/crm/local/activities/{activity.id}"

    assert _visible_ids(client, "101") == {str(activity.id)}
    assert _visible_ids(client, "105") == set()  # Erin, same account, not an admin
    assert client.get(single, headers=_token_headers(client, "105")).status_code == 404
    record = "/crm/local/records/Contact/contact-1"  # Jane Roe, the logged record
    assert activity.record_ref == "contact-1"
    assert _visible_ids(client, "105", record) == set()
    assert _visible_ids(client, "101", record) == {str(activity.id)}
    assert client.get(single, headers=_token_headers(client, "101")).status_code == 200


def test_an_admin_reads_every_activity_of_the_account_and_no_other(world, client):
    activity = _log_hostile(world)
    world.erin.is_admin = True
    world.zed.is_admin = True
    db.session.commit()

    assert _visible_ids(client, "105") == {str(activity.id)}
    assert (
        client.get(
            f"/crm/local/activities/{activity.id}", headers=_token_headers(client, "201")
        ).status_code
        == 404
    )
