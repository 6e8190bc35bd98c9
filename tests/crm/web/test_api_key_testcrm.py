"""The API-key sign-in form rendered from App Connect's own ``testCRM`` manifest, signing
in against a fake of that CRM over HTTP (a refused key is reported and stores nothing)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connectors import registry
from connectors.errors import CrmAuthError
from fakes.testcrm import FakeTestCrm
from tests.crm.web.test_api_key_connect import KeyedCrm, connection_101, stored_101
from tests.helpers import html, sign_in
from widget.crm_logging.credentials import decrypt_credentials

FORM = "/crm/connect/testCRM/api-key"
MANIFEST = json.loads(
    (
        Path(__file__).resolve().parents[4] / "shared/conformance/appconnect/testCRM-manifest.json"
    ).read_text()
)


class AppConnectTestCrm(KeyedCrm):
    """A connector whose manifest is App Connect's ``testCRM``, talking to its fake (the
    data methods, unused by sign-in, are ``KeyedCrm``'s)."""

    id = "testCRM"
    display_name = "test CRM"
    base_url = ""

    def manifest(self):
        return copy.deepcopy(MANIFEST)

    def get_user_info(self, session):
        answer = requests.get(
            f"{self.base_url}/users/me", auth=(session.credentials.api_key or "", ""), timeout=5
        )
        if answer.status_code == 401:
            raise CrmAuthError(answer.json()["error"])
        return answer.json()


@pytest.fixture
def test_crm() -> Iterator[FakeTestCrm]:
    with FakeTestCrm() as fake:
        AppConnectTestCrm.base_url = fake.url
        registry.register(AppConnectTestCrm)
        yield fake
        registry.unregister(AppConnectTestCrm.id)


def test_the_form_is_the_manifests_page(demo_client, test_crm):
    alice = sign_in(demo_client, "101")
    settings = html(demo_client.get("/widget/crm/settings", headers=alice))
    button = settings.find("li", {"data-connector-id": "testCRM"}).find("button")
    assert button.text == "Connect test CRM" and button["hx-get"] == FORM
    form = html(demo_client.get(FORM, headers=alice))
    [field] = form.find_all("input")
    assert (field["name"], field["type"]) == ("apiKey", "password")
    assert "required" in field.attrs and not field.get("value")
    assert [label.text for label in form.find_all("label")] == ["apiKey"]


def test_a_key_the_crm_accepts_is_stored_encrypted(demo_app, demo_client, test_crm):
    alice = sign_in(demo_client, "101")
    response = demo_client.post(FORM, data={"apiKey": test_crm.api_key}, headers=alice)
    assert response.status_code == 200
    assert "Disconnect test CRM" in html(response).text
    connection = connection_101(demo_app)
    assert connection.connector_id == "testCRM"
    assert test_crm.api_key not in connection.encrypted_credentials
    with demo_app.app_context():
        assert decrypt_credentials(connection.encrypted_credentials).api_key == test_crm.api_key
    assert connection.user_info["name"] == "Tess Tester"


def test_a_key_the_crm_refuses_is_reported_and_not_stored(demo_app, demo_client, test_crm):
    alice = sign_in(demo_client, "101")
    response = demo_client.post(FORM, data={"apiKey": "wrong-key"}, headers=alice)
    assert response.status_code == 422
    form = html(response)
    alert = form.find(attrs={"role": "alert"}).text
    assert alert == "test CRM refused these sign-in details: Invalid API key"
    assert form.find("input", {"name": "apiKey"})["aria-invalid"] == "true"
    assert not form.find("input", {"name": "apiKey"}).get("value")  # a secret is never echoed
    assert stored_101(demo_app) == ("local", None)
