"""The fake's OAuth server: authorization code with PKCE, single-use refresh tokens, revoke."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from .account import FakeAccount
from .http import json_response, oauth_error

SCOPE = (
    "ReadAccounts ReadMessages EditMessages SMS InternalMessages Faxes ReadContacts "
    "SubscriptionWebhook"
)


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str | None
    used: bool = False


@dataclass
class _Grant:
    access_token: str
    refresh_token: str
    access_expires: float
    refresh_expires: float
    revoked: bool = False


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OAuthServer:
    def __init__(self, fake: FakeAccount) -> None:
        self.fake = fake
        self.codes: dict[str, _Code] = {}
        self.by_access: dict[str, _Grant] = {}
        self.by_refresh: dict[str, _Grant] = {}
        self.used_refresh_tokens: set[str] = set()
        self.refresh_count = 0
        self.revoked_tokens: list[str] = []

    # -- authorize: the user is taken as signed in and consenting ------------------------------

    def authorize(self, request: Request) -> Response:
        args = request.args
        fake = self.fake
        if args.get("response_type") != "code":
            return oauth_error("unsupported_response_type", "OAU-250", "response_type must be code")
        if args.get("client_id") != fake.client_id:
            return oauth_error("invalid_client", "OAU-153", "Invalid client_id")
        redirect_uri = args.get("redirect_uri", "")
        if fake.redirect_uris is not None and redirect_uri not in fake.redirect_uris:
            return oauth_error("invalid_request", "OAU-109", "Invalid redirect_uri")
        challenge = args.get("code_challenge")
        method = args.get("code_challenge_method")
        if fake.client_secret is None and not challenge:
            # A public client without a secret must prove possession through PKCE.
            return oauth_error("invalid_request", "OAU-101", "code_challenge is required")
        if challenge and method != "S256":
            return oauth_error("invalid_request", "OAU-101", "code_challenge_method must be S256")
        code = "U0pDMDFQMDFQQVMwMnxBQUFfb" + secrets.token_urlsafe(24)
        with fake.lock:
            self.codes[code] = _Code(fake.client_id, redirect_uri, challenge, method)
        query = {"code": code}
        if "state" in args:
            query["state"] = args["state"]
        return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(query)}"})

    # -- token ---------------------------------------------------------------------------------

    def _client_ok(self, request: Request) -> bool:
        fake = self.fake
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode()
            except ValueError:
                return False
            client_id, _, secret = decoded.partition(":")
            if fake.client_secret is None:
                return client_id == fake.client_id
            return client_id == fake.client_id and secret == fake.client_secret
        if fake.client_secret is not None:
            return False  # a confidential client must authenticate with its secret
        return request.form.get("client_id") == fake.client_id

    def issue(self) -> dict:
        """Return a new token pair (the shape of ``token-response-authcode-pkce.json``)."""
        fake = self.fake
        now = time.time()
        grant = _Grant(
            access_token="U1BCMDFUMDRKV1MwMXxz" + secrets.token_urlsafe(32),
            refresh_token="U1BCMDFUMDRKV1MwMXxzR" + secrets.token_urlsafe(32),
            access_expires=now + fake.access_token_ttl,
            refresh_expires=now + 604799,
        )
        with fake.lock:
            self.by_access[grant.access_token] = grant
            self.by_refresh[grant.refresh_token] = grant
        return {
            "access_token": grant.access_token,
            "token_type": "bearer",
            "expires_in": fake.access_token_ttl,
            "refresh_token": grant.refresh_token,
            "refresh_token_expires_in": 604799,
            "scope": SCOPE,
            "owner_id": fake.extension_id,
            "endpoint_id": "zsEnDpOiNt",
        }

    def token(self, request: Request) -> Response:
        if not self._client_ok(request):
            return oauth_error("invalid_client", "OAU-123", "Invalid client credentials", 401)
        grant_type = request.form.get("grant_type")
        if grant_type == "authorization_code":
            return self._code_grant(request)
        if grant_type == "refresh_token":
            return self._refresh_grant(request)
        return oauth_error("unsupported_grant_type", "OAU-250", "Unsupported grant type")

    def _code_grant(self, request: Request) -> Response:
        form = request.form
        with self.fake.lock:
            code = self.codes.get(form.get("code", ""))
            if code is None or code.used:
                return oauth_error("invalid_grant", "OAU-140", "Invalid or used authorization code")
            code.used = True
        if form.get("redirect_uri") != code.redirect_uri:
            return oauth_error("invalid_grant", "OAU-109", "redirect_uri does not match")
        if code.challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                return oauth_error("invalid_grant", "OAU-101", "code_verifier is required")
            if s256(verifier) != code.challenge:
                return oauth_error("invalid_grant", "OAU-105", "Invalid code_verifier")
        return json_response(self.issue())

    def _refresh_grant(self, request: Request) -> Response:
        token = request.form.get("refresh_token", "")
        with self.fake.lock:
            grant = self.by_refresh.get(token)
            if grant is None or grant.revoked or grant.refresh_expires < time.time():
                return oauth_error("invalid_grant", "OAU-210", "Token is revoked or expired")
            # Single use: the old pair dies the moment a new one is issued.
            grant.revoked = True
            self.by_refresh.pop(token, None)
            self.by_access.pop(grant.access_token, None)
            self.used_refresh_tokens.add(token)
            self.refresh_count += 1
        return json_response(self.issue())

    def revoke(self, request: Request) -> Response:
        token = request.form.get("token", "")
        if not self._client_ok(request):
            return oauth_error("invalid_client", "OAU-123", "Invalid client credentials", 401)
        with self.fake.lock:
            grant = self.by_access.get(token) or self.by_refresh.get(token)
            if grant is not None:
                grant.revoked = True
                self.by_access.pop(grant.access_token, None)
                self.by_refresh.pop(grant.refresh_token, None)
            self.revoked_tokens.append(token)
        return Response(status=200)

    # -- helpers for tests -----------------------------------------------------------------------

    def check_access(self, request: Request) -> str | None:
        """Return None when the bearer token is good, else the 401 reason."""
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return "Authorization header is not specified"
        grant = self.by_access.get(header[7:].strip())
        if grant is None or grant.revoked:
            return "Token not found"
        if grant.access_expires < time.time():
            return "Token expired"
        return None

    def revoke_all(self) -> None:
        with self.fake.lock:
            for grant in list(self.by_access.values()) + list(self.by_refresh.values()):
                grant.revoked = True
            self.by_access.clear()
            self.by_refresh.clear()

    def expire_access_tokens(self) -> None:
        with self.fake.lock:
            for grant in self.by_access.values():
                grant.access_expires = 0
