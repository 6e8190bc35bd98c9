"""The one module that knows htmx and Sidetalk header names.

Views and templates ask this module; nothing else spells ``HX-*`` or the token headers.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Response, make_response, request

from widget.extensions import htmx

CSRF_HEADER = "X-CSRF-Token"
TOKEN_HEADER = "X-Sidetalk-Token"  # noqa: S105 (a header name)
# Fresh widget tokens ride back on every response so a cookie-less iframe stays signed in.
TOKEN_REFRESH_HEADER = "X-Sidetalk-Token-Refresh"  # noqa: S105
# A browser's WebSocket cannot send headers: the page offers the subprotocol "sidetalk"
# and, beside it, one named after its token; the server accepts only "sidetalk".
SOCKET_PROTOCOL = "sidetalk"
SOCKET_TOKEN_PREFIX = "sidetalk-token."  # noqa: S105 (a prefix, not a secret)


def is_htmx_request() -> bool:
    return bool(htmx)


def make_fragment_response(html: str, status: int = 200) -> Response:
    return make_response(html, status)


def retarget(response: Response, selector: str, swap: str | None = None) -> Response:
    """Send the response to ``selector`` instead of the element's own target."""
    response.headers["HX-Retarget"] = selector
    if swap:
        response.headers["HX-Reswap"] = swap
    return response


def trigger(response: Response, event: str, detail: object | None = None) -> Response:
    """Fire a client-side event after the swap (``HX-Trigger``)."""
    existing = response.headers.get("HX-Trigger")
    events = json.loads(existing) if existing else {}
    events[event] = detail if detail is not None else True
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def current_page() -> str | None:
    """The path (and query) of the page an htmx call came from, when it is ours.

    A fragment's own URL is no place to send a person (it renders without the page
    around it); the page that asked for it is.
    """
    sent = urlsplit(request.headers.get("HX-Current-URL") or "")
    if sent.netloc != request.host or not sent.path.startswith("/"):
        return None
    return sent.path + (f"?{sent.query}" if sent.query else "")


def redirect(response: Response, url: str) -> Response:
    response.headers["HX-Redirect"] = url
    return response


def request_headers_json(token: str | None, csrf: str) -> str:
    """The ``hx-headers`` value that carries the CSRF token (and widget token) on every call."""
    headers = {CSRF_HEADER: csrf}
    if token:
        headers[TOKEN_HEADER] = token
    return json.dumps(headers)


def sent_token() -> str | None:
    """Return the widget token the request carries in a header (never in its URL)."""
    token = request.headers.get(TOKEN_HEADER)
    if token:
        return token
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    for protocol in offered.split(","):
        protocol = protocol.strip()
        if protocol.startswith(SOCKET_TOKEN_PREFIX):
            return protocol[len(SOCKET_TOKEN_PREFIX) :]
    return None


def sent_csrf() -> str | None:
    return request.headers.get(CSRF_HEADER) or request.form.get("csrf_token")
