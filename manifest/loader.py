"""Reading manifests from files or dicts, recognising what a JSON document is.

App Connect publishes several JSON contracts next to its manifests (plugin
manifests, declarative proxy connector configs, OpenAPI documents). They are
different formats: :func:`identify_document` tells them apart so that
:func:`load_manifest` can say "this is a plugin manifest, not a CRM manifest"
instead of listing fifty schema errors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from manifest.errors import DOCUMENT_POINTER, ManifestError, ManifestInvalid
from manifest.json_text import JsonTooDeep, loads_bounded
from manifest.legacy import is_bare_platform, needs_upgrade, upgrade_legacy
from manifest.validation import LOG_PAGES, validate_manifest

ManifestSource = str | os.PathLike[str] | Mapping[str, Any]


class DocumentKind(Enum):
    """What a JSON document is, as far as the manifest loader is concerned."""

    MANIFEST = "manifest"
    LEGACY_MANIFEST = "legacy manifest"
    BARE_PLATFORM = "bare platform object"
    PLUGIN_MANIFEST = "App Connect plugin manifest"
    PROXY_CONNECTOR_CONFIG = "App Connect proxy connector config"
    OPENAPI = "OpenAPI document"
    UNKNOWN = "unknown JSON document"

    @property
    def is_manifest(self) -> bool:
        """True for the kinds :func:`load_manifest` accepts (possibly after upgrade)."""
        return self in (
            DocumentKind.MANIFEST,
            DocumentKind.LEGACY_MANIFEST,
            DocumentKind.BARE_PLATFORM,
        )


_NOT_A_MANIFEST = {
    DocumentKind.PLUGIN_MANIFEST: (
        "this is an App Connect plugin manifest (endpointUrl, isAsync, supportedLogTypes), "
        "not a CRM manifest with platforms"
    ),
    DocumentKind.PROXY_CONNECTOR_CONFIG: (
        "this is an App Connect proxy connector config (operations with responseMapping), "
        "not a CRM manifest with platforms"
    ),
    DocumentKind.OPENAPI: "this is an OpenAPI document, not a CRM manifest with platforms",
    DocumentKind.UNKNOWN: (
        "this is not an App Connect manifest: expected an object with 'platforms' "
        "(or a single platform object with 'name' and 'auth')"
    ),
}


def identify_document(doc: Any) -> DocumentKind:
    """Return which kind of App Connect JSON document ``doc`` is."""
    if not isinstance(doc, dict):
        return DocumentKind.UNKNOWN
    if "openapi" in doc or "swagger" in doc:
        return DocumentKind.OPENAPI
    if isinstance(doc.get("platforms"), dict):
        return DocumentKind.LEGACY_MANIFEST if needs_upgrade(doc) else DocumentKind.MANIFEST
    if "endpointUrl" in doc and ("isAsync" in doc or "supportedLogTypes" in doc):
        return DocumentKind.PLUGIN_MANIFEST
    if isinstance(doc.get("operations"), dict) and ("requestDefaults" in doc or "auth" in doc):
        return DocumentKind.PROXY_CONNECTOR_CONFIG
    if is_bare_platform(doc):
        return DocumentKind.BARE_PLATFORM
    if "platforms" in doc:
        # A manifest whose platforms has the wrong type: let the validator say so.
        return DocumentKind.MANIFEST
    return DocumentKind.UNKNOWN


def read_json_file(path: str | os.PathLike[str]) -> Any:
    """Return the parsed JSON of ``path``.

    Raises :class:`ManifestInvalid` with one error at ``/`` when the file is missing,
    unreadable or not JSON (the message then names the line and column).
    """
    file_path = Path(path)
    try:
        text = file_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestInvalid([ManifestError(DOCUMENT_POINTER, "file not found")]) from None
    except IsADirectoryError:
        raise ManifestInvalid([ManifestError(DOCUMENT_POINTER, "is a directory")]) from None
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start})"
        raise ManifestInvalid([ManifestError(DOCUMENT_POINTER, message)]) from None
    except OSError as exc:
        message = f"cannot read file: {exc.strerror}"
        raise ManifestInvalid([ManifestError(DOCUMENT_POINTER, message)]) from None
    return parse_manifest_text(text)


def parse_manifest_text(text: str) -> Any:
    """Return the JSON in ``text``; ``ManifestInvalid`` when it is not JSON or nests
    deeper than any manifest does."""
    try:
        return loads_bounded(text)
    except JsonTooDeep as exc:
        raise ManifestInvalid([ManifestError(DOCUMENT_POINTER, f"not a manifest: {exc}")]) from None
    except json.JSONDecodeError as exc:
        message = f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        raise ManifestInvalid([ManifestError(DOCUMENT_POINTER, message)]) from None


def load_manifest(source: ManifestSource, *, validate: bool = True) -> dict[str, Any]:
    """Return the manifest in ``source`` (a file path or an already-parsed dict).

    Legacy shapes are converted by :func:`manifest.legacy.upgrade_legacy`; the input
    dict is never modified. With ``validate`` (the default) the result is checked and
    :class:`ManifestInvalid` is raised listing every problem; documents that are not
    manifests at all (plugin manifests, proxy configs, OpenAPI) are refused the same
    way with one error at ``/`` saying what they are.
    """
    raw = dict(source) if isinstance(source, Mapping) else read_json_file(source)
    kind = identify_document(raw)
    if not kind.is_manifest:
        raise ManifestInvalid([ManifestError(DOCUMENT_POINTER, _NOT_A_MANIFEST[kind])])
    doc = upgrade_legacy(raw)
    if validate:
        errors = validate_manifest(doc)
        if errors:
            raise ManifestInvalid(errors)
    return doc  # only manifest kinds get here, and upgrade_legacy keeps them dicts


def additional_fields(
    doc: Mapping[str, Any], platform: str, page: str = "messageLog"
) -> list[dict[str, Any]]:
    """Return the ``additionalFields`` list of ``page`` for ``platform`` (empty if none).

    ``page`` is one of ``callLog``, ``messageLog`` or ``newContact``.
    """
    if page not in LOG_PAGES:
        raise ValueError(f"page must be one of {', '.join(LOG_PAGES)}; got {page!r}")
    platform_doc = doc.get("platforms", {}).get(platform)
    if not isinstance(platform_doc, dict):
        raise KeyError(f"no platform {platform!r} in manifest")
    page_doc = (platform_doc.get("page") or {}).get(page) or {}
    fields = page_doc.get("additionalFields") or []
    return [field for field in fields if isinstance(field, dict)]
