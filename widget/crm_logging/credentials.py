"""CRM credentials at rest, sealed by ``widget.sealing`` (Fernet, ``TOKEN_ENCRYPTION_KEY``).

Callers store and read the opaque token. A token that does not decrypt (key rotated, row
tampered with) reads as "no credentials", which the engine reports as "Reconnect your CRM".
"""

from __future__ import annotations

from datetime import datetime

from connectors.session import CrmCredentials
from widget.sealing import seal, unseal


def encrypt_credentials(credentials: CrmCredentials) -> str:
    """Return the Fernet token holding ``credentials``."""
    payload = {
        "access_token": credentials.access_token,
        "refresh_token": credentials.refresh_token,
        "instance_url": credentials.instance_url,
        "token_type": credentials.token_type,
        "expires_at": credentials.expires_at.isoformat() if credentials.expires_at else None,
        "api_key": credentials.api_key,
        "extra": credentials.extra,
    }
    return seal(payload)


def decrypt_credentials(token: str | None) -> CrmCredentials | None:
    """Return the credentials sealed in ``token``, or None when absent or unreadable."""
    data = unseal(token)
    if data is None:
        return None
    expires_at = data.get("expires_at")
    return CrmCredentials(
        access_token=data.get("access_token") or "",
        refresh_token=data.get("refresh_token"),
        instance_url=data.get("instance_url"),
        token_type=data.get("token_type") or "Bearer",
        expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        api_key=data.get("api_key"),
        extra=dict(data.get("extra") or {}),
    )
