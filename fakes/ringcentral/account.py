"""What the fake's parts (OAuth, REST, subscriptions, templates, threads, sending) read of
the account they serve: a protocol, so that they need not import ``server.py``, which
builds them (no import cycle, not even a type-only one)."""

from __future__ import annotations

import threading
from typing import Any, Protocol

from .mailbox import Mailbox


class StoreNotifier(Protocol):
    def notify_instant(self, record: dict) -> None: ...

    def notify_store(self, record: dict, new: bool) -> None: ...


class FakeAccount(Protocol):
    """One RingCentral account with its signed-in user (``FakeRingCentral``)."""

    lock: threading.RLock
    client_id: str
    client_secret: str | None
    redirect_uris: list[str] | None
    access_token_ttl: int
    account_id: str
    extension_id: str
    extension_number: str
    user_name: tuple[str, str]
    email: str
    company: str
    timezone: str
    is_admin: bool
    main_number: str
    numbers: list[dict[str, Any]]
    directory: list[dict[str, Any]]
    address_book: list[dict[str, Any]]
    mailbox: Mailbox

    @property
    def url(self) -> str: ...

    @property
    def subscriptions(self) -> StoreNotifier: ...
