"""How many sockets one person may hold open in this process.

Each socket costs a thread and a broker subscription: without a cap one user (or one
stolen token) could open sockets until the server runs out of threads (40 were
accepted in review). A person with a few tabs and CRM windows stays far below it.
Per process: with several workers the cap is per worker, which still bounds each.
"""

from __future__ import annotations

import threading
from collections import Counter

DEFAULT_MAX_SOCKETS_PER_USER = 10


class SocketQuota:
    def __init__(self) -> None:
        self._open: Counter[int] = Counter()
        self._lock = threading.Lock()

    def acquire(self, extension_id: int, limit: int) -> bool:
        """Count one more socket of ``extension_id``; False (nothing counted) at ``limit``."""
        with self._lock:
            if self._open[extension_id] >= limit:
                return False
            self._open[extension_id] += 1
            return True

    def release(self, extension_id: int) -> None:
        with self._lock:
            self._open[extension_id] -= 1
            if self._open[extension_id] <= 0:
                del self._open[extension_id]

    def open_count(self, extension_id: int) -> int:
        with self._lock:
            return self._open[extension_id]
