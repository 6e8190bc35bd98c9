"""The demo: its local CRM matches the sandbox's people, and logging works out of the box."""

from __future__ import annotations

from sqlalchemy import select

from tests.crm.conftest import ACME, JANE, OLIVER, PRIYA, SAM
from tests.helpers import html, sign_in
from widget import htmx_support
from widget.crm_logging import engine
from widget.extensions import db
from widget.local_crm.models import LocalCrmActivity
from widget.models import Conversation, Extension
from widget.platforms.sandbox.seed import demo_account


def test_demo_numbers_match_local_crm_records_and_a_log_lands_on_the_page(demo_app):
    client = demo_app.test_client()
    with demo_app.app_context():
        account = demo_account()
        alice = db.session.scalar(
            select(Extension).where(
                Extension.account_id == account.id, Extension.extension_number == "101"
            )
        )
        assert [r.name for r in engine.find_records(alice, JANE)] == ["Jane Roe"]
        assert [r.name for r in engine.find_records(alice, SAM)] == ["Sam Okafor"]
        assert [r.type for r in engine.find_records(alice, PRIYA)] == ["Contact", "Lead"]
        assert [r.type for r in engine.find_records(alice, ACME)] == ["Account"]
        assert engine.find_records(alice, OLIVER) == []
        # The seeded history is random: take Alice's first text thread with a CRM match.
        conversation, record = next(
            (c, records[0])
            for c in db.session.scalars(
                select(Conversation)
                .where(Conversation.extension_id == alice.id, Conversation.kind == "direct")
                .order_by(Conversation.id)
            )
            if c.channel == "text"
            for records in [engine.find_records(alice, c.addresses[0])]
            if len(records) == 1
        )
        outcome = engine.log_conversation(alice, conversation, record.id, {"outcome": "Resolved"})
        assert outcome.state == "written"
        count = len(outcome.activity_ids)
        assert db.session.query(LocalCrmActivity).count() == count

    headers = sign_in(client, "101")
    page = html(
        client.get(
            "/crm/local/activities",
            headers={htmx_support.TOKEN_HEADER: headers[htmx_support.TOKEN_HEADER]},
        )
    )
    cards = page.select("article.crm-activity")
    assert len(cards) == count
    assert all(f"SMS conversation with {record.name}" in c.h2.get_text() for c in cards)
