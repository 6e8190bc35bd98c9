"""Sign-in and sign-out views."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, session, url_for

from widget import htmx_support
from widget.auth import bp
from widget.auth.handoff import hand_over, render_path_for
from widget.auth.service import (
    login_required,
    oauth_button,
    sign_in,
    sign_out,
    start_sign_in,
)
from widget.security import accepts_posted_token, csrf_token, widget_token

_RETURN_KEY = "signin_return"  # where an OAuth sign-in goes back to, and whether in a popup


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
    """Send the browser to the platform's sign-in, or return the page to choose who you are
    (the sandbox lists its demo extensions)."""
    button = oauth_button()
    if button:
        # State and verifier are made in the window that goes to the platform (the popup
        # when framed), so they live in that browser's first-party session.
        next_url = _safe_next(request.args.get("next"))
        return render_template(
            "auth/signin_oauth.html",
            button=button,
            reconnect=request.args.get("reconnect") == "1",
            popup_url=url_for("auth.oauth_start", next=next_url, popup=1),
            top_url=url_for("auth.oauth_start", next=next_url),
        )
    start = start_sign_in(url_for("auth.signin_submit", _external=True))
    if start.redirect_url:
        return redirect(start.redirect_url)
    return render_template(
        "auth/signin.html",
        extensions=start.choices,
        next=_safe_next(request.args.get("next")),
    )


@bp.post("/signin")
def signin_submit():
    """Sign in and answer with the page asked for, holding a token for cookie-less
    iframes in its memory: never in a URL (see ``handoff``)."""
    if oauth_button():
        abort(404)  # an OAuth platform signs in through its callback, never a chooser
    _, token = sign_in(request.form)
    return render_path_for(_safe_next(request.form.get("next")), token)


@bp.post("/handoff")
@accepts_posted_token
@login_required
def handoff(extension):
    """Open one of Sidetalk's pages in a new tab for the widget's user (a form POST of
    the widget's token and CSRF secret from Sidetalk's own origin)."""
    hand_over(extension)
    return render_path_for(_safe_next(request.form.get("next")), widget_token())


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


@bp.get("/oauth/start")
def oauth_start():
    """Begin the platform's OAuth sign-in in this window (the popup, or the top page)."""
    if not oauth_button():
        abort(404)
    session[_RETURN_KEY] = {
        "next": _safe_next(request.args.get("next")),
        "popup": request.args.get("popup") == "1",
    }
    start = start_sign_in(url_for("auth.signin_submit", _external=True))
    return redirect(start.redirect_url)


@bp.get("/<platform_name>/callback")
def oauth_callback(platform_name: str):
    """The platform's redirect back: finish sign-in, then return to the widget."""
    if oauth_button(platform_name) is None:
        abort(404)
    back = session.pop(_RETURN_KEY, None) or {}
    _, token = sign_in(request.args)
    target = _safe_next(back.get("next"))
    if back.get("popup"):
        # The framed page that opened the popup gets the token by postMessage (own
        # origin only) and posts it to /auth/handoff: never in a URL.
        origin = request.host_url.rstrip("/")
        return render_template(
            "auth/popup_done.html", next=target, origin=origin, token=token, csrf=csrf_token()
        )
    return render_path_for(target, token)
