"""Clio passes the connector contract against the fake region."""

from __future__ import annotations

import pytest

from connectors.records import MessageLogWrite
from connectors.testing import ConnectorContract, FakeCrmControl
from fakes.clio import FakeClio


class FakeClioControl(FakeCrmControl):
    def __init__(self, fake: FakeClio) -> None:
        self.fake = fake

    def add_contact(self, name: str, stored_phone: str) -> str:
        return str(self.fake.add_contact(name, stored_phone))

    def add_contact_with_related(self, name: str, phone_e164: str) -> tuple[str, list[str]]:
        contact = self.fake.add_contact(name, phone_e164)
        first = self.fake.add_matter(contact, "Lease dispute")
        second = self.fake.add_matter(contact, "Estate planning", status="Pending")
        self.fake.add_matter(contact, "Old closed matter", status="Closed")
        return str(contact), [str(first), str(second)]

    def log_body(self, log_id: str) -> str:
        return str(self.fake.communications[int(log_id)]["body"])

    def log_record(self, log_id: str) -> str | None:
        found = self.fake.communications.get(int(log_id))
        if found is None:
            return None
        people = [*found.get("senders", []), *found.get("receivers", [])]
        [contact] = [str(p["id"]) for p in people if p.get("type") == "Contact"]
        return contact

    def refuse_next_write(self, log: MessageLogWrite) -> tuple[MessageLogWrite, str]:
        message = "Subject is too long (maximum is 255 characters)"
        body = {"error": {"type": "InvalidFields", "message": message}}
        self.fake.fail_next("POST /api/v4/communications.json", 422, body=body)
        return log, message

    def expire_session(self) -> bool:
        self.fake.expire_access_tokens()
        return True

    def rate_limit_next(self, retry_after: int) -> bool:
        self.fake.fail_next("/api/v4", 429, headers={"Retry-After": str(retry_after)})
        return True

    def refresh_count(self) -> int:
        return self.fake.refresh_count


class TestClioContract(ConnectorContract):
    @pytest.fixture
    def contract_connector(self, clio):
        return clio

    @pytest.fixture
    def contract_session(self, clio_session):
        return clio_session

    @pytest.fixture
    def contract_fake(self, fake_clio: FakeClio) -> FakeClioControl:
        return FakeClioControl(fake_clio)
