"""upgrade_legacy: the older App Connect shapes become the current one, purely."""

from __future__ import annotations

import copy
from typing import Any

from manifest import needs_upgrade, upgrade_legacy, validate_manifest

FLAT_NETSUITE: dict[str, Any] = {
    "serverUrl": "https://netsuite.loca.lt",
    "author": "RingCentral Labs",
    "platforms": {
        "netsuite": {
            "name": "netsuite",
            "authType": "oauth",
            "clientId": "abc",
            "scopes": ["restlets", "rest_webservices"],
            "customState": "platformValue=netsuite",
            "authUrl": "https://{hostname}/app/login/oauth2/authorize.nl",
            "contactPageUrl": "https://{hostname}/app/common/entity/contact.nl?id={contactId}",
            "page": {"callLog": {"additionalFields": []}},
        }
    },
    "version": "0.8.13",
}


def test_flat_oauth_moves_under_auth() -> None:
    upgraded = upgrade_legacy(FLAT_NETSUITE)
    platform = upgraded["platforms"]["netsuite"]
    assert platform["auth"] == {
        "type": "oauth",
        "oauth": {
            "authUrl": "https://{hostname}/app/login/oauth2/authorize.nl",
            "clientId": "abc",
            "customState": "platformValue=netsuite",
            "scope": "scope=restlets rest_webservices",
        },
    }
    for flat_key in ("authType", "clientId", "scopes", "customState", "authUrl"):
        assert flat_key not in platform
    assert upgraded["author"] == {"name": "RingCentral Labs"}
    assert platform["displayName"] == "netsuite"
    assert validate_manifest(upgraded) == []


def test_upgrade_is_pure() -> None:
    original = copy.deepcopy(FLAT_NETSUITE)
    upgrade_legacy(FLAT_NETSUITE)
    assert original == FLAT_NETSUITE


def test_upgrade_is_idempotent_and_leaves_current_manifests_alone(
    manifest_doc: dict[str, Any],
) -> None:
    once = upgrade_legacy(FLAT_NETSUITE)
    assert upgrade_legacy(once) == once
    assert not needs_upgrade(once)
    assert upgrade_legacy(manifest_doc) == manifest_doc
    assert upgrade_legacy(manifest_doc) is not manifest_doc
    assert not needs_upgrade(manifest_doc)


def test_flat_scope_and_state_beside_nested_auth_join_it_without_overriding() -> None:
    doc = {
        "platforms": {
            "servicenow": {
                "name": "servicenow",
                "displayName": "ServiceNow",
                "auth": {"type": "oauth", "oauth": {"authUrl": "https://x", "clientId": "c"}},
                "scope": "",
                "customState": "",
                "clientId": "flat-loses",
            }
        }
    }
    assert needs_upgrade(doc)
    oauth = upgrade_legacy(doc)["platforms"]["servicenow"]["auth"]["oauth"]
    assert oauth == {"authUrl": "https://x", "clientId": "c", "scope": "", "customState": ""}


def test_string_contact_types_and_default_key() -> None:
    doc = {
        "platforms": {
            "crm": {
                "name": "crm",
                "displayName": "CRM",
                "auth": {"type": "apiKey", "apiKey": {}},
                "contactTypes": ["Contact", {"display": "Lead", "value": "lead"}],
                "page": {
                    "callLog": {
                        "additionalFields": [
                            {
                                "const": "impact",
                                "type": "selection",
                                "contactDependent": True,
                                "default": 3,
                            }
                        ]
                    }
                },
            }
        }
    }
    assert needs_upgrade(doc)
    platform = upgrade_legacy(doc)["platforms"]["crm"]
    assert platform["contactTypes"] == [
        {"display": "Contact", "value": "Contact"},
        {"display": "Lead", "value": "lead"},
    ]
    field = platform["page"]["callLog"]["additionalFields"][0]
    assert field["defaultValue"] == 3
    assert "default" not in field


def test_bare_platform_object_is_wrapped() -> None:
    bare = {
        "name": "freshdesk",
        "displayName": "Freshdesk",
        "auth": {"type": "apiKey", "apiKey": {"page": {"content": []}}},
    }
    assert needs_upgrade(bare)
    upgraded = upgrade_legacy(bare)
    assert upgraded == {"platforms": {"freshdesk": bare}}
    assert validate_manifest(upgraded) == []


def test_non_manifests_come_back_unchanged() -> None:
    for value in ([1, 2], "text", None, {"openapi": "3.0.3"}):
        assert not needs_upgrade(value)
        assert upgrade_legacy(value) == value
