"""Connector discovery through entry points, explicit registration, lookup errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from connectors import registry
from connectors.base import Connector
from connectors.records import LogResult, MatchedRecord, MessageLogWrite
from connectors.salesforce import SalesforceConnector
from connectors.session import CrmSession
from tests.entry_points import fake_entry_points, skip_unless_installed


class DummyConnector(Connector):
    id = "dummy"
    display_name = "Dummy CRM"

    def get_user_info(self, session: CrmSession) -> dict[str, Any]:
        return {"id": "1", "name": "Dummy"}

    def find_contact(self, session: CrmSession, phone_e164: str) -> list[MatchedRecord]:
        return []

    def create_contact(self, session, phone_e164, name, contact_type, additional_submission):
        return MatchedRecord("1", name, contact_type, phone_e164)

    def create_message_log(self, session: CrmSession, log: MessageLogWrite) -> LogResult:
        return LogResult("log-1")

    def update_message_log(self, session, log_id: str, log: MessageLogWrite) -> LogResult:
        return LogResult(log_id)


class NotAConnector:
    id = "nope"


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    registry.refresh()
    yield
    registry.unregister("dummy")
    registry.refresh()


def _entry_points(*specs: tuple[str, str]) -> Any:
    return fake_entry_points(registry.ENTRY_POINT_GROUP, *specs)


def test_installed_entry_points_include_salesforce() -> None:
    skip_unless_installed()
    assert registry.available_connectors()["salesforce"] is SalesforceConnector
    assert isinstance(registry.get_connector("salesforce"), SalesforceConnector)


def test_entry_points_are_loaded_and_broken_ones_skipped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(
        registry,
        "entry_points",
        _entry_points(
            ("salesforce", "connectors.salesforce:SalesforceConnector"),
            ("dummy", f"{__name__}:DummyConnector"),
            ("broken", "sidetalk_no_such_module:Connector"),
            ("nope", f"{__name__}:NotAConnector"),
            ("renamed", f"{__name__}:DummyConnector"),
        ),
    )
    with caplog.at_level(logging.ERROR, logger="connectors.registry"):
        found = registry.available_connectors()
    assert found == {"salesforce": SalesforceConnector, "dummy": DummyConnector}
    assert "'broken'" in caplog.text and "failed to load" in caplog.text
    assert "'nope'" in caplog.text and "not a Connector subclass" in caplog.text
    assert "'renamed'" in caplog.text and "must equal the entry-point name" in caplog.text


def test_explicit_register_and_shared_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "entry_points", _entry_points())
    assert registry.register(DummyConnector) is DummyConnector
    first = registry.get_connector("dummy")
    assert isinstance(first, DummyConnector)
    assert registry.get_connector("dummy") is first
    assert registry.available_connectors() == {"dummy": DummyConnector}


def test_unknown_connector_error_names_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "entry_points", _entry_points())
    registry.register(DummyConnector)
    with pytest.raises(KeyError, match=r"unknown CRM connector 'hubspot' \(available: dummy\)"):
        registry.get_connector("hubspot")


def test_register_rejects_non_connectors() -> None:
    with pytest.raises(TypeError):
        registry.register(NotAConnector)  # type: ignore[arg-type]
