"""Domain errors and their answers: JSON for JSON endpoints, an in-place fragment for htmx,
a page otherwise.

Services raise what went wrong in the domain's terms (``NotFound``, ``Conflict``, ...);
``HTTP_STATUS`` below is the one place that turns each into an HTTP status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException

from widget import htmx_support

log = logging.getLogger(__name__)

# How long a client is asked to wait when the database is unreachable (a restart or a
# failover takes seconds; the connection pool reconnects on the next request).
DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_UNREACHABLE = (
    "The database is not reachable right now; nothing was changed. Try again shortly."
)


class DomainError(Exception):
    """Something the user asked for cannot be done; nothing was changed.

    ``message`` is shown to the user as it is; ``field`` names the form field at fault,
    if one is.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def status(self) -> int:
        """Return the HTTP status this error is answered with."""
        return http_status(self)


class NotFound(DomainError):
    """No such thing, or it is someone else's: the two are never told apart."""


class Gone(NotFound):
    """It existed but can no longer be had (purged, or past its retention period)."""


class Forbidden(DomainError):
    """The signed-in user may see this but not do that (an admin's setting, say)."""


class Invalid(DomainError):
    """Input the user can fix: missing, malformed or out of range."""


class Rejected(Invalid):
    """Well-formed input that a rule refuses (a group too large, a form field it requires)."""


class Conflict(DomainError):
    """The thing is not in a state that allows this (already deleted, not failed, taken)."""


class Unavailable(DomainError):
    """A service this needs is not set up or not reachable; trying later may work."""


class Refused(DomainError):
    """Another system (a CRM, the telephony platform) answered no on the user's behalf."""


# Most specific first: the first class an error is an instance of decides its status.
HTTP_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (Gone, 410),
    (NotFound, 404),
    (Forbidden, 403),
    (Rejected, 422),
    (Invalid, 400),
    (Conflict, 409),
    (Unavailable, 503),
    (Refused, 502),
)


def http_status(error: DomainError) -> int:
    """Return the HTTP status that answers ``error``."""
    return next(status for kind, status in HTTP_STATUS if isinstance(error, kind))


def json_endpoint(view: Callable) -> Callable:
    """Mark a view as a JSON API so its errors are answered in JSON."""
    view.json_endpoint = True  # type: ignore[attr-defined]
    return view


def wants_json() -> bool:
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "json_endpoint", False):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def error_response(status: int, message: str, field: str | None = None):
    """Return the error in the form this request understands."""
    if wants_json():
        # ``field`` is always present (null when the error is not about one field), so
        # scripts can read it without checking for the key first.
        body = {"error": {"status": status, "message": message, "field": field}}
        return jsonify(body), status
    if htmx_support.is_htmx_request():
        html = render_template("errors/error.html", status=status, message=message, fragment=True)
        response = htmx_support.make_fragment_response(html, status)
        return htmx_support.retarget(response, "#flash", swap="innerHTML")
    return render_template("errors/error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        return error_response(exc.status, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DisconnectionError)
    def _database_unreachable(exc: Exception):
        # A restarted or failing-over database: the transaction never committed, so the
        # request changed nothing; a 503 tells senders (webhooks, htmx) to try again
        # instead of a 500 that reads as a bug.
        log.warning("database unreachable during %s %s: %s", request.method, request.path, exc)
        response = error_response(503, DATABASE_UNREACHABLE)
        if isinstance(response, tuple):
            response = app.make_response(response)
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
