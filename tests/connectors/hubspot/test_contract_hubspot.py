"""HubSpot passes the connector contract against the fake portal."""

from __future__ import annotations

import pytest

from connectors.records import MessageLogWrite
from connectors.testing import ConnectorContract, FakeCrmControl
from fakes.hubspot import FakeHubSpot


class FakeHubSpotControl(FakeCrmControl):
    def __init__(self, fake: FakeHubSpot) -> None:
        self.fake = fake

    def add_contact(self, name: str, stored_phone: str) -> str:
        first, _, last = name.rpartition(" ")
        return self.fake.add_contact(first, last, phone=stored_phone)

    def add_contact_with_related(self, name: str, phone_e164: str) -> tuple[str, list[str]]:
        first, _, last = name.rpartition(" ")
        company = self.fake.add_company(f"{last} Logistics")
        contact = self.fake.add_contact(first, last, phone=phone_e164, company_id=company)
        deal = self.fake.add_deal(f"{last} renewal", contact)
        return contact, [f"company:{company}", f"deal:{deal}"]

    def log_body(self, log_id: str) -> str:
        return str(self.fake.communications[log_id]["properties"]["hs_communication_body"])

    def log_record(self, log_id: str) -> str | None:
        if log_id not in self.fake.communications:
            return None
        [contact] = [i for kind, i in self.fake.associations_of(log_id) if kind == "contacts"]
        return contact

    def refuse_next_write(self, log: MessageLogWrite) -> tuple[MessageLogWrite, str]:
        message = "Property values were not valid: hs_timestamp is in the future"
        body = FakeHubSpot.validation_error(message, "INVALID_DATE", "hs_timestamp").get_json()
        self.fake.fail_next("POST /crm/v3/objects/communications", 400, body=body)
        return log, message

    def expire_session(self) -> bool:
        self.fake.expire_access_tokens()
        return True

    def rate_limit_next(self, retry_after: int) -> bool:
        self.fake.fail_next("/crm/v3/objects", 429, headers={"Retry-After": str(retry_after)})
        return True

    def refresh_count(self) -> int:
        return self.fake.refresh_count


class TestHubSpotContract(ConnectorContract):
    @pytest.fixture
    def contract_connector(self, hubspot):
        return hubspot

    @pytest.fixture
    def contract_session(self, hs_session):
        return hs_session

    @pytest.fixture
    def contract_fake(self, fake_hs: FakeHubSpot) -> FakeHubSpotControl:
        return FakeHubSpotControl(fake_hs)
