"""Client-side rate limits: wait before a call rather than spend one on a 429.

``SlidingWindow`` lets at most ``max_calls`` calls per ``period`` seconds through for each
key (a CRM account), across the threads of this process; a caller over the limit sleeps
until the oldest call leaves the window. Other processes are not counted: the CRM's 429
(raised as ``CrmRetryableError`` with its wait) still covers them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most ``max_calls`` per ``period`` seconds per key (see the module docstring)."""

    def __init__(
        self,
        max_calls: int,
        period: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_calls = max_calls
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}

    def acquire(self, key: str) -> float:
        """Block until a call for ``key`` may go; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                calls = self._calls.setdefault(key, deque())
                while calls and now - calls[0] >= self.period:
                    calls.popleft()
                if len(calls) < self.max_calls:
                    calls.append(now)
                    return waited
                wait = self.period - (now - calls[0])
            self._sleep(wait)
            waited += wait
