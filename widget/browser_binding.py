"""Tie a sign-in flow to the browser that started it: an OAuth ``state`` alone is not
enough, since whoever holds the authorization link could finish someone else's flow
(a connection started by Bob, completed in Alice's browser, stored Alice's CRM tokens
on Bob's extension).

Starting a flow puts a random secret in a cookie of the window running it (the sign-in
popup: a top-level window, so the cookie is first-party even when the widget's iframe
has none) and mixes the secret into the stored hash of ``state``. The callback finds
its flow only with both the ``state`` and that browser's cookie. The cookie is
``SameSite=Lax`` (the provider's redirect back is a cross-site top-level GET), only sent
to the callback's path, and lives as long as the flow.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Response, request

COOKIE_NAME = "sidetalk_flow"


def new_secret() -> str:
    """Return a fresh secret for one flow (set it with ``remember``)."""
    return secrets.token_urlsafe(32)


def remember(response: Response, secret: str, callback_path: str, lifetime: timedelta) -> None:
    """Give the browser ``secret`` for the flow whose callback is ``callback_path``."""
    response.set_cookie(
        COOKIE_NAME,
        secret,
        max_age=int(lifetime.total_seconds()),
        path=callback_path,
        secure=True,
        httponly=True,
        samesite="Lax",
    )


def forget(response: Response, callback_path: str) -> None:
    """Drop the flow's cookie (the callback used it, or refused it)."""
    response.delete_cookie(COOKIE_NAME, path=callback_path, secure=True, httponly=True)


def sent_secret() -> str:
    """Return the secret this browser brought to the callback ('' when none)."""
    return request.cookies.get(COOKIE_NAME, "")


def flow_hash(state: str, secret: str) -> str:
    """Return what is stored for a flow: neither the state nor the secret alone finds it."""
    return hashlib.sha256(f"{state}\x00{secret}".encode()).hexdigest()
