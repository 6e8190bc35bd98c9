"""The fake Salesforce itself: payload shapes, validation, limits, faults, accounting."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
import requests

from fakes.salesforce import FakeSalesforce, conformance_dir
from fakes.salesforce import ids as sf_ids
from fakes.salesforce.builtin import BUILTIN, TRIMMED
from fakes.salesforce.payloads import load


class Api:
    """Raw HTTP against the fake's instance with a valid token."""

    def __init__(self, fake: FakeSalesforce) -> None:
        self.fake = fake
        self.token = fake.issue_tokens()["access_token"]

    def url(self, path: str) -> str:
        return f"{self.fake.instance_url}{self.fake.data_path(path)}"

    def call(self, method: str, path: str, body: Any = None, token: str | None = None):
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return requests.request(
            method, self.url(path), json=body, headers=headers, timeout=5, allow_redirects=False
        )

    def search(self, sosl: str) -> requests.Response:
        return self.call("GET", f"search/?q={quote(sosl, safe='')}")

    def query(self, soql: str) -> requests.Response:
        return self.call("GET", f"query/?q={quote(soql, safe='')}")


@pytest.fixture
def api(fake_sf: FakeSalesforce) -> Api:
    return Api(fake_sf)


def test_seed_ids_have_valid_checksums(fake_sf: FakeSalesforce) -> None:
    # The recorded Developer Edition ids carry Salesforce's real case-safe suffix.
    assert sf_ids.checksum("00161000007To3X") == "AAS"
    assert sf_ids.normalize("00361000005wzoe") == fake_sf.ids["Edna Frank"]
    assert sf_ids.type_of(fake_sf.ids["Jeff Glimpse"]) == "Lead"


def test_versions_need_no_auth_and_carry_no_limit_header(fake_sf: FakeSalesforce) -> None:
    response = requests.get(f"{fake_sf.url}/services/data/", timeout=5)
    assert response.status_code == 200
    assert "Sforce-Limit-Info" not in response.headers
    assert {"66.0", "67.0", "32.0"} <= {v["version"] for v in response.json()}


def test_auth_failures_use_real_bodies(api: Api) -> None:
    unknown = api.call("GET", "limits/", token="nope")
    assert (unknown.status_code, unknown.json()) == (401, load("error-invalid-session-401.json"))
    assert unknown.headers["Sforce-Limit-Info"].startswith("api-usage=")
    malformed = requests.get(api.url("limits/"), headers={"Authorization": "Basic"}, timeout=5)
    assert malformed.json()[0]["errorCode"] == "INVALID_AUTH_HEADER"
    api.fake.expire_access_tokens(api.token)
    assert api.call("GET", "limits/").status_code == 401


def test_limit_header_and_daily_limit(api: Api) -> None:
    first = api.call("GET", "limits/")
    used = api.fake.api_usage
    assert first.headers["Sforce-Limit-Info"] == f"api-usage={used}/15000"
    assert first.json()["DailyApiRequests"] == {"Max": 15000, "Remaining": 15000 - used}
    api.fake.api_limit = used
    over = api.call("GET", "limits/")
    assert over.status_code == 403
    assert over.json() == load("error-request-limit-exceeded-403.json")


def test_search_shapes_and_unescaping(api: Api, fake_sf: FakeSalesforce) -> None:
    response = api.search(
        r"FIND {\(650\) 867\-3450} IN PHONE FIELDS RETURNING Contact(Name), Account"
    )
    body = response.json()
    assert set(body) == {"searchRecords"}
    contact, account = body["searchRecords"]
    assert contact == {
        "attributes": {
            "type": "Contact",
            "url": f"/services/data/v66.0/sobjects/Contact/{fake_sf.ids['Edna Frank']}",
        },
        "Name": "Edna Frank",
    }
    assert set(account) == {"attributes", "Id"}
    empty = api.search("FIND {19995550000} IN PHONE FIELDS RETURNING Contact(Id)")
    assert empty.json() == load("sosl-search-empty-response.json")


@pytest.mark.parametrize(
    "sosl",
    [
        "FIND {6508673450 IN PHONE FIELDS",
        "FIND 6508673450 IN PHONE FIELDS",
        "FIND {+1 650 867 3450} IN PHONE FIELDS",
        "FIND {650-867-3450} IN PHONE FIELDS",
    ],
)
def test_malformed_search(api: Api, sosl: str) -> None:
    response = api.search(sosl)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "MALFORMED_SEARCH"


