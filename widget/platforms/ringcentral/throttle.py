"""Rate-limit blocks every process sees: Redis when ``REDIS_URL`` is set, else the database.

RingCentral counts requests per user and throttling group across all of Sidetalk's
processes, and calling during a 429 penalty restarts it. A block known to one process
only would let the web process and each worker spend the penalty again, so a block is
written where every process reads it before calling. Times are wall-clock seconds since
the epoch (monotonic clocks are per process).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from widget.extensions import db
from widget.models import PlatformRateBlock


class RateBlocks(Protocol):
    def blocked_until(self, user: str, group: str) -> float:
        """Epoch seconds before which ``group`` must not be called for ``user`` (0: never)."""

    def block(self, user: str, group: str, until: float) -> None:
        """Block ``group`` for ``user`` until ``until`` (replaces an earlier block)."""


class LocalBlocks:
    """One process's blocks: for a client used outside the application (tests, scripts)."""

    def __init__(self) -> None:
        self._until: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def blocked_until(self, user: str, group: str) -> float:
        with self._lock:
            return self._until.get((user, group), 0.0)

    def block(self, user: str, group: str, until: float) -> None:
        with self._lock:
            self._until[(user, group)] = until


class RedisBlocks:
    """Blocks as Redis keys that expire with the block itself."""

    def __init__(self, url: str, prefix: str = "sidetalk:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = f"{prefix}ringcentral:blocked:"

    def _key(self, user: str, group: str) -> str:
        return f"{self._prefix}{user}:{group}"

    def blocked_until(self, user: str, group: str) -> float:
        raw = self._redis.get(self._key(user, group))
        return float(raw) if raw is not None else 0.0

    def block(self, user: str, group: str, until: float) -> None:
        ttl_ms = max(1, int((until - time.time()) * 1000))
        self._redis.set(self._key(user, group), repr(until), px=ttl_ms)


class DatabaseBlocks:
    """Blocks as ``platform_rate_blocks`` rows, each read and written in a session of its own
    (never inside the caller's transaction, which may be open around a platform call)."""

    def blocked_until(self, user: str, group: str) -> float:
        with Session(db.engine) as session:
            until = session.scalar(
                select(PlatformRateBlock.blocked_until).where(
                    PlatformRateBlock.user_key == user, PlatformRateBlock.throttle_group == group
                )
            )
        return until or 0.0

    def block(self, user: str, group: str, until: float) -> None:
        for _ in range(2):  # a concurrent first insert wins the race: update it then
            with Session(db.engine) as session:
                changed = session.execute(
                    update(PlatformRateBlock)
                    .where(
                        PlatformRateBlock.user_key == user,
                        PlatformRateBlock.throttle_group == group,
                    )
                    .values(blocked_until=until)
                ).rowcount
                if not changed:
                    session.add(
                        PlatformRateBlock(user_key=user, throttle_group=group, blocked_until=until)
                    )
                try:
                    session.commit()
                    return
                except IntegrityError:
                    session.rollback()


def shared_blocks(redis_url: str | None, prefix: str = "sidetalk:") -> RateBlocks:
    return RedisBlocks(redis_url, prefix) if redis_url else DatabaseBlocks()
