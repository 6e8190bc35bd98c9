"""Connecting a CRM that signs in with an API key: the manifest's form, validation, storage."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from connectors import registry
from connectors.base import Connector
from connectors.signin import API_KEY_VALUE_MAX
from tests.helpers import html, sign_in
from widget import htmx_support
from widget.crm_logging.credentials import decrypt_credentials
from widget.extensions import db
from widget.models import CrmConnection, Extension

FORM = "/crm/connect/keyed-crm/api-key"
MANIFEST = {
    "platforms": {
        "keyed-crm": {
            "name": "keyed-crm",
            "displayName": "Keyed CRM",
            "auth": {
                "type": "apiKey",
                "apiKey": {
                    "page": {
                        "title": "Keyed CRM",
                        "warning": "Copy the key from your profile page.",
                        "content": [
                            {
                                "const": "getKey",
                                "title": "Get API Key",
                                "type": "string",
                                "uiSchema": {"ui:field": "button"},
                            },
                            {
                                "const": "apiKey",
                                "title": "API key",
                                "type": "string",
                                "required": True,
                            },
                            {
                                "const": "apiUrl",
                                "title": "API URL",
                                "type": "string",
                                "required": True,
                            },
                            {"const": "team", "title": "Team", "type": "string"},
                        ],
                    }
                },
            },
        }
    }
}


class KeyedCrm(Connector):
    """A connector signing in with an API key and a URL, as Insightly's manifest asks."""

    id = "keyed-crm"
    display_name = "Keyed CRM"

    def manifest(self):
        return copy.deepcopy(MANIFEST)

    def get_user_info(self, session):
        return {"id": "u1", "name": f"Key holder at {session.credentials.extra['apiUrl']}"}

    def find_contact(self, session, phone):
        return []

    def create_contact(self, session, phone, name, contact_type, additional_submission):
        raise AssertionError("not used")

    def create_message_log(self, session, log):
        raise AssertionError("not used")

    def update_message_log(self, session, log_id, log):
        raise AssertionError("not used")


@pytest.fixture
def keyed():
    registry.register(KeyedCrm)
    yield KeyedCrm
    registry.unregister(KeyedCrm.id)


def connection_101(app) -> CrmConnection | None:
    with app.app_context():
        return db.session.scalars(
            select(CrmConnection)
            .join(Extension, Extension.id == CrmConnection.extension_id)
            .where(Extension.extension_number == "101")
        ).first()


def stored_101(app) -> tuple[str, str | None]:
    """Return the CRM and stored credentials of extension 101 (the default until it chooses)."""
    connection = connection_101(app)
    if connection is None:
        return "local", None
    return connection.connector_id, connection.encrypted_credentials


def test_the_form_asks_for_the_manifest_inputs(demo_client, keyed):
    alice = sign_in(demo_client, "101")
    settings = html(demo_client.get("/widget/crm/settings", headers=alice))
    button = settings.find("li", {"data-connector-id": "keyed-crm"}).find("button")
    assert button.text == "Connect Keyed CRM" and button["hx-get"] == FORM
    form = html(demo_client.get(FORM, headers=alice))
    inputs = {i["name"]: i for i in form.find_all("input")}
    assert list(inputs) == ["apiKey", "apiUrl", "team"]  # the button is not an input
    assert inputs["apiKey"]["type"] == "password" and inputs["apiUrl"]["type"] == "text"
    assert "required" in inputs["apiUrl"].attrs and "required" not in inputs["team"].attrs
    labels = [label.text for label in form.find_all("label")]
    assert labels == ["API key", "API URL", "Team"]
    assert "Copy the key from your profile page." in form.text


def test_signing_in_stores_the_values_encrypted(demo_app, demo_client, keyed):
    alice = sign_in(demo_client, "101")
    response = demo_client.post(
        FORM,
        data={"apiKey": " sk-live-123 ", "apiUrl": "https://api.keyed.example", "team": ""},
        headers=alice,
    )
    assert response.status_code == 200
    block = html(response)
    assert block.find(class_="crm-name").text == "Keyed CRM"
    assert "Disconnect Keyed CRM" in block.text
    connection = connection_101(demo_app)
    assert connection.connector_id == "keyed-crm"
    assert "sk-live-123" not in connection.encrypted_credentials
    with demo_app.app_context():
        credentials = decrypt_credentials(connection.encrypted_credentials)
    assert credentials.api_key == "sk-live-123"
    assert credentials.extra == {"apiUrl": "https://api.keyed.example"}
    assert connection.user_info["name"] == "Key holder at https://api.keyed.example"


@pytest.mark.parametrize(
    ("data", "message", "field"),
    [
        ({"apiUrl": "https://api.keyed.example"}, "API key is required.", "apiKey"),
        ({"apiKey": "   ", "apiUrl": "https://x.example"}, "API key is required.", "apiKey"),
        (
            {"apiKey": "k", "apiUrl": "https://x.example/" + "a" * API_KEY_VALUE_MAX},
            f"API URL is longer than {API_KEY_VALUE_MAX} characters.",
            "apiUrl",
        ),
        ({}, "API key is required; API URL is required.", "apiUrl"),
    ],
)
def test_bad_input_says_what_is_wrong_and_changes_nothing(
    demo_app, demo_client, keyed, data, message, field
):
    alice = sign_in(demo_client, "101")
    response = demo_client.post(FORM, data=data, headers=alice)
    assert response.status_code == 422
    form = html(response)
    assert form.find(attrs={"role": "alert"}).text == message
    assert form.find("input", {"name": field})["aria-invalid"] == "true"
    assert stored_101(demo_app) == ("local", None)


def test_csrf_is_required(demo_app, demo_client, keyed):
    alice = sign_in(demo_client, "101")
    no_csrf = {k: v for k, v in alice.items() if k != htmx_support.CSRF_HEADER}
    data = {"apiKey": "k", "apiUrl": "https://x.example"}
    assert demo_client.post(FORM, data=data, headers=no_csrf).status_code == 403
    assert stored_101(demo_app) == ("local", None)


def test_only_api_key_connectors_offer_the_form(demo_client, keyed):
    alice = sign_in(demo_client, "101")
    assert demo_client.get("/crm/connect/salesforce/api-key", headers=alice).status_code == 400
    assert demo_client.get("/crm/connect/nope/api-key", headers=alice).status_code == 404
