"""The signed-in extension, and the guard that views use to require one."""

from __future__ import annotations

import functools

from flask import g, redirect, request, url_for
from sqlalchemy import select, update

from widget import htmx_support, security
from widget.errors import BadInput, wants_json
from widget.extensions import db
from widget.models import Account, Extension


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
                raise BadInput("Sign in first: your session has expired.", status=401)
            target = url_for("auth.signin", next=request.full_path)
            if htmx_support.is_htmx_request():
                response = htmx_support.make_fragment_response("", 401)
                return htmx_support.redirect(response, target)
            return redirect(target)
        return view(extension, *args, **kwargs)

    return wrapper


def extensions_for_signin(platform: str) -> list[Extension]:
    """Every extension that may sign in on this platform (the sandbox's demo users)."""
    return list(
        db.session.scalars(
            select(Extension)
            .join(Account)
            .where(Account.platform == platform)
            .order_by(Extension.extension_number)
        )
    )


def sign_in(extension_id: int, platform: str) -> tuple[Extension, str]:
    """Sign in as ``extension_id``; return it with a widget token for cookie-less frames."""
    extension = db.session.get(Extension, extension_id)
    if extension is None or extension.account.platform != platform:
        raise BadInput("Choose one of the listed extensions.", "extension_id", status=400)
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
        db.session.execute(
            update(Extension)
            .where(Extension.id == extension.id)
            .values(session_epoch=Extension.session_epoch + 1)
        )
        db.session.commit()
    security.end_session()
