"""Deeply nested JSON is a clear 400 (or an error line), never a 500 (RecursionError),
wherever Sidetalk parses JSON from outside: the sandbox inbound body, the manifest
editor (validate and publish, form and JSON), the CLI and the websocket's frames."""

from __future__ import annotations

import json
import time

import pytest

from manifest.errors import ManifestInvalid
from manifest.json_text import MAX_DEPTH, JsonTooDeep, loads_bounded, nesting_depth
from manifest.loader import parse_manifest_text
from tests.helpers import html, sign_in

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
EDITOR = "/admin/manifests/salesforce"


@pytest.fixture
def alice(demo_client, demo_db):
    return sign_in(demo_client, "101")  # an admin of the demo account


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, '{"from": ' + "[" * 65 + "]" * 65 + "}"])
def test_sandbox_inbound_refuses_deep_json_with_a_400(demo_client, demo_db, body):
    response = demo_client.post(
        "/sandbox/inbound", data=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert "levels deep" in response.get_json()["error"]["message"]


def test_sandbox_inbound_still_reads_ordinary_json(demo_client, demo_db):
    body = {"from": "+14155550123", "to": "+16505550101", "text": "[{ not nesting }]"}
    response = demo_client.post("/sandbox/inbound", json=body)

    assert response.status_code == 201


@pytest.mark.parametrize("document", [DEEP, DEEP_OBJECT])
def test_manifest_validation_lists_deep_json_as_an_error(demo_client, alice, document):
    response = demo_client.post(
        f"{EDITOR}/validate", data={"document": document, "base_version": "0"}, headers=alice
    )

    assert response.status_code == 200
    (line,) = html(response).select("#manifest-errors li[data-pointer]")
    assert "levels deep" in line.get_text()


def test_publishing_deep_json_is_refused_and_changes_nothing(demo_client, alice):
    form = demo_client.post(
        f"{EDITOR}/versions", data={"document": DEEP, "base_version": "0"}, headers=alice
    )
    as_json = demo_client.post(
        f"{EDITOR}/versions",
        data=DEEP_OBJECT,
        headers={**alice, "Content-Type": "application/json", "Accept": "application/json"},
    )

    assert form.status_code == 422
    assert "levels deep" in html(form).get_text()
    assert as_json.status_code == 400
    assert "levels deep" in as_json.get_json()["error"]["message"]


def test_the_cli_reports_a_deep_manifest_file_in_one_line(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(DEEP)

    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest_text(path.read_text())

    assert "levels deep" in caught.value.errors[0].message


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"text": "[" * 10_000, "escaped": '\\"[[[' * 100})

    assert nesting_depth(text) == 1
    assert loads_bounded(text)["text"] == "[" * 10_000


def test_the_limit_is_exact_and_the_scan_is_linear():
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads_bounded(at_limit) is not None
    with pytest.raises(JsonTooDeep):
        loads_bounded("[" + at_limit + "]")
    started = time.perf_counter()
    with pytest.raises(JsonTooDeep):
        loads_bounded("[" * 5_000_000)
    # Linear: well under a second here; a quadratic scan of 5 M characters takes hours,
    # so a loose bound (a loaded CI machine) still tells the two apart.
    assert time.perf_counter() - started < 10.0
