"""Editing a connector's manifest in the admin console: drafts, checks, publish, history.

Versions themselves belong to ``crm_logging.manifests`` (what the Log panel serves);
this module adds what editing needs on top: each admin's saved draft (text, valid or
not), the version it started from, warnings, diffs, import, and the audit entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from connectors.registry import get_connector
from manifest import ManifestError
from manifest.builder import BUILDER_PAGES
from manifest.errors import DOCUMENT_POINTER, to_pointer
from widget import audit
from widget.crm_logging import manifests
from widget.crm_logging.manifests import MAX_DOCUMENT_CHARACTERS, ManifestRejected
from widget.errors import Conflict, Invalid
from widget.extensions import db
from widget.models import Extension, ManifestDraft, ManifestVersion

SUBJECT = "Log form ({connector})"


class PublishConflict(Conflict):
    """Another admin published since this draft started: the diff says what they changed."""

    def __init__(self, moved: manifests.VersionMoved, diff: str) -> None:
        super().__init__(moved.message)
        self.expected = moved.expected
        self.active = moved.active
        self.diff = diff


@dataclass
class Check:
    """What live validation says about a text: errors block publishing, warnings do not."""

    errors: list[ManifestError] = field(default_factory=list)
    warnings: list[ManifestError] = field(default_factory=list)
    document: dict[str, Any] | None = None


@dataclass
class EditorState:
    """What the editor opens with: the admin's draft if any, else the active version."""

    connector_id: str
    display_name: str
    text: str
    base_version: int
    active_version: int
    draft: ManifestDraft | None


def _subject(connector_id: str) -> str:
    return SUBJECT.format(connector=get_connector(connector_id).display_name)


def _draft(admin: Extension, connector_id: str) -> ManifestDraft | None:
    return db.session.scalars(
        select(ManifestDraft).where(
            ManifestDraft.account_id == admin.account_id,
            ManifestDraft.connector_id == connector_id,
            ManifestDraft.author_id == admin.id,
        )
    ).first()


def editor_state(admin: Extension, connector_id: str) -> EditorState:
    """Return the editor's starting point for ``admin``."""
    manifests.known_connector(connector_id)
    active = manifests.active_version(connector_id, admin.account_id)
    draft = _draft(admin, connector_id)
    if draft is not None:
        text, base = draft.document_text, draft.base_version
    else:
        text = manifests.manifest_text(manifests.active_manifest(connector_id, admin.account_id))
        base = active
    display = get_connector(connector_id).display_name
    return EditorState(connector_id, display, text, base, active, draft)


def _dependent_warnings(document: dict[str, Any], connector_id: str) -> list[ManifestError]:
    supplied = set(get_connector(connector_id).contact_info_keys)
    pages = (document.get("platforms", {}).get(connector_id) or {}).get("page") or {}
    warnings = []
    for page in BUILDER_PAGES:
        fields = (pages.get(page) or {}).get("additionalFields") or []
        for index, spec in enumerate(fields):
            if not isinstance(spec, dict) or spec.get("contactDependent") is not True:
                continue
            const = spec.get("const")
            if isinstance(const, str) and const not in supplied:
                pointer = to_pointer(
                    ["platforms", connector_id, "page", page, "additionalFields", index, "const"]
                )
                known = ", ".join(f"“{key}”" for key in sorted(supplied)) or "none"
                warnings.append(
                    ManifestError(
                        pointer,
                        f"the {get_connector(connector_id).display_name} connector gives no "
                        f"options for “{const}” from the matched contact (it gives {known}), "
                        "so users will not see this field",
                    )
                )
    return warnings


def check(text: str, connector_id: str) -> Check:
    """Return the errors and warnings of ``text`` (nothing is stored)."""
    try:
        document = manifests.parse_document(text, connector_id)
    except ManifestRejected as rejected:
        return Check(errors=rejected.errors)
    return Check(warnings=_dependent_warnings(document, connector_id), document=document)


