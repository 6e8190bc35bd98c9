"""The sandbox behind the platform interface: sign-in, provisioning, webhooks, the store."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from widget.errors import Invalid
from widget.extensions import db
from widget.inbox.events import IngestionSink
from widget.lifecycle.service import delete_message
from widget.models import Availability, Extension, Message
from widget.platforms import get_platform
from widget.platforms.base import SyncType, WebhookOutcome
from widget.platforms.records import parse_record
from widget.platforms.sandbox import store
from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound

PLATFORMS_DIR = Path(__file__).resolve().parents[3] / "widget" / "platforms"
CAPABILITIES = (
    "widget.inbox",
    "widget.compose",
    "widget.lifecycle",
    "widget.realtime",
    "widget.crm_logging",
    "widget.crm_connect",
    "widget.sms_templates",
    "widget.contacts",
    "widget.auth",
    "widget.demo",
    "widget.cli",
)


def _mailbox(extension: Extension) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.extension_id == extension.id)))


def test_sign_in_starts_with_the_extension_chooser(demo_ctx):
    start = get_platform().start_sign_in("http://localhost/auth/signin")

    assert start.redirect_url is None
    assert [e.extension_number for e in start.choices] == ["101", "102", "103", "104", "105"]


def test_sign_in_finishes_with_the_chosen_extension(ext):
    carol = ext("103")

    assert get_platform().finish_sign_in({"extension_id": str(carol.id)}) is carol


@pytest.mark.parametrize("raw", ["", "abc", "999999"])
def test_sign_in_refuses_anything_but_a_listed_extension(demo_ctx, raw):
    with pytest.raises(Invalid) as refused:
        get_platform().finish_sign_in({"extension_id": raw})

    assert refused.value.message == "Choose one of the listed extensions."
    assert (refused.value.field, refused.value.status) == ("extension_id", 400)


def test_provisioning_reads_the_extension_its_numbers_and_the_directory(ext):
    carol = get_platform().provision(ext("103"))

    assert (carol.platform_account_id, carol.account_name) == ("sandbox-demo", "Sidetalk Demo Co")
    assert carol.main_number == "+16505550100"
    assert (carol.platform_extension_id, carol.extension_number) == ("sandbox-103", "103")
    assert (carol.name, carol.email, carol.timezone) == (
        "Carol Nguyen",
        "carol@demo.sidetalk.test",
        "Europe/London",
    )
    assert carol.is_admin is False
    assert [n.e164 for n in carol.phone_numbers] == ["+16505550103", "+16505550113"]
    assert all(n.sms_enabled and n.usage_type == "DirectNumber" for n in carol.phone_numbers)
    users = [e for e in carol.directory if e.extension_number]
    assert [(e.extension_number, e.first_name, e.last_name) for e in users][:2] == [
        ("101", "Alice", "Chen"),
        ("102", "Bob", "Martinez"),
    ]
    assert next(e for e in users if e.extension_number == "103").phone_numbers == (
        "+16505550103",
        "+16505550113",
    )
    external = [e for e in carol.directory if e.extension_number is None]
    assert ("Jane", "Roe", "Roe Logistics", ("+14155550123",)) in [
        (e.first_name, e.last_name, e.company, e.phone_numbers) for e in external
    ]


def test_the_sandbox_has_no_webhooks_to_verify_or_keep_subscribed(demo_ctx):
    platform = get_platform()

    check = platform.verify_webhook({"Validation-Token": "abc"}, b"{}")

    assert check.outcome == WebhookOutcome.UNSUPPORTED
    assert "no webhooks" in check.reason
    assert check.response_headers == {}
    now = datetime(2031, 1, 1, tzinfo=UTC)
    assert platform.upkeep_subscription(None, "https://example.test/webhooks", now) is None


def test_fetch_by_id_returns_records_of_the_own_mailbox_only(ext):
    alice, bob = ext("101"), ext("102")
    mine = sorted(_mailbox(alice), key=lambda m: m.id)[:2]
    theirs = _mailbox(bob)[0]
    ids = [mine[1].platform_message_id, "no-such-id", theirs.platform_message_id]
    ids.append(mine[0].platform_message_id)

    records = get_platform().fetch_records(alice, ids)

    assert [r["id"] for r in records] == [mine[1].platform_message_id, mine[0].platform_message_id]
    parsed = parse_record(records[0])
    assert (parsed.type, parsed.direction) == (mine[1].type, mine[1].direction)
    assert parsed.last_modified_at == mine[1].last_modified_at
    # Ingesting what the store returns changes nothing: it is the stored version.
    again = IngestionSink().record_changed(alice, records[0])
    assert again.id == mine[1].id
    assert get_platform().fetch_records(alice, []) == []


def test_full_sync_pages_the_newest_alive_messages(ext):
    alice = ext("101")
    alive = [m for m in _mailbox(alice) if m.availability == Availability.ALIVE]
    newest = sorted(alive, key=lambda m: (m.created_at, m.id), reverse=True)

    page = store.sync(alice, None, record_count=5)

    assert page.sync_type == SyncType.FULL
    assert [r["id"] for r in page.records] == [m.platform_message_id for m in newest[:5]]
    assert page.older_records_exist is True
    everything = get_platform().sync(alice)
    assert len(everything.records) == len(alive)
    assert everything.older_records_exist is False


def test_incremental_sync_returns_what_changed_after_the_token(ext, demo_app):
    alice = ext("101")
    token = get_platform().sync(alice).sync_token

    unchanged = get_platform().sync(alice, token)
    assert (unchanged.sync_type, unchanged.records, unchanged.sync_token) == (
        SyncType.INCREMENTAL,
        (),
        token,
    )

    payload = {"from": "+14155550123", "to": "+16505550101", "text": "New since the sync"}
    arrived = deliver_inbound(parse_inbound(payload))
    first = get_platform().sync(alice, token)
    assert [r["id"] for r in first.records] == [arrived.platform_message_id]
    assert first.records[0]["subject"] == "New since the sync"

    deleted = delete_message(alice, db.session.get(Message, arrived.id))
    second = get_platform().sync(alice, first.sync_token)
    assert [(r["id"], r["availability"]) for r in second.records] == [
        (deleted.platform_message_id, "Deleted")
    ]
    assert get_platform().sync(alice, second.sync_token).records == ()


def test_incremental_sync_pages_through_many_changes(ext):
    alice = ext("101")
    token = get_platform().sync(alice).sync_token
    arrived = [
        deliver_inbound(
            parse_inbound({"from": "+14155550123", "to": "+16505550101", "text": f"n{i}"})
        ).platform_message_id
        for i in range(3)
    ]

    first = store.sync(alice, token, record_count=2)
    rest = store.sync(alice, first.sync_token, record_count=2)

    assert [r["id"] for r in first.records + rest.records] == arrived


def test_a_foreign_sync_token_is_refused(ext):
    with pytest.raises(ValueError, match="not a sandbox sync token"):
        get_platform().sync(ext("101"), "rc-token")


def test_deliveries_go_to_the_sink_the_app_gave_the_platform(demo_ctx, monkeypatch, ext):
    platform = get_platform()
    real = platform.sink
    seen = []

    class Recording:
        def record_changed(self, extension, record, content=None):
            seen.append((extension.extension_number, record["direction"]))
            return real.record_changed(extension, record, content)

        def records_changed(self, extension, records):
            raise AssertionError("the sandbox hands records over one at a time")

    monkeypatch.setattr(platform, "sink", Recording())
    deliver_inbound(parse_inbound({"from": "102", "to": "101", "text": "Hi", "type": "Pager"}))

    assert seen == [("101", "Inbound"), ("102", "Outbound")]


def test_a_sync_page_is_ingested_in_one_go(ext):
    alice = ext("101")
    records = store.sync(alice, None, record_count=3).records

    messages = IngestionSink().records_changed(alice, records)

    assert [m.platform_message_id for m in messages] == [r["id"] for r in records]


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_platform_module_imports_a_capability():
    offenders = {
        f"{path.relative_to(PLATFORMS_DIR)}: {module}"
        for path in PLATFORMS_DIR.rglob("*.py")
        for module in _imported_modules(path)
        if module.startswith(CAPABILITIES)
    }
    assert offenders == set()
