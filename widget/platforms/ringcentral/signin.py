"""Sign-in with RingCentral: authorization code with PKCE, bound to the browser that began it.

``begin`` keeps a random ``state`` and the PKCE verifier in this browser's session and
returns RingCentral's authorize URL; ``complete`` accepts a callback only with the same
state in the same browser's session (so a callback opened in another browser, or
forged, is refused), exchanges the code with the verifier and forgets both at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

from flask import current_app, session

from widget.errors import Forbidden, Invalid
from widget.platforms.ringcentral.client import RingCentralClient

SESSION_KEY = "ringcentral_oauth"
MAX_AGE_SECONDS = 600
CALLBACK_PATH = "/auth/ringcentral/callback"


def callback_url() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + CALLBACK_PATH


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def begin(client: RingCentralClient) -> str:
    """Return the authorize URL; remember state and verifier in this browser's session."""
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)  # 86 characters: within PKCE's 43..128
    session[SESSION_KEY] = {"state": state, "verifier": verifier, "at": int(time.time())}
    return client.authorize_url(callback_url(), state, _challenge(verifier))


def complete(client: RingCentralClient, params: Mapping[str, str]) -> dict:
    """Check the callback against this browser's session; return RingCentral's token response."""
    started = session.pop(SESSION_KEY, None)
    if params.get("error"):
        reason = params.get("error_description") or params["error"]
        raise Invalid(f"RingCentral did not sign you in: {reason[:200]}")
    state = params.get("state") or ""
    if (
        not isinstance(started, dict)
        or not hmac.compare_digest(str(started.get("state", "")), state)
        or time.time() - int(started.get("at", 0)) > MAX_AGE_SECONDS
    ):
        raise Forbidden(
            "This sign-in was not started in this browser, or it took too long. "
            "Start again with “Sign in with RingCentral”."
        )
    code = params.get("code") or ""
    if not code or len(code) > 2048:
        raise Invalid("RingCentral sent no authorization code.")
    return client.exchange_code(code, callback_url(), started["verifier"])
