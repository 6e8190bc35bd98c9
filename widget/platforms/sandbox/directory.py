"""Who a sandbox address is, remembered per process: the recipient lookup of every
inbound message without a ``SELECT`` or ORM loading when the answer is fresh.

Every ``POST /sandbox/inbound`` asks which demo extension the "to" number (and the
sender's number) belongs to, and whether the sender is an outside member of a pager
group. The answer changes only when numbers, extensions, accounts or pager groups do,
which is rare next to the message rate; loading the extension with its numbers and
account cost more CPU than any other statement of the request.

How it stays right, and why this way:

- A write to those tables **in this process** forgets everything at once: the session's
  flush (ORM unit of work) and its ORM ``UPDATE``/``DELETE`` statements are watched, and
  the cache is cleared again after that transaction commits, so a lookup running
  meanwhile in another thread cannot keep the old answer past the commit.
- A write **in another process** (another worker, a job, the CLI) cannot be seen here
  without asking the database. Asking it every time (a version counter row) would cost
  a round trip per message, about what the lookup saved; instead an entry lives at most
  ``TTL_SECONDS``. A number moved elsewhere may, for that long, still deliver to its
  previous extension in the other processes: the same window as a message already in
  flight while the number moves.
- Bounded: at most ``CAPACITY`` addresses (outside senders are remembered too, as "not
  ours"); when full, it starts over.

What is kept is column values, never session objects: each request gets its own
instances (``widget.models.loaded.attach``). The sign-in generation (``session_epoch``)
is left out, so it is always read from the database when something needs it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from widget.models import Account, Extension, PagerGroup, PagerGroupMember, PhoneNumber
from widget.models.loaded import attach, column_keys

TTL_SECONDS = 2.0
CAPACITY = 4096
_APP_KEY = "sandbox_directory"
_FORGET_AFTER_COMMIT = "sidetalk_sandbox_directory_changed"
WATCHED = (Account, Extension, PhoneNumber, PagerGroup, PagerGroupMember)
_EXTENSION_KEYS = tuple(k for k in column_keys(Extension) if k != "session_epoch")
_MISSING = object()


@dataclass(frozen=True)
class ExtensionValues:
    """An extension's columns with its account's and its numbers', as last read."""

    extension: dict
    account: dict
    phone_numbers: tuple[dict, ...]

    @classmethod
    def of(cls, extension: Extension) -> ExtensionValues:
        return cls(
            {k: getattr(extension, k) for k in _EXTENSION_KEYS},
            {k: getattr(extension.account, k) for k in column_keys(Account)},
            tuple(
                {k: getattr(n, k) for k in column_keys(PhoneNumber)}
                for n in extension.phone_numbers
            ),
        )

    def instance(self) -> Extension:
        """The session's extension for these values, with account and numbers loaded.

        An extension the session holds already is used as it is (it is at least as new).
        """
        extension = attach(Extension, self.extension, refresh=False)
        if "phone_numbers" not in extension.__dict__:
            numbers = [attach(PhoneNumber, n, refresh=False) for n in self.phone_numbers]
            set_committed_value(extension, "phone_numbers", numbers)
        if "account" not in extension.__dict__:
            set_committed_value(extension, "account", attach(Account, self.account, refresh=False))
        return extension


class AddressDirectory:
    """Answers by key (an address and what kind of question), each for ``ttl`` seconds."""

    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        self._entries: dict[tuple, tuple[float, object]] = {}
        self._lock = threading.Lock()
        self._cleared_at = float("-inf")

    def get(self, key: tuple) -> object:
        """The remembered answer, or ``MISSING`` when there is none or it is too old."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self.clock():
            return _MISSING
        return entry[1]

    def put(self, key: tuple, value: object, read_at: float) -> None:
        """Remember ``value``, read at ``read_at`` (the clock's time before the read): a
        clear since then means the value may predate a change, so it is not kept."""
        with self._lock:
            if read_at <= self._cleared_at:
                return
            if len(self._entries) >= self.capacity:
                self._entries.clear()
            self._entries[key] = (read_at + self.ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._cleared_at = self.clock()

    def __len__(self) -> int:
        return len(self._entries)


MISSING = _MISSING


def directory() -> AddressDirectory:
    """This application's directory (one per process and application)."""
    found = current_app.extensions.get(_APP_KEY)
    if found is None:
        found = current_app.extensions.setdefault(_APP_KEY, AddressDirectory())
    return found


def _clear() -> None:
    found = current_app.extensions.get(_APP_KEY) if has_app_context() else None
    if found is not None:
        found.clear()


def _forget(session: Session) -> None:
    """Forget now, and again once the change is committed (see the module's doc)."""
    _clear()
    session.info[_FORGET_AFTER_COMMIT] = True


def _touches_directory(session: Session) -> bool:
    return any(
        isinstance(instance, WATCHED)
        for group in (session.new, session.dirty, session.deleted)
        for instance in group
    )


@event.listens_for(Session, "before_flush")
def _on_flush(session: Session, _context, _instances) -> None:
    if _touches_directory(session):
        _forget(session)


@event.listens_for(Session, "do_orm_execute")
def _on_orm_statement(state) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ in WATCHED:
        _forget(state.session)


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    if session.info.pop(_FORGET_AFTER_COMMIT, False):
        _clear()


@event.listens_for(Session, "after_soft_rollback")
def _on_rollback(session: Session, _previous) -> None:
    session.info.pop(_FORGET_AFTER_COMMIT, None)
