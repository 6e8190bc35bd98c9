"""A user's RingCentral tokens: sealed at rest, refreshed once at a time across processes.

RingCentral refresh tokens are single-use. Two processes refreshing with the same one
would leave one of them holding a dead pair, so a refresh first takes a lease on the
user's ``platform_links`` row (an UPDATE only one process can win), then calls the
token endpoint outside any transaction, and stores the new pair before anything else.
A process that loses the lease waits for the ``token_version`` to move and uses the
new pair. Every read and write here runs in a short session of its own, so the
caller's transaction is never held open across an HTTP call.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from widget.extensions import db
from widget.models import PlatformLink
from widget.models.types import utcnow
from widget.platforms.base import PlatformRefused, PlatformUnavailable
from widget.platforms.ringcentral.client import OAuthRefused, RingCentralClient
from widget.sealing import seal, unseal

log = logging.getLogger(__name__)

EARLY = timedelta(seconds=60)  # refresh this long before the access token expires
LEASE = timedelta(seconds=30)
WAIT_STEP = 0.05


class ReconnectRequired(PlatformRefused):
    """The user's tokens are gone (revoked, expired, never given): sign in again."""

    def __init__(self) -> None:
        super().__init__("Reconnect RingCentral: your sign-in has expired or was revoked.")


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    version: int


def _sealed(response: dict) -> str:
    expires_in = int(response.get("expires_in") or 3600)
    return seal(
        {
            "access_token": response["access_token"],
            "refresh_token": response.get("refresh_token") or "",
            "expires_at": (utcnow() + timedelta(seconds=expires_in)).isoformat(),
        }
    )


def _read(session: Session, extension_id: int) -> tuple[PlatformLink | None, Tokens | None]:
    link = session.scalar(select(PlatformLink).where(PlatformLink.extension_id == extension_id))
    data = unseal(link.sealed_tokens) if link is not None else None
    if link is None or data is None or link.reconnect_required:
        return link, None
    tokens = Tokens(
        data["access_token"],
        data.get("refresh_token") or "",
        datetime.fromisoformat(data["expires_at"]),
        link.token_version,
    )
    return link, tokens


def store_new_tokens(extension_id: int, response: dict) -> None:
    """Keep the pair of a sign-in (or refresh) for ``extension_id``, sealed; commit it."""
    with Session(db.engine) as session:
        link = session.scalar(select(PlatformLink).where(PlatformLink.extension_id == extension_id))
        if link is None:
            link = PlatformLink(extension_id=extension_id, token_version=0)
            session.add(link)
        link.sealed_tokens = _sealed(response)
        link.token_version = (link.token_version or 0) + 1
        link.reconnect_required = False
        link.refresh_lease_until = None
        session.commit()


def current_tokens(extension_id: int) -> Tokens:
    """Return the user's tokens as stored; ``ReconnectRequired`` when there are none."""
    with Session(db.engine) as session:
        _, tokens = _read(session, extension_id)
    if tokens is None:
        raise ReconnectRequired()
    return tokens


def mark_reconnect_required(extension_id: int) -> None:
    with Session(db.engine) as session:
        session.execute(
            update(PlatformLink)
            .where(PlatformLink.extension_id == extension_id)
            .values(reconnect_required=True, refresh_lease_until=None)
        )
        session.commit()


def forget_tokens(extension_id: int) -> None:
    with Session(db.engine) as session:
        session.execute(
            update(PlatformLink)
            .where(PlatformLink.extension_id == extension_id)
            .values(sealed_tokens=None, reconnect_required=True, refresh_lease_until=None)
        )
        session.commit()


def _take_lease(extension_id: int, seen_version: int) -> bool:
    now = utcnow()
    with Session(db.engine) as session:
        won = session.execute(
            update(PlatformLink)
            .where(
                PlatformLink.extension_id == extension_id,
                PlatformLink.token_version == seen_version,
                or_(
                    PlatformLink.refresh_lease_until.is_(None),
                    PlatformLink.refresh_lease_until < now,
                ),
            )
            .values(refresh_lease_until=now + LEASE)
        ).rowcount
        session.commit()
    return won == 1


def _release_lease(extension_id: int) -> None:
    with Session(db.engine) as session:
        session.execute(
            update(PlatformLink)
            .where(PlatformLink.extension_id == extension_id)
            .values(refresh_lease_until=None)
        )
        session.commit()


def fresh_tokens(
    client: RingCentralClient, extension_id: int, stale: Tokens | None = None
) -> Tokens:
    """Return tokens good for a call: stored ones while they last, else refreshed once.

    ``stale``: tokens RingCentral just refused (401) although they looked valid.
    """
    deadline = time.monotonic() + LEASE.total_seconds()
    while True:
        tokens = current_tokens(extension_id)
        if stale is not None and tokens.version != stale.version:
            return tokens  # someone refreshed since the refused call
        if stale is None and tokens.expires_at - EARLY > utcnow():
            return tokens
        if _take_lease(extension_id, tokens.version):
            return _refresh(client, extension_id, tokens)
        if time.monotonic() > deadline:
            raise PlatformUnavailable("Another process is refreshing the RingCentral sign-in.")
        time.sleep(WAIT_STEP)  # another process holds the lease: wait for its new pair
        stale = tokens


def _refresh(client: RingCentralClient, extension_id: int, tokens: Tokens) -> Tokens:
    try:
        response = client.refresh(tokens.refresh_token, user=str(extension_id))
    except OAuthRefused:
        # The refresh token is spent or revoked: only a new sign-in brings the user back.
        mark_reconnect_required(extension_id)
        raise ReconnectRequired() from None
    except Exception:
        _release_lease(extension_id)
        raise
    store_new_tokens(extension_id, response)  # before anything else: the old pair is dead
    return current_tokens(extension_id)
