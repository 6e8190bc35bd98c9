"""Manifest versions: the bundled manifest is version 0, admins publish and roll back.

Each account has its own history per connector (admins of one company never change
another company's log form). Publishing validates the whole document with the
``manifest`` package first; an invalid document raises :class:`ManifestRejected` and
stores nothing, so the version in use stays active.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from connectors.registry import available_connectors, get_connector
from manifest import ManifestError, ManifestInvalid, load_manifest, validate_manifest
from manifest.errors import DOCUMENT_POINTER, sort_errors
from manifest.loader import parse_manifest_text
from widget.errors import Conflict, Forbidden, NotFound, Rejected
from widget.extensions import db
from widget.models import Extension, ManifestVersion
from widget.models.manifest_version import BUNDLED_VERSION

MAX_DOCUMENT_CHARACTERS = 512 * 1024
_PUBLISH_ATTEMPTS = 3
HISTORY_LIMIT = 50  # versions the history lists (every version can still be restored by number)


class VersionMoved(Conflict):
    """Someone published since the caller's ``expected_active`` version: nothing stored."""

    def __init__(self, expected: int, active: int) -> None:
        super().__init__(
            f"Version {active} was published after version {expected}, which this edit "
            "started from; nothing was published."
        )
        self.expected = expected
        self.active = active


class ManifestRejected(Rejected):
    """An invalid manifest: ``errors`` says where and what, one ``ManifestError`` each."""

    def __init__(self, errors: list[ManifestError]) -> None:
        count = len(errors)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"The manifest has {count} {noun}; the active version is unchanged.",
            field="document",
        )
        self.errors = errors


@dataclass(frozen=True)
class VersionView:
    """One line of the history: what was published, by whom, and whether it is in use."""

    number: int
    created_at: datetime | None
    published_by: str | None
    restored_version: int | None
    active: bool

    @property
    def is_bundled(self) -> bool:
        return self.number == BUNDLED_VERSION


def known_connector(connector_id: str) -> None:
    """Raise ``NotFound`` unless ``connector_id`` names an installed connector."""
    if connector_id not in available_connectors():
        raise NotFound(f"There is no CRM connector “{connector_id}”.")


def bundled_manifest(connector_id: str) -> dict[str, Any]:
    """Return the manifest shipped with the connector (version 0), as a fresh dict."""
    known_connector(connector_id)
    return load_manifest(get_connector(connector_id).manifest(), validate=False)


def _latest(connector_id: str, account_id: int) -> ManifestVersion | None:
    return db.session.scalars(
        select(ManifestVersion)
        .where(
            ManifestVersion.account_id == account_id,
            ManifestVersion.connector_id == connector_id,
        )
        .order_by(ManifestVersion.version.desc())
        .limit(1)
    ).first()


def active_version(connector_id: str, account_id: int) -> int:
    """Return the number of the version in use (0: the bundled manifest)."""
    latest = _latest(connector_id, account_id)
    return latest.version if latest else BUNDLED_VERSION


def active_manifest(connector_id: str, account_id: int) -> dict[str, Any]:
    """Return the manifest in use for this account and connector (a copy to mutate freely)."""
    latest = _latest(connector_id, account_id)
    if latest is None or latest.document is None:
        return bundled_manifest(connector_id)
    return copy.deepcopy(latest.document)


def active_platform(connector_id: str, account_id: int) -> dict[str, Any]:
    """Return ``platforms[connector_id]`` of the active manifest (empty when missing)."""
    platform = active_manifest(connector_id, account_id).get("platforms", {}).get(connector_id)
    return platform if isinstance(platform, dict) else {}


def manifest_text(document: dict[str, Any]) -> str:
    """Return ``document`` as the editor shows it: indented JSON, keys in their order."""
    return json.dumps(document, indent=2, ensure_ascii=False)


def read_document(source: str | dict[str, Any]) -> dict[str, Any]:
    """Return the manifest in ``source`` (JSON text or a parsed object), legacy shapes
    upgraded, without checking it; :class:`ManifestRejected` when it is not one at all
    (too large, empty, not JSON, another kind of document)."""
    if isinstance(source, str):
        if len(source) > MAX_DOCUMENT_CHARACTERS:
            limit = MAX_DOCUMENT_CHARACTERS // 1024
            raise ManifestRejected(
                [ManifestError(DOCUMENT_POINTER, f"the manifest is larger than {limit} KB")]
            )
        if not source.strip():
            raise ManifestRejected([ManifestError(DOCUMENT_POINTER, "the manifest is empty")])
        try:
            source = parse_manifest_text(source)
        except ManifestInvalid as exc:
            raise ManifestRejected(exc.errors) from None
    try:
        return load_manifest(source, validate=False)
    except ManifestInvalid as exc:
        raise ManifestRejected(exc.errors) from None


def parse_document(source: str | dict[str, Any], connector_id: str) -> dict[str, Any]:
    """Return the upgraded manifest in ``source`` (JSON text or a parsed object).

    Raises :class:`ManifestRejected` listing every problem: not JSON, not a manifest,
    schema and semantic errors, or no ``platforms[connector_id]`` entry.
    """
    document = read_document(source)
    errors = list(validate_manifest(document))
    platforms = document.get("platforms")
    if isinstance(platforms, dict) and not isinstance(platforms.get(connector_id), dict):
        errors.append(
            ManifestError(
                "/platforms",
                f"must describe the platform “{connector_id}”: this page edits that "
                "connector's manifest",
            )
        )
    if errors:
        raise ManifestRejected(sort_errors(errors))
    return document


