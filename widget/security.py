"""Who is calling, CSRF on every state change, and the headers that make framing safe.

Identity comes from a signed widget token (``X-Sidetalk-Token`` header, or ``token`` in
the query string for the first page load and the websocket URL) or from the session
cookie. The iframe may have no cookies at all, so the token path is the primary one.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from flask import Flask, abort, current_app, g, request, session
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from widget import htmx_support
from widget.extensions import db

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_TOKEN_SALT = "sidetalk-widget-token"  # noqa: S105 (a salt, not a secret)
_ANON_CSRF_SALT = "sidetalk-anon-csrf"


@dataclass(frozen=True)
class Identity:
    extension_id: int
    csrf: str
    via_token: bool = False
    epoch: int = 0  # the extension's session_epoch at sign-in; sign-out makes it stale


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def issue_widget_token(identity: Identity) -> str:
    """Return a signed, short-lived token naming the extension, its CSRF secret and epoch."""
    return _serializer(_TOKEN_SALT).dumps(
        {"e": identity.extension_id, "c": identity.csrf, "v": identity.epoch}
    )


def read_widget_token(token: str) -> Identity | None:
    """Return the identity in ``token``, or None when it is forged or expired.

    Whether its sign-in generation is still valid is for ``current_extension`` to say,
    with the extension row it loads anyway.
    """
    try:
        data = _serializer(_TOKEN_SALT).loads(
            token, max_age=current_app.config["WIDGET_TOKEN_MAX_AGE"]
        )
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int):
        return None
    epoch = data.get("v", 0)
    if not isinstance(epoch, int):
        return None
    return Identity(
        extension_id=data["e"], csrf=str(data.get("c", "")), via_token=True, epoch=epoch
    )


def start_session(extension_id: int, epoch: int) -> Identity:
    """Sign ``extension_id`` in: a fresh CSRF secret, stored in the cookie session."""
    session.clear()
    csrf = secrets.token_urlsafe(24)
    session["extension_id"] = extension_id
    session["csrf"] = csrf
    session["epoch"] = epoch
    identity = Identity(extension_id=extension_id, csrf=csrf, epoch=epoch)
    g.identity = identity
    return identity


def end_session() -> None:
    session.clear()
    g.identity = None


def current_identity() -> Identity | None:
    return g.get("identity")


def anonymous_csrf_token() -> str:
    """A CSRF token for forms shown before sign-in (no session may exist in an iframe)."""
    return _serializer(_ANON_CSRF_SALT).dumps(secrets.token_urlsafe(16))


def csrf_token() -> str:
    identity = current_identity()
    return identity.csrf if identity else anonymous_csrf_token()


def widget_token() -> str | None:
    identity = current_identity()
    if identity is None:
        return None
    return issue_widget_token(identity)


def csrf_exempt(view):
    """Exempt a view that authenticates its callers another way (webhooks, JSON scripts)."""
    view.csrf_exempt = True
    return view


def _resolve_identity() -> Identity | None:
    token = htmx_support.sent_token()
    if token is None and request.method == "GET":
        token = request.args.get("token")
    if token:
        return read_widget_token(token)
    extension_id, epoch = session.get("extension_id"), session.get("epoch", 0)
    if isinstance(extension_id, int) and isinstance(epoch, int) and session.get("csrf"):
        return Identity(extension_id=extension_id, csrf=session["csrf"], epoch=epoch)
    return None


def _check_csrf(identity: Identity | None) -> None:
    sent = htmx_support.sent_csrf() or ""
    if identity is not None:
        if not hmac.compare_digest(sent.encode(), identity.csrf.encode()):
            abort(403, "The form has expired or did not come from Sidetalk. Reload and retry.")
        return
    try:
        _serializer(_ANON_CSRF_SALT).loads(sent, max_age=3600)
    except (BadSignature, SignatureExpired):
        abort(403, "The form has expired or did not come from Sidetalk. Reload and retry.")


def init_app(app: Flask) -> None:
    @app.before_request
    def _identify_and_protect():
        g.identity = _resolve_identity()
        # An app context can outlive a request (tests, CLI): never reuse its signed-in user.
        g.pop("extension", None)
        if request.method in UNSAFE_METHODS:
            view = app.view_functions.get(request.endpoint or "")
            if view is not None and not getattr(view, "csrf_exempt", False):
                if g.identity is None and htmx_support.sent_token():
                    # The widget token expired or is forged: signing in again is the fix,
                    # which a 401 says (a CSRF 403 would ask for a reload, in vain).
                    abort(401, "Sign in first: your session has expired.")
                _check_csrf(g.identity)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith(("/widget", "/auth/")):
            # Framed by CRM pages (signing in happens inside the frame too): only the
            # configured CRM origins may embed it.
            ancestors = app.config["FRAME_ANCESTORS"]
            if app.config.get("DEMO_MODE") or app.config.get("TESTING"):
                ancestors = f"'self' http://127.0.0.1:* http://localhost:* {ancestors}"
            frame = f"frame-ancestors {ancestors}"
        else:
            frame = "frame-ancestors 'none'"
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            "style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "connect-src 'self' ws: wss:; object-src 'self'; frame-src 'self'; "
            f"base-uri 'none'; form-action 'self'; {frame}",
        )
        identity = g.get("identity")
        if identity is not None and identity.via_token:
            headers[htmx_support.TOKEN_REFRESH_HEADER] = issue_widget_token(identity)
        return response

    @app.teardown_request
    def _rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()
