"""Error mapping: rate limits, outages, timeouts, Retry-After, API usage, no secrets in logs."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import socket

import pytest
import requests

from connectors.errors import CrmNotFound, CrmRetryableError, CrmValidationError
from connectors.records import MatchedRecord, MessageLogWrite
from connectors.retry import call_with_retries
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.responses import (
    ApiUsage,
    error_from_response,
    parse_limit_info,
    parse_retry_after,
)
from connectors.session import CrmSession
from fakes.salesforce import FakeSalesforce

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def _response(status: int, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers.update(headers or {})
    return response


def _log(fake: FakeSalesforce) -> MessageLogWrite:
    record = MatchedRecord(fake.ids["Edna Frank"], "Edna Frank", "Contact")
    return MessageLogWrite("conv-9/2026-11-22/x", "SMS", "body", dt.date(2026, 11, 22), record)


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("120") == 120.0
    later = email.utils.format_datetime(NOW + dt.timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=NOW) == 90.0
    earlier = email.utils.format_datetime(NOW - dt.timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(earlier, now=NOW) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("nan") is None


def test_limit_info_parsing() -> None:
    assert parse_limit_info("api-usage=12/15000") == ApiUsage(12, 15000)
    header = "api-usage=18/5000, per-app-api-usage=17/250(appName=sample-app)"
    assert parse_limit_info(header) == ApiUsage(18, 5000)
    assert parse_limit_info(None) is None


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, "REQUEST_LIMIT_EXCEEDED", CrmRetryableError),
        (400, "UNABLE_TO_LOCK_ROW", CrmRetryableError),
        (502, None, CrmRetryableError),
        (404, "NOT_FOUND", CrmNotFound),
        (400, "ENTITY_IS_DELETED", CrmNotFound),
        (400, "INVALID_FIELD", CrmValidationError),
        (403, "INSUFFICIENT_ACCESS", CrmValidationError),
    ],
)
def test_error_classes(status: int, code: str | None, expected: type[Exception]) -> None:
    body = b"<html>Bad Gateway</html>"
    if code:
        body = json.dumps([{"message": f"{code} happened", "errorCode": code}]).encode()
    error = error_from_response(_response(status, body))
    assert type(error) is expected
    assert error.message == (f"{code} happened" if code else f"Salesforce returned HTTP {status}")


def test_429_with_retry_after(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    fake_sf.fail_next("GET search/", 429, headers={"Retry-After": "7"})
    with pytest.raises(CrmRetryableError) as caught:
        connector.find_contact(sf_session, "+16508673450")
    assert caught.value.retry_after == 7.0


def test_503_html_page_is_retryable(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    when = email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60), usegmt=True
    )
    fake_sf.fail_next("POST sobjects/Task", 503, headers={"Retry-After": when})
    with pytest.raises(CrmRetryableError, match="HTTP 503") as caught:
        connector.create_message_log(sf_session, _log(fake_sf))
    assert caught.value.retry_after is not None and 50 < caught.value.retry_after <= 60


def test_daily_limit_exceeded_is_retryable(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    fake_sf.api_limit = fake_sf.api_usage  # the next call goes over
    with pytest.raises(CrmRetryableError, match="TotalRequests Limit exceeded."):
        connector.find_contact(sf_session, "+16508673450")


def test_call_with_retries_recovers_after_429(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    fake_sf.fail_next("POST sobjects/Task", 429, headers={"Retry-After": "3"})
    slept: list[float] = []
    result = call_with_retries(
        lambda: connector.create_message_log(sf_session, _log(fake_sf)),
        sleep=slept.append,
        rng=random.Random(1),
    )
    assert fake_sf.get_record(result.log_id) is not None
    assert fake_sf.call_count("POST", "sobjects/Task") == 2
    assert len(slept) == 1 and slept[0] >= 3.0


def test_timeout_is_retryable(connector: SalesforceConnector, sf_session: CrmSession) -> None:
    with FakeSalesforce(latency=0.5) as slow:
        token = slow.issue_tokens()
        sf_session.credentials.access_token = token["access_token"]
        sf_session.credentials.instance_url = slow.instance_url
        sf_session.config = {**sf_session.config, "login_url": slow.url, "timeout": 0.1}
        with pytest.raises(CrmRetryableError, match="timed out"):
            connector.find_contact(sf_session, "+16508673450")


def test_connection_refused_is_retryable(
    connector: SalesforceConnector, sf_session: CrmSession
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sf_session.credentials.instance_url = f"http://127.0.0.1:{port}"
    with pytest.raises(CrmRetryableError, match="connection failed"):
        connector.find_contact(sf_session, "+16508673450")


def test_api_usage_is_exposed(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    connector.find_contact(sf_session, "+16508673450")
    usage = connector.api_usage(fake_sf.instance_url)
    assert usage == ApiUsage(fake_sf.api_usage, 15000)
    assert usage is not None and usage.remaining == 15000 - fake_sf.api_usage
    client = connector.client(sf_session)
    client.get("limits/")
    assert client.last_api_usage == ApiUsage(fake_sf.api_usage, 15000)


def test_secrets_never_logged(
    connector: SalesforceConnector,
    sf_session: CrmSession,
    fake_sf: FakeSalesforce,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Our loggers only: urllib3's own DEBUG lines include full URLs (run it at INFO or above).
    caplog.set_level(logging.DEBUG, logger="connectors")
    old = sf_session.credentials
    fake_sf.expire_access_tokens()
    connector.find_contact(sf_session, "+16508673450")
    connector.create_message_log(sf_session, _log(fake_sf))
    secrets = [
        old.access_token,
        old.refresh_token,
        sf_session.credentials.access_token,
        fake_sf.client_secret,
    ]
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("connectors"))
    assert "Salesforce GET /services/data/v66.0/search/ -> 401" in ours
    for secret in secrets:
        assert secret and secret not in ours
    assert "6508673450" not in ours  # the searched number stays out of logs too
    assert old.access_token not in repr(old)
