"""RingCentral over HTTP: OAuth endpoints and REST calls, errors turned into platform errors.

No state and no database here: ``tokens`` decides which access token a call carries.
Throttling groups are RingCentral's documented ones; a 429 blocks its group for this
user until ``Retry-After`` passes, and calls in the meantime fail fast without reaching
RingCentral (calling during the penalty would restart it). Blocks live in ``blocks``
(``throttle.py``): shared by every process when the application builds the client.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from widget.platforms.base import PlatformRateLimited, PlatformRefused, PlatformUnavailable
from widget.platforms.ringcentral.throttle import LocalBlocks, RateBlocks

log = logging.getLogger(__name__)

API = "/restapi/v1.0"
MINE = f"{API}/account/~/extension/~"
# Whose rate-limit blocks a code exchange keeps: the user is known only after it.
SIGNING_IN = "signing-in"


class TokenRejected(PlatformRefused):
    """HTTP 401: the access token is expired, revoked or unknown."""


class OAuthRefused(PlatformRefused):
    """The token endpoint refused a grant (``invalid_grant``: code or refresh token spent)."""


class ApiRefused(PlatformRefused):
    """A 4xx with RingCentral's error body; ``code`` is its ``errorCode`` (e.g. CMN-101)."""

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


_GROUPS = (  # (method, path pattern, group): RingCentral's API reference, per endpoint
    ("POST", r"/fax$", "Heavy"),
    ("GET", r"/content/[^/]+$", "Heavy"),
    ("GET", r"/address-book/contact$", "Heavy"),
    ("POST", r"/(sms|mms|company-pager)$", "Medium"),
    ("GET", r"/directory/entries$", "Medium"),
    ("PUT", r"/message-store/", "Medium"),
    ("PATCH", r"/message-store/", "Medium"),
    ("DELETE", r"/message-store/", "Medium"),
    ("POST", r"/subscription", "Medium"),
    ("POST", r"/message-store-templates", "Medium"),
    ("PUT", r"/message-store-templates", "Medium"),
    ("DELETE", r"/message-store-templates", "Medium"),
)


def throttle_group(method: str, path: str) -> str:
    path = path.split("?", 1)[0]
    if path.startswith("/restapi/oauth/"):
        return "Auth"
    for group_method, pattern, group in _GROUPS:
        if method == group_method and re.search(pattern, path):
            return group
    return "Light"


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _error_of(response: requests.Response) -> tuple[str, str]:
    """Return (errorCode, message) from RingCentral's REST or OAuth error body."""
    try:
        body = response.json()
    except ValueError:
        return "", f"HTTP {response.status_code}"
    if not isinstance(body, Mapping):
        return "", f"HTTP {response.status_code}"
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    first = errors[0] if errors and isinstance(errors[0], Mapping) else {}
    code = str(body.get("errorCode") or first.get("errorCode") or body.get("error") or "")
    message = str(
        body.get("message") or first.get("message") or body.get("error_description") or code
    )
    return code, message


class RingCentralClient:
    """One RingCentral app (client id, optional secret) on one server."""

    def __init__(
        self,
        server_url: str,
        client_id: str,
        client_secret: str | None,
        timeout: float = 15,
        blocks: RateBlocks | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret or None
        self.timeout = timeout
        self.blocks = blocks or LocalBlocks()
        self.http = requests.Session()

    def _unanswered(self, exc: requests.RequestException) -> str:
        """Say in words why there is no answer (shown on a message that waits)."""
        if isinstance(exc, requests.Timeout):
            return f"RingCentral did not answer within {self.timeout:g} s."
        if isinstance(exc, requests.ConnectionError):
            return "RingCentral could not be reached (no connection)."
        return f"RingCentral's answer could not be read ({type(exc).__name__})."

    # -- OAuth ---------------------------------------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str, challenge: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.server_url}/restapi/oauth/authorize?{urlencode(query)}"

    def _token_request(self, path: str, form: dict[str, str], user: str) -> requests.Response:
        """POST to an OAuth endpoint, keeping ``user``'s Auth group blocks like any call."""
        self._wait_for(user, "Auth")
        auth = None
        if self.client_secret:
            auth = (self.client_id, self.client_secret)  # HTTP Basic: a confidential app
        else:
            form = {**form, "client_id": self.client_id}  # a public app: PKCE alone
        try:
            response = self.http.post(
                self.server_url + path, data=form, auth=auth, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise PlatformUnavailable(self._unanswered(exc)) from None
        self._note_limits(user, "Auth", response)
        if response.status_code >= 500:
            raise PlatformUnavailable(f"RingCentral answered {response.status_code}.")
        if response.status_code >= 400:
            code, message = _error_of(response)
            raise OAuthRefused(f"RingCentral refused the sign-in: {message} ({code}).")
        return response

    def exchange_code(self, code: str, redirect_uri: str, verifier: str) -> dict:
        """Exchange a sign-in's code. Nobody is known yet: every sign-in of this app shares
        one Auth budget (``SIGNING_IN``), blocked for every process by a 429."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        return self._token_request("/restapi/oauth/token", form, SIGNING_IN).json()

    def refresh(self, refresh_token: str, user: str) -> dict:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token_request("/restapi/oauth/token", form, user).json()

    def revoke(self, token: str, user: str) -> None:
        """Revoke ``user``'s token (their Auth group's blocks are kept)."""
        self._token_request("/restapi/oauth/revoke", {"token": token}, user)

    # -- throttling --------------------------------------------------------------------------

    def _wait_for(self, user: str, group: str) -> None:
        """Refuse at once while ``user``'s ``group`` is blocked (in any process)."""
        wait = self.blocks.blocked_until(user, group) - time.time()
        if wait > 0:
            raise PlatformRateLimited(
                f"Waiting for RingCentral's {group} rate limit ({round(wait)} s).", wait
            )

    def _note_limits(self, user: str, group: str, response: requests.Response) -> None:
        """Block the group on a 429 (then raise) or when its budget is spent."""
        if response.status_code == 429:
            retry_after = _retry_after(response) or 60.0
            self.blocks.block(user, group, time.time() + retry_after)
            raise PlatformRateLimited(
                f"RingCentral's {group} rate limit is spent; retrying in {round(retry_after)} s.",
                retry_after,
            )
        if response.headers.get("X-Rate-Limit-Remaining") == "0":
            window = float(response.headers.get("X-Rate-Limit-Window") or 60)
            self.blocks.block(user, group, time.time() + window)

    # -- REST ------------------------------------------------------------------------------------

    def call(
        self, user: str, access_token: str, method: str, path: str, **kwargs: Any
    ) -> requests.Response:
        """Make one REST call as ``user`` (their platform extension id); raise on errors."""
        group = throttle_group(method, path)
        self._wait_for(user, group)
        url = path if path.startswith("http") else self.server_url + path
        headers = {"Authorization": f"Bearer {access_token}", **kwargs.pop("headers", {})}
        try:
            response = self.http.request(
                method, url, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise PlatformUnavailable(self._unanswered(exc)) from None
        self._note_limits(user, group, response)
        if response.status_code == 401:
            raise TokenRejected("RingCentral refused the access token.")
        if response.status_code >= 500:
            raise PlatformUnavailable(f"RingCentral answered {response.status_code}.")
        if response.status_code >= 400:
            code, message = _error_of(response)
            raise ApiRefused(f"{message} ({code})" if code else message, code, response.status_code)
        return response
