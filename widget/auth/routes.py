"""Sign-in and sign-out views."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from widget import htmx_support
from widget.auth import bp
from widget.auth.service import extensions_for_signin, login_required, sign_in, sign_out
from widget.errors import BadInput


def _safe_next(value: str | None) -> str:
    """Only same-site paths: never redirect a signed-in user (and their token) elsewhere.

    Browsers drop tabs and newlines inside URLs, so "/<TAB>/evil.example" would become
    "//evil.example": any whitespace or control character refuses the value outright.
    """
    if not value or not value.isprintable() or any(ch.isspace() for ch in value):
        return url_for("inbox.index")
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return url_for("inbox.index")


@bp.get("/signin")
def signin():
    """Return the sign-in page (the sandbox lists its demo extensions)."""
    return render_template(
        "auth/signin.html",
        extensions=extensions_for_signin(current_app.config["PLATFORM"]),
        next=_safe_next(request.args.get("next")),
    )


@bp.post("/signin")
def signin_submit():
    """Sign in and redirect to the widget, carrying a token for cookie-less iframes."""
    raw = request.form.get("extension_id", "")
    if not raw.isdigit():
        raise BadInput("Choose one of the listed extensions.", "extension_id")
    _, token = sign_in(int(raw), current_app.config["PLATFORM"])
    target = _safe_next(request.form.get("next"))
    separator = "&" if "?" in target else "?"
    return redirect(f"{target}{separator}token={token}", code=303)


@bp.get("/keepalive")
@login_required
def keepalive(extension):
    """Return 204; the response carries a fresh widget token like every other one.

    An idle sidebar makes no requests, so without this its token would expire and the
    next click would ask the user to sign in again.
    """
    return "", 204


@bp.post("/signout")
def signout():
    """Sign out everywhere and go to the sign-in page (``HX-Redirect`` for htmx calls)."""
    sign_out()
    target = url_for("auth.signin")
    if htmx_support.is_htmx_request():
        # A 303 would be followed inside the XHR and swapped into the form.
        return htmx_support.redirect(htmx_support.make_fragment_response(""), target)
    return redirect(target, code=303)
