"""Pipedrive passes the connector contract against the fake company."""

from __future__ import annotations

import pytest

from connectors.records import MessageLogWrite
from connectors.testing import ConnectorContract, FakeCrmControl
from fakes.pipedrive import FakePipedrive


class FakePipedriveControl(FakeCrmControl):
    def __init__(self, fake: FakePipedrive) -> None:
        self.fake = fake

    def add_contact(self, name: str, stored_phone: str) -> str:
        return str(self.fake.add_person(name, stored_phone))

    def add_contact_with_related(self, name: str, phone_e164: str) -> tuple[str, list[str]]:
        org = self.fake.add_organization(f"{name} Logistics")
        person = self.fake.add_person(name, phone_e164, org)
        deal = self.fake.add_deal(f"{name} renewal", person)
        lead = self.fake.add_lead(f"{name} upsell", person)
        return str(person), [f"org:{org}", f"lead:{lead}", f"deal:{deal}"]

    def log_body(self, log_id: str) -> str:
        return str(self.fake.activities[int(log_id)]["note"])

    def log_record(self, log_id: str) -> str | None:
        found = self.fake.activities.get(int(log_id))
        return None if found is None else str(found["person_id"])

    def refuse_next_write(self, log: MessageLogWrite) -> tuple[MessageLogWrite, str]:
        message = "Activity due date is not valid for this company's calendar"
        body = {"success": False, "error": message, "errorCode": 400}
        self.fake.fail_next("POST /api/v2/activities", 400, body=body)
        return log, message

    def expire_session(self) -> bool:
        self.fake.expire_access_tokens()
        return True

    def rate_limit_next(self, retry_after: int) -> bool:
        self.fake.fail_next("/api/", 429, headers={"Retry-After": str(retry_after)})
        return True

    def refresh_count(self) -> int:
        return self.fake.refresh_count


class TestPipedriveContract(ConnectorContract):
    @pytest.fixture
    def contract_connector(self, pipedrive):
        return pipedrive

    @pytest.fixture
    def contract_session(self, pd_session):
        return pd_session

    @pytest.fixture
    def contract_fake(self, fake_pd: FakePipedrive) -> FakePipedriveControl:
        return FakePipedriveControl(fake_pd)