def test_soql_subset(api: Api, fake_sf: FakeSalesforce) -> None:
    sforce = fake_sf.ids["sForce"]
    soql = (
        "SELECT Id, Name, (SELECT Id FROM Opportunities), (SELECT LastName FROM Contacts "  # noqa: S608
        f"ORDER BY LastName DESC) FROM Account WHERE Id IN ('{sforce}')"
    )
    body = api.query(soql).json()
    assert (body["totalSize"], body["done"]) == (1, True)
    [account] = body["records"]
    assert account["Opportunities"] is None  # empty child relationship is null
    assert [c["LastName"] for c in account["Contacts"]["records"]] == ["Nedaerk", "Llorrac"]
    edna = fake_sf.ids["Edna Frank"]
    parent = api.query(f"SELECT Name, Account.Name FROM Contact WHERE Id = '{edna}'")  # noqa: S608
    assert parent.json()["records"][0]["Account"]["Name"] == "GenePoint"
    escaped = api.query(r"SELECT Id FROM Task WHERE CallObject = 'it\'s'")
    assert escaped.json() == {"totalSize": 0, "done": True, "records": []}


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name LIKE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY"),
        ("SELECT Nope FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Widget__c", "INVALID_TYPE"),
    ],
)
def test_bad_soql(api: Api, soql: str, code: str) -> None:
    response = api.query(soql)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code