def check_document(source: str | dict[str, Any], connector_id: str) -> list[ManifestError]:
    """Return the problems of ``source`` (empty when it could be published)."""
    try:
        parse_document(source, connector_id)
    except ManifestRejected as exc:
        return exc.errors
    return []


def _require_admin(extension: Extension) -> None:
    if not extension.is_admin:
        raise Forbidden("Only an admin can change the CRM log form.")


AppendHook = Callable[[ManifestVersion], None]


def _append_version(
    connector_id: str,
    extension: Extension,
    document: dict[str, Any] | None,
    restored_version: int | None,
    expected_active: int | None = None,
    before_commit: AppendHook | None = None,
) -> ManifestVersion:
    """Insert the next version number; retry when a concurrent publish took it.

    With ``expected_active``, a newer active version is :class:`VersionMoved` instead:
    the unique version number makes the check hold under concurrency (the loser of a
    race retries, sees the winner's version and stops). ``before_commit`` adds rows that
    must commit with the version (the audit entry).
    """
    for _attempt in range(_PUBLISH_ATTEMPTS):
        active = (
            db.session.scalar(
                select(func.max(ManifestVersion.version)).where(
                    ManifestVersion.account_id == extension.account_id,
                    ManifestVersion.connector_id == connector_id,
                )
            )
            or BUNDLED_VERSION
        )
        if expected_active is not None and active != expected_active:
            raise VersionMoved(expected_active, active)
        number = active + 1
        row = ManifestVersion(
            account_id=extension.account_id,
            connector_id=connector_id,
            version=number,
            document=document,
            restored_version=restored_version,
            published_by_id=extension.id,
        )
        db.session.add(row)
        if before_commit is not None:
            before_commit(row)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        return row
    raise Conflict("Another admin published at the same moment; reload and try again.")


def publish_manifest(
    connector_id: str,
    source: str | dict[str, Any],
    extension: Extension,
    *,
    expected_active: int | None = None,
    before_commit: AppendHook | None = None,
) -> ManifestVersion:
    """Validate ``source`` and make it the active version; return the new version.

    Raises ``Forbidden`` for non-admins, ``NotFound`` for an unknown connector,
    :class:`ManifestRejected` (422) for an invalid manifest and :class:`VersionMoved`
    (409) when ``expected_active`` is no longer the active version, storing nothing.
    """
    _require_admin(extension)
    known_connector(connector_id)
    document = parse_document(source, connector_id)
    return _append_version(
        connector_id,
        extension,
        document,
        restored_version=None,
        expected_active=expected_active,
        before_commit=before_commit,
    )


def _stored_version(connector_id: str, account_id: int, number: int) -> ManifestVersion | None:
    return db.session.scalars(
        select(ManifestVersion).where(
            ManifestVersion.account_id == account_id,
            ManifestVersion.connector_id == connector_id,
            ManifestVersion.version == number,
        )
    ).first()


def version_document(connector_id: str, account_id: int, number: int) -> dict[str, Any]:
    """Return the manifest of version ``number`` (0: the bundled one); ``NotFound`` if none."""
    known_connector(connector_id)
    if number == BUNDLED_VERSION:
        return bundled_manifest(connector_id)
    row = _stored_version(connector_id, account_id, number)
    if row is None:
        raise NotFound(f"There is no version {number} of this manifest.")
    if row.document is None:
        return bundled_manifest(connector_id)
    return copy.deepcopy(row.document)


def rollback_to(
    connector_id: str,
    number: int,
    extension: Extension,
    *,
    before_commit: AppendHook | None = None,
) -> ManifestVersion:
    """Make version ``number`` active again by publishing it as the next version."""
    _require_admin(extension)
    known_connector(connector_id)
    if number == BUNDLED_VERSION:
        return _append_version(
            connector_id, extension, None, restored_version=number, before_commit=before_commit
        )
    target = db.session.scalars(
        select(ManifestVersion).where(
            ManifestVersion.account_id == extension.account_id,
            ManifestVersion.connector_id == connector_id,
            ManifestVersion.version == number,
        )
    ).first()
    if target is None:
        raise NotFound(f"There is no version {number} of this manifest.")
    document = copy.deepcopy(target.document) if target.document is not None else None
    return _append_version(
        connector_id, extension, document, restored_version=number, before_commit=before_commit
    )


def list_versions(
    connector_id: str, account_id: int, limit: int = HISTORY_LIMIT
) -> list[VersionView]:
    """Return the ``limit`` latest versions, newest first, ending with the bundled version 0.

    One query whatever the history's length: names come joined, documents stay unread.
    """
    rows = db.session.execute(
        select(
            ManifestVersion.version,
            ManifestVersion.created_at,
            Extension.name,
            ManifestVersion.restored_version,
        )
        .outerjoin(Extension, Extension.id == ManifestVersion.published_by_id)
        .where(
            ManifestVersion.account_id == account_id,
            ManifestVersion.connector_id == connector_id,
        )
        .order_by(ManifestVersion.version.desc())
        .limit(limit)
    ).all()
    active = rows[0].version if rows else BUNDLED_VERSION
    views = [
        VersionView(
            number=row.version,
            created_at=row.created_at,
            published_by=row.name,
            restored_version=row.restored_version,
            active=row.version == active,
        )
        for row in rows
    ]
    views.append(VersionView(BUNDLED_VERSION, None, None, None, active == BUNDLED_VERSION))
    return views
