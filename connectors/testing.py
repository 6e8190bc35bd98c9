"""The contract every connector passes against its fake CRM.

Subclass :class:`ConnectorContract` in a test module (named ``Test...``) and provide four
fixtures:

- ``contract_connector``: the connector under test;
- ``contract_session``: a ``CrmSession`` connected to the connector's fake CRM;
- ``contract_fake``: a :class:`FakeCrmControl` seeding that fake and injecting its faults;
- ``compose_body``: ``fn(text, log_format) -> body``, the app's log-body composer (it lives
  above connectors, so the test module hands it in).

Every check runs the connector's real code against the fake; a check the fake cannot
stage (an in-process CRM has no session to expire) is skipped, saying why.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from dataclasses import replace

import pytest

from connectors.base import Connector
from connectors.errors import CrmNotFound, CrmRetryableError, CrmValidationError
from connectors.records import RELATED_TO, MatchedRecord, MessageLogWrite
from connectors.session import CrmCredentials, CrmSession

HOSTILE_TEXT = (
    "<script>alert('x')</script> Tom & \"Jerry\" **bold** _it_ [link](javascript:alert(1))"
    " \x1b[31mred\u202e"
)
LOG_DAY = dt.date(2026, 11, 17)
# The same number as a CRM may have stored it, each variant for its own record.
STORED_FORMATS = {
    "+14155550131": "+14155550131",
    "+14155550132": "(415) 555-0132",
    "+14155550133": "415.555.0133",
    "+14155550134": "1-415-555-0134",
}
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class FakeCrmControl(ABC):
    """What the contract needs from a connector's fake: seeding, faults and what it stored."""

    @abstractmethod
    def add_contact(self, name: str, stored_phone: str) -> str:
        """Store a contact whose phone is written as ``stored_phone``; return its CRM id."""

    @abstractmethod
    def add_contact_with_related(self, name: str, phone_e164: str) -> tuple[str, list[str]]:
        """Store a contact with records a log may be related to; return both ids."""

    @abstractmethod
    def log_body(self, log_id: str) -> str:
        """Return the body the CRM stored for activity ``log_id``."""

    @abstractmethod
    def log_record(self, log_id: str) -> str | None:
        """Return the id of the record activity ``log_id`` is filed under (its contact,
        person or lead), or None when the CRM no longer has that activity."""

    @abstractmethod
    def refuse_next_write(self, log: MessageLogWrite) -> tuple[MessageLogWrite, str]:
        """Arrange for the CRM to refuse a write; return the write to send and the CRM's
        own message for the refusal."""

    def expire_session(self) -> bool:
        """Make the next data call answer 401; return False when the CRM has no sessions."""
        return False

    def rate_limit_next(self, retry_after: int) -> bool:
        """Make the next data call answer 429 with ``Retry-After``; False when impossible."""
        return False

    def refresh_count(self) -> int:
        """Return how many token refreshes the fake has answered."""
        return 0


def log_write(record: MatchedRecord, key: str, body: str, **extra: object) -> MessageLogWrite:
    """Return a write of one conversation-day for ``record`` under idempotency key ``key``."""
    values: dict[str, object] = {
        "log_key": key,
        "subject": f"SMS conversation with {record.name}",
        "body": body,
        "activity_date": LOG_DAY,
        "record": record,
        "user_name": "Contract Tester",
    }
    return MessageLogWrite(**{**values, **extra})  # type: ignore[arg-type]