def test_create_task_response_and_record(api: Api, fake_sf: FakeSalesforce) -> None:
    response = api.call(
        "POST", "sobjects/Task/", {"Subject": "Hi", "WhoId": fake_sf.ids["Edna Frank"]}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == set(load("sobject-create-task-response.json"))
    assert body["success"] is True and body["errors"] == []
    assert response.headers["Location"] == f"/services/data/v66.0/sobjects/Task/{body['id']}"
    record = api.call("GET", f"sobjects/Task/{body['id']}").json()
    assert record["attributes"]["type"] == "Task"
    assert record["Status"] == "Not Started" and record["Priority"] == "Normal"  # defaults
    assert record["AccountId"] == fake_sf.ids["GenePoint"]
    assert record["WhatId"] is None and "CallObject" in record  # nulls are included


@pytest.mark.parametrize(
    ("body", "code", "fields", "message"),
    [
        ({"Subject": "x" * 256}, "STRING_TOO_LONG", ["Subject"], "(max length=255)"),
        ({"Description": "x" * 32001}, "STRING_TOO_LONG", ["Description"], "(max length=32000)"),
        ({"Status": None}, "REQUIRED_FIELD_MISSING", ["Status"], "[Status]"),
        ({"WhoId": "001900K0001pPuOAAU"}, "MALFORMED_ID", ["WhoId"], "Name ID: id value"),
        ({"WhatId": "006B000002nBrQ"}, "MALFORMED_ID", ["WhatId"], "Related To ID: id value"),
        ({"WhatId": "0065g00000zzzzzAAA"}, "INVALID_CROSS_REFERENCE_KEY", ["WhatId"], "invalid"),
        (
            {"TaskSubtype": "Cadence"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            ["TaskSubtype"],
            "",
        ),
        ({"ActivityDate": "22/11/2026"}, "JSON_PARSER_ERROR", None, "Cannot deserialize"),
        ({"Id": "00T000000000001"}, "INVALID_FIELD", None, "The Id field should not"),
        ({"Bogus__c": 1}, "INVALID_FIELD", None, "No such column 'Bogus__c'"),
        ({"IsClosed": True}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["IsClosed"], "Unable to"),
    ],
)
def test_task_validation(
    api: Api, body: dict, code: str, fields: list | None, message: str
) -> None:
    response = api.call("POST", "sobjects/Task/", body)
    assert response.status_code == 400
    [error] = response.json()
    assert error["errorCode"] == code
    assert error.get("fields") == fields
    assert message in error["message"]


def test_several_errors_in_one_response(api: Api) -> None:
    response = api.call("POST", "sobjects/Task/", {"Subject": "x" * 300, "CallObject": "y" * 300})
    assert [e["fields"] for e in response.json()] == [["Subject"], ["CallObject"]]


def test_lead_who_with_what_is_refused(api: Api, fake_sf: FakeSalesforce) -> None:
    body = {"WhoId": fake_sf.ids["Jeff Glimpse"], "WhatId": fake_sf.ids["GenePoint"]}
    response = api.call("POST", "sobjects/Task/", body)
    assert response.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_contact_and_lead_required_fields(api: Api) -> None:
    lead = api.call("POST", "sobjects/Lead/", {"FirstName": "No"})
    assert lead.json() == [
        {
            "message": "Required fields are missing: [LastName, Company]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["LastName", "Company"],
        }
    ]


def test_patch_get_delete_cycle(api: Api) -> None:
    task_id = api.call("POST", "sobjects/Task/", {"Subject": "a"}).json()["id"]
    patched = api.call("PATCH", f"sobjects/Task/{task_id}", {"Subject": "b"})
    assert (patched.status_code, patched.content) == (204, b"")
    via_post = api.call("POST", f"sobjects/Task/{task_id}?_HttpMethod=PATCH", {"Subject": "c"})
    assert via_post.status_code == 204
    assert api.call("GET", f"sobjects/Task/{task_id}").json()["Subject"] == "c"
    assert api.call("DELETE", f"sobjects/Task/{task_id}").status_code == 204
    gone = api.call("GET", f"sobjects/Task/{task_id}")
    assert (gone.status_code, gone.json()) == (404, load("error-entity-is-deleted.json"))
    missing = api.call("GET", f"sobjects/Task/{sf_ids.normalize('00T5g00000zzzzz')}")
    assert missing.json() == load("error-not-found-404.json")


def test_fault_injection_and_call_accounting(api: Api, fake_sf: FakeSalesforce) -> None:
    fake_sf.reset_calls()
    fake_sf.fail_next("PATCH sobjects/Task", 400)  # should not match GETs
    fake_sf.fail_next("GET", 503, body="down", headers={"Retry-After": "2"}, times=2)
    first, second, third = (api.call("GET", "limits/") for _ in range(3))
    assert (first.status_code, first.text, first.headers["Retry-After"]) == (503, "down", "2")
    assert second.status_code == 503 and third.status_code == 200
    assert fake_sf.call_count() == 3
    assert fake_sf.call_count("GET", "limits/") == 3
    assert fake_sf.call_count("POST") == 0
    assert fake_sf.calls[0] == ("GET", "/services/data/v66.0/limits/", {})
    fake_sf.fail_next("/services/data/", 502)
    assert "text/html" in api.call("GET", "limits/").headers["Content-Type"]
    fake_sf.clear_faults()
    assert api.call("PATCH", "sobjects/Task/00T5g00000zzzzzAAA", {}).status_code == 404
    fake_sf.reset_calls()
    assert fake_sf.calls == [] and fake_sf.call_count() == 0


def test_oauth_endpoint_errors(fake_sf: FakeSalesforce) -> None:
    token_url = f"{fake_sf.url}/services/oauth2/token"
    client = {"client_id": fake_sf.client_id, "client_secret": fake_sf.client_secret}
    bad_grant = requests.post(token_url, data={"grant_type": "password", **client}, timeout=5)
    assert bad_grant.json() == {
        "error": "unsupported_grant_type",
        "error_description": "grant type not supported",
    }
    bad_client = requests.post(token_url, data={"grant_type": "refresh_token"}, timeout=5)
    assert bad_client.json()["error"] == "invalid_client_id"
    refresh = {"grant_type": "refresh_token", "refresh_token": "x", **client}
    expired = requests.post(token_url, data=refresh, timeout=5)
    assert (expired.status_code, expired.json()) == (
        400,
        load("oauth-error-expired-refresh-token-400.json"),
    )
    authorize = requests.get(
        f"{fake_sf.url}/services/oauth2/authorize",
        params={"response_type": "code", "client_id": "unknown", "redirect_uri": "https://x"},
        timeout=5,
        allow_redirects=False,
    )
    assert authorize.status_code == 400


def test_token_response_shape(fake_sf: FakeSalesforce) -> None:
    token = fake_sf.issue_tokens()
    assert set(load("oauth-token-response-with-refresh-token.json")) == set(token)
    assert "expires_in" not in token
    assert token["issued_at"].isdigit() and len(token["issued_at"]) == 13
    assert token["instance_url"] == fake_sf.instance_url


def test_latency_setting(fake_sf: FakeSalesforce) -> None:
    import time

    fake_sf.latency = 0.2
    started = time.monotonic()
    requests.get(f"{fake_sf.url}/services/data/", timeout=5)
    assert time.monotonic() - started >= 0.2


def test_builtin_payloads_when_conformance_folder_is_absent(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = conformance_dir()
    monkeypatch.setenv("SIDETALK_CONFORMANCE_DIR", str(tmp_path))
    assert conformance_dir() == tmp_path
    with FakeSalesforce() as fake:
        api = Api(fake)
        body = api.search("FIND {6508673450} IN PHONE FIELDS RETURNING Contact(Name)").json()
        assert body["searchRecords"][0]["Name"] == "Edna Frank"
        assert api.call("GET", "limits/", token="bad").status_code == 401
    if (real / "error-invalid-session-401.json").is_file():
        monkeypatch.delenv("SIDETALK_CONFORMANCE_DIR")
        on_disk = json.loads((real / "error-invalid-session-401.json").read_text())
        assert load("error-invalid-session-401.json") == on_disk


def test_builtin_copies_match_conformance_files() -> None:
    folder = conformance_dir()
    if not folder.is_dir():
        pytest.skip("conformance folder not available")
    for name, builtin in BUILTIN.items():
        on_disk = json.loads((folder / name).read_text())
        if name in TRIMMED:
            assert isinstance(on_disk, dict) and set(builtin) <= set(on_disk), name
        else:
            assert builtin == on_disk, name
