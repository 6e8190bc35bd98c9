"""Response helpers shared by the fake's handlers."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

JSON_TYPE = "application/json;charset=UTF-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Return ``body`` as JSON with Salesforce's content type."""
    return Response(json.dumps(body), status=status, headers=headers, content_type=JSON_TYPE)