class ConnectorContract:
    """The connector contract as inherited tests (see the module docstring)."""

    def _one(self, connector: Connector, session: CrmSession, phone: str) -> MatchedRecord:
        matches = connector.find_contact(session, phone)
        assert len(matches) == 1, f"expected one record for {phone}, got {matches!r}"
        return matches[0]

    @pytest.mark.parametrize(("phone", "stored"), list(STORED_FORMATS.items()))
    def test_finds_a_contact_by_e164_however_the_crm_stored_it(
        self, contract_connector, contract_session, contract_fake, phone, stored
    ):
        record_id = contract_fake.add_contact("Ada Lovelace", stored)
        match = self._one(contract_connector, contract_session, phone)
        assert (match.id, match.name) == (record_id, "Ada Lovelace")
        assert contract_connector.find_contact(contract_session, "+14155550199") == []

    def test_related_to_options_are_offered_and_accepted(
        self, contract_connector, contract_session, contract_fake, compose_body
    ):
        record_id, related_ids = contract_fake.add_contact_with_related("Jane Roe", "+14155550141")
        match = self._one(contract_connector, contract_session, "+14155550141")
        options = match.additional_info.get(RELATED_TO) or []
        assert match.id == record_id
        assert set(related_ids) <= {option["const"] for option in options}
        assert all(option.get("title") for option in options)
        body = compose_body("Hello", contract_connector.get_log_format_type())
        write = log_write(match, "contract/related", body, related_to_id=related_ids[-1])
        assert contract_connector.create_message_log(contract_session, write).log_id

    def test_create_then_update_keeps_one_log_per_key(
        self, contract_connector, contract_session, contract_fake, compose_body
    ):
        contract_fake.add_contact("Sam Okafor", "+14155550151")
        match = self._one(contract_connector, contract_session, "+14155550151")
        log_format = contract_connector.get_log_format_type()
        first = log_write(match, "contract/update", compose_body("First", log_format))
        created = contract_connector.create_message_log(contract_session, first)
        second = replace(first, body=compose_body("First then second", log_format))
        updated = contract_connector.update_message_log(contract_session, created.log_id, second)
        assert updated.log_id == created.log_id
        assert contract_fake.log_body(created.log_id) == second.body
        assert contract_connector.find_message_log(contract_session, "contract/update") == (
            created.log_id
        )

    def test_a_log_is_found_again_by_its_key_after_a_crash(
        self, contract_connector, contract_session, contract_fake, compose_body
    ):
        contract_fake.add_contact("Priya Shah", "+14155550161")
        match = self._one(contract_connector, contract_session, "+14155550161")
        body = compose_body("Lost reply", contract_connector.get_log_format_type())
        # The app crashed after this write and before it recorded the id.
        created = contract_connector.create_message_log(
            contract_session, log_write(match, "contract/crash", body)
        )
        found = contract_connector.find_message_log(contract_session, "contract/crash")
        assert found == created.log_id
        assert contract_connector.find_message_log(contract_session, "contract/other") is None

    def test_a_log_moves_to_another_record_exactly_once(
        self, contract_connector, contract_session, contract_fake, compose_body
    ):
        first = contract_fake.add_contact("Olga Petrova", "+14155550121")
        second, related = contract_fake.add_contact_with_related("Olga Lee", "+14155550122")
        old = self._one(contract_connector, contract_session, "+14155550121")
        new = self._one(contract_connector, contract_session, "+14155550122")
        log_format = contract_connector.get_log_format_type()
        body = compose_body("Filed under the wrong person", log_format)
        created = contract_connector.create_message_log(
            contract_session, log_write(old, "contract/move-from", body)
        )
        assert contract_fake.log_record(created.log_id) == first
        moved = log_write(new, "contract/move-to", body, related_to_id=related[-1])

        result = contract_connector.move_message_log(contract_session, created.log_id, moved)
        if result is None:  # cannot re-file: the app deletes, then creates the usual way
            contract_connector.delete_message_log(contract_session, created.log_id)
            assert contract_fake.log_record(created.log_id) is None
            with pytest.raises(CrmNotFound):  # a retried delete learns it is done already
                contract_connector.delete_message_log(contract_session, created.log_id)
            result = contract_connector.create_message_log(contract_session, moved)
        else:  # re-filed in place; a retry of the same move changes nothing more
            again = contract_connector.move_message_log(contract_session, created.log_id, moved)
            assert again is not None and again.log_id == result.log_id == created.log_id

        assert contract_fake.log_record(result.log_id) == second
        assert contract_fake.log_body(result.log_id) == body
        found = contract_connector.find_message_log(contract_session, "contract/move-to")
        assert found == result.log_id
        assert contract_connector.find_message_log(contract_session, "contract/move-from") is None

    def test_an_expired_session_is_refreshed_exactly_once(
        self, contract_connector, contract_session, contract_fake
    ):
        contract_fake.add_contact("Erin Ito", "+14155550171")
        if not contract_fake.expire_session():
            pytest.skip(f"{contract_connector.id} has no session to expire")
        saved: list[CrmCredentials] = []
        contract_session.on_credentials_changed = saved.append
        before = contract_fake.refresh_count()
        match = self._one(contract_connector, contract_session, "+14155550171")
        assert match.name == "Erin Ito"
        assert contract_fake.refresh_count() - before == 1
        assert len(saved) == 1 and saved[0] is contract_session.credentials

    def test_a_rate_limit_is_retryable_with_the_crms_retry_after(
        self, contract_connector, contract_session, contract_fake
    ):
        if not contract_fake.rate_limit_next(17):
            pytest.skip(f"{contract_connector.id} has no rate limit")
        with pytest.raises(CrmRetryableError) as caught:
            contract_connector.find_contact(contract_session, "+14155550181")
        assert caught.value.retry_after == 17

    def test_a_refused_write_carries_the_crms_own_message(
        self, contract_connector, contract_session, contract_fake, compose_body
    ):
        contract_fake.add_contact("Zed Quinn", "+14155550191")
        match = self._one(contract_connector, contract_session, "+14155550191")
        body = compose_body("Refused", contract_connector.get_log_format_type())
        write, message = contract_fake.refuse_next_write(log_write(match, "contract/bad", body))
        with pytest.raises(CrmValidationError) as caught:
            contract_connector.create_message_log(contract_session, write)
        assert message in caught.value.message

    def test_hostile_text_stays_escaped_in_the_log_format(
        self, contract_connector, contract_session, contract_fake, compose_body
    ):
        contract_fake.add_contact("Mallory Evil", "+14155550111")
        match = self._one(contract_connector, contract_session, "+14155550111")
        log_format = contract_connector.get_log_format_type()
        body = compose_body(HOSTILE_TEXT, log_format)
        created = contract_connector.create_message_log(
            contract_session, log_write(match, "contract/hostile", body)
        )
        stored = contract_fake.log_body(created.log_id)
        assert stored == body  # byte for byte: nothing unescaped or escaped twice
        assert not _CONTROL.search(stored)
        if log_format == "text/html":
            assert "<script>" not in stored and "&lt;script&gt;" in stored
            assert "&amp;" in stored and "&quot;Jerry&quot;" in stored
        elif log_format == "text/markdown":
            assert "**bold**" not in stored and r"\*\*bold\*\*" in stored
            assert "[link](" not in stored
        else:
            assert "<script>alert('x')</script> Tom & \"Jerry\" **bold**" in stored
