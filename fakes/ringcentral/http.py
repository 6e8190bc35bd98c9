"""Responses in RingCentral's shapes: JSON, and errors as ``{errorCode, message, errors[]}``."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

JSON_TYPE = "application/json; charset=UTF-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type=JSON_TYPE)


def api_error(
    status: int,
    code: str,
    message: str,
    parameter: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Return RingCentral's REST error: the first error repeated in ``errors[]``."""
    entry: dict[str, Any] = {"errorCode": code, "message": message}
    if parameter:
        entry["parameterName"] = parameter
    body = {"errorCode": code, "message": message, "errors": [entry]}
    return json_response(body, status, headers)


def oauth_error(error: str, code: str, message: str, status: int = 400) -> Response:
    """Return an OAuth endpoint's error (``error`` + ``error_description`` + ``errors[]``)."""
    body = {
        "error": error,
        "error_description": message,
        "errors": [{"errorCode": code, "message": message}],
    }
    return json_response(body, status)
