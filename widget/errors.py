"""Error responses: JSON for JSON endpoints, an in-place fragment for htmx, a page otherwise."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from widget import htmx_support


class BadInput(Exception):
    """A request the user can fix: rendered as a 4xx with ``message`` and nothing changed."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


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
    @app.errorhandler(BadInput)
    def _bad_input(exc: BadInput):
        return error_response(exc.status, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.description or exc.name)