def save_draft(admin: Extension, connector_id: str, text: str, base_version: int) -> ManifestDraft:
    """Keep ``text`` as ``admin``'s draft (an invalid one too); return it.

    Starting a draft is an audit entry; saving it again is not (every keystroke saves).
    """
    manifests.known_connector(connector_id)
    if len(text) > MAX_DOCUMENT_CHARACTERS:
        limit = MAX_DOCUMENT_CHARACTERS // 1024
        raise Invalid(f"The manifest is larger than {limit} KB; it was not saved.", "document")
    draft = _draft(admin, connector_id)
    if draft is None:
        draft = ManifestDraft(
            account_id=admin.account_id,
            connector_id=connector_id,
            author_id=admin.id,
            document_text=text,
            base_version=base_version,
        )
        db.session.add(draft)
        audit.record(
            admin,
            "draft.start",
            _subject(connector_id),
            f"Started a draft from version {base_version}",
        )
    else:
        draft.document_text = text
    db.session.commit()
    return draft


def discard_draft(admin: Extension, connector_id: str) -> None:
    """Forget ``admin``'s draft: the editor shows the active version again."""
    draft = _draft(admin, connector_id)
    if draft is not None:
        db.session.delete(draft)
        db.session.commit()


def version_text(connector_id: str, account_id: int, number: int) -> str:
    """Return version ``number`` as the editor shows it."""
    return manifests.manifest_text(manifests.version_document(connector_id, account_id, number))


def versions_diff(connector_id: str, account_id: int, first: int, second: int) -> str:
    """Return the unified diff from version ``first`` to version ``second``."""
    return audit.text_diff(
        version_text(connector_id, account_id, first),
        version_text(connector_id, account_id, second),
        f"version {first}",
        f"version {second}",
    )


def publish(
    admin: Extension,
    connector_id: str,
    source: str | dict[str, Any],
    base_version: int | None,
) -> ManifestVersion:
    """Publish ``source`` over ``base_version``; the admin's draft is done with.

    ``base_version`` None (scripts publishing JSON) publishes over whatever is active.
    Raises :class:`ManifestRejected` (invalid: nothing stored, the active version keeps
    serving) or :class:`PublishConflict` when another version was published since
    ``base_version`` (the draft stays saved).
    """
    compared = (
        manifests.active_version(connector_id, admin.account_id)
        if base_version is None
        else base_version
    )
    before = version_text(connector_id, admin.account_id, compared)

    def audited(row: ManifestVersion) -> None:
        after = manifests.manifest_text(row.document or {})
        diff = audit.text_diff(before, after, f"version {compared}", f"version {row.version}")
        summary = f"Published version {row.version}"
        audit.record(admin, "manifest.publish", _subject(connector_id), summary, diff)
        draft = _draft(admin, connector_id)
        if draft is not None:
            db.session.delete(draft)

    try:
        return manifests.publish_manifest(
            connector_id, source, admin, expected_active=base_version, before_commit=audited
        )
    except manifests.VersionMoved as moved:
        db.session.rollback()
        if isinstance(source, str):
            save_draft(admin, connector_id, source, moved.expected)
        diff = versions_diff(connector_id, admin.account_id, moved.expected, moved.active)
        raise PublishConflict(moved, diff) from None


def rollback(admin: Extension, connector_id: str, number: int) -> ManifestVersion:
    """Make version ``number`` active again (as a new version), with its audit entry."""
    active = manifests.active_version(connector_id, admin.account_id)
    before = version_text(connector_id, admin.account_id, active)
    after = version_text(connector_id, admin.account_id, number)

    def audited(row: ManifestVersion) -> None:
        diff = audit.text_diff(before, after, f"version {active}", f"version {row.version}")
        summary = f"Rolled back to version {number} (now version {row.version})"
        audit.record(admin, "manifest.rollback", _subject(connector_id), summary, diff)

    return manifests.rollback_to(connector_id, number, admin, before_commit=audited)


def import_file(admin: Extension, connector_id: str, raw: bytes, base_version: int) -> str:
    """Read an App Connect manifest file into ``admin``'s draft; return the draft's text.

    Legacy shapes are upgraded as ``sidetalk manifest validate`` does. A file that is not
    JSON or not a manifest at all is refused (422) and the draft is left as it was; a
    manifest with problems becomes the draft, for the admin to fix before publishing.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = "the file is not text (UTF-8): is it a manifest file?"
        raise ManifestRejected([ManifestError(DOCUMENT_POINTER, message)]) from None
    document = manifests.read_document(text)
    text = manifests.manifest_text(document)
    save_draft(admin, connector_id, text, base_version)
    return text
