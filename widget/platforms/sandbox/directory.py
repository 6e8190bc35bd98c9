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

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import bindparam, event, exists, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from widget.extensions import db
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


# --- the lookups delivery runs ------------------------------------------------------------

_ACCOUNT_KEYS = column_keys(Account)
_NUMBER_KEYS = column_keys(PhoneNumber)


@functools.cache
def _lookup_statement(by_extension_number: bool):
    """Every extension an address names, with its account's and all its numbers' columns
    (one row per number) and whether ``:sender`` is in a pager group: plain columns, no
    ORM loading. Built once per kind, executed with the addresses."""
    ext, acc, num = Extension.__table__, Account.__table__, PhoneNumber.__table__
    matched = num.alias("matched")
    address = ext.c.extension_number if by_extension_number else matched.c.e164
    in_a_group = exists().where(PagerGroupMember.address == bindparam("sender"))
    statement = select(
        address.label("address"),
        *(ext.c[k].label(f"e_{k}") for k in _EXTENSION_KEYS),
        *(acc.c[k].label(f"a_{k}") for k in _ACCOUNT_KEYS),
        *(num.c[k].label(f"n_{k}") for k in _NUMBER_KEYS),
        in_a_group.label("in_a_group"),
    ).select_from(ext.join(acc, acc.c.id == ext.c.account_id))
    if not by_extension_number:
        statement = statement.join(matched, matched.c.extension_id == ext.c.id)
    return (
        statement.outerjoin(num, num.c.extension_id == ext.c.id)
        .where(acc.c.platform == "sandbox", address.in_(bindparam("addresses", expanding=True)))
        .order_by(address, num.c.id)
    )


def _values_by_address(rows) -> dict[str, ExtensionValues]:
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(row.address, []).append(row._mapping)
    return {
        address: ExtensionValues(
            {k: found[0][f"e_{k}"] for k in _EXTENSION_KEYS},
            {k: found[0][f"a_{k}"] for k in _ACCOUNT_KEYS},
            tuple(
                {k: row[f"n_{k}"] for k in _NUMBER_KEYS} for row in found if row["n_id"] is not None
            ),
        )
        for address, found in grouped.items()
    }


def _lookup(addresses: list[str], by_extension_number: bool, sender: str = ""):
    """Ask the database; remember every answer. Returns (values by address, in a group)."""
    cache = directory()
    read_at = cache.clock()
    values = {"addresses": list(addresses), "sender": sender}
    rows = db.session.connection().execute(_lookup_statement(by_extension_number), values).all()
    found = _values_by_address(rows)
    kind = "extension" if by_extension_number else "number"
    for address in addresses:
        cache.put((kind, address), found.get(address), read_at)
    in_a_group = any(row.in_a_group for row in rows)
    if rows and sender:
        # Only a row carries the check: with none, neither number is ours (refused).
        cache.put(("in_a_group", sender), in_a_group, read_at)
    return found, in_a_group


def _known(kind: str, addresses: list[str]) -> dict[str, ExtensionValues] | None:
    """The directory's answer for every address (None when it lacks one)."""
    cache = directory()
    answers = [cache.get((kind, address)) for address in addresses]
    if any(answer is MISSING for answer in answers):
        return None
    return {a: v for a, v in zip(addresses, answers, strict=True) if v is not None}


def _instances(found: dict[str, ExtensionValues]) -> dict[str, Extension]:
    return {address: values.instance() for address, values in found.items()}


def extensions_by_address(addresses: list[str], by_extension_number: bool) -> dict[str, Extension]:
    """The demo extensions ``addresses`` name (extension numbers, or phone numbers), by
    address, with their numbers and account loaded (delivery needs both)."""
    kind = "extension" if by_extension_number else "number"
    found = _known(kind, addresses)
    if found is None:
        found, _ = _lookup(addresses, by_extension_number)
    return _instances(found)


def text_parties(to_address: str, sender: str) -> tuple[dict[str, Extension], bool]:
    """The demo extensions of a text's two numbers, and whether the sender is an outside
    member of any pager group (asked in the same statement, from the members' address
    index), so a plain text never pays for the carrier's group threading."""
    addresses = [to_address, sender]
    in_a_group = directory().get(("in_a_group", sender))
    found = _known("number", addresses) if in_a_group is not MISSING else None
    if found is None:
        found, in_a_group = _lookup(addresses, False, sender)
    return _instances(found), bool(in_a_group)


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
