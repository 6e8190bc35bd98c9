"""Secrets at rest: JSON sealed with Fernet under ``TOKEN_ENCRYPTION_KEY``.

The one place that holds the key: CRM credentials and telephony tokens are both sealed
here. A value that does not open (key rotated, row tampered with) reads as None, which
callers treat as "not connected" and ask the user to connect again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet() -> Fernet:
    return Fernet(current_app.config["TOKEN_ENCRYPTION_KEY"].encode())


def seal(payload: Mapping) -> str:
    """Return an opaque, authenticated ciphertext of ``payload`` (JSON-serialisable)."""
    return _fernet().encrypt(json.dumps(dict(payload)).encode()).decode()


def unseal(token: str | None) -> dict | None:
    """Return what ``seal`` sealed in ``token``; None when absent or unreadable."""
    if not token:
        return None
    try:
        data = json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        return None
    return data if isinstance(data, dict) else None
