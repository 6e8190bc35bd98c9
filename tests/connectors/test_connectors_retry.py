"""backoff_delay and call_with_retries."""

from __future__ import annotations

import random

import pytest

from connectors.errors import CrmRetryableError, CrmValidationError
from connectors.retry import backoff_delay, call_with_retries


class _Max:
    """An rng that always returns the upper bound (worst case)."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_ceiling_grows_then_caps() -> None:
    ceilings = [backoff_delay(n, rng=_Max(), base=1.0, cap=300.0) for n in range(15)]
    assert ceilings[:4] == [1.0, 2.0, 4.0, 8.0]
    assert ceilings == sorted(ceilings)  # monotone
    assert max(ceilings) == 300.0
    assert backoff_delay(10_000, rng=_Max()) == 300.0  # no overflow on huge attempts


def test_full_jitter_stays_within_bounds() -> None:
    rng = random.Random(42)
    for attempt in range(10):
        delays = [backoff_delay(attempt, rng=rng) for _ in range(200)]
        ceiling = min(300.0, 2.0**attempt)
        assert all(0.0 <= d <= ceiling for d in delays)
        if attempt >= 3:
            assert len(set(delays)) > 150  # really jittered


def test_never_less_than_retry_after() -> None:
    rng = random.Random(7)
    assert all(backoff_delay(a, retry_after=5.0, rng=rng) >= 5.0 for a in range(12))
    assert backoff_delay(0, retry_after=900.0, rng=rng) == 900.0  # even above the cap


def test_call_with_retries_retries_then_succeeds() -> None:
    outcomes: list[object] = [CrmRetryableError("429", 2.0), CrmRetryableError("503"), "ok"]
    slept: list[float] = []

    def call() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return str(outcome)

    assert call_with_retries(call, sleep=slept.append, rng=random.Random(0)) == "ok"
    assert len(slept) == 2 and slept[0] >= 2.0


def test_call_with_retries_reraises_last() -> None:
    errors = [CrmRetryableError(f"fail {n}") for n in range(3)]
    slept: list[float] = []

    def call() -> None:
        raise errors.pop(0)

    with pytest.raises(CrmRetryableError, match="fail 2"):
        call_with_retries(call, attempts=3, sleep=slept.append)
    assert len(slept) == 2


def test_call_with_retries_does_not_retry_other_errors() -> None:
    calls: list[int] = []

    def call() -> None:
        calls.append(1)
        raise CrmValidationError("bad", ["Subject"], "STRING_TOO_LONG")

    with pytest.raises(CrmValidationError):
        call_with_retries(call, sleep=lambda s: None)
    assert calls == [1]
    with pytest.raises(ValueError):
        call_with_retries(lambda: None, attempts=0)
