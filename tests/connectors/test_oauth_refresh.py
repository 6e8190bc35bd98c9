"""The shared OAuth helper: one refresh per refresh token at a time, token responses."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from connectors.errors import CrmAuthError, CrmRetryableError
from connectors.oauth import SingleFlightRefresh, credentials_from_token
from connectors.session import CrmCredentials

THREADS = 8


class SingleUseTokenServer:
    """A token endpoint whose refresh tokens rotate: each one works exactly once."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.valid = {"r1"}
        self.spent: list[str] = []
        self.lock = threading.Lock()
        self.serial = 0

    def refresh(self, stale: CrmCredentials) -> CrmCredentials:
        time.sleep(self.delay)  # long enough for every thread to pile up behind it
        with self.lock:
            token = str(stale.refresh_token)
            if token not in self.valid:
                raise CrmAuthError(f"refresh token {token} was already used; reconnect")
            self.valid.remove(token)
            self.spent.append(token)
            self.serial += 1
            new_refresh = f"r{self.serial + 1}"
            self.valid.add(new_refresh)
        return CrmCredentials(f"access-{self.serial}", new_refresh)


def _run_together(target, args_list) -> tuple[list, list[BaseException]]:
    results: list = [None] * len(args_list)
    failures: list[BaseException] = []
    start = threading.Barrier(len(args_list))

    def work(index: int, args: tuple) -> None:
        start.wait()
        try:
            results[index] = target(*args)
        except BaseException as exc:  # reported by the caller
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i, a)) for i, a in enumerate(args_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results, failures


def test_concurrent_callers_share_one_refresh_and_never_spend_a_token_twice() -> None:
    server, flights = SingleUseTokenServer(), SingleFlightRefresh()
    stale = [CrmCredentials("expired", "r1") for _ in range(THREADS)]
    results, failures = _run_together(
        flights.refresh, [("https://crm.example/token|client", c, server.refresh) for c in stale]
    )
    assert failures == []
    assert server.spent == ["r1"]
    assert {(r.access_token, r.refresh_token) for r in results} == {("access-1", "r2")}


def test_a_late_caller_with_the_old_token_reuses_the_result_within_the_window() -> None:
    now = [100.0]
    server, flights = SingleUseTokenServer(delay=0), SingleFlightRefresh(30, lambda: now[0])
    first = flights.refresh("scope", CrmCredentials("expired", "r1"), server.refresh)
    now[0] += 29
    again = flights.refresh("scope", CrmCredentials("expired", "r1"), server.refresh)
    assert again is first and server.spent == ["r1"]
    now[0] += 2  # past the window: the caller must have reloaded the persisted credentials
    with pytest.raises(CrmAuthError, match="already used"):
        flights.refresh("scope", CrmCredentials("expired", "r1"), server.refresh)


def test_refused_fresh_credentials_are_refreshed_again() -> None:
    server, flights = SingleUseTokenServer(delay=0), SingleFlightRefresh()
    first = flights.refresh("scope", CrmCredentials("expired", "r1"), server.refresh)
    # Holding the refreshed token and still refused (revoked at the CRM): a real refresh.
    second = flights.refresh("scope", first, server.refresh)
    assert server.spent == ["r1", "r2"] and second.access_token == "access-2"


def test_different_connections_refresh_in_parallel() -> None:
    both_inside = threading.Barrier(2, timeout=5)

    def refresh(stale: CrmCredentials) -> CrmCredentials:
        both_inside.wait()  # times out (BrokenBarrierError) if the refreshes were serialised
        return CrmCredentials(f"new-{stale.refresh_token}", stale.refresh_token)

    flights = SingleFlightRefresh()
    results, failures = _run_together(
        flights.refresh,
        [
            ("scope", CrmCredentials("x", "r1"), refresh),
            ("scope", CrmCredentials("x", "r9"), refresh),
        ],
    )
    assert failures == []
    assert sorted(r.access_token for r in results) == ["new-r1", "new-r9"]


def test_waiting_callers_get_the_failure_and_the_next_caller_tries_again() -> None:
    calls: list[str] = []

    def failing(stale: CrmCredentials) -> CrmCredentials:
        calls.append("call")
        time.sleep(0.05)
        raise CrmRetryableError("token endpoint: HTTP 503", retry_after=7)

    flights = SingleFlightRefresh()
    stale = [CrmCredentials("expired", "r1") for _ in range(THREADS)]
    _, failures = _run_together(flights.refresh, [("scope", c, failing) for c in stale])
    assert len(calls) == 1
    assert len(failures) == THREADS
    assert all(isinstance(f, CrmRetryableError) and f.retry_after == 7 for f in failures)
    with pytest.raises(CrmRetryableError):
        flights.refresh("scope", CrmCredentials("expired", "r1"), failing)
    assert len(calls) == 2


def test_no_refresh_token_is_an_auth_error_without_a_call() -> None:
    def never(stale: CrmCredentials) -> CrmCredentials:
        raise AssertionError("no refresh without a refresh token")

    with pytest.raises(CrmAuthError, match="reconnect"):
        SingleFlightRefresh().refresh("scope", CrmCredentials("expired"), never)


def test_token_response_to_credentials() -> None:
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    previous = CrmCredentials("old", "keep-me", "https://eu.crm.example/", extra={"a": 1})
    token = {"access_token": "new", "expires_in": "3600", "id": "https://id", "scope": "api"}
    fresh = credentials_from_token(token, previous, keep=("id",), now=now)
    assert (fresh.access_token, fresh.refresh_token) == ("new", "keep-me")
    assert fresh.instance_url == "https://eu.crm.example"
    assert fresh.expires_at == now + dt.timedelta(hours=1)
    assert fresh.extra == {"a": 1, "id": "https://id"}
    assert credentials_from_token({"access_token": "t"}).expires_at is None
    with pytest.raises(CrmAuthError, match="no access_token"):
        credentials_from_token({"token_type": "Bearer"})
