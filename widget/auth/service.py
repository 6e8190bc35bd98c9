"""The signed-in extension, and the guard that views use to require one."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from flask import g, redirect, request, url_for
from sqlalchemy import update
from werkzeug.exceptions import Unauthorized

from widget import htmx_support, security
from widget.errors import wants_json
from widget.extensions import db
from widget.models import Extension
from widget.platforms import get_platform
from widget.platforms.base import SignInStart


def current_extension() -> Extension | None:
    """Return the extension the request acts for, or None when nobody is signed in."""
    if "extension" not in g:
        identity = security.current_identity()
        extension = db.session.get(Extension, identity.extension_id) if identity else None
        if extension is not None and extension.session_epoch != identity.epoch:
            extension = None  # signed out since this token or cookie was issued
        g.extension = extension
    return g.extension


def login_required(view):
    """Run ``view`` with the signed-in extension; otherwise send the caller to sign in."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        extension = current_extension()
        if extension is None:
            if wants_json() or request.method != "GET":
                raise Unauthorized("Sign in first: your session has expired.")
            if htmx_support.is_htmx_request():
                # Back to the page after signing in, never to the fragment it asked for.
                page = htmx_support.current_page() or url_for("inbox.index")
                target = url_for("auth.signin", next=page)
                response = htmx_support.make_fragment_response("", 401)
                return htmx_support.redirect(response, target)
            return redirect(url_for("auth.signin", next=request.full_path))
        return view(extension, *args, **kwargs)

    return wrapper


def start_sign_in(callback_url: str) -> SignInStart:
    """Return how the platform's sign-in begins (a page to visit, or people to choose)."""
    return get_platform().start_sign_in(callback_url)


def oauth_button(platform_name: str | None = None) -> str | None:
    """Return the platform's sign-in button label when it signs in through OAuth (and, if
    ``platform_name`` is given, is that platform); None for a chooser platform."""
    platform = get_platform()
    if platform_name is not None and platform_name != platform.name:
        return None
    return platform.sign_in_button


def sign_in(params: Mapping[str, str]) -> tuple[Extension, str]:
    """Finish the platform's sign-in with ``params``; return the extension and a widget
    token for cookie-less frames."""
    extension = get_platform().finish_sign_in(params)
    identity = security.start_session(extension.id, extension.session_epoch)
    g.extension = extension
    return extension, security.issue_widget_token(identity)


def sign_out() -> None:
    """End this session and revoke every session and widget token of its user.

    Tokens are signed, not stored, so one cannot be recalled alone: bumping the
    extension's ``session_epoch`` makes all of them stale at once, in every browser.
    """
    extension = current_extension()
    if extension is not None:
        get_platform().sign_out(extension)  # revoke the platform's tokens first
        db.session.execute(
            update(Extension)
            .where(Extension.id == extension.id)
            .values(session_epoch=Extension.session_epoch + 1)
        )
        db.session.commit()
    security.end_session()
