"""The log status is pushed when a CRM write finishes: the widget never polls for it."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.crm.conftest import JANE
from tests.realtime.conftest import listen
from widget.crm_logging import engine, tasks
from widget.extensions import db
from widget.models import Conversation, CrmActivity, Extension
from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound

ALICE_SMS = "+16505550101"


def jane_thread() -> tuple[Extension, Conversation]:
    message = deliver_inbound(
        parse_inbound({"from": JANE, "to": ALICE_SMS, "text": "Order question", "type": "SMS"})
    )
    return db.session.get(Extension, message.extension_id), message.conversation


def status_pieces(deliveries, conversation_id: int) -> dict:
    """The pushed copies of the block, by the view each one is aimed at."""
    found = {}
    for delivery in deliveries:
        frame = BeautifulSoup(delivery.html, "html.parser")
        for piece in frame.select(f"#log-status-{conversation_id}"):
            assert piece["data-view"] not in found
            found[piece["data-view"]] = piece
    return found


def test_a_finished_write_pushes_the_logged_mark_to_the_users_widgets(demo_app, monkeypatch):
    with demo_app.app_context():
        alice, conversation = jane_thread()
        (record,) = engine.find_records(alice, JANE)
        queued: list[int] = []
        write = tasks.write_crm_activity
        monkeypatch.setattr(tasks, "write_crm_activity", queued.append)  # a worker writes
        engine.log_conversation(alice, conversation, record.id, {"outcome": "Resolved"})
        inbox = listen(demo_app, alice)
        bob_inbox = listen(
            demo_app, db.session.scalar(select(Extension).filter_by(extension_number="102"))
        )

        (activity_id,) = queued
        assert write.call_local(activity_id) == "written"

        pieces = status_pieces(inbox.drain(), conversation.id)
        # One copy per view, each replacing only its own view's block.
        block = f"#log-status-{conversation.id}"
        assert pieces["thread"]["hx-swap-oob"] == f"outerHTML:.thread-actions {block}"
        assert pieces["panel"]["hx-swap-oob"] == f"outerHTML:#log-panel {block}"
        for piece in pieces.values():
            assert piece["data-state"] == "logged"
            assert "Logged" in piece.get_text() and "Jane Roe" in piece.get_text()
            assert not piece.has_attr("hx-trigger")  # nothing left polling
        assert bob_inbox.drain() == []  # only Alice's widgets hear of her log


def test_a_failed_write_pushes_the_failure_with_its_retry(demo_app, monkeypatch):
    from connectors.errors import CrmError
    from widget.local_crm.connector import LocalConnector

    def refuse(self, session, write):
        raise CrmError("The CRM refused the note: too long")

    with demo_app.app_context():
        alice, conversation = jane_thread()
        (record,) = engine.find_records(alice, JANE)
        queued: list[int] = []
        write = tasks.write_crm_activity
        monkeypatch.setattr(tasks, "write_crm_activity", queued.append)
        engine.log_conversation(alice, conversation, record.id, {"outcome": "Resolved"})
        inbox = listen(demo_app, alice)
        monkeypatch.setattr(LocalConnector, "create_message_log", refuse)

        (activity_id,) = queued
        assert write.call_local(activity_id) == "failed"

        pieces = status_pieces(inbox.drain(), conversation.id)
        assert set(pieces) == {"thread", "panel"}
        for view, piece in pieces.items():
            assert piece["data-state"] == "failed"
            assert "too long" in piece.get_text()
            retry = piece.find("button", string="Retry")
            # The panel's Retry asks for the panel's markup back.
            assert retry["hx-post"].endswith("/log/retry?view=panel") == (view == "panel")
        assert db.session.get(CrmActivity, activity_id).state == "failed"


def test_the_thread_shows_the_status_without_polling(demo_app):
    from tests.helpers import html, sign_in

    client = demo_app.test_client()
    with demo_app.app_context():
        _, conversation = jane_thread()
        conversation_id = conversation.id
    headers = sign_in(client, "101")
    response = client.get(
        f"/widget/crm/conversations/{conversation_id}/log/status", headers=headers
    )
    assert response.status_code == 200
    block = html(response).select_one(f"#log-status-{conversation_id}")
    assert not block.has_attr("hx-trigger") and not block.has_attr("hx-swap-oob")


def test_only_the_threads_copy_offers_choose_record(world, clock):
    """Several records match: the thread links to the Log panel; the panel, where the
    record is chosen, shows the same words without a button leading to itself."""
    from tests.crm.conftest import NOON_UTC, PRIYA, deliver
    from widget.realtime import frames

    engine.set_auto_log(world.alice, True)
    conversation = deliver(world.alice, PRIYA, "Hi, it's Priya", NOON_UTC).conversation
    assert engine.log_status(world.alice, conversation).needs_decision is True

    with frames.rendering():
        html = frames.log_status(world.alice, conversation)
    thread, panel = BeautifulSoup(html, "html.parser").select(f"#log-status-{conversation.id}")
    assert (thread["data-view"], panel["data-view"]) == ("thread", "panel")
    assert thread.find("button", string="Choose record") is not None
    assert panel.find("button") is None
    assert "several records match" in panel.get_text()
