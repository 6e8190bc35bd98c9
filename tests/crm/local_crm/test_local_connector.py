"""The local CRM as a connector: matching, idempotent creates, tenants, crash recovery."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from connectors.errors import CrmNotFound, CrmValidationError
from connectors.records import MatchedRecord, MessageLogWrite
from connectors.registry import get_connector
from connectors.session import CrmCredentials, CrmSession
from tests.crm.conftest import ACME, JANE, NOON_UTC, OLIVER, PRIYA, SAM, deliver
from widget.crm_logging import engine, tasks, writer
from widget.errors import DomainError
from widget.extensions import db
from widget.local_crm import LocalConnector
from widget.local_crm.models import LocalCrmActivity, LocalCrmContact
from widget.local_crm.seed import seed_local_crm
from widget.models import Conversation, CrmActivity


def _session(account_id: int) -> CrmSession:
    return CrmSession(
        CrmCredentials(access_token=""),
        config={"sidetalk_account_id": account_id, "sidetalk_user_name": "Alice Chen"},
    )


def _write(
    key: str = "9/2026-11-17/contact-1", body: str = "<p>hi</p>", **extra
) -> MessageLogWrite:
    values = {
        "log_key": key,
        "subject": "SMS conversation with Jane Roe",
        "body": body,
        "activity_date": date(2026, 11, 17),
        "record": MatchedRecord(id="contact-1", name="Jane Roe", type="Contact"),
    }
    return MessageLogWrite(**{**values, **extra})


def test_the_entry_point_finds_the_local_connector():
    connector = get_connector("local")
    assert isinstance(connector, LocalConnector)
    assert connector.get_auth_type() == "none" and connector.get_log_format_type() == "text/html"
    platform = connector.manifest()["platforms"]["local"]
    assert [t["value"] for t in platform["contactTypes"]] == ["Contact", "Lead", "Account"]


def test_seeded_numbers_match_the_demo_contacts_and_one_number_matches_two_records(world):
    connector, session = LocalConnector(), _session(world.account.id)
    jane = connector.find_contact(session, JANE)
    assert [(r.id, r.name, r.type) for r in jane] == [("contact-1", "Jane Roe", "Contact")]
    assert jane[0].additional_info["relatedTo"] == [
        {"const": "account-1", "title": "Account: Roe Logistics"},
        {"const": "opportunity-1", "title": "Opportunity: Fleet tracking renewal 2026"},
        {"const": "opportunity-2", "title": "Opportunity: Warehouse SMS pilot"},
    ]  # the closed opportunity is not offered
    assert [(r.name, r.type) for r in connector.find_contact(session, PRIYA)] == [
        ("Priya Shah", "Contact"),
        ("P. Shah", "Lead"),
    ]
    assert connector.find_contact(session, PRIYA)[1].additional_info == {}
    assert [r.type for r in connector.find_contact(session, ACME)] == ["Account"]
    assert connector.find_contact(session, SAM)[0].name == "Sam Okafor"
    assert connector.find_contact(session, OLIVER) == []
    assert seed_local_crm(world.account) is False  # seeding twice adds nothing
    assert db.session.scalar(select(func.count()).select_from(LocalCrmContact)) == 6


def test_name_search_finds_every_record_type_by_any_part_of_the_name(world):
    connector, session = LocalConnector(), _session(world.account.id)
    found = connector.search_contacts(session, "shah")
    assert [(r.name, r.type, r.phone) for r in found] == [
        ("Priya Shah", "Contact", PRIYA),
        ("P. Shah", "Lead", PRIYA),
        ("Shah & Co", "Account", None),
    ]
    assert [r.name for r in connector.search_contacts(session, "JANE R")] == ["Jane Roe"]
    assert connector.search_contacts(session, "%") == []  # wildcards match literally
    assert connector.search_contacts(session, "_") == []
    connector.create_contact(_session(world.other_account.id), OLIVER, "Nadia Park", "Contact", {})
    assert connector.search_contacts(session, "nadia") == []  # another company's record


def test_each_company_sees_only_its_own_local_crm(world):
    connector = LocalConnector()
    mine = connector.find_contact(_session(world.account.id), JANE)
    theirs = connector.find_contact(_session(world.other_account.id), JANE)
    assert mine[0].id != theirs[0].id
    log_id = connector.create_message_log(_session(world.account.id), _write()).log_id
    with pytest.raises(CrmNotFound):
        connector.update_message_log(_session(world.other_account.id), log_id, _write())
    assert connector.find_message_log(_session(world.other_account.id), _write().log_key) is None
    with pytest.raises(CrmValidationError, match="does not exist"):
        # Their record id is not ours to log against.
        connector.create_message_log(
            _session(world.account.id),
            _write(key="k2", record=MatchedRecord(id=theirs[0].id, name="x", type="Contact")),
        )


def test_create_is_idempotent_by_log_key_and_update_replaces_the_body(world):
    connector, session = LocalConnector(), _session(world.account.id)
    first = connector.create_message_log(session, _write(body="<p>one</p>"))
    again = connector.create_message_log(session, _write(body="<p>two</p>"))
    assert first.log_id == again.log_id
    assert connector.find_message_log(session, _write().log_key) == first.log_id
    connector.update_message_log(session, first.log_id, _write(body="<p>three</p>"))
    [activity] = db.session.scalars(select(LocalCrmActivity)).all()
    assert (activity.body, activity.revision_count) == ("<p>three</p>", 3)
    with pytest.raises(CrmNotFound):
        connector.update_message_log(session, "999", _write())
    with pytest.raises(CrmValidationError, match="Related to"):
        connector.create_message_log(session, _write(key="k3", related_to_id="opportunity-4"))


def test_create_contact_then_it_matches(world):
    conversation_message = deliver(world.alice, OLIVER, "Hello from London", NOON_UTC)
    assert engine.find_records(world.alice, OLIVER) == []
    record = engine.create_contact(
        world.alice, OLIVER, "Oliver Brooks", "Lead", {"company": "Brooks"}
    )
    assert (record.name, record.type) == ("Oliver Brooks", "Lead")
    assert [r.id for r in engine.find_records(world.alice, OLIVER)] == [record.id]  # cache forgot
    conversation = db.session.get(Conversation, conversation_message.conversation_id)
    engine.log_conversation(world.alice, conversation, record.id, {"outcome": "No action"})
    assert db.session.scalar(select(LocalCrmActivity.record_name)) == "Oliver Brooks"
    for bad in (("not-a-number", "X", "Lead"), (OLIVER, "  ", "Lead"), (OLIVER, "X", "Wizard")):
        with pytest.raises(DomainError):
            engine.create_contact(world.alice, *bad)


class SimulatedCrash(BaseException):
    """The process dies right after the CRM accepted the write."""


def test_a_crash_after_the_local_crm_write_is_reconciled_by_log_key(world, clock, monkeypatch):
    conversation = db.session.get(
        Conversation, deliver(world.alice, JANE, "Hi", NOON_UTC).conversation_id
    )

    def die(*args, **kwargs):
        raise SimulatedCrash

    monkeypatch.setattr(writer, "finish", die)
    with pytest.raises(SimulatedCrash):
        engine.log_conversation(world.alice, conversation, "contact-1", {"outcome": "Resolved"})
    monkeypatch.undo()
    db.session.rollback()
    [crm] = db.session.scalars(select(LocalCrmActivity)).all()
    assert db.session.scalar(select(CrmActivity.crm_log_id)) is None

    clock.shift(writer.CLAIM_LEASE + timedelta(seconds=1))
    assert tasks.sweep()["activities"] == 1
    db.session.expire_all()
    [again] = db.session.scalars(select(LocalCrmActivity)).all()
    assert again.id == crm.id and again.revision_count == 2  # found by key, then updated
    assert db.session.scalar(select(CrmActivity.crm_log_id)) == str(crm.id)
