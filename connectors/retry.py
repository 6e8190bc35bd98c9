"""Retry policy for CRM calls: exponential backoff with full jitter.

Connectors never sleep-and-retry on their own; they raise ``CrmRetryableError`` (with the
CRM's ``Retry-After`` hint read by :func:`parse_retry_after`). Background
tasks reschedule with :func:`backoff_delay`, and short synchronous paths may use
:func:`call_with_retries`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import math
import random
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from connectors.errors import CrmRetryableError

log = logging.getLogger(__name__)

T = TypeVar("T")

# 2**60 seconds is far beyond any cap; clamping the exponent avoids float overflow.
_MAX_EXPONENT = 60


class _Uniform(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def backoff_delay(
    attempt: int,
    retry_after: float | None = None,
    base: float = 1.0,
    cap: float = 300.0,
    rng: _Uniform = random,
) -> float:
    """Return how many seconds to wait before retry number ``attempt`` (0-based).

    The delay is drawn uniformly from ``[0, min(cap, base * 2**attempt)]`` ("full jitter", so
    many clients hitting the same limit spread out), and is never less than the CRM's
    ``retry_after`` hint, even when that hint exceeds ``cap``.
    """
    exponent = min(max(attempt, 0), _MAX_EXPONENT)
    ceiling = min(cap, base * (2**exponent))
    delay = rng.uniform(0.0, ceiling)
    if retry_after is not None and retry_after > delay:
        delay = float(retry_after)
    return delay


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Return the seconds to wait from a ``Retry-After`` header (seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def call_with_retries(
    fn: Callable[[], T],
    *,
    attempts: int = 4,
    sleep: Callable[[float], None] = time.sleep,
    rng: _Uniform = random,
    base: float = 1.0,
    cap: float = 300.0,
) -> T:
    """Call ``fn`` up to ``attempts`` times, sleeping between ``CrmRetryableError``s.

    Returns ``fn()``'s result; re-raises the last ``CrmRetryableError`` when every attempt
    failed. Any other exception propagates immediately.
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    for attempt in range(attempts):
        try:
            return fn()
        except CrmRetryableError as exc:
            if attempt == attempts - 1:
                raise
            delay = backoff_delay(attempt, exc.retry_after, base=base, cap=cap, rng=rng)
            log.info("CRM call failed (%s); retry %d in %.2fs", exc.message, attempt + 1, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
