"""The page's real-time markup and the typing endpoint, over HTTP (Flask's test client)."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import html, sign_in
from tests.realtime.conftest import deliver, ext
from widget import htmx_support
from widget.extensions import db
from widget.models import Conversation
from widget.realtime import events

JANE = "+14155550123"


def _pager_conversations(app) -> tuple[int, int, int]:
    """Alice pages Bob; return (Bob's conversation, Alice's conversation, Jane's with Alice)."""
    with app.test_request_context():
        received = deliver("101", "102", "hello Bob", "Pager")
        alice = ext("101")
        alices = db.session.scalars(
            select(Conversation.id).where(
                Conversation.extension_id == alice.id, Conversation.participants == ",102,"
            )
        ).one()
        outside = deliver(JANE, "+16505550101", "hello Alice").conversation_id
        result = (received.conversation_id, alices, outside)
        db.session.remove()
    return result


def test_the_page_connects_its_socket_with_the_current_positions(demo_app):
    client = demo_app.test_client()
    headers = sign_in(client, "101")
    with demo_app.app_context():
        channel = events.ext_channel(ext("101").id)
        position = events.latest([channel])[channel]

    page = html(client.get("/widget/", headers={"X-Sidetalk-Token": headers["X-Sidetalk-Token"]}))

    socket = page.find(id="realtime")
    assert socket["ws-connect"] == "/ws"
    assert socket["hx-ext"].split(",") == ["ws", "sidetalk-frames"]
    cursor = socket.find(attrs={"data-realtime-cursor": True})
    assert cursor["data-realtime-cursor"] == f"{channel}@{position}"
    sound = page.find("input", id="realtime-sound")
    assert sound["type"] == "checkbox" and sound.parent.get_text(strip=True) == "Sound"
    assert page.find("script", src="/static/realtime.js") is not None


def test_a_pager_thread_sends_typing_and_an_outside_thread_does_not(demo_app):
    bobs, _, outside = _pager_conversations(demo_app)
    client = demo_app.test_client()
    bob = sign_in(client, "102")

    thread = html(client.get(f"/widget/conversations/{bobs}", headers=bob))

    sender = thread.find(attrs={"hx-post": f"/widget/conversations/{bobs}/typing"})
    assert "throttle:2500ms" in sender["hx-trigger"]
    assert thread.find("p", id=f"typing-{bobs}") is not None
    alice = sign_in(client, "101")
    sms = html(client.get(f"/widget/conversations/{outside}", headers=alice))
    assert sms.find(attrs={"hx-post": f"/widget/conversations/{outside}/typing"}) is None
    assert sms.find("p", class_="typing") is None


def test_typing_answers_204(demo_app):
    bobs, _, _ = _pager_conversations(demo_app)
    client = demo_app.test_client()

    response = client.post(f"/widget/conversations/{bobs}/typing", headers=sign_in(client, "102"))

    assert response.status_code == 204
    assert response.data == b""


def test_typing_in_someone_elses_conversation_is_404(demo_app):
    _, alices, _ = _pager_conversations(demo_app)
    client = demo_app.test_client()
    received = []
    broker = demo_app.extensions["realtime"]
    with demo_app.app_context():
        spy = broker.subscribe([events.ext_channel(ext("101").id)])

    response = client.post(f"/widget/conversations/{alices}/typing", headers=sign_in(client, "102"))

    assert response.status_code == 404
    received.extend(spy.drain())
    assert received == []


def test_typing_in_a_conversation_without_colleagues_is_409(demo_app):
    _, _, outside = _pager_conversations(demo_app)
    client = demo_app.test_client()

    response = client.post(
        f"/widget/conversations/{outside}/typing", headers=sign_in(client, "101")
    )

    assert response.status_code == 409
    assert "only shared with colleagues" in html(response).get_text()


def test_typing_needs_the_csrf_token(demo_app):
    bobs, _, _ = _pager_conversations(demo_app)
    client = demo_app.test_client()
    headers = sign_in(client, "102")
    del headers[htmx_support.CSRF_HEADER]

    assert client.post(f"/widget/conversations/{bobs}/typing", headers=headers).status_code == 403


def test_typing_needs_a_signed_in_user(demo_app):
    bobs, _, _ = _pager_conversations(demo_app)
    client = demo_app.test_client()
    page = client.get("/auth/signin")
    csrf = html(page).find("input", {"name": "csrf_token"})["value"]

    response = client.post(
        f"/widget/conversations/{bobs}/typing", headers={htmx_support.CSRF_HEADER: csrf}
    )

    assert response.status_code == 401
