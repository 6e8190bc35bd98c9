"""The fake's OAuth 2 server: authorize (auto-approved), token, revoke, identity URL.

Token responses have the real shape: ``instance_url``, ``id`` (identity URL),
``issued_at`` in epoch milliseconds as a string, ``signature`` = base64 HMAC-SHA256 of
``id + issued_at`` keyed by the client secret, no ``expires_in``; refresh responses carry a
new ``refresh_token`` only when rotation is on. Errors are ``{error, error_description}``
objects with HTTP 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from . import payloads
from .http import json_response

CODE_LIFETIME = 900.0  # Salesforce authorization codes are valid for 15 minutes


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str | None
    scope: str
    issued: float = field(default_factory=time.monotonic)


@dataclass
class TokenState:
    """Issued tokens. ``expired`` access tokens get 401 INVALID_SESSION_ID."""

    access: dict[str, bool] = field(default_factory=dict)  # token -> expired?
    refresh: dict[str, str] = field(default_factory=dict)  # refresh -> scope (live ones)
    access_by_refresh: dict[str, set[str]] = field(default_factory=dict)
    codes: dict[str, _Grant] = field(default_factory=dict)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """Return an OAuth error object response (the token endpoint's error shape)."""
    return json_response({"error": error, "error_description": description}, status)


class OAuthServer:
    """OAuth endpoints of the fake; ``fake`` supplies URLs, client settings and the lock."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.state = TokenState()
        self.lock = threading.RLock()

    # -- token minting ----------------------------------------------------------------------

    def _new_access_token(self) -> str:
        return f"{self.fake.org_id}!AQ{secrets.token_urlsafe(48)}"

    def token_response(
        self, scope: str, refresh_token: str | None, include_refresh: bool
    ) -> dict[str, Any]:
        """Mint an access token (tied to ``refresh_token``) and return the token response."""
        access = self._new_access_token()
        with self.lock:
            self.state.access[access] = False
            if refresh_token:
                self.state.access_by_refresh.setdefault(refresh_token, set()).add(access)
        identity = f"{self.fake.url}/id/{self.fake.org_id}/{self.fake.user_id}"
        issued_at = str(int(time.time() * 1000))
        digest = hmac.new(
            self.fake.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        )
        body: dict[str, Any] = {"access_token": access}
        if include_refresh and refresh_token:
            body["refresh_token"] = refresh_token
        body.update(
            signature=base64.b64encode(digest.digest()).decode(),
            scope=scope,
            instance_url=self.fake.instance_url,
            id=identity,
            token_type="Bearer",
            issued_at=issued_at,
        )
        return body

    def issue(self, scope: str = "api id refresh_token") -> dict[str, Any]:
        """Return a fresh token response with a refresh token (skipping the browser step)."""
        refresh = secrets.token_urlsafe(48)
        with self.lock:
            self.state.refresh[refresh] = scope
        return self.token_response(scope, refresh, include_refresh=True)

    def is_valid_access(self, token: str) -> bool:
        """Return True for a known, unexpired, unrevoked access token."""
        with self.lock:
            return self.state.access.get(token) is False

    def expire_access_tokens(self, token: str | None = None) -> None:
        """Expire one access token, or all of them (refresh tokens stay valid)."""
        with self.lock:
            for key in [token] if token else list(self.state.access):
                if key in self.state.access:
                    self.state.access[key] = True

    def revoke_refresh_tokens(self, token: str | None = None) -> None:
        """Revoke one refresh token (or all) and the access tokens issued from it."""
        with self.lock:
            for key in [token] if token else list(self.state.refresh):
                self.state.refresh.pop(key, None)
                for access in self.state.access_by_refresh.pop(key, set()):
                    self.state.access[access] = True

    # -- endpoints ------------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        """Auto-approve and redirect back with ``code`` and ``state`` (PKCE challenge kept)."""
        args = request.args
        if args.get("client_id") != self.fake.client_id:
            return Response(
                "error=invalid_client_id&error_description=client identifier invalid", 400
            )
        redirect_uri = args.get("redirect_uri", "")
        if self.fake.redirect_uris is not None and redirect_uri not in self.fake.redirect_uris:
            return Response(
                "error=redirect_uri_mismatch&error_description="
                "redirect_uri must match configuration",
                400,
            )
        params: dict[str, str] = {}
        challenge, method = args.get("code_challenge"), args.get("code_challenge_method") or None
        if args.get("response_type") != "code":
            params = {
                "error": "unsupported_response_type",
                "error_description": "response type not supported",
            }
        elif challenge and (method or "plain") not in ("S256", "plain"):
            params = {
                "error": "invalid_request",
                "error_description": "invalid code challenge method",
            }
        elif self.fake.require_pkce and not challenge:
            params = {
                "error": "invalid_request",
                "error_description": "missing required code challenge",
            }
        else:
            code = "aPrx" + secrets.token_urlsafe(32) + "=="
            with self.lock:
                self.state.codes[code] = _Grant(
                    self.fake.client_id,
                    redirect_uri,
                    challenge,
                    method,
                    args.get("scope") or "api id refresh_token",
                )
            params = {"code": code}
        if args.get("state") is not None:
            params["state"] = args["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return Response(
            status=302, headers={"Location": f"{redirect_uri}{separator}{urlencode(params)}"}
        )

    def _client_error(self, request: Request) -> Response | None:
        client_id = request.form.get("client_id")
        client_secret = request.form.get("client_secret")
        if request.authorization and request.authorization.type == "basic":
            client_id = request.authorization.username
            client_secret = request.authorization.password
        if client_id != self.fake.client_id:
            return oauth_error("invalid_client_id", "client identifier invalid")
        if client_secret is None and self.fake.require_secret:
            return oauth_error("invalid_client", "invalid client credentials")
        if client_secret is not None and client_secret != self.fake.client_secret:
            return oauth_error("invalid_client", "invalid client credentials")
        return None

    def token(self, request: Request) -> Response:
        """Handle ``authorization_code`` and ``refresh_token`` grants."""
        failure = self._client_error(request)
        if failure is not None:
            return failure
        grant_type = request.form.get("grant_type")
        if grant_type == "authorization_code":
            return self._code_grant(request)
        if grant_type == "refresh_token":
            return self._refresh_grant(request)
        return oauth_error("unsupported_grant_type", "grant type not supported")

    def _code_grant(self, request: Request) -> Response:
        code = request.form.get("code", "")
        with self.lock:
            grant = self.state.codes.pop(code, None)  # single use
        if grant is None or time.monotonic() - grant.issued > CODE_LIFETIME:
            return oauth_error("invalid_grant", "invalid authorization code")
        if request.form.get("redirect_uri") != grant.redirect_uri:
            return oauth_error("redirect_uri_mismatch", "redirect_uri must match configuration")
        if grant.challenge:
            verifier = request.form.get("code_verifier") or ""
            if grant.method == "S256":
                digest = hashlib.sha256(verifier.encode()).digest()
                computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            else:
                computed = verifier
            if not verifier or not hmac.compare_digest(computed, grant.challenge):
                return oauth_error("invalid_grant", "invalid code verifier")
        wants_refresh = "refresh_token" in grant.scope.split() or "full" in grant.scope.split()
        refresh = secrets.token_urlsafe(48) if wants_refresh else None
        if refresh:
            with self.lock:
                self.state.refresh[refresh] = grant.scope
        return json_response(self.token_response(grant.scope, refresh, include_refresh=True))

    def _refresh_grant(self, request: Request) -> Response:
        old = request.form.get("refresh_token", "")
        with self.lock:
            scope = self.state.refresh.get(old)
        if scope is None:
            return json_response(payloads.load("oauth-error-expired-refresh-token-400.json"), 400)
        if self.fake.rotate_refresh_tokens:
            new = secrets.token_urlsafe(48)
            with self.lock:
                self.state.refresh.pop(old, None)
                self.state.refresh[new] = scope
            return json_response(self.token_response(scope, new, include_refresh=True))
        return json_response(self.token_response(scope, old, include_refresh=False))

    def revoke(self, request: Request) -> Response:
        """Revoke a refresh token (and its access tokens) or a single access token."""
        token = request.values.get("token", "")
        with self.lock:
            if token in self.state.refresh:
                self.revoke_refresh_tokens(token)
                return Response(status=200)
            if token in self.state.access:
                self.state.access[token] = True
                return Response(status=200)
        return oauth_error("unsupported_token_type", "this token type is not supported")

    def identity(self, request: Request, org_id: str, user_id: str) -> Response:
        """Return the identity-URL document; 403 ``Bad_OAuth_Token`` for a bad token."""
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not self.is_valid_access(token):
            return Response("Bad_OAuth_Token", 403, content_type="text/plain")
        if (org_id, user_id) != (self.fake.org_id, self.fake.user_id):
            return Response("Bad_Id", 404, content_type="text/plain")
        body = payloads.load("identity-response.json")
        body.update(
            id=f"{self.fake.url}/id/{org_id}/{user_id}",
            user_id=user_id,
            organization_id=org_id,
            username=self.fake.user_email,
            display_name=self.fake.user_name,
            email=self.fake.user_email,
        )
        for key, value in list(body.get("urls", {}).items()):
            body["urls"][key] = value.replace(
                "https://MyDomainName.my.salesforce.com", self.fake.instance_url
            )
        return json_response(body)
