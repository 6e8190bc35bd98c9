"""Fixtures for the manifest package tests: small valid manifests to break on purpose."""

from __future__ import annotations

import copy
from typing import Any

import pytest

_MINIMAL_MANIFEST: dict[str, Any] = {
    "serverUrl": "https://connector.example.test",
    "redirectUri": "https://sidetalk.example.test/redirect",
    "author": {"name": "Test Author", "websiteUrl": "https://example.test"},
    "version": "1.0.0",
    "platforms": {
        "pipedrive": {
            "name": "pipedrive",
            "displayName": "Pipedrive",
            "urlIdentifier": "*.pipedrive.com",
            "auth": {
                "type": "oauth",
                "oauth": {
                    "authUrl": "https://oauth.pipedrive.com/oauth/authorize",
                    "clientId": "client-123",
                    "redirectUri": "https://sidetalk.example.test/pipedrive-redirect",
                },
            },
            "contactTypes": [{"display": "Person", "value": "person"}],
            "contactPageUrl": "https://{hostname}/person/{contactId}",
            "logPageUrl": "https://{hostname}/activities/{logId}",
            "canOpenLogPage": True,
            "settings": [],
            "page": {
                "messageLog": {
                    "additionalFields": [
                        {
                            "const": "deals",
                            "title": "Deal",
                            "type": "selection",
                            "contactDependent": True,
                        },
                        {
                            "const": "leadWarning",
                            "title": "Lead warning",
                            "type": "warning",
                            "description": "Lead assignment is overridden by a deal",
                        },
                        {
                            "const": "priority",
                            "title": "Priority",
                            "type": "selection",
                            "options": [
                                {"const": "low", "title": "Low"},
                                {"const": "high", "title": "High"},
                            ],
                            "defaultValue": "low",
                        },
                    ]
                }
            },
        }
    },
}


@pytest.fixture
def manifest_doc() -> dict[str, Any]:
    """Return a fresh valid one-platform manifest (Pipedrive-like) to modify in a test."""
    return copy.deepcopy(_MINIMAL_MANIFEST)


@pytest.fixture
def message_fields(manifest_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the messageLog additionalFields list of ``manifest_doc`` (same object)."""
    fields: list[dict[str, Any]] = manifest_doc["platforms"]["pipedrive"]["page"]["messageLog"][
        "additionalFields"
    ]
    return fields
