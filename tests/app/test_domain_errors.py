"""Domain errors: one HTTP status per kind, answered in the caller's format."""

from __future__ import annotations

import pytest

from widget import errors
from widget.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    Refused,
    Rejected,
    Unavailable,
)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (NotFound, 404),
        (Gone, 410),
        (Forbidden, 403),
        (Invalid, 400),
        (Rejected, 422),
        (Conflict, 409),
        (Unavailable, 503),
        (Refused, 502),
    ],
)
def test_each_kind_has_one_status(kind, status):
    error = kind("Nope.", "field")
    assert isinstance(error, DomainError)
    assert (errors.http_status(error), error.status) == (status, status)
    assert (error.message, error.field) == ("Nope.", "field")


@pytest.mark.parametrize(("kind", "status"), [(NotFound, 404), (Rejected, 422), (Refused, 502)])
def test_a_raised_error_is_answered_with_its_status_message_and_field(app, kind, status):
    @app.get("/_raises")
    @errors.json_endpoint
    def _raises():
        raise kind("It went wrong.", "thing")

    answer = app.test_client().get("/_raises")
    assert answer.status_code == status
    assert answer.get_json() == {
        "error": {"status": status, "message": "It went wrong.", "field": "thing"}
    }
