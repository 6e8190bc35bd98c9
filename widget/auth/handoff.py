"""Handing a widget token to a page without ever putting it in a URL.

A cookie-less iframe (third-party cookies blocked) knows who it is only through the
widget token it keeps in page memory (``hx-headers``). Tokens used to travel in query
strings (``/widget/?token=...``): they reached access logs and browser history, and a
link carrying an attacker's token swapped the victim into the attacker's mailbox.

Now a token only ever travels in a request body or header:
- after sign-in, the response of the sign-in POST *is* the requested page, rendered as
  an internal GET that carries the new token in its header (so the page holds it);
- a page opened in a new tab (the local CRM, the manifest editor) is reached by a form
  POST of the token to ``/auth/handoff`` from Sidetalk's own origin (see
  ``security.accepts_posted_token``), which renders the page the same way. It never
  replaces a session of another user in that browser.
"""

from __future__ import annotations

from flask import Response, current_app, request, session
from werkzeug.test import EnvironBuilder

from widget import htmx_support, security
from widget.errors import Conflict
from widget.models import Extension


def render_path_for(path: str, token: str) -> Response:
    """Return the response of ``GET path`` as the holder of ``token`` would get it.

    The browser's address stays the POST's; the page rewrites it to ``path`` (history
    API) so that a reload asks for the page itself, not for a new sign-in.
    """
    builder = EnvironBuilder(
        path=path.split("?", 1)[0],
        query_string=path.split("?", 1)[1] if "?" in path else None,
        method="GET",
        base_url=request.host_url,
        headers={htmx_support.TOKEN_HEADER: token, "User-Agent": request.user_agent.string},
        environ_overrides={"REMOTE_ADDR": request.remote_addr or "", security.HANDED_OVER: True},
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.request_context(environ):
        return app.full_dispatch_request()


def hand_over(extension: Extension) -> None:
    """Let this browser's tab act for ``extension``, whose token was posted to it.

    The post came from Sidetalk's own origin (``security.accepts_posted_token``). A
    session of another user in this browser is never replaced; with none, the tab gets
    a session of its own, so that its plain links and reloads keep working.
    """
    signed_in = session.get("extension_id")
    if signed_in is not None and signed_in != extension.id:
        raise Conflict(
            "Another user is signed in to Sidetalk in this browser: sign out first, "
            "then open the page again."
        )
    if signed_in is None:
        security.start_session(extension.id, extension.session_epoch)
