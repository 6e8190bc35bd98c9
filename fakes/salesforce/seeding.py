"""Helpers to put data into the fake org (no validation: tests may seed anything)."""

from __future__ import annotations

from typing import Any

from .store import Store


class SeedingMixin:
    """``add_*`` helpers of ``FakeSalesforce``; each returns the new record's id."""

    store: Store

    # -- seeding ------------------------------------------------------------------------------

    def add_record(self, sobject: str, **fields: Any) -> str:
        """Insert any record as is (no validation); return its id."""
        return self.store.insert(sobject, fields)

    def add_account(self, name: str, phone: str | None = None, **fields: Any) -> str:
        """Insert an Account; return its id."""
        return self.store.insert("Account", {"Name": name, "Phone": phone, **fields})

    def add_contact(
        self,
        last_name: str,
        first_name: str | None = None,
        phone: str | None = None,
        account_id: str | None = None,
        **fields: Any,
    ) -> str:
        """Insert a Contact (``phone`` stored as given); return its id."""
        values = {"LastName": last_name, "FirstName": first_name, "Phone": phone}
        return self.store.insert("Contact", {**values, "AccountId": account_id, **fields})

    def add_lead(
        self,
        last_name: str,
        company: str,
        first_name: str | None = None,
        phone: str | None = None,
        **fields: Any,
    ) -> str:
        """Insert a Lead; return its id."""
        values = {"LastName": last_name, "FirstName": first_name, "Company": company}
        return self.store.insert("Lead", {**values, "Phone": phone, "Status": "Open", **fields})

    def add_person_account(
        self, last_name: str, first_name: str | None = None, phone: str | None = None
    ) -> str:
        """Insert a Person Account (an Account with its own Contact); return the Account id.

        Needs an org made with ``person_accounts=True``. Like Salesforce, the person's
        Contact carries the same name and phone, so a phone search finds both records.
        """
        if not self.store.person_accounts:
            raise ValueError("this fake org has no Person Accounts (person_accounts=True)")
        name = " ".join(p for p in (first_name, last_name) if p)
        account_id = self.store.insert(
            "Account", {"Name": name, "Phone": phone, "IsPersonAccount": True}
        )
        contact_id = self.store.insert(
            "Contact",
            {
                "LastName": last_name,
                "FirstName": first_name,
                "Phone": phone,
                "AccountId": account_id,
                "IsPersonAccount": True,
            },
        )
        self.store.update("Account", account_id, {"PersonContactId": contact_id})
        return account_id

    def add_opportunity(
        self, name: str, account_id: str, stage: str = "Prospecting", **fields: Any
    ) -> str:
        """Insert an Opportunity (closed when ``stage`` starts with "Closed"); return its id."""
        values = {"Name": name, "AccountId": account_id, "StageName": stage}
        return self.store.insert("Opportunity", {**values, "CloseDate": "2026-12-31", **fields})

    def add_case(
        self,
        subject: str,
        account_id: str | None = None,
        contact_id: str | None = None,
        status: str = "New",
        **fields: Any,
    ) -> str:
        """Insert a Case (closed when ``status`` is "Closed"); return its id."""
        values = {"Subject": subject, "AccountId": account_id, "ContactId": contact_id}
        return self.store.insert("Case", {**values, "Status": status, **fields})

    def get_record(self, record_id: str) -> dict[str, Any] | None:
        """Return a copy of a record's fields, or None."""
        found = self.store.get(record_id)
        return found[1] if found else None

    def records(self, sobject: str) -> list[dict[str, Any]]:
        """Return copies of every record of a type."""
        return self.store.all(sobject)

    def delete_record(self, record_id: str) -> None:
        """Delete a record (reads then get 404 ENTITY_IS_DELETED)."""
        self.store.delete(record_id)
