"""Every JSON file of the App Connect conformance folder: manifests load, others are named.

The folder is ``../shared/conformance/appconnect`` next to the repository, or
``$SIDETALK_CONFORMANCE_DIR/appconnect`` when that variable is set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from manifest import (
    DocumentKind,
    ManifestInvalid,
    identify_document,
    load_manifest,
    read_json_file,
    validate_manifest,
)


def _conformance_dir() -> Path:
    override = os.environ.get("SIDETALK_CONFORMANCE_DIR")
    if override:
        return Path(override) / "appconnect"
    return Path(__file__).resolve().parents[3] / "shared/conformance/appconnect"


CONFORMANCE_DIR = _conformance_dir()
JSON_FILES = sorted(CONFORMANCE_DIR.glob("*.json")) if CONFORMANCE_DIR.is_dir() else []
MISSING_REASON = f"App Connect conformance folder not found at {CONFORMANCE_DIR}"

# Files that are App Connect contracts but not CRM manifests, and why Sidetalk's
# manifest loader refuses them. Each must still be recognised as what it is.
NOT_MANIFESTS: dict[str, tuple[DocumentKind, str]] = {
    "crm-server-openapi.json": (
        DocumentKind.OPENAPI,
        "the connector server's HTTP contract (OpenAPI 3), used by connector tests",
    ),
    "crm-server-openapi-public.json": (
        DocumentKind.OPENAPI,
        "the public subset of the connector server's OpenAPI contract",
    ),
    "plugin-server-openapi.json": (
        DocumentKind.OPENAPI,
        "the plugin server's HTTP contract (OpenAPI 3)",
    ),
    "plugin-async-manifest.json": (
        DocumentKind.PLUGIN_MANIFEST,
        "a plugin manifest: one plugin (endpointUrl, isAsync), no platforms; another format",
    ),
    "plugin-sync-manifest.json": (
        DocumentKind.PLUGIN_MANIFEST,
        "a plugin manifest: one plugin (endpointUrl, pageContent), no platforms",
    ),
    "proxy-connector-config-sample.json": (
        DocumentKind.PROXY_CONNECTOR_CONFIG,
        "a declarative proxy connector config: HTTP operations and response mappings",
    ),
    "proxy-connector-config-sample-2025-09.json": (
        DocumentKind.PROXY_CONNECTOR_CONFIG,
        "a declarative proxy connector config (older sample with metadata)",
    ),
    "openapi-extracted-examples.json": (
        DocumentKind.UNKNOWN,
        "request/response examples keyed by 'POST /messageLog': test data, not a manifest",
    ),
    "test-platformInfo-endpoints.json": (
        DocumentKind.UNKNOWN,
        "a list of CRM endpoint paths used by App Connect's tests, not a manifest",
    ),
}

# Manifests in an older shape that load only through upgrade_legacy.
LEGACY_MANIFESTS = {
    "netsuite-config-legacy-flat-2024.json",
    "netsuite-manifest-legacy-2024.json",
    "servicenow-manifest-legacy-2024.json",
}


def _params() -> list[object]:
    if not JSON_FILES:
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING_REASON))]
    return [pytest.param(path, id=path.name) for path in JSON_FILES]


@pytest.mark.parametrize("path", _params())
def test_every_conformance_file_is_a_valid_manifest_or_a_documented_other_format(
    path: Path,
) -> None:
    raw = read_json_file(path)
    kind = identify_document(raw)
    if path.name in NOT_MANIFESTS:
        expected_kind, why = NOT_MANIFESTS[path.name]
        assert kind is expected_kind, why
        with pytest.raises(ManifestInvalid) as refused:
            load_manifest(path)
        [error] = refused.value.errors
        assert error.pointer == "/"
        assert "not" in error.message
        return

    assert kind.is_manifest, (
        f"{path.name} is neither a manifest nor listed in NOT_MANIFESTS with a reason"
    )
    expected = (
        DocumentKind.LEGACY_MANIFEST if path.name in LEGACY_MANIFESTS else DocumentKind.MANIFEST
    )
    assert kind is expected
    doc = load_manifest(path)
    assert validate_manifest(doc) == []
    assert doc["platforms"]


@pytest.mark.parametrize("name", sorted(LEGACY_MANIFESTS))
def test_legacy_files_are_invalid_until_upgraded(name: str) -> None:
    path = CONFORMANCE_DIR / name
    if not path.is_file():
        pytest.skip(MISSING_REASON)
    raw = read_json_file(path)
    assert validate_manifest(raw) != []
    assert validate_manifest(load_manifest(path)) == []


def test_the_standalone_2025_freshdesk_file_is_already_a_current_manifest() -> None:
    # SOURCES.md groups it with the older shapes, but it has platforms and a nested
    # auth object: it needs no upgrade at all.
    path = CONFORMANCE_DIR / "freshdesk-manifest-standalone-2025.json"
    if not path.is_file():
        pytest.skip(MISSING_REASON)
    assert identify_document(read_json_file(path)) is DocumentKind.MANIFEST


def test_per_crm_files_match_their_platform_in_the_bundled_manifest() -> None:
    bundled_path = CONFORMANCE_DIR / "appconnect-bundled-manifest.json"
    if not bundled_path.is_file():
        pytest.skip(MISSING_REASON)
    bundled = load_manifest(bundled_path)
    for name, platform in bundled["platforms"].items():
        single = json.loads((CONFORMANCE_DIR / f"{name}-manifest.json").read_text("utf-8"))
        assert single["platforms"] == {name: platform}


def test_skip_table_names_only_files_that_exist() -> None:
    if not JSON_FILES:
        pytest.skip(MISSING_REASON)
    present = {path.name for path in JSON_FILES}
    assert set(NOT_MANIFESTS) <= present
    assert present >= LEGACY_MANIFESTS
