"""Salesforce passes the connector contract against the fake org."""

from __future__ import annotations

import pytest

from connectors.records import MessageLogWrite
from connectors.salesforce import SalesforceConnector
from connectors.testing import ConnectorContract, FakeCrmControl
from fakes.salesforce import FakeSalesforce

TOKEN_PATH = "/services/oauth2/token"


class FakeSalesforceControl(FakeCrmControl):
    def __init__(self, fake: FakeSalesforce) -> None:
        self.fake = fake

    def add_contact(self, name: str, stored_phone: str) -> str:
        first, _, last = name.rpartition(" ")
        return self.fake.add_contact(last, first or None, phone=stored_phone)

    def add_contact_with_related(self, name: str, phone_e164: str) -> tuple[str, list[str]]:
        first, _, last = name.rpartition(" ")
        account = self.fake.add_account(f"{last} Logistics")
        deal = self.fake.add_opportunity(f"{last} renewal", account_id=account)
        contact = self.fake.add_contact(last, first, phone=phone_e164, account_id=account)
        return contact, [account, deal]

    def log_body(self, log_id: str) -> str:
        found = self.fake.store.get(log_id)
        assert found is not None and found[0] == "Task"
        return str(found[1]["Description"])

    def log_record(self, log_id: str) -> str | None:
        found = self.fake.store.get(log_id)
        return None if found is None else str(found[1]["WhoId"])

    def refuse_next_write(self, log: MessageLogWrite) -> tuple[MessageLogWrite, str]:
        message = "Subject: a Task needs a subject the org's rule accepts"
        error = {"message": message, "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION"}
        self.fake.fail_next("POST sobjects/Task", 400, body=[{**error, "fields": ["Subject"]}])
        return log, message

    def expire_session(self) -> bool:
        self.fake.expire_access_tokens()
        return True

    def rate_limit_next(self, retry_after: int) -> bool:
        self.fake.fail_next("/services/data", 429, headers={"Retry-After": str(retry_after)})
        return True

    def refresh_count(self) -> int:
        return self.fake.call_count("POST", TOKEN_PATH)


class TestSalesforceContract(ConnectorContract):
    @pytest.fixture
    def contract_connector(self) -> SalesforceConnector:
        return SalesforceConnector()

    @pytest.fixture
    def contract_session(self, sf_session):
        return sf_session

    @pytest.fixture
    def contract_fake(self, fake_sf: FakeSalesforce) -> FakeSalesforceControl:
        return FakeSalesforceControl(fake_sf)
