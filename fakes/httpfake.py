"""The machinery every CRM fake shares: a real HTTP server in a thread, call accounting,
fault injection, and an OAuth token store.

A fake subclasses :class:`FakeCrmServer`, lists its routes (werkzeug ``Rule``s whose
endpoint names a method ``on_<endpoint>``) and answers with the CRM's real payload shapes.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from fakes.served import Fault, ServedFake


def conformance(vendor: str, name: str) -> Any:
    """Return a fresh copy of payload ``name`` from ``shared/conformance/<vendor>/``
    (``$SIDETALK_CONFORMANCE_DIR`` overrides where the conformance folder is)."""
    base = os.environ.get("SIDETALK_CONFORMANCE_DIR")
    root = Path(base) if base else Path(__file__).resolve().parents[2] / "shared" / "conformance"
    return json.loads((root / vendor / name).read_text(encoding="utf-8"))


@dataclass
class TokenStore:
    """Access and refresh tokens the fake issued; what is expired or revoked."""

    lifetime: int
    access: dict[str, float] = field(default_factory=dict)  # token -> expiry (monotonic)
    refresh: set[str] = field(default_factory=set)
    refreshes: int = 0

    def issue(self, refresh_token: str | None = None) -> tuple[str, str]:
        """Return a new (access token, refresh token); a given refresh token is kept."""
        access = "at-" + secrets.token_urlsafe(24)
        self.access[access] = time.monotonic() + self.lifetime
        refresh = refresh_token or "rt-" + secrets.token_urlsafe(24)
        self.refresh.add(refresh)
        return access, refresh

    def valid(self, token: str | None) -> bool:
        """Return whether ``token`` is a live access token."""
        return bool(token) and self.access.get(str(token), 0) > time.monotonic()

    def expire(self) -> None:
        """Expire every access token (the next data call answers 401)."""
        for token in self.access:
            self.access[token] = 0.0

    def revoke_refresh(self) -> None:
        """Revoke every refresh token (the next refresh is refused)."""
        self.refresh.clear()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Return ``body`` as a JSON response."""
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


class FakeCrmServer(ServedFake):
    """Base of the CRM fakes (see the module docstring)."""

    name = "fake-crm"
    token_lifetime = 1800

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.tokens = TokenStore(self.token_lifetime)
        self.codes: dict[str, str] = {}  # authorization code -> redirect_uri
        self._routes = Map(self.routes(), strict_slashes=False)

    # -- to provide -------------------------------------------------------------------------

    @abstractmethod
    def routes(self) -> list[Rule]:
        """Return the fake's URL rules; endpoint ``x`` is served by ``on_x(request, **args)``."""

    def unauthorized(self) -> Response:
        """Return the CRM's answer to a missing or expired access token."""
        return json_response({"message": "Authentication credentials not found."}, 401)

    def not_found(self) -> Response:
        """Return the CRM's answer to an unknown path."""
        return json_response({"message": "Not found"}, 404)

    def fault_body(self, status: int) -> Any:
        """Return the CRM's body for an injected ``status`` without a given body."""
        return {"message": f"HTTP {status}"}

    public_endpoints: frozenset[str] = frozenset({"authorize", "token"})

    def issue_tokens(self) -> dict[str, Any]:
        """Return a token response as after a completed sign-in (no browser step)."""
        with self.lock:
            access, refresh = self.tokens.issue()
        return self.token_response(access, refresh)

    def token_response(self, access: str, refresh: str) -> dict[str, Any]:
        """Return the CRM's token response for these tokens."""
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": self.token_lifetime,
        }

    def expire_access_tokens(self) -> None:
        """Expire every access token."""
        with self.lock:
            self.tokens.expire()

    def revoke_refresh_tokens(self) -> None:
        """Revoke every refresh token."""
        with self.lock:
            self.tokens.revoke_refresh()

    @property
    def refresh_count(self) -> int:
        """Return how many refreshes the token endpoint granted."""
        return self.tokens.refreshes

    # -- OAuth endpoints (shared shape: RFC 6749 authorization code and refresh) -----------

    client_id = "sidetalk-test-client"
    client_secret = "sidetalk-test-secret"  # noqa: S105 - test-only client
    # "body": client id and secret as form fields; "basic": an HTTP Basic header.
    client_auth = "body"

    def on_authorize(self, request: Request) -> Response:
        """Consent at once: redirect to ``redirect_uri`` with a code and the ``state``."""
        from urllib.parse import urlencode

        redirect_uri = request.args.get("redirect_uri", "")
        if request.args.get("client_id") != self.client_id or not redirect_uri:
            return json_response({"error": "invalid_client"}, 400)
        code = "code-" + secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = redirect_uri
        query = urlencode({"code": code, "state": request.args.get("state", "")})
        separator = "&" if "?" in redirect_uri else "?"
        return Response(status=302, headers={"Location": f"{redirect_uri}{separator}{query}"})

    def _client_ok(self, request: Request) -> bool:
        if self.client_auth == "basic":
            auth = request.authorization
            return bool(auth) and (auth.username, auth.password) == (
                self.client_id,
                self.client_secret,
            )
        form = request.form
        return (form.get("client_id"), form.get("client_secret")) == (
            self.client_id,
            self.client_secret,
        )

    def token_error(self, description: str) -> Response:
        """Return the CRM's refusal of a token request."""
        return json_response({"error": "invalid_grant", "error_description": description}, 400)

    def on_token(self, request: Request) -> Response:
        """Exchange a code or a refresh token (form-encoded, client checked as the CRM does)."""
        if request.args:
            # Parameters belong in the body: a query string would put secrets in logs.
            return json_response({"error": "invalid_request"}, 400)
        if not self._client_ok(request):
            return json_response({"error": "invalid_client"}, 401)
        grant = request.form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                redirect_uri = self.codes.pop(request.form.get("code", ""), None)
                if redirect_uri is None or redirect_uri != request.form.get("redirect_uri"):
                    return self.token_error("authorization code is invalid or expired")
                access, refresh = self.tokens.issue()
            elif grant == "refresh_token":
                refresh_token = request.form.get("refresh_token", "")
                if refresh_token not in self.tokens.refresh:
                    return self.token_error("refresh token is invalid, expired or revoked")
                access, refresh = self.tokens.issue(refresh_token)
                self.tokens.refreshes += 1
            else:
                return json_response({"error": "unsupported_grant_type"}, 400)
        return json_response(self.token_response(access, refresh))

    # -- WSGI ---------------------------------------------------------------------------------

    @staticmethod
    def bearer(request: Request) -> str | None:
        """Return the bearer token of ``request``."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None

    def _dispatch(self, request: Request) -> Response:
        adapter = self._routes.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except (NotFound, MethodNotAllowed):
            return self.not_found()
        except HTTPException as exc:  # pragma: no cover - other routing outcomes
            return json_response({"message": str(exc)}, exc.code or 500)
        if endpoint not in self.public_endpoints:
            with self.lock:
                valid = self.tokens.valid(self.bearer(request))
            if not valid:
                return self.unauthorized()
        handler: Callable[..., Response] = getattr(self, f"on_{endpoint}")
        return handler(request, **args)

    def fault_response(self, fault: Fault) -> Response:
        body = fault.body if fault.body is not None else self.fault_body(fault.status)
        return json_response(body, fault.status, fault.headers)

    def crash_response(self, exc: Exception) -> Response:
        return json_response({"message": f"fake handler error: {exc!r}"}, 500)
