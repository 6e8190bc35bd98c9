"""Ids from outside (URL segments, form fields, query strings) too large for a database
integer, or written in other digits, are "not found", never a server error.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import csrf_from, sign_in
from widget.inputs import parse_id

TOO_LARGE = (str(2**63), str(2**64 + 5), "9" * 5000)


@pytest.fixture
def errors_answered(demo_app):
    # Answer server errors as a browser sees them (500) instead of raising in the test.
    demo_app.config["PROPAGATE_EXCEPTIONS"] = False
    return demo_app


def _int_routes(app):
    for rule in app.url_map.iter_rules():
        if "<int:" in rule.rule:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule


def test_every_route_taking_an_id_answers_404_for_ids_beyond_the_database_range(
    errors_answered,
):
    app = errors_answered
    alice = sign_in(app.test_client(), "101")
    routes = list(_int_routes(app))
    assert len(routes) >= 29, routes
    answers = {}
    for method, rule in routes:
        for big in TOO_LARGE:
            path = re.sub(r"<[^>]+>", "local", re.sub(r"<int:[^>]+>", big, rule))
            status = app.test_client().open(path, method=method, headers=alice).status_code
            answers[(method, rule, big[:20])] = status
    # 405 where a route of the same shape takes other methods: werkzeug checks the
    # method against the pattern before the converter refuses the id.
    assert {key: status for key, status in answers.items() if status not in {404, 405}} == {}


def test_the_largest_database_id_is_still_a_route_id(errors_answered):
    alice = sign_in(errors_answered.test_client(), "101")
    response = errors_answered.test_client().get(
        f"/widget/conversations/{2**63 - 1}", headers=alice
    )
    assert response.status_code == 404


@pytest.mark.parametrize("raw", [*TOO_LARGE, "²", "١٢", "-1", "", "1.0", " 7"])
def test_signing_in_with_an_impossible_extension_id_is_refused_as_a_bad_choice(
    errors_answered, raw
):
    client = errors_answered.test_client()
    page = client.get("/auth/signin")
    response = client.post(
        "/auth/signin",
        data={"csrf_token": csrf_from(page), "extension_id": raw, "next": "/widget/"},
    )
    assert response.status_code == 400
    assert "Choose one of the listed extensions." in response.get_data(as_text=True)


@pytest.mark.parametrize("raw", [*TOO_LARGE, "²"])
def test_the_template_picker_refuses_an_impossible_conversation_id(errors_answered, raw):
    alice = sign_in(errors_answered.test_client(), "101")
    response = errors_answered.test_client().get(
        "/widget/templates/picker", query_string={"conversation_id": raw}, headers=alice
    )
    assert response.status_code in {400, 404}


@pytest.mark.parametrize("raw", [*TOO_LARGE, "²"])
def test_a_local_crm_record_with_an_impossible_number_is_not_found(errors_answered, raw):
    alice = sign_in(errors_answered.test_client(), "101")
    response = errors_answered.test_client().get(
        f"/crm/local/records/Contact/contact-{raw}", headers=alice
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),
        ("²", None),
        ("-3", None),
        ("", None),
        ("4 2", None),
        ("9" * 5000, None),
    ],
)
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected
