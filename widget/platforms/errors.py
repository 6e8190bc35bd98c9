"""What a platform raises: a refusal (do not retry as is) or a retryable failure."""

from __future__ import annotations


class PlatformRefused(Exception):
    """The platform would not accept a request; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PlatformRetryable(Exception):
    """The platform could not take a request now; the same request may work later.

    ``retry_after`` is how many seconds the platform asked the caller to wait (None when
    it said nothing, and the caller picks its own backoff).
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class PlatformRateLimited(PlatformRetryable):
    """HTTP 429: a throttling group's budget is spent until ``Retry-After`` seconds pass."""


class PlatformUnavailable(PlatformRetryable):
    """HTTP 502/503/504 or no answer at all: the platform is down or overloaded."""
