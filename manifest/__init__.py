"""App Connect compatible manifests: schema, loading, validation and log-form model.

A manifest describes CRM platforms (``platforms.<name>``) with their auth, contact
types, URL templates and the extra fields (``page.messageLog.additionalFields``)
shown when a conversation is logged. Sidetalk reads the same JSON as RingCentral App
Connect, including its older shapes (see :mod:`manifest.legacy`).
"""

from manifest.cli import validate_paths
from manifest.errors import ManifestError, ManifestInvalid
from manifest.form import FormField, build_form, validate_submission
from manifest.legacy import needs_upgrade, upgrade_legacy
from manifest.loader import (
    DocumentKind,
    additional_fields,
    identify_document,
    load_manifest,
    read_json_file,
)
from manifest.schema import bundled_schema
from manifest.validation import validate_manifest

__all__ = [
    "DocumentKind",
    "FormField",
    "ManifestError",
    "ManifestInvalid",
    "additional_fields",
    "build_form",
    "bundled_schema",
    "identify_document",
    "load_manifest",
    "needs_upgrade",
    "read_json_file",
    "upgrade_legacy",
    "validate_manifest",
    "validate_paths",
    "validate_submission",
]
