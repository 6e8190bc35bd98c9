"""Who is calling, CSRF on every state change, and the headers that make framing safe.

Identity comes from a signed widget token (the ``X-Sidetalk-Token`` header, or the
websocket's ``Sec-WebSocket-Protocol`` offer) or from the session cookie. The iframe may
have no cookies at all, so the token path is the primary one. A token is never read from
a URL: URLs reach access logs and history, and a link could carry someone else's token
(see ``widget/auth/handoff.py`` for how a page gets its token instead).
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request, session
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from widget import htmx_support
from widget.extensions import db

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_TOKEN_SALT = "sidetalk-widget-token"  # noqa: S105 (a salt, not a secret)
_ANON_CSRF_SALT = "sidetalk-anon-csrf"
# The WSGI environ key of a page rendered for a sign-in or hand-over POST (auth/handoff).
HANDED_OVER = "sidetalk.handed_over"


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


def origin_allowed(origin: str | None) -> bool:
    """Return whether a page of ``origin`` may use the signed-in browser's credentials.

    Allowed: Sidetalk's own origin (the request's host, or ``PUBLIC_URL`` behind a proxy)
    and the configured frame ancestors (``https://*.force.com`` style wildcards). No
    ``Origin`` at all is allowed: browsers always send one on a websocket handshake, so
    its absence means a script, which could send any origin it liked anyway.
    """
    if origin is None:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return False
    if is_own_origin(origin):
        return True
    return any(re.fullmatch(pattern, origin) for pattern in _ancestor_patterns())


def is_own_origin(origin: str) -> bool:
    """Return whether ``origin`` is Sidetalk's own (this host, or ``PUBLIC_URL``)."""
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"}:
        return False
    return parts.netloc == request.host or origin == _origin_of(current_app.config["PUBLIC_URL"])


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def frame_ancestors(config) -> list[str]:
    """Return the CSP sources that may frame the widget: the configured CRM origins, and
    this machine's own pages in demo and test mode (the demo's CRM stand-in)."""
    sources = config["FRAME_ANCESTORS"].split()
    if config.get("DEMO_MODE") or config.get("TESTING"):
        sources = ["'self'", "http://127.0.0.1:*", "http://localhost:*", *sources]
    return sources


def _ancestor_patterns() -> tuple[str, ...]:
    """Return the frame ancestors (CSP source expressions) as origin regexes."""
    return _origin_patterns(tuple(frame_ancestors(current_app.config)))


@functools.lru_cache(maxsize=8)
def _origin_patterns(sources: tuple[str, ...]) -> tuple[str, ...]:
    # Built once per configuration: every websocket handshake asks.
    patterns = []
    for source in sources:
        if "://" not in source:
            continue  # keywords ('self', 'none') and bare hosts
        pattern = re.escape(source.rstrip("/"))
        pattern = pattern.replace(r"://\*\.", r"://(?:[a-z0-9-]+\.)+").replace(r":\*", r":[0-9]+")
        patterns.append(pattern)
    return tuple(patterns)


_NO_TOKEN_REFRESH = "_sidetalk_no_token_refresh"  # noqa: S105 (an attribute name)


def skip_token_refresh(response):
    """Mark ``response`` as cacheable content: it carries no fresh widget token."""
    setattr(response, _NO_TOKEN_REFRESH, True)
    return response


def accepts_posted_token(view):
    """Let a form POST from Sidetalk's own origin carry the widget token in its body.

    A window the widget opens (a new tab, the CRM sign-in popup) is top-level: it cannot
    see the iframe's cookies and a form cannot send headers, so the token rides in the
    body, never in a URL. A post from any other origin is not believed (login CSRF).
    """
    view.accepts_posted_token = True
    return view


def _posted_token(view) -> str | None:
    if request.method != "POST" or not getattr(view, "accepts_posted_token", False):
        return None
    origin = request.headers.get("Origin")
    if origin is None or not is_own_origin(origin):
        return None
    return request.form.get("token") or None


def _resolve_identity(view) -> Identity | None:
    token = htmx_support.sent_token() or _posted_token(view)
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
        view = app.view_functions.get(request.endpoint or "")
        g.identity = _resolve_identity(view)
        # An app context can outlive a request (tests, CLI): never reuse its signed-in user.
        g.pop("extension", None)
        exempt = view is None or getattr(view, "csrf_exempt", False)
        if request.method in UNSAFE_METHODS and not exempt:
            if g.identity is None and (htmx_support.sent_token() or _posted_token(view)):
                # The widget token expired or is forged: signing in again is the fix,
                # which a 401 says (a CSRF 403 would ask for a reload, in vain).
                abort(401, "Sign in first: your session has expired.")
            _check_csrf(g.identity)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        scripts = "'self'"
        if request.path.startswith(("/widget", "/auth/")):
            # Framed by CRM pages (signing in happens inside the frame too): only the
            # configured CRM origins may embed it.
            ancestors = frame_ancestors(app.config)
            frame = f"frame-ancestors {' '.join(ancestors)}"
            if request.path.startswith("/widget"):
                # Salesforce's Open CTI library must come from the framing org itself
                # (opencti-bridge.js); never inline script, never eval.
                scripts = " ".join(dict.fromkeys(["'self'", *ancestors]))
        else:
            frame = "frame-ancestors 'none'"
            headers.setdefault("X-Frame-Options", "DENY")
        # connect-src: this host's own socket only (ws: wss: alone allowed any host);
        # object-src: no plugins (an inline PDF answer carries its own policy).
        host = request.host
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            f"style-src 'self' 'unsafe-inline'; script-src {scripts}; "
            f"connect-src 'self' ws://{host} wss://{host}; object-src 'none'; frame-src 'self'; "
            f"base-uri 'none'; form-action 'self'; {frame}",
        )
        identity = g.get("identity")
        if response.mimetype == "text/html" or identity is not None:
            # Private pages and fragments (names, messages, tokens in hx-headers) must not
            # be kept by any cache, shared or the browser's own back-forward store.
            headers.setdefault("Cache-Control", "no-store")
        if (
            identity is not None
            and identity.via_token
            and not getattr(response, _NO_TOKEN_REFRESH, False)
        ):
            headers[htmx_support.TOKEN_REFRESH_HEADER] = issue_widget_token(identity)
        return response

    @app.teardown_request
    def _rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()
