"""load_manifest and friends: paths or dicts in, upgraded manifests or ManifestInvalid out."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from manifest import (
    DocumentKind,
    ManifestInvalid,
    additional_fields,
    identify_document,
    load_manifest,
)


def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_loads_from_a_path_and_from_a_dict(tmp_path: Path, manifest_doc: dict[str, Any]) -> None:
    path = _write(tmp_path, "m.json", json.dumps(manifest_doc))
    assert load_manifest(path) == manifest_doc
    assert load_manifest(str(path)) == manifest_doc
    assert load_manifest(manifest_doc) == manifest_doc


def test_dict_input_is_not_modified_even_when_upgraded() -> None:
    legacy = {
        "author": "Me",
        "platforms": {
            "x": {"name": "x", "authType": "oauth", "clientId": "c", "authUrl": "https://a"}
        },
    }
    before = copy.deepcopy(legacy)
    loaded = load_manifest(legacy)
    assert legacy == before
    assert loaded["platforms"]["x"]["auth"]["oauth"]["clientId"] == "c"


def test_invalid_manifest_raises_with_every_error(manifest_doc: dict[str, Any]) -> None:
    manifest_doc["version"] = 2
    manifest_doc["platforms"]["pipedrive"]["canOpenLogPage"] = "no"
    with pytest.raises(ManifestInvalid) as raised:
        load_manifest(manifest_doc)
    assert [error.pointer for error in raised.value.errors] == [
        "/platforms/pipedrive/canOpenLogPage",
        "/version",
    ]


def test_validation_can_be_skipped(manifest_doc: dict[str, Any]) -> None:
    manifest_doc["version"] = 2
    assert load_manifest(manifest_doc, validate=False)["version"] == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestInvalid) as raised:
        load_manifest(tmp_path / "absent.json")
    assert [(e.pointer, e.message) for e in raised.value.errors] == [("/", "file not found")]


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestInvalid) as raised:
        load_manifest(tmp_path)
    assert raised.value.errors[0].message == "is a directory"


def test_non_json_file_names_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.json", '{\n  "platforms": {,\n}')
    with pytest.raises(ManifestInvalid) as raised:
        load_manifest(path)
    [error] = raised.value.errors
    assert error.pointer == "/"
    assert error.message.startswith("not valid JSON (line 2, column 17): ")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"author": "Jos\xe9"}')
    with pytest.raises(ManifestInvalid) as raised:
        load_manifest(path)
    assert raised.value.errors[0].message == "not UTF-8 text (byte 15)"


@pytest.mark.parametrize(
    ("doc", "kind", "words"),
    [
        ({"openapi": "3.0.3", "paths": {}}, DocumentKind.OPENAPI, "OpenAPI document"),
        (
            {"name": "p", "endpointUrl": "http://x", "isAsync": True},
            DocumentKind.PLUGIN_MANIFEST,
            "plugin manifest",
        ),
        (
            {"auth": {"type": "apiKey"}, "operations": {"findContact": {}}},
            DocumentKind.PROXY_CONNECTOR_CONFIG,
            "proxy connector config",
        ),
        ({"hello": "world"}, DocumentKind.UNKNOWN, "not an App Connect manifest"),
        ([{"name": "pipedrive"}], DocumentKind.UNKNOWN, "not an App Connect manifest"),
    ],
)
def test_other_formats_are_refused_by_name(
    tmp_path: Path, doc: Any, kind: DocumentKind, words: str
) -> None:
    assert identify_document(doc) is kind
    assert not kind.is_manifest
    with pytest.raises(ManifestInvalid) as raised:
        load_manifest(_write(tmp_path, "other.json", json.dumps(doc)))
    [error] = raised.value.errors
    assert error.pointer == "/"
    assert words in error.message


def test_identify_current_legacy_and_bare(manifest_doc: dict[str, Any]) -> None:
    assert identify_document(manifest_doc) is DocumentKind.MANIFEST
    manifest_doc["author"] = "Old style"
    assert identify_document(manifest_doc) is DocumentKind.LEGACY_MANIFEST
    bare = {"name": "x", "auth": {"type": "apiKey", "apiKey": {}}}
    assert identify_document(bare) is DocumentKind.BARE_PLATFORM
    assert identify_document({"platforms": []}) is DocumentKind.MANIFEST


def test_additional_fields_for_a_page(manifest_doc: dict[str, Any]) -> None:
    fields = additional_fields(manifest_doc, "pipedrive")
    assert [field["const"] for field in fields] == ["deals", "leadWarning", "priority"]
    assert additional_fields(manifest_doc, "pipedrive", "callLog") == []
    with pytest.raises(KeyError):
        additional_fields(manifest_doc, "clio")
    with pytest.raises(ValueError, match="page must be one of"):
        additional_fields(manifest_doc, "pipedrive", "feedback")
