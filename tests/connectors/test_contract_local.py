"""The local CRM passes the connector contract against its own tables."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectors.records import MessageLogWrite
from connectors.session import CrmCredentials, CrmSession
from connectors.testing import ConnectorContract, FakeCrmControl
from widget.extensions import db
from widget.local_crm.connector import LocalConnector, record_ref
from widget.local_crm.models import (
    LocalCrmAccount,
    LocalCrmActivity,
    LocalCrmContact,
    LocalCrmOpportunity,
)
from widget.models import Account
from widget.phone import to_e164


class LocalCrmControl(FakeCrmControl):
    """Seeds the local CRM's tables directly; it has no session to expire nor rate limit."""

    def __init__(self, account_id: int) -> None:
        self.account_id = account_id

    def _contact(self, name: str, phone: str, crm_account_id: int | None = None) -> str:
        first, _, last = name.rpartition(" ")
        contact = LocalCrmContact(
            account_id=self.account_id,
            first_name=first,
            last_name=last,
            # The local CRM keeps numbers in E.164 whatever was typed.
            phone_e164=to_e164(phone, "US"),
            crm_account_id=crm_account_id,
        )
        db.session.add(contact)
        db.session.commit()
        return record_ref("Contact", contact.id)

    def add_contact(self, name: str, stored_phone: str) -> str:
        return self._contact(name, stored_phone)

    def add_contact_with_related(self, name: str, phone_e164: str) -> tuple[str, list[str]]:
        company = LocalCrmAccount(account_id=self.account_id, name=f"{name} Logistics")
        db.session.add(company)
        db.session.flush()
        deal = LocalCrmOpportunity(
            account_id=self.account_id, crm_account_id=company.id, name=f"{name} renewal"
        )
        db.session.add(deal)
        db.session.commit()
        contact = self._contact(name, phone_e164, company.id)
        return contact, [record_ref("Account", company.id), f"opportunity-{deal.id}"]

    def log_body(self, log_id: str) -> str:
        db.session.expire_all()
        activity = db.session.get(LocalCrmActivity, int(log_id))
        assert activity is not None
        return activity.body

    def log_record(self, log_id: str) -> str | None:
        db.session.expire_all()
        activity = db.session.get(LocalCrmActivity, int(log_id))
        return None if activity is None else activity.record_ref

    def refuse_next_write(self, log: MessageLogWrite) -> tuple[MessageLogWrite, str]:
        missing = replace(log, record=replace(log.record, id="contact-999999"))
        return missing, "Record contact-999999 does not exist."


class TestLocalContract(ConnectorContract):
    @pytest.fixture
    def contract_account(self, app):
        with app.app_context():
            account = Account(platform="sandbox", platform_account_id="contract", name="Co")
            db.session.add(account)
            db.session.commit()
            yield account.id

    @pytest.fixture
    def contract_connector(self) -> LocalConnector:
        return LocalConnector()

    @pytest.fixture
    def contract_session(self, contract_account: int) -> CrmSession:
        config = {"sidetalk_account_id": contract_account, "sidetalk_user_name": "Tester"}
        return CrmSession(CrmCredentials(access_token=""), config=config)

    @pytest.fixture
    def contract_fake(self, contract_account: int) -> LocalCrmControl:
        return LocalCrmControl(contract_account)
