"""Record and activity links built from a manifest's URL templates (no HTTP)."""

from __future__ import annotations

import pytest

from widget.crm_logging.panel import fill_url

SF = "https://acme.my.salesforce.com"


@pytest.mark.parametrize(
    ("template", "base", "values", "expected"),
    [
        (
            "https://{hostname}/lightning/r/{contactType}/{contactId}/view",
            SF,
            {"contactType": "Contact", "contactId": "003xx"},
            "https://acme.my.salesforce.com/lightning/r/Contact/003xx/view",
        ),
        (
            "https://{{hostname}}/person/{{ contactId }}",
            SF,
            {"contactId": "42"},
            "https://acme.my.salesforce.com/person/42",
        ),
        (
            "https://{hostname}/app/entity.nl?id={contactId}&type={contactType}",
            SF,
            {"contactId": "a/b?c=d&e", "contactType": "Lead Contact"},
            "https://acme.my.salesforce.com/app/entity.nl?id=a%2Fb%3Fc%3Dd%26e&type=Lead%20Contact",
        ),
        (
            "https://{hostname}/crm/local/activities/{logId}",
            "http://127.0.0.1:5000/",
            {"logId": 7},
            "http://127.0.0.1:5000/crm/local/activities/7",
        ),
        (
            "https://fixed.example.com/item/{logId}",
            "http://127.0.0.1:5000/",
            {"logId": 7},
            "https://fixed.example.com/item/7",
        ),
    ],
)
def test_placeholders_are_filled_and_values_url_encoded(template, base, values, expected):
    assert fill_url(template, base, values) == expected


@pytest.mark.parametrize(
    ("template", "values"),
    [
        ("javascript:alert({contactId})", {"contactId": "1"}),
        ("{contactId}", {"contactId": "javascript:alert(1)"}),
        ("https://{hostname}/activities/{logId}", {"logId": None}),
        ("https://{hostname}/activities/{logId}", {}),
        (None, {}),
        ("", {}),
    ],
)
def test_unsafe_or_incomplete_links_are_not_built(template, values):
    assert fill_url(template, SF, values) is None
